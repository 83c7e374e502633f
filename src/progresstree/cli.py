"""The ``progresstree`` command: ``demo``, ``codemod`` and ``watch``.

Each subcommand lives in its own module and is imported only when used, so
``progresstree --help`` stays fast and the core never imports rich or libcst.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

__all__ = ["main"]

# name -> (module, function, one-line help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("progresstree.demo", "main", "run a sample setlist with live nested progress"),
    "codemod": (
        "progresstree_codemods.cli",
        "main",
        "instrument legacy SetlistService / BlockProcessor modules",
    ),
    "watch": (
        "progresstree.remote.watch",
        "main",
        "show the live tree of progress published to a Redis stream",
    ),
}


def _usage() -> str:
    lines = ["usage: progresstree COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<9} {help_text}" for name, (_, _, help_text) in _COMMANDS.items()]
    lines += ["", "Run 'progresstree COMMAND --help' for the options of a command."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        from . import __version__

        print(__version__)
        return 0
    entry = _COMMANDS.get(args[0])
    if entry is None:
        print(f"progresstree: unknown command {args[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = entry
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        print(
            f"progresstree {args[0]}: missing optional dependency ({exc}); "
            "install progresstree[all]",
            file=sys.stderr,
        )
        return 2
    command: Callable[[list[str]], int] = getattr(module, function_name)
    return command(args[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

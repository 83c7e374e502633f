"""``progresstree demo``: argument parsing, choice of output, exit status."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager

from rich.console import Console

from ..errors import OperationCancelled
from ..render import JsonLinesListener, LiveRenderer, PlainListener, listening
from ..store import ProgressEventStore, get_progress_store
from .interrupt import CancelOnInterrupt
from .setlist import SetlistService, build_setlist
from .summary import summary_table

__all__ = ["main"]

EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="progresstree demo",
        description=(
            "Process a sample setlist (songs x actions x blocks x subprocesses) doing "
            "small real signal work, one song failing on purpose, shown live; "
            "ends with a summary. Ctrl-C cancels cleanly (exit status 130)."
        ),
    )
    parser.add_argument("--songs", type=_positive_int, default=6, help="songs (default 6)")
    parser.add_argument(
        "--speed", type=_positive_float, default=1.0, help="pace factor (default 1; 10 = 10x)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--plain",
        action="store_true",
        help="plain lines, no terminal control codes (default when stdout is not a terminal)",
    )
    mode.add_argument("--json", action="store_true", help="JSON lines, one object per event")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be at least 1, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        msg = f"must be greater than 0, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _mode(args: argparse.Namespace) -> str:
    if args.json:
        return "json"
    if args.plain or not sys.stdout.isatty() or os.environ.get("TERM") == "dumb":
        return "plain"
    return "live"


def _plain_console(stderr: bool = False) -> Console:
    """A console that writes text only: no colour, no cursor control."""
    return Console(
        file=sys.stderr if stderr else sys.stdout,
        force_terminal=False,
        color_system=None,
        highlight=False,
        emoji=False,
    )


@contextlib.contextmanager
def _output(mode: str, store: ProgressEventStore, console: Console) -> Iterator[None]:
    view: AbstractContextManager[object]
    if mode == "live":
        view = LiveRenderer(store, console=console)
    elif mode == "json":
        view = listening(JsonLinesListener(sys.stdout), store)
    else:
        view = listening(PlainListener(sys.stdout), store)
    with view:
        yield


def main(argv: list[str]) -> int:
    """Run the demo; 0 when it ran to the end, 130 when interrupted."""
    args = _parser().parse_args(argv)
    mode = _mode(args)
    console = Console() if mode == "live" else _plain_console(stderr=mode == "json")
    store = get_progress_store()
    setlist = build_setlist(args.songs)
    service = SetlistService(store, speed=args.speed)
    interrupted = False
    with CancelOnInterrupt(store) as cancel:
        try:
            with _output(mode, store, console):
                service.process_setlist(setlist)
        except (OperationCancelled, KeyboardInterrupt):
            interrupted = True
        interrupted = interrupted or cancel.requested.is_set()
    history = store.get_history("setlist_processing", limit=1)
    if history:
        console.print(summary_table(history[-1], len(setlist.songs)))
    return EXIT_INTERRUPTED if interrupted else 0

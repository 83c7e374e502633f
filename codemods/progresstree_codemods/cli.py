"""``progresstree codemod PATH... [--diff] [--check] [-j N] [--style ...]``.

Exit status: 0 when every file was handled, 1 when ``--check`` finds files the
codemod would change, 2 for bad arguments or settings, 3 when some file could
not be processed (unparsable, read-only, ...); the other files are handled
either way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from progresstree_codemods import runner
from progresstree_codemods.config import ConfigError, add_config_args, resolve_config
from progresstree_codemods.report import CHANGED, FAILED

EXIT_OK = 0
EXIT_WOULD_CHANGE = 1
EXIT_USAGE = 2
EXIT_FAILED = 3


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        msg = f"-j/--jobs expects a positive integer, got {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return jobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="progresstree codemod",
        description="Instrument legacy setlist services and block processors with "
        "progresstree. Files are rewritten in place (atomically) unless --diff or "
        "--check is given.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument(
        "--diff", action="store_true", help="print a unified diff and write nothing"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit with status 1 when any file would change",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        help="worker processes (default: one per CPU)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every file and every warning"
    )
    add_config_args(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the codemod; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        settings = resolve_config(
            style=args.style,
            setlist_suffix=args.setlist_suffix,
            setlist_method=args.setlist_method,
            block_base=args.block_base,
            block_method=args.block_method,
            level=args.level,
            config=args.config,
            search_from=args.paths[0],
        )
    except ConfigError as exc:
        print(f"progresstree codemod: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    mode = runner.DIFF if args.diff else runner.CHECK if args.check else runner.WRITE
    summary = runner.run(args.paths, settings, mode=mode, jobs=args.jobs)
    if args.diff:
        for report in sorted(summary.reports, key=lambda r: r.path):
            if report.diff:
                sys.stdout.write(report.diff if report.diff.endswith("\n") else report.diff + "\n")
        sys.stdout.flush()
    for line in summary.lines(verbose=args.verbose):
        print(line, file=sys.stderr)
    if summary.by_status(FAILED):
        return EXIT_FAILED
    if args.check and summary.by_status(CHANGED):
        return EXIT_WOULD_CHANGE
    return EXIT_OK

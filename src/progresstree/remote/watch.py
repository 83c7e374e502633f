"""``progresstree watch URL``: the live merged tree of a job published to Redis.

``--json`` prints one JSON object per event and line
(``{"event", "operation_id", "name", "state"}``), flushed per line;
``--plain`` prints readable lines for logs; the default is the live rich tree
on a terminal and plain lines otherwise. ``--exit-when-idle`` returns once the
stream is caught up and no operation is running (for scripts).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from contextlib import AbstractContextManager
from typing import Any, TextIO

from ..models import ProgressState
from ..store import ProgressEventStore
from ._url import check_url

__all__ = ["JsonEventWriter", "main"]


class JsonEventWriter:
    """A listener writing ``{"event", "operation_id", "name", "state"}`` lines."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: str, state: ProgressState) -> None:
        line = json.dumps(
            {
                "event": event,
                "operation_id": state.operation_id,
                "name": state.name,
                "state": state.to_dict(),
            }
        )
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="progresstree watch",
        description="Show the live tree of progress published to a Redis stream.",
    )
    parser.add_argument("url", help="redis://HOST[:PORT][/DB], rediss://... or unix://PATH")
    parser.add_argument("--stream", default="progresstree", help="stream name (progresstree)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plain", action="store_true", help="plain lines instead of a live tree")
    mode.add_argument("--json", action="store_true", help="one JSON object per event and line")
    parser.add_argument(
        "--exit-when-idle",
        action="store_true",
        help="exit once the stream is caught up and no operation is running",
    )
    return parser


def _display(args: argparse.Namespace, store: ProgressEventStore) -> AbstractContextManager[Any]:
    from .. import render

    if args.json:
        return render.listening(JsonEventWriter(sys.stdout), store, min_interval=0.1)
    if args.plain or not sys.stdout.isatty():
        return render.plain(store)
    return render.live(store)


def main(argv: list[str]) -> int:
    """Run the watcher; returns the exit status (2 for a bad URL)."""
    args = _parser().parse_args(argv)
    try:
        check_url(args.url)
    except (TypeError, ValueError) as exc:
        print(f"progresstree watch: {exc}", file=sys.stderr)
        return 2
    from ._aggregator import RedisAggregator

    aggregator = RedisAggregator(args.url, stream=args.stream)
    try:
        with _display(args, aggregator.store), aggregator:
            while True:
                time.sleep(0.2)
                if (
                    args.exit_when_idle
                    and aggregator.wait_idle(1.0)
                    and not aggregator.get_active_operations()
                ):
                    break
    except KeyboardInterrupt:
        return 130
    return 0

"""``progresstree watch URL``: the live merged tree of a job published to Redis.

``--json`` prints one JSON object per event and line, flushed per line:
``{"event", "operation_id", "name", "operation", "levels"}`` where
``operation`` is the operation's own fields (no levels) and ``levels`` only
the levels that are new, changed or ended since the previous line of that
operation (a delta: applying the lines in order rebuilds the tree);
``--plain`` prints readable lines for logs; the default is the live rich tree
on a terminal and plain lines otherwise. ``--exit-when-idle`` returns once the
stream is caught up and no operation is running (for scripts).

While Redis cannot be read, stderr says why ("cannot connect to redis at
host:port: reason") and the reader retries with a growing delay; with
``--exit-when-idle`` the watcher gives up with status 1 after
``--connect-timeout`` seconds. A password is taken from ``--password-file``
or ``REDIS_PASSWORD`` so it never needs to be on the command line, and
every URL shown has its password redacted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from .._changes import ChangeCursor
from .._json import json_safe
from ..models import ProgressLevel, ProgressState
from ..store import ProgressEventStore
from ._url import check_url, describe

if TYPE_CHECKING:
    from ._aggregator import RedisAggregator

__all__ = ["JsonEventWriter", "main"]

_TERMINAL = frozenset({"completed", "failed", "cancelled"})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _operation_fields(state: ProgressState) -> dict[str, Any]:
    return {
        "operation_type": state.operation_type,
        "status": state.status.value,
        "started_at": _iso(state.started_at),
        "completed_at": _iso(state.completed_at),
        "elapsed_seconds": state.get_elapsed_seconds(),
        "error": state.error,
        "total": state.total,
        "current": state.current,
        "message": state.message,
        "metadata": json_safe(state.metadata),
        "overall_progress": state.get_overall_progress(),
    }


def _level_fields(state: ProgressState, level: ProgressLevel) -> dict[str, Any]:
    return {
        "level_type": level.level_type,
        "name": level.name,
        "status": level.status.value,
        "current": level.current,
        "total": level.total,
        "percentage": state.level_percentage(level),
        "message": level.message,
        "started_at": _iso(level.started_at),
        "completed_at": _iso(level.completed_at),
        "elapsed_seconds": level.get_elapsed_seconds(),
        "error": level.error,
        "parent_id": level.parent_id,
        "metadata": json_safe(level.metadata),
    }


class JsonEventWriter:
    """A listener writing one delta line per event (see the module docstring).

    A change cursor per operation (``_changes.py``) finds what changed, so a
    line costs the levels it carries, not the size of the tree.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._cursors: dict[str, tuple[ProgressState, ChangeCursor]] = {}

    def record(self, event: str, state: ProgressState) -> dict[str, Any]:
        """The object written for one event (advances this writer's cursor)."""
        op_id = state.operation_id
        entry = self._cursors.get(op_id)
        if entry is None or entry[0] is not state:
            entry = self._cursors[op_id] = (state, ChangeCursor())
        found = entry[1].poll(state)
        if event in _TERMINAL:
            del self._cursors[op_id]
        levels = {
            level.level_id: _level_fields(state, level)
            for level in (*found.ended, *found.changed, *found.new)
        }
        operation = _operation_fields(state)
        return {
            "event": event,
            "operation_id": op_id,
            "name": state.name,
            "operation": operation,
            "levels": levels,
        }

    def __call__(self, event: str, state: ProgressState) -> None:
        with self._lock:
            line = json.dumps(self.record(event, state))
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
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="with --exit-when-idle: exit 1 when redis stays unreachable this long (10)",
    )
    parser.add_argument(
        "--password-file",
        metavar="PATH",
        help="read the redis password from this file (else $REDIS_PASSWORD, else the URL)",
    )
    return parser


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as file:
            return file.read().rstrip("\r\n")
    return os.environ.get("REDIS_PASSWORD") or None


class _Connection:
    """Tells stderr when reading Redis fails or works again; measures outages."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.shown: str | None = None
        self.down_since: float | None = None

    def poll(self, error: str | None) -> float:
        """Seconds Redis has been unreadable (0.0 while it is read)."""
        now = time.monotonic()
        if error is None:
            if self.shown is not None:
                _say(f"connected to redis at {self.address}")
            self.shown = self.down_since = None
            return 0.0
        if self.down_since is None:
            self.down_since = now
        if error != self.shown:
            _say(f"cannot connect to redis at {self.address}: {error} (retrying)")
            self.shown = error
        return now - self.down_since


def _say(message: str) -> None:
    print(f"progresstree watch: {message}", file=sys.stderr, flush=True)


class _StderrLog(logging.Handler):
    """The library's warnings (refused entries) as watch messages; the
    connection state is told by ``_Connection`` already."""

    def emit(self, record: logging.LogRecord) -> None:
        if not getattr(record, "progresstree_connection", False):
            _say(record.getMessage().removeprefix("progresstree: "))


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
    try:
        password = _password(args)
    except (OSError, UnicodeDecodeError) as exc:
        _say(f"cannot read the password file: {exc}")
        return 2
    from ._aggregator import RedisAggregator

    log = logging.getLogger("progresstree")
    handler = _StderrLog(logging.WARNING)
    log.addHandler(handler)
    try:
        return _watch(args, RedisAggregator(args.url, stream=args.stream, password=password))
    except KeyboardInterrupt:
        return 130
    finally:
        log.removeHandler(handler)


def _watch(args: argparse.Namespace, aggregator: RedisAggregator) -> int:
    connection = _Connection(describe(args.url))
    with _display(args, aggregator.store), aggregator:
        while True:
            time.sleep(0.2)
            down_for = connection.poll(aggregator.error)
            if not args.exit_when_idle:
                continue
            if down_for > args.connect_timeout:
                _say(f"giving up after {args.connect_timeout:g}s without redis")
                return 1
            if (
                aggregator.error is None
                and aggregator.wait_idle(1.0)
                and not aggregator.get_active_operations()
            ):
                return 0

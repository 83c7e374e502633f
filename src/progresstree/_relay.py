"""Turning a store's events into compact, batched change records.

A :class:`Relay` is a listener whose hot path only marks the operation dirty
(one dict store). ``collect()``, called from a transport's own thread every
few tens of milliseconds, compares each dirty operation with what was sent
before and returns the records that changed:

* ``["op", operation_id, fields...]`` - the operation header (see
  :func:`op_record`), sent when it first appears and whenever it changes;
  a terminal header is always sent after that operation's levels.
* ``["lv", operation_id, level_record, instance]`` - one level (see
  :func:`level_record`). ``instance`` numbers the local ``ProgressState``
  objects a relay saw under one operation id (a worker opens a new mirror
  per task), so that equal level ids of two instances stay two levels.

A change cursor per operation (``_changes.py``) finds the levels that are
new or still open, so a tick costs O(open levels + new levels), never
O(whole tree). Many events on one level
within a tick collapse into one record: the event rate of the tracked work
and the message rate of the transport are decoupled. Records are JSON data
(wall-clock epoch seconds for times) so every transport can carry them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from . import _clock
from ._changes import ChangeCursor
from ._json import json_safe
from .models import ProgressLevel, ProgressState, metadata_of
from .propagation import mirror_of

__all__ = ["Relay", "Ticker", "level_record", "new_source_id", "op_record"]

Entry = list[Any]


def new_source_id() -> str:
    """A name for one sending process/relay, unique across machines."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _wall(value: float | None) -> float | None:
    return None if value is None else _clock.to_wall(value)


def level_record(level: ProgressLevel) -> list[Any]:
    """``[id, type, name, status, current, total, message, started, completed,
    error, error_details, parent_id, metadata]``."""
    return [
        level.level_id,
        level.level_type,
        level.name,
        level.status.value,
        level.current,
        level.total,
        level.message,
        _wall(level.started_monotonic),
        _wall(level.completed_monotonic),
        level.error,
        json_safe(level.error_details) if level.error_details else None,
        level.parent_id,
        json_safe(metadata) if (metadata := metadata_of(level)) else None,
    ]


def op_record(state: ProgressState, mirror: bool) -> Entry:
    """``["op", id, type, name, status, started, completed, error, error_details,
    total, current, message, metadata, mirror]`` (the relay appends the instance)."""
    return [
        "op",
        state.operation_id,
        state.operation_type,
        state.name,
        state.status.value,
        _wall(state.started_monotonic),
        _wall(state.completed_monotonic),
        state.error,
        json_safe(state.error_details) if state.error_details else None,
        state.total,
        state.current,
        state.message,
        json_safe(state.metadata) if state.metadata else None,
        mirror,
    ]


_TERMINAL = frozenset({"completed", "failed", "cancelled"})


class _Track:
    __slots__ = ("cursor", "header", "instance", "state")

    def __init__(self, state: ProgressState, instance: int) -> None:
        self.state = state
        self.instance = instance
        self.header: Entry | None = None
        # The fingerprint is the record itself: what changed is what is sent.
        self.cursor = ChangeCursor(level_record)


class Relay:
    """A listener that records which operations changed; ``collect()`` diffs them."""

    def __init__(self, source: str | None = None) -> None:
        self.source = source or new_source_id()
        self.dirty: dict[str, ProgressState] = {}
        # The store parks ``updated`` states here directly (listeners.py).
        self.parked = self.dirty
        self._tracks: dict[str, _Track] = {}
        self._instances = 0
        self._lock = threading.Lock()

    def __call__(self, event: str, state: ProgressState) -> None:
        self.dirty[state.operation_id] = state

    @property
    def has_changes(self) -> bool:
        """True when some operation changed since the last ``collect()``."""
        return bool(self.dirty)

    def resync(self) -> None:
        """Make the next ``collect()`` send the whole state of every tracked operation."""
        with self._lock:
            for op_id, track in list(self._tracks.items()):
                track.header = None
                track.cursor = ChangeCursor(level_record)
                self.dirty[op_id] = track.state

    def collect(self) -> list[Entry]:
        """The change records since the last call, parents before children."""
        out: list[Entry] = []
        with self._lock:
            dirty = self.dirty
            while dirty:
                try:
                    op_id, state = dirty.popitem()
                except KeyError:
                    break
                self._collect_one(op_id, state, out)
        return out

    def _collect_one(self, op_id: str, state: ProgressState, out: list[Entry]) -> None:
        track = self._tracks.get(op_id)
        if track is None or track.state is not state:
            # A new state object under a known id (a mirror re-opened for the
            # next task) is another instance: its level ids are new levels.
            self._instances += 1
            track = self._tracks[op_id] = _Track(state, self._instances)
        mirror = mirror_of(state)
        proxies = mirror.proxies if mirror is not None else ()
        if mirror is not None and track.header is None and len(state.levels) <= len(proxies):
            # A mirror whose task opened no level: nothing to tell anyone.
            if state.is_finished:
                del self._tracks[op_id]
            return
        header = op_record(state, mirror is not None)
        header.append(track.instance)
        instance = track.instance
        terminal = header[4] in _TERMINAL
        if track.header is None or (header != track.header and not terminal):
            opening = list(header)
            if terminal:  # levels must find a live operation first
                opening[4], opening[6] = "running", None
            out.append(opening)
            track.header = opening
        cursor = track.cursor
        found = cursor.poll(state)
        for level in found.changed:
            if level.level_id not in proxies:
                out.append(["lv", op_id, cursor.last(level), instance])
        for level in found.ended:
            if level.level_id not in proxies:
                out.append(["lv", op_id, level_record(level), instance])
        for level in found.new:
            if level.level_id in proxies:
                continue
            record = cursor.last(level)  # taken by the poll for an open level
            out.append(["lv", op_id, level_record(level) if record is None else record, instance])
        if terminal:
            out.append(header)
            del self._tracks[op_id]


class Ticker:
    """Calls ``fn()`` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, fn: Callable[[], None], interval: float, name: str) -> None:
        self._fn = fn
        self._interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._fn()

    def wake(self) -> None:
        """Run ``fn`` now instead of at the next tick."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread (waiting at most ``timeout`` for it)."""
        self._stop.set()
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

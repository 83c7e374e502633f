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
* ``["lr", operation_id, instance, parent_id, type, status, current, total,
  message, offset, ids, names, starts, ends]`` - a run of levels that ended
  under one parent before anyone saw them open, equal in every field but id,
  name and times (see :func:`run_record`; a tick finds them in one scan,
  :func:`stretches`): what a job of many small levels mostly produces. The
  columns are single strings, so that encoding and decoding cost per level
  is a few C-level steps, not one JSON list per level: ``ids`` and ``names``
  joined by newlines, ``starts`` and ``ends`` the raw monotonic readings
  packed as little-endian doubles in base64; ``offset`` turns them into
  epoch seconds (``reading + offset``). The receiver expands a run into
  ``lv`` records (``_records.check_batch``).

A change cursor per operation (``_changes.py``) finds the levels that are
new or still open, so a tick costs O(open levels + new levels), never
O(whole tree). Many events on one level
within a tick collapse into one record: the event rate of the tracked work
and the message rate of the transport are decoupled. Records are JSON data
(wall-clock epoch seconds for times) so every transport can carry them.
"""

from __future__ import annotations

import base64
import binascii
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from . import _clock
from ._changes import ChangeCursor
from ._json import json_safe
from .models import ProgressLevel, ProgressState, ProgressStatus, metadata_of
from .propagation import mirror_of

__all__ = [
    "RUN_MAX",
    "Relay",
    "Ticker",
    "chunks",
    "level_record",
    "new_source_id",
    "op_record",
    "run_record",
    "stretches",
    "weight",
]

Entry = list[Any]


def new_source_id() -> str:
    """A name for one sending process/relay, unique across machines."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


# Epoch seconds minus this process's monotonic reading (constant per process).
_OFFSET = _clock.to_wall(0.0)


def _wall(value: float | None) -> float | None:
    return None if value is None else value + _OFFSET


def level_record(level: ProgressLevel) -> list[Any]:
    """``[id, type, name, status, current, total, message, started, completed,
    error, error_details, parent_id, metadata]``."""
    started = level.started_monotonic
    completed = level.completed_monotonic
    details = level.error_details
    metadata = metadata_of(level)
    return [
        level.level_id,
        level.level_type,
        level.name,
        level.status._value_,  # the enum's ``value`` property costs a call
        level.current,
        level.total,
        level.message,
        None if started is None else started + _OFFSET,
        None if completed is None else completed + _OFFSET,
        level.error,
        json_safe(details) if details else None,
        level.parent_id,
        json_safe(metadata) if metadata else None,
    ]


RUN_MAX = 500  # levels in one run record: about what one stream entry holds
_RUN_CHARS = 1 << 16  # characters of ids and names in one run record
_b64encode = binascii.b2a_base64  # what base64.b64encode calls, without its frame
_pack = struct.pack


def _differs(
    level: ProgressLevel,
    parent: str | None,
    status: ProgressStatus | None,
    level_type: str,
    message: str | None,
    current: float,
    total: float,
) -> bool:
    """True when ``level`` cannot share a run with levels of these fields (exact).

    Equal values of one type (``0`` and ``0.0`` differ: they arrive as
    different JSON numbers); no error, and error details and metadata empty
    (sent as None when empty, see ``level_record``). ``status`` None: the
    run's first level cannot share a run at all (no level's status is None).
    """
    return (
        level.status is not status
        or level.parent_id != parent
        or level.level_type != level_type
        or level.message != message
        or level.error is not None
        or bool(level.error_details)
        or bool(level._metadata)  # noqa: SLF001  # what ``metadata_of`` reads
        or level.current != current
        or level.total != total
        or type(level.current) is not type(current)
        or type(level.total) is not type(total)
    )


def _alone(level: ProgressLevel) -> bool:
    """True for a level that never travels in a run (an error, details or metadata)."""
    return level.error is not None or bool(level.error_details) or bool(level._metadata)  # noqa: SLF001


def stretches(levels: list[ProgressLevel]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of the maximal stretches of consecutive ``levels`` that
    could make one run: one parent, equal in every field a run sends once.

    One loop over the levels reads several attributes of each: the
    interpreter specialises each ``level.field`` read of a slot, so a field
    costs a few ns here, a fraction of what one ``map(attrgetter(...))``
    pass costs per level (its C-level call per level is the expensive
    part). Fields are compared by identity first, which is the usual case
    (a loop passes the same type string to every level, small counts are
    cached ints, untouched fields the same None) and implies equality; an
    exact comparison (:func:`_differs`) decides only when identity fails.
    A stretch ends at a level that differs; a level with an error or
    metadata is a stretch of its own.
    """
    start = 0
    first = levels[0]
    parent = first.parent_id
    status: ProgressStatus | None = None if _alone(first) else first.status
    level_type = first.level_type
    message = first.message
    current = first.current
    total = first.total
    for level in islice(levels, 1, None):
        if (
            level.status is not status
            or level.parent_id is not parent
            or level.level_type is not level_type
            or level.message is not message
            or level.error is not None
            or level.error_details
            or level._metadata  # noqa: SLF001
            or level.current is not current
            or level.total is not total
        ) and _differs(level, parent, status, level_type, message, current, total):
            end = levels.index(level, start)  # a C-level scan for the object
            yield start, end
            start = end
            parent = level.parent_id
            status = None if _alone(level) else level.status
            level_type = level.level_type
            message = level.message
            current = level.current
            total = level.total
    yield start, len(levels)


def run_record(
    op_id: str, instance: int, levels: list[ProgressLevel], ends: list[float | None] | None = None
) -> Entry | None:
    """One ``lr`` record for ``levels`` (finished, one parent), or None.

    None when they differ in a field other than id, name and times, carry an
    error or metadata, or do not fit one record: they then go one ``lv``
    record each. ``ends``: their end readings, when the caller has them.
    """
    if levels[0].status._value_ not in _TERMINAL:
        return None  # an ended level not yet marked goes alone
    if [*stretches(levels)] != [(0, len(levels))]:
        return None
    return _columns(op_id, instance, levels, ends)


def _columns(
    op_id: str, instance: int, levels: list[ProgressLevel], ends: list[float | None] | None = None
) -> Entry | None:
    """The ``lr`` record of a stretch of finished levels (see :func:`stretches`), or None.

    None when the ids and names do not fit one record or hold a newline, or
    a level has no start reading. The columns are read by comprehensions
    (specialised slot reads, see :func:`stretches`); joining and packing
    them are single C-level steps.
    """
    count = len(levels)
    first = levels[0]
    ids = "\n".join([level.level_id for level in levels])
    names = "\n".join([level.name for level in levels])
    if (
        len(ids) + len(names) > _RUN_CHARS
        or ids.count("\n") != count - 1
        or names.count("\n") != count - 1
    ):
        return None  # too large, or a newline inside an id or a name
    if ends is None:
        ends = [level._completed for level in levels]  # noqa: SLF001
    form = f"<{count}d"  # little-endian doubles
    try:
        # ``_started``: the raw reading ``started_monotonic`` returns, without its call.
        starts = _pack(form, *[level._started for level in levels])  # noqa: SLF001
        finished = _pack(form, *ends)
    except struct.error:  # a level ended without having started
        return None
    return [
        "lr",
        op_id,
        instance,
        first.parent_id,
        first.level_type,
        first.status._value_,
        first.current,
        first.total,
        first.message,
        _OFFSET,
        ids,
        names,
        _b64encode(starts, newline=False).decode("ascii"),
        _b64encode(finished, newline=False).decode("ascii"),
    ]


def weight(entry: Entry) -> int:
    """How many levels ``entry`` carries (a run: its length; others: 1)."""
    if entry[0] == "lr":
        ids = entry[10]
        return ids.count("\n") + 1 if isinstance(ids, str) else 1
    return 1


def _split(entry: Entry, limit: int) -> list[Entry]:
    """A run record cut into runs of at most ``limit`` levels each."""
    head = entry[:10]
    ids, names = entry[10].split("\n"), entry[11].split("\n")
    starts, ends = base64.b64decode(entry[12]), base64.b64decode(entry[13])
    out = []
    for start in range(0, len(ids), limit):
        end = start + limit
        out.append(
            [
                *head,
                "\n".join(ids[start:end]),
                "\n".join(names[start:end]),
                base64.b64encode(starts[start * 8 : end * 8]).decode("ascii"),
                base64.b64encode(ends[start * 8 : end * 8]).decode("ascii"),
            ]
        )
    return out


def chunks(entries: list[Entry], limit: int) -> Iterator[list[Entry]]:
    """``entries`` in order, in lists that carry at most ``limit`` levels each.

    A run record heavier than ``limit`` is cut into shorter runs.
    """
    part: list[Entry] = []
    carried = 0
    for entry in entries:
        heavy = weight(entry) > limit
        for piece in _split(entry, limit) if heavy else (entry,):
            size = weight(piece)
            if part and carried + size > limit:
                yield part
                part, carried = [], 0
            part.append(piece)
            carried += size
    if part:
        yield part


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
_ENDED_KEPT = 64  # ended operations remembered (their states kept alive until then)


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
        # Operations sent to their end: an event that arrives after the
        # terminal header (the end raced a tick) must not resend the tree.
        self._ended: dict[str, ProgressState] = {}
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
        if track is None and self._ended.get(op_id) is state:
            return  # its end was sent already: nothing changes after it
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
        new = found.new
        if proxies:
            new = [level for level in new if level.level_id not in proxies]
        if new:
            self._new(op_id, instance, cursor, new, out)
        if terminal:
            out.append(header)
            del self._tracks[op_id]
            self._ended[op_id] = state
            if len(self._ended) > _ENDED_KEPT:
                del self._ended[next(iter(self._ended))]

    def _new(
        self,
        op_id: str,
        instance: int,
        cursor: ChangeCursor,
        new: list[ProgressLevel],
        out: list[Entry],
    ) -> None:
        """Records of the levels new since the last look, in their order.

        Stretches of finished levels that agree (see :func:`stretches`) go
        as ``lr`` records of at most ``RUN_MAX`` levels each: the usual case
        for a job of many small levels. Open and lone levels go as ``lv``.
        """
        each = self._each
        for start, end in stretches(new):
            if end - start == 1 or new[start].status._value_ not in _TERMINAL:
                each(op_id, instance, cursor, new[start:end], out)
                continue
            for cut in range(start, end, RUN_MAX):
                part = new[cut : min(cut + RUN_MAX, end)]
                run = _columns(op_id, instance, part) if len(part) > 1 else None
                if run is not None:
                    out.append(run)
                else:
                    each(op_id, instance, cursor, part, out)

    @staticmethod
    def _each(
        op_id: str,
        instance: int,
        cursor: ChangeCursor,
        levels: list[ProgressLevel],
        out: list[Entry],
    ) -> None:
        """One ``lv`` record per level (open ones as the poll saw them)."""
        for level in levels:
            record = cursor.last(level)  # taken by the poll for an open level
            out.append(["lv", op_id, level_record(level) if record is None else record, instance])


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

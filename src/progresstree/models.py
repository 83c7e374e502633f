"""The data model: statuses, levels and operations.

A :class:`ProgressState` is one tracked job (an *operation*); it holds a tree
of :class:`ProgressLevel` objects. These classes know nothing about locks or
listeners: the store (``store.py``) serialises access and emits events. They
can still be used on their own, as plain records, exactly like the dataclasses
of the application the seed guide comes from.

Memory matters here (a job may create millions of levels), so every level is a
slotted object whose ``children`` and ``metadata`` containers are only
allocated when first needed, and times are monotonic floats converted to
datetimes only when read.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterator, Mapping
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ._clock import datetime_to_monotonic, monotonic, monotonic_to_datetime
from ._compiled import mypyc_attr
from ._json import json_safe
from ._suffix import claim_suffixed, free_suffixed
from ._tally import Tally
from ._validate import check_amount, check_increment, check_text, check_update
from .errors import LevelEndedError

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "ProgressEvent",
    "ProgressLevel",
    "ProgressState",
    "ProgressStatus",
    "SnapshotDict",
]

_K = TypeVar("_K")
_V = TypeVar("_V")


class ProgressStatus(str, Enum):
    """Lifecycle of a level or an operation."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True for the statuses a level or operation never leaves."""
        return self in _TERMINAL

    def __str__(self) -> str:
        return self.value


class ProgressEvent(str, Enum):
    """What a listener is told: ``callback(event, state)``.

    A ``str`` enum, so ``event == "updated"`` and JSON encoding keep working.
    ``started`` comes first, ``updated`` for every change, and exactly one
    terminal event (``completed``, ``failed``, ``cancelled``) last.
    """

    STARTED = "started"
    UPDATED = "updated"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True for the events that end an operation (nothing follows them)."""
        return self in TERMINAL_EVENTS

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


TERMINAL_EVENTS = frozenset(
    {ProgressEvent.COMPLETED, ProgressEvent.FAILED, ProgressEvent.CANCELLED}
)

# Final: compiled code reads these as C statics, not by a module-dict lookup.
PENDING: Final = ProgressStatus.PENDING
RUNNING: Final = ProgressStatus.RUNNING
COMPLETED: Final = ProgressStatus.COMPLETED
FAILED: Final = ProgressStatus.FAILED
CANCELLED: Final = ProgressStatus.CANCELLED
_TERMINAL: Final = frozenset({COMPLETED, FAILED, CANCELLED})
# The terminal event of each terminal status.
END_EVENT = {
    COMPLETED: ProgressEvent.COMPLETED,
    FAILED: ProgressEvent.FAILED,
    CANCELLED: ProgressEvent.CANCELLED,
}
_EMPTY: Mapping[Any, Any] = MappingProxyType({})
_TALLY_LOCK = threading.Lock()


class SnapshotDict(dict[_K, _V]):
    """A dict whose iteration works on a copy.

    Work threads insert levels while a UI thread iterates the tree; iterating
    a snapshot (copied atomically in C) means readers never see
    ``RuntimeError: dictionary changed size during iteration``.
    """

    __slots__ = ()

    def snapshot(self) -> dict[_K, _V]:
        """A plain-dict copy, taken without running Python code (atomic)."""
        return dict(dict.items(self))

    def __iter__(self) -> Iterator[_K]:
        return iter(list(dict.keys(self)))

    def keys(self) -> Any:
        return self.snapshot().keys()

    def values(self) -> Any:
        return self.snapshot().values()

    def items(self) -> Any:
        return self.snapshot().items()

    def copy(self) -> dict[_K, _V]:
        return self.snapshot()


def exception_details(exc: BaseException) -> dict[str, Any]:
    """The ``error_details`` recorded for an exception."""
    import traceback

    kind = type(exc)
    return {
        "exception_type": kind.__name__,
        "exception_module": kind.__module__,
        "traceback": "".join(traceback.format_exception(kind, exc, exc.__traceback__)),
    }


def exception_message(exc: BaseException) -> str:
    """``str(exc)``, or the type name when that is empty or unprintable."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text or type(exc).__name__


def _format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _iso(value: float | None) -> str | None:
    return None if value is None else monotonic_to_datetime(value).isoformat()


@mypyc_attr(allow_interpreted_subclasses=True)
class _Timed:
    """Start/end times shared by levels and operations.

    Subclasses own the ``_started`` / ``_completed`` slots: monotonic
    readings, None until the event happened. A finished record is exactly
    one whose ``_completed`` is set.
    """

    __slots__ = ()

    _started: float | None
    _completed: float | None

    @property
    def started_monotonic(self) -> float | None:
        """The start as a ``time.perf_counter()`` reading (None while pending)."""
        return self._started

    @property
    def completed_monotonic(self) -> float | None:
        """The end as a ``time.perf_counter()`` reading (None while open)."""
        return self._completed

    @property
    def started_at(self) -> datetime | None:
        """UTC time it started, or None while pending."""
        return None if self._started is None else monotonic_to_datetime(self._started)

    @property
    def completed_at(self) -> datetime | None:
        """UTC time it ended, or None while it runs."""
        return None if self._completed is None else monotonic_to_datetime(self._completed)

    @property
    def is_finished(self) -> bool:
        """True once it completed, failed or was cancelled."""
        return self._completed is not None

    def get_elapsed_seconds(self) -> float:
        """Seconds since start (until the end once finished); 0 while pending."""
        started = self._started
        if started is None:
            return 0.0
        end = self._completed
        return (monotonic() if end is None else end) - started

    def get_duration_str(self) -> str:
        """Elapsed time for humans: ``"4.2s"``, ``"3m 07s"``, ``"1h 02m"``."""
        return _format_duration(self.get_elapsed_seconds())


@mypyc_attr(allow_interpreted_subclasses=True)
class ProgressLevel(_Timed):
    """One node of an operation's tree: a song, an action, a block, ...

    ``level_id`` is the full id (``parent_full_id + ":" + id`` for nested
    levels). ``percentage`` is derived from ``current`` and ``total``.
    """

    __slots__ = (
        "_children",
        "_completed",
        "_metadata",
        "_started",
        "current",
        "error",
        "error_details",
        "level_id",
        "level_type",
        "message",
        "name",
        "parent_id",
        "status",
        "total",
    )

    def __init__(
        self,
        level_id: object,
        level_type: object,
        name: object = "",
        *,
        status: object = PENDING,
        current: object = 0,
        total: object = 0,
        message: object = None,
        started_at: datetime | None = None,
        completed_at: datetime | None = None,
        error: str | None = None,
        error_details: dict[str, Any] | None = None,
        parent_id: object = None,
        children: Mapping[str, ProgressLevel] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.level_id = str(level_id)
        self.level_type = str(level_type)
        self.name = str(name)
        self.status = ProgressStatus(status)
        self.current = check_amount("current", current)
        self.total = check_amount("total", total)
        self.message = check_text("message", message)
        self._started = None if started_at is None else datetime_to_monotonic(started_at)
        self._completed = None if completed_at is None else datetime_to_monotonic(completed_at)
        if self._completed is None and self.status in _TERMINAL:
            self._completed = monotonic()
        self.error = error
        self.error_details = error_details
        self.parent_id = None if parent_id is None else str(parent_id)
        self._children: SnapshotDict[str, ProgressLevel] | None = (
            SnapshotDict(children) if children else None
        )
        self._metadata = metadata if metadata else None

    @classmethod
    def _running(
        cls,
        level_id: str,
        level_type: str,
        name: str,
        parent_id: str | None,
        total: int | float,
        metadata: dict[str, Any] | None,
        now: float,
    ) -> ProgressLevel:
        """A level that started at ``now``.

        Built by ``__init__``: compiled classes have no ``cls.__new__(cls)``
        that skips it.
        """
        level = cls(level_id, level_type, name, total=total, parent_id=parent_id, metadata=metadata)
        level.status = RUNNING
        level._started = now
        return level

    # -- derived fields ---------------------------------------------------

    @property
    def percentage(self) -> float:
        """How far the level has gone, in [0, 100]: the one number shown everywhere.

        100 once completed. Otherwise ``current / total``, or, when the level
        has children and that is further along, their mean over
        ``max(total, number of children)``; a failed or cancelled level shows
        where it stopped (see :func:`progress`).
        """
        return progress(self) * 100.0

    @property
    def children(self) -> Mapping[str, ProgressLevel]:
        """Child levels keyed by full id, in the order they were opened."""
        children = self._children
        return _EMPTY if children is None else children

    @property
    def metadata(self) -> dict[str, Any]:
        """Free-form values attached to the level (``update(**metadata)``)."""
        metadata = self._metadata
        if metadata is None:
            metadata = self._metadata = {}
        return metadata

    # -- lifecycle --------------------------------------------------------

    def _check_open(self) -> None:
        if self._completed is not None:
            msg = f"level {self.level_id!r} already ended ({self.status.value})"
            raise LevelEndedError(msg)

    def start(self, message: object = None) -> None:
        """Mark the level running (keeps the first start time)."""
        text = check_text("message", message)
        self._check_open()
        self.status = RUNNING
        if self._started is None:
            self._started = monotonic()
        if text is not None:
            self.message = text

    def update(
        self,
        current: object = None,
        total: object = None,
        message: object = None,
        increment: object = 0,
        **metadata: Any,
    ) -> None:
        """Change counters, message or metadata; a pending level starts.

        All arguments are checked before anything changes.
        """
        self._check_open()
        new, total_, text, step = check_update(current, total, message, increment)
        if step:
            check_increment(self.current if new is None else new, step)
        self._apply(new, total_, text, step, metadata)

    def _apply(
        self,
        current: int | float | None,
        total: int | float | None,
        message: str | None,
        increment: int | float,
        metadata: dict[str, Any],
    ) -> None:
        """Apply an already validated update."""
        if self.status is PENDING:
            self.status = RUNNING
            self._started = monotonic()
        if current is not None:
            self.current = current
        if increment:
            self.current += increment
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        if metadata:
            self.metadata.update(metadata)

    def _end(self, status: ProgressStatus, now: float) -> None:
        self.status = status
        if self._started is None:
            self._started = now
        self._completed = now

    def complete(self, message: object = None) -> None:
        """Mark the level completed (``percentage`` becomes 100)."""
        text = check_text("message", message)
        self._check_open()
        if text is not None:
            self.message = text
        self._end(COMPLETED, monotonic())

    def fail(self, error: object, error_details: dict[str, Any] | None = None) -> None:
        """Mark the level failed with ``error`` (a message or an exception)."""
        self._check_open()
        if isinstance(error, BaseException):
            details = exception_details(error)
            if error_details:
                details.update(error_details)
            self.error = exception_message(error)
            self.error_details = details
        else:
            self.error = str(error)
            self.error_details = error_details
        self._end(FAILED, monotonic())

    def cancel(self, message: object = None) -> None:
        """Mark the level cancelled."""
        text = check_text("message", message)
        self._check_open()
        if text is not None:
            self.message = text
        self._end(CANCELLED, monotonic())

    # -- reading ----------------------------------------------------------

    def fraction(self) -> float:
        """What this level adds to its parent's progress, in [0, 1] (SPEC 2).

        A finished level counts 1 whatever its outcome (the work on it is
        over), a pending one 0, a running one its :attr:`percentage` / 100.
        """
        status = self.status
        if status is RUNNING:
            return progress(self)
        if status is PENDING:
            return 0.0
        return 1.0

    def to_dict(self, *, children: bool = True) -> dict[str, Any]:
        """Plain JSON-serialisable data; ``children`` nests the subtree.

        With ``children=False`` the ``children`` entry lists child ids only.
        The subtree is walked with an explicit stack, so depth is unlimited.
        """
        memo: dict[int, float] = {}
        if not children:
            return self._fields(memo, children=False)
        top = self._fields(memo, children=True)
        stack = [(self, top)]
        while stack:
            level, data = stack.pop()
            nested = data["children"]
            for child in list(dict.values(level._children)) if level._children else ():
                entry = nested[child.level_id] = child._fields(memo, children=True)
                if child._children:
                    stack.append((child, entry))
        return top

    def _fields(self, memo: dict[int, float], *, children: bool) -> dict[str, Any]:
        """This level's own entries; ``children`` is an empty dict or the id list."""
        kids = list(dict.values(self._children)) if self._children else []
        return {
            "level_id": self.level_id,
            "level_type": self.level_type,
            "name": self.name,
            "status": self.status.value,
            "current": self.current,
            "total": self.total,
            "percentage": progress(self, memo) * 100.0,
            "message": self.message,
            "started_at": _iso(self._started),
            "completed_at": _iso(self._completed),
            "elapsed_seconds": self.get_elapsed_seconds(),
            "error": self.error,
            "error_details": json_safe(self.error_details),
            "parent_id": self.parent_id,
            "children": {} if children else [child.level_id for child in kids],
            "metadata": json_safe(self._metadata or {}),
        }

    def __repr__(self) -> str:
        return (
            f"ProgressLevel(level_id={self.level_id!r}, level_type={self.level_type!r}, "
            f"name={self.name!r}, status={self.status.value!r}, "
            f"current={self.current!r}, total={self.total!r})"
        )


def progress(level: ProgressLevel, memo: dict[int, float] | None = None) -> float:
    """How far ``level`` has gone, in [0, 1]: the rule behind ``percentage``.

    Completed is 1, pending 0. A running, failed or cancelled level takes the
    larger of ``current / total`` and its children's mean over
    ``max(total, number of children)``. Below a running level a finished
    child counts 1 (the work on it is over, SPEC 2); below a failed or
    cancelled one it counts where it stopped, so a song that failed half way
    reads 50, not 100. The tree is walked with an explicit stack: no
    recursion, whatever the depth. ``memo`` (keyed by ``id``) lets a caller
    reading many levels of one tree compute each subtree once.
    """
    status = level.status
    if status is COMPLETED:
        return 1.0
    if status is PENDING:
        return 0.0
    if not level._children:
        return _own(level)
    if memo is None:
        memo = {}
    found = memo.get(id(level))
    if found is not None:
        return found
    stack: list[tuple[ProgressLevel, list[ProgressLevel] | None]] = [(level, None)]
    while stack:
        node, kids = stack[-1]
        if kids is None:
            kids = list(dict.values(node._children)) if node._children else []
            stack[-1] = (node, kids)
            deeper = [
                kid
                for kid in kids
                if kid._children
                and kid.status is not COMPLETED
                and kid.status is not PENDING
                and id(kid) not in memo
            ]
            if deeper:
                stack.extend((kid, None) for kid in deeper)
                continue
        stack.pop()
        memo[id(node)] = _combine(node, kids, memo)
    return memo[id(level)]


def _own(level: ProgressLevel) -> float:
    total = level.total
    if total <= 0:
        return 0.0
    value = level.current / total
    return 1.0 if value > 1.0 else value


def _combine(node: ProgressLevel, kids: list[ProgressLevel], memo: dict[int, float]) -> float:
    """``node``'s progress from its own counters and its children's (computed)."""
    own = _own(node)
    if not kids:
        return own
    running = node.status is RUNNING
    done = 0.0
    for kid in kids:
        status = kid.status
        if status is COMPLETED or (running and status is not RUNNING and status is not PENDING):
            done += 1.0
        elif status is not PENDING:
            found = memo.get(id(kid))
            done += _own(kid) if found is None else found
    by_children = done / max(node.total, len(kids))
    value = by_children if by_children > own else own
    return 1.0 if value > 1.0 else value


@mypyc_attr(allow_interpreted_subclasses=True)
class ProgressState(_Timed):
    """One tracked operation and its tree of levels.

    ``levels`` maps every level by full id; ``root_level_ids`` lists the
    top-level ids in opening order.
    """

    __slots__ = (
        "_cancel_requested",
        "_completed",
        "_dups",
        "_mirror",
        "_seq",
        "_started",
        "_tally",
        "_total",
        "current",
        "error",
        "error_details",
        "last_level_id",
        "levels",
        "message",
        "metadata",
        "name",
        "operation_id",
        "operation_type",
        "root_level_ids",
        "status",
    )

    def __init__(
        self,
        operation_id: object,
        operation_type: object,
        name: object = "",
        *,
        status: object = PENDING,
        metadata: dict[str, Any] | None = None,
        total: object = 0,
    ) -> None:
        self.operation_id = str(operation_id)
        self.operation_type = str(operation_type)
        self.name = str(name)
        self.status = ProgressStatus(status)
        self.error: str | None = None
        self.error_details: dict[str, Any] | None = None
        self.levels: SnapshotDict[str, ProgressLevel] = SnapshotDict()
        self.root_level_ids: list[str] = []
        self.metadata: dict[str, Any] = dict(metadata) if metadata else {}
        self.message: str | None = None
        self.current: int | float = 0
        self.last_level_id: str | None = None
        self._total = check_amount("total", total)
        self._started: float | None = None
        self._completed: float | None = None
        self._cancel_requested = False
        self._seq: dict[str | None, Iterator[int]] = {}
        self._dups: dict[str, int] = {}  # last #n suffix per repeated full id
        self._tally: Tally | None = None
        # Set by ``attach`` when this operation mirrors one owned elsewhere
        # (see propagation.py); a slot, as compiled records take no weakrefs.
        self._mirror: object = None

    # -- derived fields ---------------------------------------------------

    @property
    def total(self) -> int | float:
        """The declared number of root levels (``set_total``)."""
        return self._total

    @property
    def tally(self) -> Tally:
        """Settled per-status counts of the tree (see ``_tally.py``), made on first use.

        What ``get_overall_progress()`` and the tree renderer read instead of
        visiting every level. It belongs to the state (not to a side table
        keyed by it): the open levels it holds refer back to the state, so a
        side table would keep every state alive.
        """
        tally = self._tally
        if tally is None:
            with _TALLY_LOCK:
                tally = self._tally
                if tally is None:
                    tally = self._tally = Tally()
        return tally

    @property
    def cancel_requested(self) -> bool:
        """True after ``request_cancel`` flagged this operation."""
        return self._cancel_requested

    # -- lifecycle --------------------------------------------------------

    def start(self, name: object = None) -> None:
        """Mark the operation running."""
        if name is not None:
            self.name = str(name)
        self.status = RUNNING
        if self._started is None:
            self._started = monotonic()

    def set_total(self, total: object) -> None:
        """Declare how many root levels the operation will have."""
        if total is not None:
            self._total = check_amount("total", total)

    def complete(self, error: object = None) -> None:
        """End the operation: completed, or failed when ``error`` is given."""
        if error is None:
            self._end(COMPLETED)
        elif isinstance(error, BaseException):
            self.error = exception_message(error)
            self.error_details = exception_details(error)
            self._end(FAILED)
        else:
            self.error = str(error)
            self._end(FAILED)

    def cancel(self) -> None:
        """End the operation as cancelled."""
        self._end(CANCELLED)

    def _end(self, status: ProgressStatus) -> None:
        now = monotonic()
        self.status = status
        if self._started is None:
            self._started = now
        self._completed = now

    # -- levels -----------------------------------------------------------

    def get_level(self, level_id: object) -> ProgressLevel | None:
        """The level with this full id, or None."""
        return self.levels.get(str(level_id))

    def _unique_id(self, full_id: str) -> str:
        if full_id not in self.levels:
            return full_id
        return free_suffixed(self.levels, self._dups, full_id)

    def _claim_id(self, full_id: str, level: ProgressLevel) -> str:
        """Insert ``level`` under ``full_id``, or ``full_id#2``, ``#3`` ... if taken.

        Each attempt is one atomic ``setdefault``, so concurrent inserts,
        locked or not, never overwrite each other; ``_suffix.py`` keeps it
        O(1) for an id repeated many times.
        """
        if self.levels.setdefault(full_id, level) is level:
            return full_id
        return claim_suffixed(self.levels, self._dups, full_id, level)

    def _next_seq(self, parent_id: str | None) -> int:
        """The next generated child number below ``parent_id`` (atomic, no lock)."""
        counter = self._seq.get(parent_id)
        if counter is None:
            counter = self._seq.setdefault(parent_id, itertools.count(1))
        return next(counter)

    def _insert(self, level: ProgressLevel, parent: ProgressLevel | None) -> None:
        # Inserting belongs to the tree's owner (imported here: it imports this module).
        from ._lifecycle import add_level

        add_level(self, level, parent)

    def add_level(
        self,
        level_id: object,
        level_type: object,
        name: object,
        parent_id: object = None,
        total: object = 0,
        **metadata: Any,
    ) -> ProgressLevel:
        """Add a pending level; ``level_id`` is the full id.

        A duplicate full id gets a ``#2``, ``#3`` ... suffix; the earlier
        level is never overwritten. An unknown ``parent_id`` raises KeyError.
        """
        check_amount("total", total)
        parent = None
        if parent_id is not None:
            parent_id = str(parent_id)
            parent = self.levels.get(parent_id)
            if parent is None:
                msg = f"unknown parent level {parent_id!r} in operation {self.operation_id!r}"
                raise KeyError(msg)
        level = ProgressLevel(
            str(level_id),
            level_type,
            name,
            total=total,
            parent_id=parent_id,
            metadata=metadata or None,
        )
        self._insert(level, parent)
        return level

    def get_or_create_level(
        self,
        level_id: object,
        level_type: object,
        name: object,
        parent_id: object = None,
        total: object = 0,
        **metadata: Any,
    ) -> ProgressLevel:
        """The level with this full id, added first when missing."""
        existing = self.levels.get(str(level_id))
        if existing is not None:
            return existing
        return self.add_level(level_id, level_type, name, parent_id, total, **metadata)

    # -- reading ----------------------------------------------------------

    def level_percentage(self, level: ProgressLevel) -> float:
        """``level.percentage``, read through the tally for a running parent.

        The property visits every level below a running parent; a reader
        that asks again and again (a JSON line, an OTel span attribute, each
        flush) pays only for what changed below it since its last read.
        """
        if level.status is RUNNING and level._children:
            return self.tally.fraction(level) * 100.0
        return level.percentage

    def get_overall_progress(self) -> dict[str, Any]:
        """Counts of root levels, percentage, elapsed time and ETA (SPEC 2)."""
        # Settled incrementally (see _tally.py): O(running path + new levels).
        finished, done, running, present = self.tally.roots(self)
        counts = {**finished, "running": running, "pending": 0}
        total = max(self._total, present)
        started = counts["running"] + counts["completed"] + counts["failed"] + counts["cancelled"]
        counts["pending"] = max(int(total) - started, 0)
        if total > 0:
            fraction = done / total
            if self._total > 0 and self.current:
                fraction = max(fraction, self.current / self._total)
            fraction = min(fraction, 1.0)
        else:
            fraction = 1.0 if self.status is COMPLETED else 0.0
        elapsed = self.get_elapsed_seconds()
        eta: float | None
        if self.status in _TERMINAL or fraction >= 1.0:
            eta = 0.0
        elif fraction > 0.0 and self.status is RUNNING:
            eta = elapsed * (1.0 - fraction) / fraction
            if not math.isfinite(eta):
                eta = None
        else:
            eta = None
        return {
            "total": total,
            **counts,
            "percentage": fraction * 100.0,
            "elapsed_seconds": elapsed,
            "eta_seconds": eta,
        }

    def iter_levels(self) -> Iterator[ProgressLevel]:
        """Every level, depth first in opening order (a snapshot)."""
        levels = self.levels
        stack = [levels[i] for i in reversed(list(self.root_level_ids)) if i in levels]
        while stack:
            level = stack.pop()
            yield level
            if level._children:
                stack.extend(reversed(list(dict.values(level._children))))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data; ``levels`` is flat, keyed by full id."""
        levels = list(dict.values(self.levels))
        memo: dict[int, float] = {}
        return {
            "operation_id": self.operation_id,
            "operation_type": self.operation_type,
            "name": self.name,
            "status": self.status.value,
            "started_at": _iso(self._started),
            "completed_at": _iso(self._completed),
            "elapsed_seconds": self.get_elapsed_seconds(),
            "error": self.error,
            "error_details": json_safe(self.error_details),
            "total": self._total,
            "current": self.current,
            "message": self.message,
            "root_level_ids": list(self.root_level_ids),
            "levels": {level.level_id: level._fields(memo, children=False) for level in levels},
            "metadata": json_safe(self.metadata),
            "overall_progress": self.get_overall_progress(),
        }

    def __repr__(self) -> str:
        return (
            f"ProgressState(operation_id={self.operation_id!r}, "
            f"operation_type={self.operation_type!r}, name={self.name!r}, "
            f"status={self.status.value!r}, levels={len(self.levels)})"
        )


def metadata_of(level: ProgressLevel) -> dict[str, Any] | None:
    """``level``'s metadata, or None when it has none.

    Reading ``level.metadata`` creates the dict on first use; serialisers
    that visit every level use this instead, so reading never allocates.
    """
    return level._metadata

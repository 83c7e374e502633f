"""The one owner of the level tree: inserting, ending and closing levels and operations.

Every change to the *shape* of a tree, or to whether something is open,
happens here: a level inserted (lock-free by a handle, or under the lock by
the store API, a replica or a proxy), a level ended (by its handle, the store
API or a handle's ``complete()``), the open levels below an end closed, an
operation begun and ended. ``store.py``, ``context.py``, ``_replica.py`` and
``propagation.py`` call these functions and never write those fields
themselves, so each rule (an ended level never reopens, no level runs below
an ended parent, a cancelled operation never reads ``completed``) is written
once.

Readers that must not walk the tree hang off these points too: an
operation begun, registered or closed here is counted for the GC relief
(``_gcrelief.py``), and a level unlinked here makes the operation's tally
(``_tally.py``) count that parent again (the tally otherwise follows
appends only; inserting and ending need no hook, the tally settles on read).

This module is therefore the one place allowed to touch the private fields
of the store and of the records (ruff's ``SLF001`` is relaxed for it alone).

The hot path (``enter_level`` / ``exit_level``, installed as
``LevelContext.__enter__`` / ``__exit__``) takes no lock: it publishes with
single atomic dict and list operations and checks the parent again after
publishing (see ``docs/performance.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextvars import ContextVar
from types import FunctionType
from typing import TYPE_CHECKING, Any, Final

from ._clock import monotonic
from ._gcrelief import operation_ended, operation_started
from ._logging import logger
from ._validate import SMALL, check_amount, check_increment, check_update
from .errors import LevelEndedError, OperationCancelled
from .models import (
    CANCELLED,
    COMPLETED,
    END_EVENT,
    FAILED,
    PENDING,
    RUNNING,
    ProgressEvent,
    ProgressLevel,
    ProgressState,
    ProgressStatus,
    SnapshotDict,
    exception_details,
    exception_message,
)

if TYPE_CHECKING:
    import threading
    from types import TracebackType

    from .context import LevelContext, LevelHandle
    from .store import ProgressEventStore

__all__ = [
    "CURRENT",
    "Events",
    "add_level",
    "begin_operation",
    "close_open",
    "current_handle",
    "end_level",
    "end_operation",
    "enter_level",
    "exit_level",
    "increment",
    "outcome",
    "update",
    "update_operation",
]

# The current level of the running thread or task.
# Final: compiled code reads it as a C static, not by a module-dict lookup.
CURRENT: Final[ContextVar[LevelHandle | None]] = ContextVar(
    "progresstree_current_level", default=None
)
current_handle = CURRENT.get


def current_parent() -> LevelHandle | None:
    """The current handle if new levels can open below it (its operation runs)."""
    handle = CURRENT.get()
    if handle is not None:
        state = handle._state
        if state is not None and state._completed is None:
            return handle
    return None


# Events gathered under the lock and emitted after it is released.
Events = list[tuple[ProgressEvent, ProgressState]]


def outcome(exc_type: type[BaseException] | None) -> ProgressStatus:
    """The exit rule: clean -> completed, ``Exception`` -> failed, else cancelled."""
    if exc_type is None:
        return COMPLETED
    if issubclass(exc_type, Exception):
        return FAILED
    return CANCELLED


# -- operations -----------------------------------------------------------------


def begin_operation(
    store: ProgressEventStore,
    operation_type: object,
    name: object,
    operation_id: object,
    metadata: dict[str, Any] | None,
    total: object = 0,
) -> ProgressState:
    """Create, start and register an operation; emits ``started``."""
    from .store import new_operation_id

    operation_type = str(operation_type)
    op_id = new_operation_id(operation_type) if operation_id is None else str(operation_id)
    state = ProgressState(op_id, operation_type, name, metadata=metadata, total=total)
    with store._lock:
        if op_id in store._active:
            msg = f"operation id {op_id!r} is already active"
            raise ValueError(msg)
        state.start()
        store._active[op_id] = state
    operation_started()  # GC relief while operations run (_gcrelief.py)
    if store._listeners:
        store._emit(ProgressEvent.STARTED, state)
    return state


def end_operation(
    store: ProgressEventStore,
    state: ProgressState,
    status: ProgressStatus,
    error: object,
) -> bool:
    """End an operation and everything still open in it; False if it had ended.

    An operation whose cancellation was requested never ends ``completed``:
    a clean end after ``request_cancel`` is recorded as ``cancelled``.
    """
    events: Events = []
    with store._lock:
        if state._completed is not None:
            return False
        if status is COMPLETED and state._cancel_requested:
            status = CANCELLED
        if status is FAILED:
            state.complete(error if error is not None else "failed")
        elif status is CANCELLED:
            state.cancel()
        else:
            state.complete()
        close_operation(store, state, events)
    emit(store, events)
    return True


def close_operation(store: ProgressEventStore, state: ProgressState, events: Events) -> None:
    """After ``state`` got its terminal status: close its levels, move it to history.

    Called under the store's lock (by :func:`end_operation` and by replicas,
    which set the status and times from a record first).
    """
    status = state.status
    failed = status is FAILED
    error = state.error if failed else None
    details = state.error_details if failed else None
    now = state._completed if state._completed is not None else monotonic()
    levels = state.levels
    for root_id in list(state.root_level_ids):
        root = levels.get(root_id)
        if root is not None:
            close_open(root, status, error, details, now, include_self=True)
    if store._active.get(state.operation_id) is state:
        del store._active[state.operation_id]
        store._history.append(state)
        operation_ended()  # GC relief while operations run (_gcrelief.py)
    events.append((END_EVENT[status], state))


# -- inserting levels -------------------------------------------------------------


def add_level(state: ProgressState, level: ProgressLevel, parent: ProgressLevel | None) -> str:
    """Insert ``level`` below ``parent`` (None: a root), under the store's lock.

    The full id is claimed atomically (``#2``, ``#3`` ... when taken) and
    returned; the level is linked into its parent's children or the roots.
    """
    level.parent_id = None if parent is None else parent.level_id
    full_id = level.level_id = state._claim_id(level.level_id, level)
    if parent is None:
        state.root_level_ids.append(full_id)
    else:
        children = parent._children
        if children is None:
            children = parent._children = SnapshotDict()
        children[full_id] = level
    state.last_level_id = full_id
    return full_id


def running_level(level_id: str, level_type: str) -> ProgressLevel:
    """A level record that starts now, not inserted anywhere (a stand-in)."""
    return ProgressLevel._running(level_id, level_type, "", None, 0, None, monotonic())


def unlink_level(state: ProgressState, level: ProgressLevel) -> None:
    """Detach ``level`` from its parent's children (or the roots), keeping its id."""
    if level.parent_id is None:
        if level.level_id in state.root_level_ids:
            state.root_level_ids.remove(level.level_id)
            state.tally.recount(None)  # the tally follows appends only
        return
    parent = state.levels.get(level.parent_id)
    if parent is not None and parent._children:
        parent._children.pop(level.level_id, None)
        state.tally.recount(parent)


def enter_level(level: LevelContext) -> LevelContext:
    """``LevelContext.__enter__``: insert a running level, lock-free, and make it current.

    The record is complete before the atomic ``setdefault`` makes it
    visible, ``setdefault`` never overwrites, and the parent's end is checked
    again afterwards (a level that lost that race is ended and refused).
    """
    parent = level._parent
    if parent is None:  # never: a level is created with its parent
        msg = f"level {level.level_id!r} has no parent"
        raise RuntimeError(msg)
    state = parent._state
    if state is None:
        msg = f"parent {parent!r} has not been entered"
        raise RuntimeError(msg)
    if level._state is not None:
        msg = f"level {level.level_id!r} was already entered"
        raise RuntimeError(msg)
    record = parent._level
    owner: ProgressState | ProgressLevel = state if record is None else record
    store = level._store
    if state._cancel_requested:
        raise OperationCancelled(state.operation_id)
    if owner._completed is not None:
        raise LevelEndedError(_ended_message(state, record))
    if record is None:
        full_id = level.level_id
        if level._local:
            full_id = level.level_id = str(state._next_seq(None))
    else:
        if record._children is None:
            with store._lock:
                if record._children is None:
                    record._children = SnapshotDict()
        parent_id = level.parent_id = record.level_id
        local = state._next_seq(parent_id) if level._local else level.level_id
        full_id = level.level_id = f"{parent_id}:{local}"
    level.status = RUNNING
    level._started = monotonic()
    if state.levels.setdefault(full_id, level) is not level:
        full_id = level.level_id = state._claim_id(full_id, level)
    state.last_level_id = full_id
    if record is None:
        state.root_level_ids.append(full_id)
    else:
        record._children[full_id] = level  # type: ignore[index]
    if owner._completed is not None:
        _lost_race(store, state, record, level)
    if store._listeners:
        sole = store._sole
        if sole is None:
            store._updated(state)
        else:  # ``store._updated`` for its usual case, without the call
            sole.pending[state.operation_id] = state
            if not sole.armed:
                sole.arm()
    level._state = state
    level._level = level
    level._token = CURRENT.set(level)
    return level


def _lost_race(
    store: ProgressEventStore,
    state: ProgressState,
    parent: ProgressLevel | None,
    level: ProgressLevel,
) -> None:
    """Refuse a level inserted lock-free just as its parent ended.

    Another thread ended the parent between the check and the insert: end
    the new level as the parent's end would have, and raise as if the level
    had come a moment later.
    """
    owner: ProgressState | ProgressLevel = state if parent is None else parent
    with store._lock:
        if level._completed is None:
            level._end(CANCELLED, owner._completed or monotonic())
    raise LevelEndedError(_ended_message(state, parent))


def _ended_message(state: ProgressState, parent: ProgressLevel | None) -> str:
    if parent is None:
        return f"operation {state.operation_id!r} already ended ({state.status.value})"
    return f"level {parent.level_id!r} already ended ({parent.status.value})"


# -- ending levels --------------------------------------------------------------


def exit_level(
    level: LevelContext,
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """``LevelContext.__exit__``: stop being current, end with the exit rule."""
    token = level._token
    if token is not None:
        level._token = None
        try:
            CURRENT.reset(token)
        except ValueError:
            restore_parent(level)
    state = level._state
    if state is None:
        return
    if exc_type is None and level._children is None:
        # A clean end of a leaf writes only its own fields, with no lock: the
        # clock is read first, so the check and the two stores run without a
        # call in between (where the GIL could switch). An ancestor closing
        # the level from another thread wins or loses as a whole.
        now = monotonic()
        if level._completed is None:
            level._completed = now
            level.status = COMPLETED
            state.last_level_id = level.level_id
            store = level._store
            if store._listeners:
                sole = store._sole
                if sole is None:
                    store._updated(state)
                else:  # as in ``enter_level``
                    sole.pending[state.operation_id] = state
                    if not sole.armed:
                        sole.arm()
        return
    status = outcome(exc_type)
    end_level(level._store, state, level, status, exc if status is FAILED else None)


def activate(handle: LevelHandle) -> None:
    """Make ``handle`` the current level (``attach`` and iterators use this)."""
    handle._activate()


def release(handle: LevelHandle) -> None:
    """Stop ``handle`` being the current level, without ending it.

    When something else is current by now (the block that held the handle
    was left), its token is only dropped: resetting it would bring back a
    stale current level.
    """
    if CURRENT.get() is handle:
        handle._deactivate()
    else:
        handle._token = None  # type: ignore[misc]


def restore_parent(handle: LevelHandle) -> None:
    """Stop ``handle`` being current when its token cannot be reset here.

    It was left in another context (a generator resumed elsewhere, a handle
    passed to another task): the token is not ours to reset there.
    """
    if CURRENT.get() is handle:
        CURRENT.set(handle._parent)


def end_level(
    store: ProgressEventStore,
    state: ProgressState,
    level: ProgressLevel,
    status: ProgressStatus,
    error: object = None,
    details: dict[str, Any] | None = None,
    message: str | None = None,
) -> bool:
    """End ``level`` and close what is still open below it; False if it had ended.

    ``error`` (failed only) is a message or the exception itself. Emits
    ``updated`` after the lock is released.
    """
    text: str | None = None
    if status is FAILED:
        if isinstance(error, BaseException):
            text = exception_message(error)
            found = exception_details(error)
            if details:
                found.update(details)
            details = found
        else:
            text = "failed" if error is None else str(error)
    else:
        details = None
    lock = store._lock
    lock.acquire()
    try:
        if level._completed is not None:
            return False
        now = monotonic()
        if message is not None:
            level.message = message
        if text is not None:
            level.error = text
            level.error_details = details
        level._end(status, now)
        if level._children:
            close_open(level, status, text, details, now, include_self=False)
        state.last_level_id = level.level_id
    finally:
        lock.release()
    if store._listeners:
        store._updated(state)
    return True


def close_open(
    level: ProgressLevel,
    status: ProgressStatus,
    error: str | None,
    details: dict[str, Any] | None,
    now: float,
    include_self: bool,
) -> None:
    """End what is still open below (and optionally at) ``level``, under the lock.

    Running levels follow the outcome; pending ones stay pending when the
    outcome is success (they never ran) and are cancelled otherwise.
    """
    stack = [level] if include_self else list(dict.values(level._children or {}))
    while stack:
        node = stack.pop()
        if node._completed is not None:
            continue
        if node._children:
            stack.extend(dict.values(node._children))
        if node.status is PENDING:
            if status is COMPLETED:
                continue
            node._end(CANCELLED, now)
            continue
        if status is FAILED:
            node.error = error
            node.error_details = dict(details) if details else None
        node._end(status, now)


def is_below_ended(state: ProgressState, level: ProgressLevel) -> bool:
    """True when an ancestor of ``level`` has ended (a pending level left behind)."""
    levels = state.levels
    parent = levels.get(level.parent_id) if level.parent_id else None
    while parent is not None:
        if parent._completed is not None:
            return True
        parent = levels.get(parent.parent_id) if parent.parent_id else None
    return False


def start_level(
    store: ProgressEventStore, state: ProgressState, level: ProgressLevel, message: str | None
) -> bool:
    """Mark a pending (or running) level running; False if it ended meanwhile."""
    with store._lock:
        if level._completed is not None:
            return False
        # The record's own method: a handle routes ``start`` back here.
        ProgressLevel.start(level, message)
        state.last_level_id = level.level_id
    if store._listeners:
        store._updated(state)
    return True


def flag_cancel(state: ProgressState) -> None:
    """Mark ``state`` as asked to stop (under the store's lock)."""
    state._cancel_requested = True


# -- updates ------------------------------------------------------------------------


def update(
    store: ProgressEventStore,
    state: ProgressState,
    level: ProgressLevel,
    current: object,
    total: object,
    message: object,
    increment: object,
    metadata: dict[str, Any],
    *,
    check_cancel: bool = True,
) -> None:
    """A checked update of an open level; raises if it ended or was cancelled."""
    current, total, message, increment = check_update(current, total, message, increment)
    with store._lock:
        if check_cancel and state._cancel_requested:
            raise OperationCancelled(state.operation_id)
        level._check_open()
        if increment:
            check_increment(level.current if current is None else current, increment)
        level._apply(current, total, message, increment, metadata)
        state.last_level_id = level.level_id
    if store._listeners:
        store._updated(state)


def _probe() -> None:
    """A plain function: a Python function object in pure Python, a C one when compiled."""


# True in the compiled build on an interpreter with a GIL: see ``increment``.
ATOMIC_COUNTING: Final = not isinstance(_probe, FunctionType) and bool(
    getattr(sys, "_is_gil_enabled", lambda: True)()
)


def increment(
    store: ProgressEventStore, state: ProgressState, level: ProgressLevel, amount: int | float
) -> None:
    """``current += amount`` on an open level (``amount`` already checked >= 0).

    Counting is the hottest call there is, and the store lock's acquire and
    release are half of its cost. In the compiled build the unlocked branch
    is one run of C with no call back into Python code (attribute reads and
    writes, an add of two numbers, which allocates no GC-tracked object and
    so cannot start a collection): with a GIL no other thread runs in its
    middle, so concurrent increments stay exact and never land on an ended
    level. Pure Python may switch threads between reading and writing
    ``current``, so it always takes the lock, as does every rare case here.
    """
    if ATOMIC_COUNTING and level.status is RUNNING and not state._cancel_requested:
        value = level.current + amount
        if value <= SMALL:
            level.current = value
            state.last_level_id = level.level_id
            if store._listeners:
                store._updated(state)
            return
    lock = store._lock
    lock.acquire()
    try:
        if state._cancel_requested:
            raise OperationCancelled(state.operation_id)
        if level.status is not RUNNING:
            level._check_open()
            level._apply(None, None, None, 0, {})
        value = level.current + amount
        if value > SMALL:  # one cheap comparison for everyday counts
            check_amount("current", value)
        level.current = value
        state.last_level_id = level.level_id
    finally:
        lock.release()
    if store._listeners:
        store._updated(state)


def update_operation(
    store: ProgressEventStore,
    state: ProgressState,
    current: object,
    total: object,
    message: object,
    increment: object,
    metadata: dict[str, Any],
) -> None:
    """A checked update of an operation's own counters, message or metadata."""
    current, total, message, increment = check_update(current, total, message, increment)
    with store._lock:
        if state._cancel_requested:
            raise OperationCancelled(state.operation_id)
        if state._completed is not None:
            raise LevelEndedError(_ended_message(state, None))
        if increment:
            check_increment(state.current if current is None else current, increment)
        if current is not None:
            state.current = current
        if increment:
            state.current += increment
        if total is not None:
            state._total = total
        if message is not None:
            state.message = message
        if metadata:
            state.metadata.update(metadata)
    if store._listeners:
        store._updated(state)


# -- what replicas and proxies need -----------------------------------------------


def store_lock(store: ProgressEventStore) -> threading.Lock:
    """The lock a replica holds while it applies a batch of records."""
    return store._lock


def active(store: ProgressEventStore, operation_id: str) -> ProgressState | None:
    """The active operation ``operation_id`` (no lock; dict reads are atomic)."""
    return store._active.get(operation_id)


def in_history(store: ProgressEventStore, operation_id: str) -> bool:
    """True when an operation with this id already ended here."""
    return any(old.operation_id == operation_id for old in store._history)


def register(store: ProgressEventStore, state: ProgressState) -> None:
    """Make a running ``state`` active (under the lock; a replica's new operation)."""
    store._active[state.operation_id] = state
    operation_started()  # GC relief while operations run (_gcrelief.py)


def emit(store: ProgressEventStore, events: Iterable[tuple[ProgressEvent, ProgressState]]) -> None:
    """Deliver events gathered under the lock (call it after releasing the lock)."""
    if store._listeners:
        for event, state in events:
            store._emit(event, state)


def free_id(state: ProgressState, full_id: str) -> str:
    """``full_id``, or the first ``#n`` variant of it not taken yet."""
    return state._unique_id(full_id)


def write_record(
    level: ProgressLevel | ProgressState,
    started: float | None,
    completed: float | None,
    *,
    status: ProgressStatus | None = None,
    total: int | float | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Copy a relayed record's status, times (monotonic), total and metadata onto ``level``.

    Replicas only (a local record never has its times rewritten); the
    replica has already refused records that would reopen an ended level.
    """
    if isinstance(level, ProgressState):
        if started is not None:
            level._started = started
        if total is not None:
            level._total = total
        return
    if status is not None:
        level.status = status
    level._started = started
    level._completed = completed
    level._metadata = metadata or None


def end_remote_operation(
    store: ProgressEventStore,
    state: ProgressState,
    status: ProgressStatus,
    error: str | None,
    details: dict[str, Any] | None,
    when: float | None,
    events: Events,
) -> None:
    """End an operation as a relayed record says (under the lock), then close it."""
    state.status = status
    state.error = error
    state.error_details = details
    state._completed = monotonic() if when is None else when
    close_operation(store, state, events)


def log_refusal(what: str, operation_id: object, level_id: object) -> None:
    """Debug-log a store call that names something unknown or ended."""
    logger().debug("%s: unknown or ended level %r in %r", what, level_id, operation_id)

"""The store: the one thread-safe, in-memory source of truth.

:class:`ProgressEventStore` keeps the active operations and a bounded history
of finished ones, and tells listeners what changed. Its public methods keep
the names and meaning of the store of the application the seed guide comes
from (unknown ids return None and change nothing).

What inserts, ends and closes levels and operations is written once, in
``_lifecycle.py``; the store's methods look ids up and call it. Mutations
happen under the store's lock, with one exception: a level handle's enter
and clean exit publish with single atomic dict and list operations, checked
again after publishing, so the hot path takes no lock. Listeners are called
after the lock is released, and not at all when none is attached.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import Any

from . import _lifecycle
from ._compiled import mypyc_attr
from ._logging import logger
from ._validate import check_amount, check_text, check_update
from .errors import LevelEndedError
from .listeners import Listener, Subscription, ThrottledSubscription, subscribe
from .models import (
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    ProgressEvent,
    ProgressLevel,
    ProgressState,
    ProgressStatus,
)

__all__ = [
    "ProgressEventStore",
    "ProgressStore",
    "get_progress_store",
    "new_operation_id",
    "reset_progress_store",
]

_UPDATED = ProgressEvent.UPDATED


def new_operation_id(operation_type: object) -> str:
    """A fresh operation id, unique across processes and machines."""
    return f"{operation_type}_{os.urandom(10).hex()}"


@mypyc_attr(allow_interpreted_subclasses=True)
class ProgressEventStore:
    """Thread-safe store of operations, their level trees, listeners and history."""

    def __init__(self, max_history: object = 100) -> None:
        if isinstance(max_history, bool) or not isinstance(max_history, int):
            msg = f"max_history must be an int, got {max_history!r}"
            raise TypeError(msg)
        if max_history < 0:
            msg = f"max_history must be >= 0, got {max_history!r}"
            raise ValueError(msg)
        self.max_history = max_history
        self._lock = threading.Lock()
        self._active: dict[str, ProgressState] = {}
        self._history: deque[ProgressState] = deque(maxlen=max_history)
        # An immutable tuple, swapped on change: emitting iterates it lock-free.
        self._listeners: tuple[Subscription, ...] = ()
        # The same listeners split by kind, for ``updated`` (the frequent event).
        self._parking: tuple[ThrottledSubscription, ...] = ()
        self._direct: tuple[Subscription, ...] = ()
        # The one throttled listener when it is the only one (the usual case):
        # the level hot path parks into it inline (``_lifecycle.park``).
        self._sole: ThrottledSubscription | None = None
        self._registry: list[tuple[Listener, Subscription]] = []

    # -- listeners ----------------------------------------------------------

    def add_callback(self, callback: Listener, min_interval: object = 0.0) -> None:
        """Call ``callback(event_type, state)`` on every event.

        With ``min_interval > 0``, ``updated`` events are coalesced per
        operation (at most one per interval, always the newest state). A
        callback with a ``parked`` dict collects ``updated`` states from it
        itself (see ``listeners.py``).
        """
        if not callable(callback):
            msg = f"callback must be callable, got {callback!r}"
            raise TypeError(msg)
        interval = check_amount("min_interval", min_interval)
        sub = subscribe(callback, float(interval))
        with self._lock:
            self._registry.append((callback, sub))
            self._set_listeners((*self._listeners, sub))

    def remove_callback(self, callback: Listener) -> None:
        """Stop calling ``callback`` (no error when it was not added)."""
        with self._lock:
            for index, (registered, sub) in enumerate(self._registry):
                if registered == callback:
                    del self._registry[index]
                    self._set_listeners(tuple(s for s in self._listeners if s is not sub))
                    break
            else:
                return
        sub.close()

    def add_listener(self, callback: Listener, min_interval: object = 0.0) -> None:
        """The same as :meth:`add_callback`."""
        self.add_callback(callback, min_interval)

    def remove_listener(self, callback: Listener) -> None:
        """The same as :meth:`remove_callback`."""
        self.remove_callback(callback)

    @property
    def has_listeners(self) -> bool:
        """True when at least one listener is attached."""
        return bool(self._listeners)

    def _set_listeners(self, subs: tuple[Subscription, ...]) -> None:
        # Called under the lock; emitting reads the tuples without it.
        self._parking = tuple(s for s in subs if isinstance(s, ThrottledSubscription))
        self._direct = tuple(s for s in subs if not isinstance(s, ThrottledSubscription))
        self._sole = self._parking[0] if len(self._parking) == 1 and not self._direct else None
        self._listeners = subs

    def _emit(self, event: ProgressEvent, state: ProgressState) -> None:
        for sub in self._listeners:
            sub(event, state)

    def _updated(self, state: ProgressState) -> None:
        """Emit ``updated``; a throttled listener's part is inlined here.

        Parking the newest state for a throttled listener is one dict store,
        done without calling into the subscription: this runs twice per
        level, so the saved call is a measurable share of a ``with``.
        """
        op_id = state.operation_id
        for sub in self._parking:
            sub.pending[op_id] = state
            if not sub.armed:
                sub.arm()
        for direct in self._direct:
            direct(_UPDATED, state)

    # -- operations ---------------------------------------------------------

    def start_operation(
        self,
        operation_type: object,
        name: object = "",
        operation_id: object = None,
        **metadata: Any,
    ) -> ProgressState:
        """Create and start an operation; generated ids start with ``operation_type_``."""
        return _lifecycle.begin_operation(self, operation_type, name, operation_id, metadata)

    def complete_operation(
        self, operation_id: object, error: object = None
    ) -> ProgressState | None:
        """End an operation (failed when ``error`` is given) and move it to history.

        An operation whose cancellation was requested ends ``cancelled``
        unless ``error`` is given.
        """
        state = self._active_state(operation_id)
        if state is None:
            return None
        status = COMPLETED if error is None else FAILED
        if _lifecycle.end_operation(self, state, status, error):
            return state
        return None

    def cancel_operation(self, operation_id: object) -> ProgressState | None:
        """End an operation as cancelled and move it to history."""
        state = self._active_state(operation_id)
        if state is None:
            return None
        if _lifecycle.end_operation(self, state, CANCELLED, None):
            return state
        return None

    def request_cancel(self, operation_id: object) -> bool:
        """Ask a running operation to stop; True when one was flagged.

        The next update, increment, level entry or tracked iteration inside
        it raises :class:`OperationCancelled`.
        """
        with self._lock:
            state = self._active.get(str(operation_id))
            if state is None or state.status is not RUNNING:
                return False
            _lifecycle.flag_cancel(state)
            return True

    # -- levels (compatibility API: full ids, None for unknown) -------------

    def add_level(
        self,
        operation_id: object,
        level_id: object,
        level_type: object,
        name: object,
        parent_id: object = None,
        total: object = 0,
        **metadata: Any,
    ) -> ProgressLevel | None:
        """Add a pending level (``level_id`` is the full id)."""
        check_amount("total", total)
        with self._lock:
            state = self._active.get(str(operation_id))
            if state is None or state.is_finished:
                logger().debug("add_level: unknown or ended operation %r", operation_id)
                return None
            if parent_id is not None:
                parent = state.levels.get(str(parent_id))
                if parent is None or parent.is_finished:
                    logger().debug("add_level: unknown or ended parent %r", parent_id)
                    return None
            level = state.add_level(level_id, level_type, name, parent_id, total, **metadata)
        if self._listeners:
            self._updated(state)
        return level

    def start_level(
        self, operation_id: object, level_id: object, message: object = None
    ) -> ProgressLevel | None:
        """Mark a level running."""
        text = check_text("message", message)
        found = self._open_pair(operation_id, level_id, "start_level")
        if found is None:
            return None
        state, level = found
        return level if _lifecycle.start_level(self, state, level, text) else None

    def update_level(
        self,
        operation_id: object,
        level_id: object,
        current: object = None,
        total: object = None,
        message: object = None,
        increment: object = 0,
        **metadata: Any,
    ) -> ProgressLevel | None:
        """Change a level's counters, message or metadata."""
        check_update(current, total, message, increment)
        found = self._open_pair(operation_id, level_id, "update_level")
        if found is None:
            return None
        state, level = found
        try:
            _lifecycle.update(
                self, state, level, current, total, message, increment, metadata, check_cancel=False
            )
        except LevelEndedError:
            return None  # ended by another thread since the lookup
        return level

    def complete_level(
        self, operation_id: object, level_id: object, message: object = None
    ) -> ProgressLevel | None:
        """Mark a level completed (its open children complete with it)."""
        text = check_text("message", message)
        return self._finish_level(operation_id, level_id, COMPLETED, text, None, None)

    def fail_level(
        self,
        operation_id: object,
        level_id: object,
        error: object,
        error_details: dict[str, Any] | None = None,
    ) -> ProgressLevel | None:
        """Mark a level failed (its open children fail with the same error)."""
        return self._finish_level(operation_id, level_id, FAILED, None, error, error_details)

    def cancel_level(
        self, operation_id: object, level_id: object, message: object = None
    ) -> ProgressLevel | None:
        """Mark a level cancelled (its open children are cancelled too)."""
        text = check_text("message", message)
        return self._finish_level(operation_id, level_id, CANCELLED, text, None, None)

    def _finish_level(
        self,
        operation_id: object,
        level_id: object,
        status: ProgressStatus,
        message: str | None,
        error: object,
        error_details: dict[str, Any] | None,
    ) -> ProgressLevel | None:
        found = self._open_pair(operation_id, level_id, "finish_level")
        if found is None:
            return None
        state, level = found
        if _lifecycle.end_level(self, state, level, status, error, error_details, message):
            return level
        return None

    def _active_state(self, operation_id: object) -> ProgressState | None:
        state = self._active.get(str(operation_id))
        if state is None:
            logger().debug("unknown or finished operation %r", operation_id)
        return state

    def _open_pair(
        self, operation_id: object, level_id: object, what: str
    ) -> tuple[ProgressState, ProgressLevel] | None:
        state = self._active.get(str(operation_id))
        if state is None:
            logger().debug("%s: unknown or finished operation %r", what, operation_id)
            return None
        level = state.levels.get(str(level_id))
        if level is None or level.is_finished:
            logger().debug("%s: unknown or ended level %r in %r", what, level_id, operation_id)
            return None
        # A pending level left behind when an ancestor ended counts as ended:
        # starting it would leave a level running under a finished parent.
        if level.status is PENDING and _lifecycle.is_below_ended(state, level):
            logger().debug("%s: level %r is below an ended level", what, level_id)
            return None
        return state, level

    # -- queries --------------------------------------------------------------

    def get_state(self, operation_id: object) -> ProgressState | None:
        """The active operation with this id, or None."""
        return self._active.get(str(operation_id))

    def get_operation(self, operation_id: object) -> ProgressState | None:
        """The operation with this id, active or in history, or None."""
        op_id = str(operation_id)
        state = self._active.get(op_id)
        if state is not None:
            return state
        with self._lock:
            for old in reversed(self._history):
                if old.operation_id == op_id:
                    return old
        return None

    def get_all_active(self) -> list[ProgressState]:
        """The running operations, oldest first."""
        with self._lock:
            return list(self._active.values())

    def get_active_operations(self) -> list[ProgressState]:
        """The same as :meth:`get_all_active`."""
        return self.get_all_active()

    def get_history(
        self, operation_type: object = None, limit: object = 100
    ) -> list[ProgressState]:
        """Finished operations, oldest first and newest last (at most ``limit``)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            msg = f"limit must be a non-negative int, got {limit!r}"
            raise ValueError(msg)
        with self._lock:
            items = list(self._history)
        if operation_type is not None:
            items = [s for s in items if s.operation_type == operation_type]
        return items[-limit:] if limit else []

    def clear_history(self) -> None:
        """Forget every finished operation."""
        with self._lock:
            self._history.clear()


ProgressStore = ProgressEventStore


_global_lock = threading.Lock()
_global_store: ProgressEventStore | None = None


def get_progress_store() -> ProgressEventStore:
    """The process-wide store (created on first use)."""
    global _global_store
    store = _global_store
    if store is None:
        with _global_lock:
            if _global_store is None:
                _global_store = ProgressEventStore()
            store = _global_store
    return store


def reset_progress_store(store: ProgressEventStore | None = None) -> ProgressEventStore:
    """Replace the process-wide store (a new empty one unless given) and return it."""
    global _global_store
    with _global_lock:
        _global_store = store if store is not None else ProgressEventStore()
        return _global_store

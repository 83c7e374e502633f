"""The context-manager API of the seed guide, and the *current level*.

``with progress.operation(...) as op:`` starts an operation;
``with op.song(...) as song:`` opens a level below it. Entering a handle makes
it the current level of the running thread or asyncio task (a contextvar),
so code deep in a call stack can open children with
``get_progress_context().action(...)`` or ``@tracks`` without being handed
the parent.

Exit rules: a normal exit completes the level; an ``Exception`` marks it
failed and propagates untouched; any other ``BaseException``
(``KeyboardInterrupt``, ``asyncio.CancelledError``, ``GeneratorExit``,
``OperationCancelled``, ``SystemExit``) marks it cancelled and propagates.
Children still open end with their parent.
"""

from __future__ import annotations

from contextvars import Token
from types import FunctionType, TracebackType
from typing import Any, NoReturn

from . import _lifecycle
from ._compiled import mypyc_attr, trait
from ._validate import SMALL, check_amount, check_text
from .errors import LevelEndedError
from .models import (
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    ProgressLevel,
    ProgressState,
    ProgressStatus,
)
from .store import ProgressEventStore, get_progress_store

__all__ = [
    "LevelContext",
    "LevelHandle",
    "OperationContext",
    "ProgressContext",
    "current_level",
    "get_progress_context",
]


def current_level() -> LevelHandle | None:
    """The level handle the running code is inside of, or None."""
    return _lifecycle.current_handle()


@trait
class LevelHandle:
    """What levels and operations have in common: opening children, updating.

    Subclasses provide the slots ``_store``, ``_state``, ``_parent``,
    ``_token`` and ``_level`` (the level record: None for an operation, which
    acts as the outermost level) and ``level_id``. This class has no slots of
    its own so that :class:`LevelContext` can be a level record and a handle
    at once; it is a mypyc *trait* for the same reason (a compiled class has
    one base class plus traits).
    """

    __slots__ = ()

    _store: ProgressEventStore
    _state: ProgressState | None
    _level: ProgressLevel | None
    _parent: LevelHandle | None
    _token: Token[LevelHandle | None] | None
    #: Full id of this level (None for an operation handle). An attribute, not
    #: a property: for a level it is the record's own ``level_id`` field.
    level_id: str | None

    # -- children -------------------------------------------------------------

    def level(
        self,
        level_type: object,
        level_id: object,
        name: object,
        total: object = 0,
        **metadata: Any,
    ) -> LevelContext:
        """A child level of any type (enter it with ``with``); ``level_type`` is a str."""
        if level_type.__class__ is not str:
            _bad_level_type(level_type)
        return LevelContext(self, level_type, level_id, name, total, metadata)

    def song(
        self, song_id: object, name: object, total: object = 0, **metadata: Any
    ) -> LevelContext:
        """A child level of type ``song``."""
        return LevelContext(self, "song", song_id, name, total, metadata)

    def action(
        self, action_id: object, name: object, total: object = 0, **metadata: Any
    ) -> LevelContext:
        """A child level of type ``action``."""
        return LevelContext(self, "action", action_id, name, total, metadata)

    def block(
        self,
        block_id: object,
        name: object,
        block_type: object = "",
        total: object = 0,
        **metadata: Any,
    ) -> LevelContext:
        """A child level of type ``block`` (``block_type`` kept in metadata)."""
        metadata["block_type"] = block_type
        return LevelContext(self, "block", block_id, name, total, metadata)

    def subprocess(
        self, subprocess_id: object, name: object, total: object = 0, **metadata: Any
    ) -> LevelContext:
        """A child level of type ``subprocess``."""
        return LevelContext(self, "subprocess", subprocess_id, name, total, metadata)

    # -- progress ---------------------------------------------------------------

    def _live_state(self) -> ProgressState:
        state = self._state
        if state is None:
            msg = f"{self!r} has not been entered; use it in a 'with' block"
            raise RuntimeError(msg)
        return state

    def set_total(self, total: object) -> None:
        """Declare the number of items (children or units) of this level."""
        if total is None:
            return
        self.update(total=total)

    def update(
        self,
        current: object = None,
        total: object = None,
        message: object = None,
        increment: object = 0,
        **metadata: Any,
    ) -> None:
        """Set counters, a message or metadata (``increment`` adds to current)."""
        state = self._live_state()
        level = self._level
        store = self._store
        if level is None:
            _lifecycle.update_operation(store, state, current, total, message, increment, metadata)
        else:
            _lifecycle.update(store, state, level, current, total, message, increment, metadata)

    def increment(self, message: object = None) -> None:
        """``current += 1`` (optionally with a new message)."""
        level = self._level
        state = self._state  # set whenever ``_level`` is (both at entry)
        if message is None and level is not None and state is not None:
            _lifecycle.increment(self._store, state, level, 1)
        else:
            self.update(message=message, increment=1)

    def advance(self, amount: object = 1) -> None:
        """``current += amount`` (batched counting uses this)."""
        amount = check_amount("amount", amount)
        level = self._level
        state = self._state
        if level is None or state is None:
            self.update(increment=amount)
        elif amount:
            _lifecycle.increment(self._store, state, level, amount)

    # -- properties ---------------------------------------------------------------

    @property
    def store(self) -> ProgressEventStore:
        """The store this handle reports to."""
        return self._store

    @property
    def state(self) -> ProgressState:
        """The ``ProgressState`` of the operation this handle belongs to."""
        return self._live_state()

    @property
    def operation_id(self) -> str:
        """Id of the operation this handle belongs to."""
        return self._live_state().operation_id

    @property
    def progress_level(self) -> ProgressLevel | None:
        """The ``ProgressLevel`` record behind this handle (None for an operation)."""
        return self._level

    @property
    def parent(self) -> LevelHandle | None:
        """The handle this one was opened from."""
        return self._parent

    # -- context manager protocol ----------------------------------------------------

    def __enter__(self) -> Any:
        msg = f"{type(self).__name__} cannot be entered"
        raise TypeError(msg)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def __aenter__(self) -> Any:
        """``async with`` works like ``with`` (entering never awaits)."""
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    # Subclasses own the ``_token`` slot (see the class docstring).
    def _activate(self) -> None:
        self._token = _lifecycle.CURRENT.set(self)  # type: ignore[misc]

    def _deactivate(self) -> None:
        token = self._token
        self._token = None  # type: ignore[misc]
        if token is None:
            return
        try:
            _lifecycle.CURRENT.reset(token)
        except ValueError:
            _lifecycle.restore_parent(self)


_ZERO = 0


def _bad_level_type(level_type: object) -> NoReturn:
    msg = f"level_type must be a str, got {level_type!r}"
    raise TypeError(msg)


class OperationContext(LevelHandle):
    """Handle of an operation: ``with progress.operation(...) as op:``."""

    __slots__ = (
        "_level",
        "_metadata",
        "_name",
        "_operation_id",
        "_operation_type",
        "_parent",
        "_state",
        "_store",
        "_token",
        "_total",
        "level_id",
    )

    def __init__(
        self,
        store: ProgressEventStore,
        operation_type: object,
        name: object = "",
        operation_id: object = None,
        metadata: dict[str, Any] | None = None,
        total: object = 0,
    ) -> None:
        self._store = store
        self._state = None
        self._level = None
        self._parent = None
        self._token = None
        self._operation_type = operation_type
        self._name = name
        self._operation_id = operation_id
        self._metadata = metadata
        self._total = check_amount("total", total)
        self.level_id = None  # an operation is the outermost level, not a level

    def __enter__(self) -> OperationContext:
        if self._state is not None:
            msg = f"operation {self._state.operation_id!r} was already entered"
            raise RuntimeError(msg)
        self._parent = _lifecycle.current_handle()
        self._state = _lifecycle.begin_operation(
            self._store,
            self._operation_type,
            self._name,
            self._operation_id,
            self._metadata,
            self._total,
        )
        self._activate()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._deactivate()
        state = self._state
        if state is None:
            return
        status = _lifecycle.outcome(exc_type)
        _lifecycle.end_operation(self._store, state, status, exc if status is FAILED else None)

    def __repr__(self) -> str:
        op_id = self._state.operation_id if self._state is not None else self._operation_id
        return f"<OperationContext {self._operation_type!r} id={op_id!r}>"


# ProgressLevel.level_id is a str, LevelHandle.level_id a str or None.
class LevelContext(ProgressLevel, LevelHandle):  # type: ignore[misc]
    """Handle of a level: ``with op.song(...) as song_ctx:``.

    The handle is the level record itself (a :class:`ProgressLevel` that also
    knows its store and parent): entering inserts it into the tree, so a
    level costs one object, not a handle plus a record. Until it is entered,
    ``level_id`` is the requested id; afterwards the full id.
    """

    __slots__ = ("_level", "_local", "_parent", "_state", "_store", "_token")

    def __init__(
        self,
        parent: LevelHandle,
        level_type: str,
        level_id: object,
        name: object,
        total: object = 0,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        # A handle of the same family, in its own module: not a reach-in.
        self._store = parent._store  # noqa: SLF001
        self._parent = parent
        self._state = self._level = self._token = None
        self._local = level_id is None  # a generated id (no reference kept: memory)
        self.level_id = "" if level_id is None else str(level_id)
        self.level_type = level_type
        self.name = name if type(name) is str else str(name)
        # The default 0 (a cached int object) needs no check.
        if total is not _ZERO and (type(total) is not int or not 0 <= total <= SMALL):
            total = check_amount("total", total)
        self.total = total
        self._metadata = metadata or None
        self.status = PENDING
        self.current = 0
        self.message = self.error = self.error_details = self._children = None
        self.parent_id = self._started = self._completed = None

    def update(
        self,
        current: object = None,
        total: object = None,
        message: object = None,
        increment: object = 0,
        **metadata: Any,
    ) -> None:
        """Set counters, a message or metadata (``increment`` adds to current).

        The handle's update, not the record's (``ProgressLevel.update``).
        """
        state = self._live_state()
        _lifecycle.update(self._store, state, self, current, total, message, increment, metadata)

    # Entering and leaving belong to the tree's owner (``_lifecycle.py``).
    # Methods, not the functions installed as class attributes: the compiled
    # build has no such aliases.
    def __enter__(self) -> LevelContext:
        return _lifecycle.enter_level(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _lifecycle.exit_level(self, exc_type, exc, tb)

    # A handle is also the stored record, so the record's own lifecycle
    # methods are routed through the store: under its lock, with events.

    def start(self, message: object = None) -> None:
        """Set the message of this running level (entering it started it)."""
        self.update(message=check_text("message", message))

    def complete(self, message: object = None) -> None:
        """End this level now as completed (its open children complete too)."""
        self._end_now(COMPLETED, None, None, check_text("message", message))

    def fail(self, error: object, error_details: dict[str, Any] | None = None) -> None:
        """End this level now as failed with ``error`` (its open children fail too)."""
        self._end_now(FAILED, error, error_details, None)

    def cancel(self, message: object = None) -> None:
        """End this level now as cancelled (its open children are cancelled too)."""
        self._end_now(CANCELLED, None, None, check_text("message", message))

    def _end_now(
        self,
        status: ProgressStatus,
        error: object,
        details: dict[str, Any] | None,
        message: str | None,
    ) -> None:
        state = self._live_state()
        if not _lifecycle.end_level(self._store, state, self, status, error, details, message):
            msg = f"level {self.level_id!r} already ended ({self.status.value})"
            raise LevelEndedError(msg)

    def __repr__(self) -> str:
        return f"<LevelContext {self.level_type!r} id={self.level_id!r} {self.status.value}>"


@mypyc_attr(allow_interpreted_subclasses=True)
class ProgressContext:
    """Entry point of the context API, bound to a store (the global one by default).

    ``level`` / ``song`` / ``action`` / ``block`` / ``subprocess`` open a child
    of the current level, or start an operation of that type when there is
    none.
    """

    __slots__ = ("_store",)

    def __init__(self, store: ProgressEventStore | None = None) -> None:
        self._store = store

    @property
    def store(self) -> ProgressEventStore:
        """The store (the process-wide one unless bound to another)."""
        store = self._store
        return get_progress_store() if store is None else store

    def _current(self) -> LevelHandle | None:
        handle = _lifecycle.current_parent()
        if handle is None or handle.store is not self.store:
            return None
        return handle

    # -- operations ---------------------------------------------------------------

    def operation(
        self,
        operation_type: object,
        name: object = "",
        operation_id: object = None,
        **metadata: Any,
    ) -> OperationContext:
        """A new operation (enter it with ``with``)."""
        return OperationContext(self.store, operation_type, name, operation_id, metadata)

    def setlist_processing(
        self, setlist_id: object, name: object, **metadata: Any
    ) -> OperationContext:
        """An operation of type ``setlist_processing``."""
        metadata["setlist_id"] = setlist_id
        return OperationContext(self.store, "setlist_processing", name, None, metadata)

    def block_execution(
        self, block_id: object, block_name: object, block_type: object = "", **metadata: Any
    ) -> LevelContext | OperationContext:
        """A ``block_execution`` operation, or a ``block`` level inside a running level."""
        current = self._current()
        if current is not None:
            return current.block(block_id, block_name, block_type, **metadata)
        metadata["block_id"] = block_id
        metadata["block_type"] = block_type
        return OperationContext(self.store, "block_execution", block_name, None, metadata)

    # -- levels under the current one ---------------------------------------------

    def level(
        self,
        level_type: object,
        level_id: object,
        name: object,
        total: object = 0,
        **metadata: Any,
    ) -> LevelContext | OperationContext:
        """A child of the current level, or an operation of ``level_type``."""
        if level_type.__class__ is not str:
            _bad_level_type(level_type)
        current = self._current()
        if current is not None:
            return LevelContext(current, level_type, level_id, name, total, metadata)
        metadata["level_id"] = level_id
        return OperationContext(self.store, level_type, name, None, metadata, total)

    def song(
        self, song_id: object, name: object, total: object = 0, **metadata: Any
    ) -> LevelContext | OperationContext:
        """A ``song`` level under the current level."""
        return self.level("song", song_id, name, total, **metadata)

    def action(
        self, action_id: object, name: object, total: object = 0, **metadata: Any
    ) -> LevelContext | OperationContext:
        """An ``action`` level under the current level."""
        return self.level("action", action_id, name, total, **metadata)

    def block(
        self,
        block_id: object,
        name: object,
        block_type: object = "",
        total: object = 0,
        **metadata: Any,
    ) -> LevelContext | OperationContext:
        """A ``block`` level under the current level."""
        return self.level("block", block_id, name, total, block_type=block_type, **metadata)

    def subprocess(
        self, subprocess_id: object, name: object, total: object = 0, **metadata: Any
    ) -> LevelContext | OperationContext:
        """A ``subprocess`` level under the current level."""
        return self.level("subprocess", subprocess_id, name, total, **metadata)

    # -- queries and control --------------------------------------------------------

    def get_active_operations(self) -> list[ProgressState]:
        """The running operations."""
        return self.store.get_all_active()

    def get_operation(self, operation_id: object) -> ProgressState | None:
        """An operation by id, active or finished."""
        return self.store.get_operation(operation_id)

    def get_history(
        self, operation_type: object = None, limit: object = 100
    ) -> list[ProgressState]:
        """Finished operations, oldest first."""
        return self.store.get_history(operation_type, limit)

    def cancel(self, operation_id: object) -> bool:
        """Ask a running operation to stop (see ``request_cancel``)."""
        return self.store.request_cancel(operation_id)

    def current_level(self) -> LevelHandle | None:
        """The current level if it reports to this context's store."""
        return self._current()


# In the pure build the lifecycle functions themselves become the methods, so a
# ``with`` costs no extra Python call. Compiled functions do not bind as
# methods; there the methods above call them, a C call.
if isinstance(_lifecycle.enter_level, FunctionType):
    LevelContext.__enter__ = _lifecycle.enter_level  # type: ignore[method-assign]
    LevelContext.__exit__ = _lifecycle.exit_level  # type: ignore[method-assign]


def get_progress_context(store: ProgressEventStore | None = None) -> ProgressContext:
    """A :class:`ProgressContext` bound to ``store`` (default: the global store)."""
    return ProgressContext(store)

"""The iteration behind ``track_progress``: counting mode and level mode.

Counting mode advances a target's ``current`` per item handed to the loop
body, but talks to the store only in batches: every ``stride`` items it reads
the clock, and publishes when ``_FLUSH_SECONDS`` have passed (the stride
doubles while items are quick). Whatever is left is published when the loop
ends, breaks (the abandoned iterator is closed) or raises.

Level mode opens one child level per item and makes it the current level of
the loop body: it is entered just before the item is handed out and left
when the loop asks for the next one. A loop left early abandons the
iterator: the item's level stops being current at once, and ends
``completed`` after ``break`` / ``return``, ``failed`` with the exception
when the body raised one (caught outside the loop or not), ``cancelled`` for
a ``BaseException``. Telling these apart is ``_verdict.py``'s job; when it
cannot watch (another trace function is installed), the level ends with its
parent's outcome instead.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .._clock import monotonic
from .._lifecycle import release as _release
from ..context import LevelContext, LevelHandle, OperationContext
from ..errors import OperationCancelled, ProgressError
from ..models import ProgressState
from ..store import get_progress_store
from ._values import as_label, describe_failure, short_text
from ._verdict import watch
from .paths import Path

__all__ = [
    "AsyncCounting",
    "AsyncLevels",
    "Counter",
    "LevelPlan",
    "count_items",
    "level_items",
    "release",
]

_FLUSH_SECONDS = 0.05
_MAX_STRIDE = 4096


class Counter:
    """Batched ``current += n`` on one target, exact after :meth:`flush`."""

    __slots__ = ("_advance", "_flushed", "_last", "count", "next_check", "state", "stride")

    def __init__(self, target: Any, total: int | None, message: str | None) -> None:
        if isinstance(target, LevelHandle):
            self._advance: Callable[[int], None] = target.advance
            self.state: ProgressState | None = target.state
        else:
            self._advance = lambda amount: target.update(increment=amount)
            self.state = None
        if total is not None or message is not None:
            target.update(total=total, message=message)
        self.count = self._flushed = 0
        self.next_check = self.stride = 1
        self._last = monotonic()

    def check_cancelled(self) -> None:
        """Raise ``OperationCancelled`` when the target's operation was asked to stop."""
        state = self.state
        if state is not None and state.cancel_requested:
            raise OperationCancelled(state.operation_id)

    def tick(self) -> None:
        """Called every ``stride`` items: publish when enough time passed."""
        now = monotonic()
        if now - self._last >= _FLUSH_SECONDS:
            self.flush()
            self._last = now
        elif self.stride < _MAX_STRIDE:
            self.stride *= 2
        self.next_check = self.count + self.stride

    def flush(self) -> None:
        """Publish the items counted since the last flush."""
        pending = self.count - self._flushed
        if pending:
            self._flushed = self.count
            self._advance(pending)

    def close(self) -> None:
        """Final flush; never raises (it may run from a garbage-collected iterator)."""
        with contextlib.suppress(ProgressError, OperationCancelled):
            self.flush()


def count_items(iterator: Iterator[Any], counter: Counter) -> Iterator[Any]:
    """Hand out the items, counting each one before the loop body sees it."""
    state = counter.state
    try:
        for item in iterator:
            if state is not None and state.cancel_requested:
                raise OperationCancelled(state.operation_id)
            counter.count += 1
            if counter.count >= counter.next_check:
                counter.tick()
            yield item
    finally:
        counter.close()


class LevelPlan:
    """Where the per-item levels go and how they are named."""

    __slots__ = ("id_path", "level_type", "name_path", "parent")

    def __init__(
        self,
        level_type: str,
        parent: LevelHandle | None,
        id_path: Path | None,
        name_path: Path | None,
    ) -> None:
        self.level_type = level_type
        self.parent = parent
        self.id_path = id_path
        self.name_path = name_path

    def open(self, index: int, item: Any) -> LevelHandle:
        """The entered level of one item."""
        level_id: object = index
        name = ""
        metadata: dict[str, Any] | None = None
        if self.id_path is not None:
            try:
                level_id = self.id_path.resolve(item)
            except Exception as exc:
                metadata = {"path_errors": {"id_from": describe_failure(exc)}}
            else:
                label, problem = as_label(level_id)
                level_id = index if label is None else label
                if problem:
                    metadata = {"path_errors": {"id_from": problem}}
        if self.name_path is not None:
            try:
                name = short_text(self.name_path.resolve(item))
            except Exception as exc:
                metadata = metadata or {"path_errors": {}}
                metadata["path_errors"]["name_from"] = describe_failure(exc)
        if not name:
            name = short_text(item)
        parent = self.parent
        handle: LevelContext | OperationContext
        if parent is None:
            metadata = metadata or {}
            metadata["level_id"] = level_id
            handle = OperationContext(get_progress_store(), self.level_type, name, None, metadata)
        else:
            handle = LevelContext(parent, self.level_type, level_id, name, 0, metadata)
        handle.__enter__()
        return handle


def release(handle: LevelHandle) -> None:
    """Stop ``handle`` being the current level without ending it.

    The fallback when how the loop was left cannot be watched: the level's
    end is left to its parent, whose outcome it then shares.
    """
    _release(handle)
    if isinstance(handle, OperationContext):
        # An operation has no parent to end it: end it now.
        handle.__exit__(None, None, None)


def _caller() -> Any:
    """The frame that called the running one (the loop that closed the iterator)."""
    try:
        return sys._getframe(2)  # noqa: SLF001 (CPython's documented frame access)
    except ValueError:  # closed with no Python caller (interpreter shutdown)
        return None


def abandon(handle: LevelHandle, frame: Any) -> None:
    """The loop running in ``frame`` left while ``handle``'s item was open.

    The level stops being current now and ends as soon as the frame shows
    why: ``completed`` after ``break`` / ``return``, else with the
    exception's outcome (the very exception object is recorded).
    """
    _release(handle)

    def decide(exc: BaseException | None) -> None:
        if exc is None:
            handle.__exit__(None, None, None)
        else:
            handle.__exit__(type(exc), exc, exc.__traceback__)

    if not watch(frame, decide):
        release(handle)


def level_items(iterator: Iterator[Any], plan: LevelPlan) -> Iterator[Any]:
    """Hand out the items, each inside its own current level."""
    # The common case (ids are indexes, names are the items) opens its levels
    # right here: one Python call less per item than plan.open.
    simple = plan.id_path is None and plan.name_path is None
    parent = plan.parent if simple else None
    open_level = plan.open
    level_type = plan.level_type
    handle: LevelHandle | None = None
    index = 0
    try:
        for item in iterator:
            if parent is not None:
                handle = LevelContext(parent, level_type, index, short_text(item), 0, None)
                handle.__enter__()
            else:
                handle = open_level(index, item)
            yield item
            handle.__exit__(None, None, None)
            handle = None
            index += 1
    except GeneratorExit:
        # Closed while an item was open: the loop was left early.
        if handle is not None:
            open_handle, handle = handle, None
            abandon(open_handle, _caller())
        raise
    finally:
        if handle is not None:
            release(handle)


class AsyncCounting:
    """``async for`` in counting mode (a class, so a ``break`` flushes at once)."""

    __slots__ = ("_counter", "_iterator")

    def __init__(self, iterator: AsyncIterator[Any], counter: Counter) -> None:
        self._iterator = iterator
        self._counter = counter

    def __aiter__(self) -> AsyncCounting:
        return self

    async def __anext__(self) -> Any:
        counter = self._counter
        try:
            item = await self._iterator.__anext__()
        except BaseException:
            counter.close()
            raise
        counter.check_cancelled()
        counter.count += 1
        if counter.count >= counter.next_check:
            counter.tick()
        return item

    def __del__(self) -> None:
        self._counter.close()


class AsyncLevels:
    """``async for`` in level mode."""

    __slots__ = ("_handle", "_index", "_iterator", "_plan")

    def __init__(self, iterator: AsyncIterator[Any], plan: LevelPlan) -> None:
        self._iterator = iterator
        self._plan = plan
        self._handle: LevelHandle | None = None
        self._index = 0

    def __aiter__(self) -> AsyncLevels:
        return self

    async def __anext__(self) -> Any:
        handle = self._handle
        if handle is not None:
            self._handle = None
            handle.__exit__(None, None, None)
            self._index += 1
        item = await self._iterator.__anext__()
        self._handle = self._plan.open(self._index, item)
        return item

    def __del__(self) -> None:
        handle = self._handle
        if handle is not None:
            self._handle = None
            abandon(handle, _caller())

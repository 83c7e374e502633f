"""Running a decorated generator so its level spans its life, privately.

A generator runs in its consumer's context, so a level entered inside it
would stay the consumer's current level between yields. Instead each
decorated generator gets its own copy of the context, taken when it starts:
every step of the original generator runs inside that copy, where the level
is current; the consumer's context never sees it. The same holds for async
generators, whose steps are coroutines driven one ``send`` at a time inside
the copy (what an asyncio task does with its own context).
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncGenerator, Coroutine, Generator
from typing import Any

from ..context import LevelHandle
from ._plan import CallPlan, Describe

__all__ = ["drive_async_generator", "drive_generator"]


def _leave(context: contextvars.Context, handle: LevelHandle, exc: BaseException | None) -> None:
    if exc is None:
        context.run(handle.__exit__, None, None, None)
    else:
        context.run(handle.__exit__, type(exc), exc, exc.__traceback__)


def drive_generator(
    plan: CallPlan, described: Describe, gen: Generator[Any, Any, Any]
) -> Generator[Any, Any, Any]:
    """Delegate to ``gen`` (send, throw, close) with its level current only inside it."""
    context = contextvars.copy_context()
    handle = context.run(plan.enter, described)
    send, throw = gen.send, gen.throw
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            if thrown is None:
                item = context.run(send, value)
            else:
                pending, thrown = thrown, None
                item = context.run(throw, pending)
        except StopIteration as stop:
            _leave(context, handle, None)
            return stop.value
        except BaseException as exc:
            _leave(context, handle, exc)
            raise
        try:
            value = yield item
        except GeneratorExit as exc:
            try:
                context.run(gen.close)
            except BaseException as error:
                _leave(context, handle, error)
                raise
            _leave(context, handle, exc)
            raise
        except BaseException as exc:
            thrown, value = exc, None


class _InContext:
    """Await a coroutine with each of its steps run inside ``context``."""

    __slots__ = ("_context", "_coro")

    def __init__(self, context: contextvars.Context, coro: Coroutine[Any, Any, Any]) -> None:
        self._context = context
        self._coro = coro

    def __await__(self) -> Generator[Any, Any, Any]:
        run, coro = self._context.run, self._coro
        value: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                if thrown is None:
                    future = run(coro.send, value)
                else:
                    pending, thrown = thrown, None
                    future = run(coro.throw, pending)
            except StopIteration as stop:
                return stop.value
            try:
                value = yield future
            except GeneratorExit:
                run(coro.close)
                raise
            except BaseException as exc:
                thrown, value = exc, None


async def drive_async_generator(
    plan: CallPlan, described: Describe, agen: AsyncGenerator[Any, Any]
) -> AsyncGenerator[Any, Any]:
    """The async counterpart of :func:`drive_generator`."""
    context = contextvars.copy_context()
    handle = context.run(plan.enter, described)
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            if thrown is None:
                item = await _InContext(context, agen.asend(value))
            else:
                pending, thrown = thrown, None
                item = await _InContext(context, agen.athrow(pending))
        except StopAsyncIteration:
            _leave(context, handle, None)
            return
        except BaseException as exc:
            _leave(context, handle, exc)
            raise
        try:
            value = yield item
        except GeneratorExit as exc:
            try:
                await _InContext(context, agen.aclose())
            except BaseException as error:
                _leave(context, handle, error)
                raise
            _leave(context, handle, exc)
            raise
        except BaseException as exc:
            thrown, value = exc, None

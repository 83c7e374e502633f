"""Thread pools and threads whose work nests under the submitting level.

Kept apart from ``concurrency.py`` because ``concurrent.futures`` is slow to
import; ``progresstree.ThreadPoolExecutor``, ``instrument_threads`` and
``uninstrument_threads`` load this module on first use.

A new thread starts with an empty context, so the level current where work
was handed over is lost there and ``@tracks`` calls in the thread start
operations of their own. Two remedies: use
:class:`progresstree.ThreadPoolExecutor` (or ``carry(fn)``) where you create
the pool, or call :func:`instrument_threads` once to make every
``concurrent.futures.ThreadPoolExecutor.submit`` (and so ``map``) and every
``threading.Thread.start`` carry a copy of the caller's context.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import wrapt

__all__ = ["ThreadPoolExecutor", "instrument_threads", "uninstrument_threads"]

_R = TypeVar("_R")


class ThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A drop-in thread pool: each task runs under the level current at ``submit``.

    ``map`` goes through ``submit``, so it nests the same way.
    """

    def submit(
        self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[_R]:
        captured = contextvars.copy_context()
        return super().submit(captured.run, fn, *args, **kwargs)


def _submit_in_context(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if isinstance(instance, ThreadPoolExecutor) or not args:
        return wrapped(*args, **kwargs)  # already carries the context
    captured = contextvars.copy_context()
    return wrapped(captured.run, *args, **kwargs)


def _start_in_context(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    # An instance attribute shadows ``run`` even when a subclass overrides it.
    instance.run = functools.partial(contextvars.copy_context().run, instance.run)
    return wrapped(*args, **kwargs)


# (owner, attribute, wrapper) of each patch.
_PATCHES: tuple[tuple[type, str, Any], ...] = (
    (concurrent.futures.ThreadPoolExecutor, "submit", _submit_in_context),
    (threading.Thread, "start", _start_in_context),
)
_saved: dict[tuple[type, str], Any] = {}
_lock = threading.Lock()


def instrument_threads() -> None:
    """Make plain thread pools and threads nest under the level current at hand-over.

    Patches ``concurrent.futures.ThreadPoolExecutor.submit`` and
    ``threading.Thread.start`` (with wrapt) to run the work in a copy of the
    caller's context, as ``progresstree.ThreadPoolExecutor`` does. Opt-in and
    process-wide; calling it twice changes nothing;
    :func:`uninstrument_threads` restores the originals.
    """
    with _lock:
        if _saved:
            return
        for owner, name, wrapper in _PATCHES:
            _saved[(owner, name)] = vars(owner)[name]
            setattr(owner, name, wrapt.FunctionWrapper(vars(owner)[name], wrapper))


def uninstrument_threads() -> None:
    """Undo :func:`instrument_threads` (nothing happens when it is not active)."""
    with _lock:
        for (owner, name), original in _saved.items():
            setattr(owner, name, original)
        _saved.clear()

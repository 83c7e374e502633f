"""Keeping the current level when work moves to another thread.

asyncio tasks copy the context they are created in, so they nest by
themselves. Thread pools do not: ``carry(fn)`` captures the caller's context
and runs ``fn`` in a copy of it; :class:`progresstree.ThreadPoolExecutor`
(in ``_threads.py``, imported on first use) does that for every ``submit``
and ``map``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["carry"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def carry(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` bound to the caller's context (current level included).

    Each call runs in its own copy of that context, so the returned callable
    may run in many threads at once.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_captured(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_captured

"""A thread pool whose tasks nest under the submitting level.

Kept apart from ``concurrency.py`` because ``concurrent.futures`` is slow to
import; ``progresstree.ThreadPoolExecutor`` loads this module on first use.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ThreadPoolExecutor"]

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

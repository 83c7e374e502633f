"""``track_progress``: progress over any iterable, through a transparent proxy.

The proxy is a ``wrapt.ObjectProxy``: ``len()``, indexing, attribute access
and ``isinstance`` behave as on the wrapped object; only iteration changes.
Its own settings live in one ``_self_spec`` attribute (wrapt's convention for
proxy state), and there are exactly two proxy classes: one for iterables and
one for async iterables.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

import wrapt

from ..context import LevelHandle, current_level
from ..safe import safe_len
from ._iterate import AsyncCounting, AsyncLevels, Counter, LevelPlan, count_items, level_items
from .paths import Path, PathError, parse_path

__all__ = ["AsyncTrackedIterable", "TrackedIterable", "track_progress"]

_T = TypeVar("_T")


class _Omitted(enum.Enum):
    TRACKER = "the current level"


_CURRENT = _Omitted.TRACKER


class _Spec:
    """The arguments of one ``track_progress`` call, validated once."""

    __slots__ = ("id_path", "level", "message", "name_path", "total", "tracker")

    def __init__(
        self,
        tracker: Any,
        message: str | None,
        total: int | None,
        level: str | None,
        id_path: Path | None,
        name_path: Path | None,
    ) -> None:
        self.tracker = tracker
        self.message = message
        self.total = total
        self.level = level
        self.id_path = id_path
        self.name_path = name_path

    def target(self) -> Any:
        """Whom counting reports to: the tracker, or the current level."""
        tracker = self.tracker
        return current_level() if tracker is _CURRENT else tracker

    def counter(self, wrapped: Any) -> Counter | None:
        target = self.target()
        if target is None:
            return None
        total = self.total if self.total is not None else safe_len(wrapped)
        return Counter(target, total, self.message)

    def level_plan(self, wrapped: Any) -> LevelPlan | None:
        tracker = self.tracker
        if tracker is None:
            return None
        parent = self.target()
        if parent is not None and not isinstance(parent, LevelHandle):
            parent = getattr(parent, "handle", None)
        if parent is not None and not isinstance(parent, LevelHandle):
            parent = None
        if parent is not None:
            self._declare_total(parent, wrapped)
        return LevelPlan(str(self.level), parent, self.id_path, self.name_path)

    def _declare_total(self, parent: LevelHandle, wrapped: Any) -> None:
        """Give the parent a total (the item count) unless it already has one."""
        total = self.total if self.total is not None else safe_len(wrapped)
        level = parent.progress_level
        current_total = parent.state.total if level is None else level.total
        if total is not None and not current_total:
            parent.update(total=total, message=self.message)
        elif self.message is not None:
            parent.update(message=self.message)


class TrackedIterable(wrapt.ObjectProxy[Any]):
    """An iterable that reports its iteration; everything else is the original."""

    def __init__(self, wrapped: Any, spec: _Spec) -> None:
        super().__init__(wrapped)
        self._self_spec = spec

    def __iter__(self) -> Any:
        spec: _Spec = self._self_spec
        wrapped = self.__wrapped__
        if spec.level is None:
            counter = spec.counter(wrapped)
            if counter is None:
                return iter(wrapped)
            return count_items(iter(wrapped), counter)
        plan = spec.level_plan(wrapped)
        if plan is None:
            return iter(wrapped)
        return level_items(iter(wrapped), plan)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.__wrapped__!r}>"


class AsyncTrackedIterable(TrackedIterable):
    """A :class:`TrackedIterable` over an async iterable (``async for``)."""

    def __aiter__(self) -> Any:
        spec: _Spec = self._self_spec
        wrapped = self.__wrapped__
        iterator = wrapped.__aiter__()
        if spec.level is None:
            counter = spec.counter(wrapped)
            return iterator if counter is None else AsyncCounting(iterator, counter)
        plan = spec.level_plan(wrapped)
        return iterator if plan is None else AsyncLevels(iterator, plan)


def _item_path(argument: str, text: str | None) -> Path | None:
    if text is None:
        return None
    try:
        return parse_path(text, rooted=False)
    except PathError as exc:
        msg = f"track_progress: {argument}={text!r}: {exc}"
        raise ValueError(msg) from None


def track_progress(
    iterable: _T,
    tracker: Any = _CURRENT,
    message: str | None = None,
    *,
    total: int | None = None,
    level: str | None = None,
    id_from: str | None = None,
    name_from: str | None = None,
) -> _T:
    """Report progress while ``iterable`` is iterated (``for`` or ``async for``).

    Without ``level``, the target's ``current`` counts the items handed to
    the loop body (``total`` defaults to ``len(iterable)``). The target is
    ``tracker`` (a level handle or a ``ProgressTracker``); omitted, the
    current level; ``None``, nothing is tracked. With ``level="song"``, each
    item runs inside its own child level, current during the loop body;
    ``id_from`` / ``name_from`` are paths rooted at the item (``"id"`` reads
    ``item.id``, ``"['id']"`` reads ``item['id']``).
    """
    if level is not None and (not isinstance(level, str) or not level):
        msg = f"track_progress: level must be a non-empty string or None, got {level!r}"
        raise ValueError(msg)
    if level is None and (id_from is not None or name_from is not None):
        msg = (
            f"track_progress: id_from={id_from!r} / name_from={name_from!r} "
            "name per-item levels and need level='...'"
        )
        raise ValueError(msg)
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        msg = f"track_progress: total must be an int >= 0 or None, got {total!r}"
        raise ValueError(msg)
    if message is not None and not isinstance(message, str):
        msg = f"track_progress: message must be a string or None, got {message!r}"
        raise TypeError(msg)
    spec = _Spec(
        tracker,
        message,
        total,
        level,
        _item_path("id_from", id_from),
        _item_path("name_from", name_from),
    )
    proxy_class = AsyncTrackedIterable if hasattr(iterable, "__aiter__") else TrackedIterable
    proxy: Any = proxy_class(iterable, spec)
    return proxy  # type: ignore[no-any-return]

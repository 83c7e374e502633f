"""The reference application's progress helpers, backed by store levels.

Block processors of the reference application receive a ``ProgressTracker``
in ``metadata["progress_tracker"]`` (or nothing) and report through it.
These helpers keep those names and that behaviour, including the rule that
every helper accepts ``None`` as its tracker and then does nothing, so
processor code never needs an ``if tracker:`` of its own. Because a tracker
reports on a level handle, its progress appears in the same tree as
everything else. ``IncrementalProgress``, ``progress_scope`` and
``yield_progress`` use only a tracker's public ``start`` / ``update`` /
``complete`` (and ``progress_scope`` a public ``fail`` when the tracker has
one), so any object with those methods works with them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .context import LevelHandle, get_progress_context
from .instrument.proxies import track_progress

__all__ = [
    "IncrementalProgress",
    "ProgressTracker",
    "get_progress_tracker",
    "progress_scope",
    "track_progress",
    "yield_progress",
]


class ProgressTracker:
    """Reports on a level: the one given, or one it opens at :meth:`start`.

    A tracker built without a level opens one of ``level_type`` under the
    level current at ``start()`` (an operation when there is none) and ends
    it at :meth:`complete` (or :meth:`fail`). That level is not made the
    current level: ``start`` and ``complete`` are not a ``with`` block and may
    run in different places, so the current level is left to the code.
    """

    __slots__ = ("_handle", "_level_type", "_owned")

    def __init__(self, level: LevelHandle | None = None, *, level_type: str = "task") -> None:
        if level is not None and not isinstance(level, LevelHandle):
            msg = f"ProgressTracker: level must be a level handle or None, got {level!r}"
            raise TypeError(msg)
        self._handle = level
        self._owned = False
        self._level_type = level_type

    @property
    def handle(self) -> LevelHandle | None:
        """The level handle reported on (None before ``start`` when none was given)."""
        return self._handle

    def start(self, message: str = "", total: int | float | None = None, current: int = 0) -> None:
        """Begin reporting: open the tracker's own level if it has none yet."""
        handle = self._handle
        if handle is None:
            opened = get_progress_context().level(
                self._level_type, None, message or self._level_type, total or 0
            )
            # Entered in a throwaway copy of the context: opened, not made current.
            contextvars.copy_context().run(opened.__enter__)
            self._handle = handle = opened
            self._owned = True
        handle.update(current=current, total=total, message=message or None)

    def update(
        self,
        current: int | float | None = None,
        total: int | float | None = None,
        message: str | None = None,
        increment: int | float = 0,
    ) -> None:
        """Set counters or a message (starts the tracker first if needed)."""
        if self._handle is None:
            self.start()
        handle = self._handle
        if handle is not None:
            handle.update(current=current, total=total, message=message, increment=increment)

    def complete(self, message: str | None = None) -> None:
        """Mark the work done: current = total, and the tracker's own level ends."""
        handle = self._handle
        if handle is None:
            return
        level = handle.progress_level
        total = handle.state.total if level is None else level.total
        if not handle.state.is_finished and (level is None or not level.is_finished):
            handle.update(current=total or None, message=message)
        if self._owned:
            handle.__exit__(None, None, None)

    def fail(self, error: BaseException) -> None:
        """End the tracker's own level as failed with ``error`` (given levels are left)."""
        handle = self._handle
        if handle is not None and self._owned:
            handle.__exit__(type(error), error, error.__traceback__)

    def __repr__(self) -> str:
        return f"<ProgressTracker on {self._handle!r}>"


def get_progress_tracker(metadata: Mapping[str, Any] | None) -> Any:
    """The tracker in ``metadata["progress_tracker"]``, or None."""
    if not metadata:
        return None
    return metadata.get("progress_tracker")


class IncrementalProgress:
    """Step-by-step progress over ``total`` steps of one phase."""

    __slots__ = ("current", "message", "total", "tracker")

    def __init__(self, tracker: Any, message: str, total: int, start_at: int = 0) -> None:
        self.tracker = tracker
        self.message = message
        self.total = total
        self.current = start_at
        if tracker is not None:
            tracker.start(message, total=total, current=start_at)

    def step(self, message: str | None = None, amount: int = 1) -> None:
        """Advance by ``amount`` steps."""
        self.set(self.current + amount, message)

    def set(self, current: int, message: str | None = None) -> None:
        """Jump to step ``current``."""
        self.current = current
        if self.tracker is not None:
            text = message or f"{self.message} ({current}/{self.total})"
            self.tracker.update(current=current, total=self.total, message=text)

    def complete(self, message: str | None = None) -> None:
        """All steps done (the tracker itself is left running for later phases)."""
        self.set(self.total, message or f"{self.message} complete")


@contextmanager
def progress_scope(tracker: Any, message: str, total: int | None = None) -> Iterator[Any]:
    """``tracker.start`` on entry, ``tracker.complete`` on exit.

    On an exception the scope ends as the reference application's does, by
    ``tracker.complete()``, unless the tracker has a public ``fail(exc)``
    method (``ProgressTracker`` has): then the failure is recorded through
    it, so the record shows the error instead of a completion. The
    exception always propagates unchanged.
    """
    if tracker is None:
        yield None
        return
    tracker.start(message, total=total)
    try:
        yield tracker
    except BaseException as exc:
        fail = getattr(tracker, "fail", None)
        if callable(fail):
            fail(exc)
        else:
            tracker.complete()
        raise
    tracker.complete()


def yield_progress(tracker: Any, current: int | float, message: str | None = None) -> None:
    """Report that the work reached ``current`` (nothing when tracker is None)."""
    if tracker is not None:
        tracker.update(current=current, message=message)

"""Protocols for typing code that works with progresstree.

Users type their own listeners and stores against these instead of the
concrete classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .models import ProgressLevel, ProgressState

__all__ = ["LevelHandleLike", "Listener", "Store"]


@runtime_checkable
class Listener(Protocol):
    """A store listener: called as ``listener(event_type, state)``."""

    def __call__(self, event_type: str, state: ProgressState, /) -> object: ...


@runtime_checkable
class LevelHandleLike(Protocol):
    """What ``track_progress`` and the helpers need from a progress target."""

    def update(
        self,
        current: int | float | None = None,
        total: int | float | None = None,
        message: str | None = None,
        increment: int | float = 0,
        **metadata: Any,
    ) -> None: ...


@runtime_checkable
class Store(Protocol):
    """The read side of a progress store (the aggregator's store satisfies it)."""

    def get_state(self, operation_id: str) -> ProgressState | None: ...

    def get_operation(self, operation_id: str) -> ProgressState | None: ...

    def get_all_active(self) -> list[ProgressState]: ...

    def get_history(
        self, operation_type: str | None = None, limit: int = 100
    ) -> list[ProgressState]: ...

    def add_callback(self, callback: Listener, min_interval: float = 0.0) -> None: ...

    def remove_callback(self, callback: Listener) -> None: ...


def _unused(level: ProgressLevel) -> None:  # pragma: no cover - keeps the import typed
    del level

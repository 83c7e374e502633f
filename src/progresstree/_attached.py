"""The handle ``attach`` makes current: a real level, a proxy, or an operation.

It lives in its own module, compiled together with the handles in the
compiled build: a class interpreted by Python cannot inherit from a compiled
trait such as :class:`~progresstree.context.LevelHandle`.
"""

from __future__ import annotations

from .context import LevelHandle
from .models import ProgressLevel, ProgressState
from .store import ProgressEventStore

__all__ = ["AttachedHandle"]


class AttachedHandle(LevelHandle):
    """A handle on a level record that already exists (None: the operation)."""

    __slots__ = ("_level", "_parent", "_state", "_store", "_token", "level_id")

    def __init__(
        self, store: ProgressEventStore, state: ProgressState, level: ProgressLevel | None
    ) -> None:
        self._store = store
        self._state = state
        self._level = level
        self._parent = None
        self._token = None
        self.level_id = None if level is None else level.level_id

    def __repr__(self) -> str:
        return f"<attached level {self.level_id!r} of {self._state!r}>"

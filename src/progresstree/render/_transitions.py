"""Which levels started or ended since the last look.

Throttled listeners see coalesced snapshots, so a short level may start and
end between two of them. Line-oriented outputs still want one line per
level start and end; this tracker reads them off a change cursor per
operation (``_changes.py``), so a look costs the new and open levels only,
never the finished part of the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._changes import ChangeCursor
from ..models import ProgressLevel, ProgressState

__all__ = ["Transition", "TransitionTracker"]


@dataclass(frozen=True)
class Transition:
    """A level seen for the first time (``started``) or seen finished (``ended``)."""

    kind: str
    level: ProgressLevel
    depth: int
    path: tuple[str, ...]


def _no_fingerprint(level: ProgressLevel) -> None:
    return None  # only starts and ends matter here


def _place(state: ProgressState, level: ProgressLevel) -> tuple[int, tuple[str, ...]]:
    """Depth (1 for a root) and the names from the root down to ``level``."""
    names = [level.name or level.level_id]
    levels = state.levels
    parent_id = level.parent_id
    while parent_id is not None:
        parent = levels.get(parent_id)
        if parent is None:
            break
        names.append(parent.name or parent.level_id)
        parent_id = parent.parent_id
    names.reverse()
    return len(names), tuple(names)


class TransitionTracker:
    """Remembers, per operation, which levels were reported started or ended."""

    def __init__(self) -> None:
        self._cursors: dict[str, tuple[ProgressState, ChangeCursor]] = {}

    def changes(self, state: ProgressState) -> list[Transition]:
        """Transitions since the previous call for this operation, in time order."""
        op_id = state.operation_id
        entry = self._cursors.get(op_id)
        if entry is None or entry[0] is not state:
            entry = self._cursors[op_id] = (state, ChangeCursor(_no_fingerprint))
        found = entry[1].poll(state)
        out: list[Transition] = []
        for level in found.new:
            depth, path = _place(state, level)
            out.append(Transition("started", level, depth, path))
            if level.is_finished:
                out.append(Transition("ended", level, depth, path))
        for level in found.ended:
            depth, path = _place(state, level)
            out.append(Transition("ended", level, depth, path))
        out.sort(key=_chronological)
        return out

    def forget(self, operation_id: str) -> None:
        """Drop what was remembered about a finished operation."""
        self._cursors.pop(operation_id, None)


def _chronological(item: Transition) -> tuple[float, int, int]:
    """Order by the time it happened; parents start first and end last."""
    level = item.level
    if item.kind == "started":
        when = level.started_at
        return (0.0 if when is None else when.timestamp(), 0, item.depth)
    when = level.completed_at
    return (0.0 if when is None else when.timestamp(), 1, -item.depth)

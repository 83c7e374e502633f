"""Which levels started or ended since the last look.

Throttled listeners see coalesced snapshots, so a short level may start and
end between two of them. Line-oriented outputs still want one line per
level start and end; this tracker diffs the tree against what it reported
before. Finished subtrees are walked once and then skipped, so the cost of a
look follows the running part of the tree, not its whole history.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ProgressLevel, ProgressState

__all__ = ["Transition", "TransitionTracker"]


@dataclass(frozen=True)
class Transition:
    """A level seen for the first time (``started``) or seen finished (``ended``)."""

    kind: str
    level: ProgressLevel
    depth: int
    path: tuple[str, ...]


class TransitionTracker:
    """Remembers, per operation, which levels were reported started or ended."""

    def __init__(self) -> None:
        self._started: dict[str, set[str]] = {}
        self._ended: dict[str, set[str]] = {}

    def changes(self, state: ProgressState) -> list[Transition]:
        """Transitions since the previous call for this operation, tree order."""
        op_id = state.operation_id
        started = self._started.setdefault(op_id, set())
        ended = self._ended.setdefault(op_id, set())
        out: list[Transition] = []
        levels = state.levels
        stack: list[tuple[ProgressLevel, int, tuple[str, ...]]] = [
            (levels[i], 1, ()) for i in reversed(list(state.root_level_ids)) if i in levels
        ]
        while stack:
            level, depth, parents = stack.pop()
            level_id = level.level_id
            if level_id in ended:
                continue
            path = (*parents, level.name or level_id)
            if level_id not in started:
                started.add(level_id)
                out.append(Transition("started", level, depth, path))
            finished = level.is_finished
            children = list(level.children.values())
            stack.extend((kid, depth + 1, path) for kid in reversed(children))
            if finished:
                ended.add(level_id)
                out.append(Transition("ended", level, depth, path))
        out.sort(key=_chronological)
        return out

    def forget(self, operation_id: str) -> None:
        """Drop what was remembered about a finished operation."""
        self._started.pop(operation_id, None)
        self._ended.pop(operation_id, None)


def _chronological(item: Transition) -> tuple[float, int, int]:
    """Order by the time it happened; parents start first and end last."""
    level = item.level
    if item.kind == "started":
        when = level.started_at
        return (0.0 if when is None else when.timestamp(), 0, item.depth)
    when = level.completed_at
    return (0.0 if when is None else when.timestamp(), 1, -item.depth)

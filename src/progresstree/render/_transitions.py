"""Which levels started or ended since the last look.

Throttled listeners see coalesced snapshots, so a short level may start and
end between two of them. Line-oriented outputs still want one line per
level start and end; this tracker reads them off a change cursor per
operation (``_changes.py``), so a look costs the new and open levels only,
never the finished part of the tree.

A job of empty levels can finish tens of thousands of them between two
looks, and a line for each would cost the job many times its own time. So
a look may be *brief*: of the levels that started and completed between two
looks, only the first ``brief`` are reported one by one and the rest are
counted per level type (``Look.folded``). Nothing else is ever folded: a
level seen open gets its end reported, and a failed or cancelled level is
always reported, so a long job and every failure read exactly as before.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .._changes import ChangeCursor
from ..models import ProgressLevel, ProgressState, ProgressStatus

__all__ = ["Look", "Transition", "TransitionTracker", "check_short_levels"]

_COMPLETED = ProgressStatus.COMPLETED


@dataclass(frozen=True)
class Transition:
    """A level seen for the first time (``started``) or seen finished (``ended``)."""

    kind: str
    level: ProgressLevel
    depth: int
    path: tuple[str, ...]


def check_short_levels(value: object) -> int | None:
    """A listener's ``short_levels``: None or an int >= 0 (a clear error when built)."""
    if value is None or (type(value) is int and value >= 0):
        return value
    msg = f"short_levels must be None or an int >= 0, got {value!r}"
    raise ValueError(msg)


@dataclass
class Look:
    """One look: the transitions in time order, and the short levels counted only."""

    transitions: list[Transition] = field(default_factory=list)
    folded: dict[str, int] = field(default_factory=dict)  # level type -> count

    @property
    def folded_count(self) -> int:
        """How many completed levels were counted instead of reported."""
        return sum(self.folded.values())


def _no_fingerprint(level: ProgressLevel) -> None:
    return None  # only starts and ends matter here


def _fold_rest(new: list[ProgressLevel], start: int, folded: dict[str, int]) -> bool:
    """Count ``new[start:]`` into ``folded`` if all completed (else count nothing).

    The usual case of a job of many short levels; a comprehension and a
    C-level count cost a fraction of a loop body per level.
    """
    rest = new[start:]
    kinds = [level.level_type for level in rest if level.status is _COMPLETED]
    if len(kinds) != len(rest):
        return False
    first = kinds[0]
    if kinds.count(first) == len(kinds):
        folded[first] = folded.get(first, 0) + len(kinds)
    else:
        for kind, count in Counter(kinds).items():
            folded[kind] = folded.get(kind, 0) + count
    return True


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

    def changes(
        self,
        state: ProgressState,
        *,
        brief: int | None = None,
        max_depth: int | None = None,
    ) -> Look:
        """Transitions since the previous call for this operation, in time order.

        ``brief``: how many levels that started and completed since the
        previous look are reported one by one (None: all); the others are
        counted in ``Look.folded``. ``max_depth``: such short levels deeper
        than this are neither reported nor use up ``brief`` (the reader
        drops them anyway); once ``brief`` is used up they are counted too.
        """
        op_id = state.operation_id
        entry = self._cursors.get(op_id)
        if entry is None or entry[0] is not state:
            entry = self._cursors[op_id] = (state, ChangeCursor(_no_fingerprint))
        found = entry[1].poll(state)
        look = Look()
        out = look.transitions
        folded = look.folded
        room = brief
        new = found.new
        # Seen open by the poll: its end comes with a later look, even if it
        # ended since (reporting or counting it now too would do it twice).
        seen_open = {id(level) for level in found.opened}
        for index, level in enumerate(new):
            if seen_open and id(level) in seen_open:
                depth, path = _place(state, level)
                out.append(Transition("started", level, depth, path))
                continue
            # A completed status is written after the end time: finished for sure.
            if level.status is _COMPLETED and room is not None:
                if room <= 0:
                    if not seen_open and _fold_rest(new, index, folded):
                        break
                    kind = level.level_type
                    folded[kind] = folded.get(kind, 0) + 1
                    continue
                depth, path = _place(state, level)
                if max_depth is not None and depth > max_depth:
                    continue
                room -= 1
            else:
                depth, path = _place(state, level)
            out.append(Transition("started", level, depth, path))
            if level.is_finished:
                out.append(Transition("ended", level, depth, path))
        for level in found.ended:
            depth, path = _place(state, level)
            out.append(Transition("ended", level, depth, path))
        out.sort(key=_chronological)
        return look

    def forget(self, operation_id: str) -> None:
        """Drop what was remembered about a finished operation."""
        self._cursors.pop(operation_id, None)


def _chronological(item: Transition) -> tuple[float, int, int]:
    """Order by the time it happened; parents start first and end last."""
    level = item.level
    if item.kind == "started":
        when = level.started_monotonic
        return (0.0 if when is None else when, 0, item.depth)
    when = level.completed_monotonic
    return (0.0 if when is None else when, 1, -item.depth)

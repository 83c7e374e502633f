"""Per-status counts of an operation's levels, settled once per level.

``get_overall_progress()`` used to visit every root level, and every level
below a running root, on each call; a listener asks for it per record, so a
job of n levels paid O(n) per event. A :class:`Tally` keeps, for the roots
and for each running level it was asked about, how many children it has
seen, how many ended with each status, and which are still open. A read
settles only what changed since the previous one: children appended since
(found from the end of the insertion-ordered containers), and the open ones,
each of which is settled exactly once when it is seen finished. So a read
costs O(open levels on the running path + levels new since the last read),
and the tracked work pays nothing: levels are counted when a reader looks,
not when they end.

A finished level's fraction is 1 (SPEC 2), so a parent's share of finished
children is their count; only running children need their own fraction.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import ProgressLevel, ProgressState

__all__ = ["ChildView", "Tally", "levels_after"]

_RECENT = 16  # finished levels remembered per parent (for the bounded tree)
_OPEN = frozenset({"running", "pending"})
_COMPLETED: Any = "completed"  # equal to ProgressStatus.COMPLETED, a str enum


def levels_after(children: Mapping[str, ProgressLevel], seen: int) -> tuple[int, list[Any]]:
    """``(length, values appended after the first seen)`` of an append-only dict.

    Reads from the end, so the cost follows what is new, not the dict's
    size. A concurrent insert (another thread, whose turn can come even
    inside the C-level copy when it triggers a collection that runs gc
    callbacks) is noticed, by the iterator or by reading the length again,
    and the read is retried.
    """
    while True:
        size = len(children)
        if size <= seen:
            return size, []
        values: Any = dict.values(children)  # type: ignore[arg-type]
        try:
            tail: list[Any] = list(islice(reversed(values), size - seen))
        except RuntimeError:
            # "changed size during iteration": the copy allocates, a collection
            # may run Python code (gc callbacks), and another thread may then
            # insert. Read again.
            continue
        if len(children) == size:
            tail.reverse()
            return size, tail


def _plain(level: ProgressLevel) -> float:
    """What a child adds below a running parent, from its own counters."""
    status = level.status
    if status != "running":
        return 0.0 if status == "pending" else 1.0
    total = level.total
    own = level.current / total if total > 0 else 0.0
    return 1.0 if own > 1.0 else own


class _Node:
    """The settled children of one parent (the operation's roots or a level)."""

    __slots__ = ("counts", "done", "failed", "open", "seen")

    def __init__(self) -> None:
        self.seen = 0
        self.open: list[ProgressLevel] = []
        self.counts = {"completed": 0, "failed": 0, "cancelled": 0}
        self.done: deque[ProgressLevel] = deque(maxlen=_RECENT)
        self.failed: deque[ProgressLevel] = deque(maxlen=_RECENT)


class Tally:
    """Settled counts of one operation; every method is thread-safe."""

    __slots__ = ("_lock", "_nodes", "_roots")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._roots = _Node()
        self._nodes: dict[int, _Node] = {}  # by id() of a running level

    # -- settling ---------------------------------------------------------------

    def _drop(self, level: ProgressLevel) -> None:
        """Forget ``level``'s node and those of its open descendants (no recursion)."""
        nodes = self._nodes
        stack = [level]
        while stack:
            node = nodes.pop(id(stack.pop()), None)
            if node is not None:
                stack.extend(node.open)

    def _settle(self, node: _Node, new: Sequence[ProgressLevel]) -> _Node:
        """Count the open and new children that ended; keep the others open.

        A child counts by its status, the first field its end writes (the
        old recount read the same field): a terminal status never changes.
        """
        nodes = self._nodes
        still: list[ProgressLevel] = []
        done: list[ProgressLevel] = []
        failed: list[ProgressLevel] = []
        if not node.open and [kid.status for kid in new].count(_COMPLETED) == len(new):
            done = list(new)  # the common case, counted without a loop body
        else:
            for group in (node.open, new):
                for kid in group:
                    status = kid.status
                    if status == "completed":
                        done.append(kid)
                    elif status in _OPEN:
                        still.append(kid)
                    else:
                        failed.append(kid)
        counts = node.counts
        if done:
            counts["completed"] += len(done)
            node.done.extend(done[-_RECENT:])
        if failed:
            for kid in failed:
                counts[kid.status.value] = counts.get(kid.status.value, 0) + 1
            node.failed.extend(failed[-_RECENT:])
        if nodes:
            for kid in (*done, *failed):
                if id(kid) in nodes:
                    self._drop(kid)
        node.open = still
        return node

    def _root_node(self, state: ProgressState) -> _Node:
        node = self._roots
        ids = state.root_level_ids
        if len(ids) < node.seen:  # a root was moved under its parent: count again
            node = self._roots = _Node()
        levels = state.levels
        new_ids = ids[node.seen :]
        node.seen += len(new_ids)
        found = list(map(levels.get, new_ids))
        if found.count(None):  # a root listed before its record is visible
            return self._settle(node, [level for level in found if level is not None])
        return self._settle(node, found)  # type: ignore[arg-type]  # no None in it

    def _level_node(self, level: ProgressLevel) -> _Node:
        node = self._nodes.get(id(level))
        children = level.children
        if node is None or len(children) < node.seen:
            node = self._nodes[id(level)] = _Node()
        if not children:
            return node
        node.seen, new = levels_after(children, node.seen)
        return self._settle(node, new)

    def _fraction(self, level: ProgressLevel, memo: dict[int, float] | None = None) -> float:
        """The rule of ``models.progress`` for a running level, from settled counts.

        Running descendants with children are settled bottom-up with an
        explicit stack (no recursion, whatever the depth); below a running
        level a finished child counts 1 and a pending one 0.
        """
        if level.status != "running" or not level.children:
            return _plain(level)
        found: dict[int, float] = {} if memo is None else memo
        if id(level) in found:
            return found[id(level)]
        stack: list[tuple[ProgressLevel, _Node | None]] = [(level, None)]
        while stack:
            parent, node = stack[-1]
            if node is None:
                node = self._level_node(parent)
                stack[-1] = (parent, node)
                deeper = [
                    kid
                    for kid in node.open
                    if kid.status == "running" and kid.children and id(kid) not in found
                ]
                if deeper:
                    stack.extend((kid, None) for kid in deeper)
                    continue
            stack.pop()
            done = float(sum(node.counts.values()))
            for kid in node.open:
                value = found.get(id(kid))
                done += _plain(kid) if value is None else value
            total = parent.total
            own = parent.current / total if total > 0 else 0.0
            own = max(own, done / max(total, node.seen))
            found[id(parent)] = 1.0 if own > 1.0 else own
        return found[id(level)]

    def recount(self, parent: ProgressLevel | None) -> None:
        """Forget what was settled below ``parent`` (the roots for None).

        For the rare removal of a child (a merged placeholder moving under
        its real parent): settling only follows appends, and a removal
        followed by an append would keep the length it had seen.
        """
        with self._lock:
            if parent is None:
                self._roots = _Node()
            else:
                self._drop(parent)

    # -- reading ----------------------------------------------------------------

    def roots(self, state: ProgressState) -> tuple[dict[str, int], float, int, int]:
        """``(finished counts, summed fraction, running, present)`` of the roots."""
        with self._lock:
            node = self._root_node(state)
            finished = sum(node.counts.values())
            done = float(finished)
            running = 0
            for level in node.open:
                if level.status == "running":
                    running += 1
                    done += self._fraction(level)
            return dict(node.counts), done, running, finished + len(node.open)

    def fraction(self, level: ProgressLevel, memo: dict[int, float] | None = None) -> float:
        """``level.fraction()``, settling its children instead of visiting them all.

        ``memo`` (by ``id``, shared by the rows of one frame) lets a reader of
        many levels of one tree settle each running subtree once.
        """
        with self._lock:
            return self._fraction(level, memo)

    def __reduce__(self) -> tuple[type[Tally], tuple[()]]:
        # A copied or pickled state starts counting afresh (a lock cannot be pickled).
        return (Tally, ())

    def children(self, state: ProgressState, level: ProgressLevel | None) -> ChildView:
        """The settled children of ``level`` (the roots for None), for drawing."""
        with self._lock:
            if level is None:
                node = self._root_node(state)
            elif level.is_finished:
                node = _Node()
            else:
                node = self._level_node(level)
            return ChildView(
                node.seen,
                tuple(node.open),
                dict(node.counts),
                tuple(node.done),
                tuple(node.failed),
            )


class ChildView:
    """A consistent copy of one parent's settled children."""

    __slots__ = ("counts", "done", "failed", "open", "total")

    def __init__(
        self,
        total: int,
        open_: Sequence[ProgressLevel],
        counts: dict[str, int],
        done: Sequence[ProgressLevel],
        failed: Sequence[ProgressLevel],
    ) -> None:
        self.total = total
        self.open = open_
        self.counts = counts
        self.done = done  # most recent completed, oldest first
        self.failed = failed  # most recent failed or cancelled, oldest first

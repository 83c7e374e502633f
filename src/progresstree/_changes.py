"""What changed in an operation's tree since a reader's last look.

Every consumer that turns the tree into a stream of changes (the JSON-lines
and plain outputs, ``watch --json``, the relays that ship progress to other
processes, the OpenTelemetry bridge) asks the same question on each flush:
which levels are new, which open ones changed, which ended? A
:class:`ChangeCursor` answers it in O(new levels + open levels):

* new levels are read from the end of ``state.levels``, which only grows
  and keeps insertion order (see ``_tally.levels_after``);
* the levels the cursor saw open are re-checked, each compared with the
  fingerprint taken when it was last reported; a level seen finished is
  reported once and forgotten.

Finished levels are never looked at again, so a flush does not grow with
the size of the tree. The tracked work pays nothing for it: a cursor reads
the tree only when its consumer flushes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._tally import levels_after
from .models import ProgressStatus

if TYPE_CHECKING:
    from .models import ProgressLevel, ProgressState

__all__ = ["ChangeCursor", "Changes", "default_fingerprint"]

Fingerprint = Callable[["ProgressLevel"], Any]
_COMPLETED = ProgressStatus.COMPLETED


def default_fingerprint(level: ProgressLevel) -> tuple[Any, ...]:
    """The fields whose change counts as a change: status, counters, texts."""
    return (level.status, level.current, level.total, level.message, level.name, level.error)


class Changes:
    """One poll's answer; each list in the order the levels were opened.

    ``new``: levels inserted since the previous poll (some may have ended
    already: check ``is_finished``). ``changed``: levels reported before,
    still open, whose fingerprint differs. ``ended``: levels reported open
    before and finished now. ``opened``: the new levels this poll saw open
    (a later poll reports their end, even if they have ended meanwhile: a
    reader must not also treat them as finished now, or it counts them twice).
    """

    __slots__ = ("changed", "ended", "new", "opened")

    def __init__(
        self,
        new: list[ProgressLevel],
        changed: list[ProgressLevel],
        ended: list[ProgressLevel],
        opened: list[ProgressLevel] | None = None,
    ) -> None:
        self.new = new
        self.changed = changed
        self.ended = ended
        self.opened = [] if opened is None else opened

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.ended)


class ChangeCursor:
    """A mark in one operation's stream of level changes (one per consumer).

    Not thread-safe on its own: a consumer polls from one thread at a time
    (all current consumers hold their own lock around it).
    """

    __slots__ = ("_fingerprint", "_open", "_seen")

    def __init__(self, fingerprint: Fingerprint = default_fingerprint) -> None:
        self._fingerprint = fingerprint
        self._seen = 0
        self._open: dict[str, tuple[ProgressLevel, Any]] = {}

    @property
    def open_count(self) -> int:
        """How many levels the cursor watches (seen and not yet finished)."""
        return len(self._open)

    def last(self, level: ProgressLevel) -> Any:
        """The fingerprint last taken of an open ``level`` (None if not watched)."""
        entry = self._open.get(level.level_id)
        return None if entry is None or entry[0] is not level else entry[1]

    def poll(self, state: ProgressState) -> Changes:
        """The changes since the previous poll, and a new mark after them."""
        fingerprint = self._fingerprint
        watched = self._open
        changed: list[ProgressLevel] = []
        ended: list[ProgressLevel] = []
        for level_id, (level, seen) in list(watched.items()):
            if level.is_finished:
                del watched[level_id]
                ended.append(level)
                continue
            now = fingerprint(level)
            if now != seen:
                watched[level_id] = (level, now)
                changed.append(level)
        self._seen, new = levels_after(state.levels, self._seen)
        # A completed status is written after the end time, so a completed
        # level is finished; the usual poll finds only those, and a
        # comprehension passes over them cheaper than a loop body.
        opened: list[ProgressLevel] = []
        for level in [level for level in new if level.status is not _COMPLETED]:
            if not level.is_finished:
                watched[level.level_id] = (level, fingerprint(level))
                opened.append(level)
        return Changes(new, changed, ended, opened)

"""Plain-line output: one readable line per significant event.

For logs, CI and pipes: no colour, no cursor movement, nothing but text and
newlines. A line is written when an operation starts or ends, when a level
down to ``max_depth`` starts or ends, when any level fails where the failure
began, and at most every ``progress_every`` seconds with the overall
percentage.

Lines cost far more than empty levels: of the levels that start and
complete between two writes, the first ``short_levels`` get their lines and
the others one count line (``+ 8,123 more levels completed``), so a job of
many tiny levels is not slowed down by its log. Levels that were running at
a write, and failures, always get their lines.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from .._text import printable
from ..models import ProgressState, ProgressStatus
from ._format import fmt_duration
from ._transitions import Look, Transition, TransitionTracker, check_short_levels

__all__ = ["PlainListener"]

_TERMINAL = frozenset({"completed", "failed", "cancelled"})
_ENDINGS = {
    ProgressStatus.COMPLETED: "done",
    ProgressStatus.FAILED: "FAILED",
    ProgressStatus.CANCELLED: "cancelled",
    ProgressStatus.RUNNING: "ended",
    ProgressStatus.PENDING: "skipped",
}


def _folded(look: Look) -> str:
    """``+ 8,123 more levels completed (action 8,000, song 123)``."""
    parts = sorted(look.folded.items(), key=lambda item: -item[1])
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in parts)
    return f"+ {look.folded_count:,} more levels completed ({kinds})"


class PlainListener:
    """A store listener writing plain lines to ``stream`` (stdout by default).

    ``max_depth``: deepest level whose begin and end get a line (failures
    get theirs at any depth). ``progress_every``: seconds between progress
    lines. ``short_levels``: of the levels that began and completed since
    the previous write, how many get their lines (the others one count
    line); None writes every one.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        max_depth: int = 2,
        progress_every: float = 1.0,
        short_levels: int | None = 10,
    ) -> None:
        self.stream = stream
        self.max_depth = max_depth
        self.short_levels = check_short_levels(short_levels)
        self.progress_every = progress_every
        self._lock = threading.Lock()
        self._tracker = TransitionTracker()
        self._last_progress: dict[str, float] = {}

    def __call__(self, event: str, state: ProgressState) -> None:
        """Store listener: write the lines this event deserves."""
        with self._lock:
            lines = self.lines(event, state)
            if lines:
                out = self.stream or sys.stdout
                out.write("".join(line + "\n" for line in lines))
                out.flush()

    def lines(self, event: str, state: ProgressState) -> list[str]:
        """The lines for one event (without writing them)."""
        stamp = f"[{state.get_elapsed_seconds():7.1f}s]"
        out: list[str] = []
        if event == "started":
            out.append(f"{stamp} start {state.name} ({state.operation_type})")
        look = self._tracker.changes(state, brief=self.short_levels, max_depth=self.max_depth)
        for change in look.transitions:
            line = self._transition(change)
            if line:
                out.append(f"{stamp} {line}")
        if look.folded:
            out.append(f"{stamp}   {_folded(look)}")
        if event in _TERMINAL:
            out.append(f"{stamp} {self._summary(event, state)}")
            self._tracker.forget(state.operation_id)
            self._last_progress.pop(state.operation_id, None)
        elif event == "updated":
            elapsed = state.get_elapsed_seconds()
            last = self._last_progress.get(state.operation_id, 0.0)
            if elapsed - last >= self.progress_every:
                self._last_progress[state.operation_id] = elapsed
                out.append(f"{stamp} {self._progress(state)}")
        return [printable(line) for line in out]  # names may come from elsewhere

    def _transition(self, change: Transition) -> str | None:
        level = change.level
        label = f"{level.level_type} {' / '.join(change.path)}"
        if change.kind == "started":
            return f"  begin {label}" if change.depth <= self.max_depth else None
        failed_here = level.status is ProgressStatus.FAILED and not any(
            kid.status is ProgressStatus.FAILED and kid.error == level.error
            for kid in level.children.values()
        )
        if change.depth > self.max_depth and not failed_here:
            return None
        ending = _ENDINGS[level.status]
        line = f"  {ending} {label} ({fmt_duration(level.get_elapsed_seconds())})"
        if level.status is ProgressStatus.FAILED:
            line += f": {level.error}"
        return line

    @staticmethod
    def _progress(state: ProgressState) -> str:
        overall = state.get_overall_progress()
        finished = overall["completed"] + overall["failed"] + overall["cancelled"]
        eta = overall["eta_seconds"]
        tail = f", eta {fmt_duration(eta)}" if eta else ""
        return (
            f"progress {state.name}: {overall['percentage']:.1f}% "
            f"({finished}/{overall['total']} done{tail})"
        )

    @staticmethod
    def _summary(event: str, state: ProgressState) -> str:
        overall = state.get_overall_progress()
        counts = ", ".join(
            f"{overall[key]} {key}" for key in ("completed", "failed", "cancelled") if overall[key]
        )
        line = f"end {state.name}: {event} in {state.get_duration_str()}"
        if counts:
            line += f" ({counts})"
        if state.error:
            line += f": {state.error}"
        return line

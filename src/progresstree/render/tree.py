"""One operation as a rich renderable: an aligned table drawn as a tree.

A ``rich.tree.Tree`` cannot align columns across depths, so the tree is a
grid whose first column carries the guide lines (``├─``, ``└─``, ``│``) and
whose other columns (bar, count, percentage, rate, ETA, elapsed, message)
line up for every level.

The picture has a bounded number of rows whatever the size of the tree:
per parent, the open levels first (running ones expanded), then the most
recent failures, then the most recent completed, then one count line
(``+ 19,873 completed``) for the rest. Which children are open, and how
many ended with each status, comes from the operation's tally
(``_tally.py``), which settles each level once, so drawing a frame costs
the rows drawn and the levels new since the last frame, not the tree.
Names, messages and errors are cut to a screen's worth before rich sees
them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .._tally import ChildView, Tally, levels_after
from .._text import printable
from ..models import ProgressLevel, ProgressState, ProgressStatus
from ._format import (
    clip,
    fmt_amount,
    fmt_duration,
    fmt_rate,
    level_counts,
    level_fraction,
)

__all__ = ["TreeOptions", "render_bar", "render_state", "render_states"]

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_ICONS = {
    ProgressStatus.PENDING: ("·", "dim"),
    ProgressStatus.COMPLETED: ("✓", "green"),
    ProgressStatus.FAILED: ("✗", "bold red"),
    ProgressStatus.CANCELLED: ("⊘", "yellow"),
}
_BAR_STYLES = {
    ProgressStatus.COMPLETED: "green",
    ProgressStatus.FAILED: "red",
    ProgressStatus.CANCELLED: "yellow",
}


@dataclass(frozen=True)
class TreeOptions:
    """How much of the tree to draw.

    ``collapse``: a finished level is one line, its children hidden.
    ``keep_completed``: the most recent completed children shown per parent;
    ``keep_failed``: the most recent failed or cancelled ones (both at most
    16); the others are counted in one ``+ n completed`` line.
    ``max_rows``: rows of levels drawn per operation, whatever the size of
    the tree (the rest is counted in a last line). ``bar_width``: characters
    of each bar. ``spinner_frame``: a fixed frame for running icons (None:
    follow the clock).
    """

    collapse: bool = True
    keep_completed: int = 3
    keep_failed: int = 5
    max_rows: int = 40
    bar_width: int = 20
    spinner_frame: int | None = None


def render_bar(fraction: float | None, width: int, style: str = "cyan") -> Text:
    """A bar of ``━`` (done) and ``─`` (left), readable without colour too.

    ``None`` (no total known) draws an empty dim bar.
    """
    text = Text(no_wrap=True)
    if fraction is None:
        text.append("─" * width, style="dim")
        return text
    fraction = min(max(fraction, 0.0), 1.0)
    halves = round(fraction * width * 2)
    full, half = divmod(halves, 2)
    text.append("━" * full, style=style)
    if half:
        text.append("╸", style=style)
    text.append("─" * (width - full - half), style="dim")
    return text


def _icon(status: ProgressStatus, frame: int) -> Text:
    if status is ProgressStatus.RUNNING:
        return Text(_SPINNER[frame % len(_SPINNER)], style="cyan")
    char, style = _ICONS[status]
    return Text(char, style=style)


def _table() -> Table:
    # The numbers keep their width; name and message give way when narrow:
    # rich only shrinks wrappable columns first, so those two are wrappable
    # while their cells (``_cell``) refuse to wrap and end with an ellipsis.
    table = Table.grid(padding=(0, 1))
    table.add_column(max_width=48)  # tree + name
    table.add_column(no_wrap=True)  # bar
    table.add_column(justify="right", no_wrap=True)  # count
    table.add_column(justify="right", no_wrap=True)  # percentage
    table.add_column(justify="right", no_wrap=True, style="magenta")  # rate
    table.add_column(justify="right", no_wrap=True, style="blue")  # eta
    table.add_column(justify="right", no_wrap=True, style="dim")  # elapsed
    table.add_column()  # message / error
    return table


def _cell(text: Text) -> Text:
    text.plain = printable(text.plain)  # names, messages, errors: no terminal controls
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


_PENDING_SHOWN = 3  # pending children drawn per parent; the others are counted
_FINISHED_KIDS = 1000  # children a finished row may look at for its own numbers


def _last(items: Sequence[ProgressLevel], count: int) -> list[ProgressLevel]:
    return list(items[max(len(items) - count, 0) :]) if count > 0 else []


def _plural_counts(parts: list[tuple[int, str]]) -> str:
    return " · ".join(f"{count:,} {what}" for count, what in parts if count)


class _Builder:
    """Adds one row per drawn level, depth first, up to ``options.max_rows``."""

    def __init__(self, options: TreeOptions, frame: int, state: ProgressState) -> None:
        self.state = state
        self.tally: Tally = state.tally
        self.options = options
        self.frame = frame
        self.table = _table()
        self.budget = max(options.max_rows, 1)
        self.skipped = 0
        self.memo: dict[int, float] = {}  # models.progress, per frame
        self.running: dict[int, float] = {}  # the tally's running fractions, per frame

    def operation_row(self, state: ProgressState) -> None:
        overall = state.get_overall_progress()
        fraction = overall["percentage"] / 100.0
        finished = overall["completed"] + overall["failed"] + overall["cancelled"]
        name = Text.assemble(_icon(state.status, self.frame), " ", (clip(state.name), "bold"))
        detail = Text()
        if state.error:
            detail.append(clip(state.error), style="red")
        else:
            for key, style in (("failed", "red"), ("cancelled", "yellow")):
                if overall[key]:
                    detail.append(f"{overall[key]:,} {key} ", style=style)
            if state.message:
                detail.append(clip(state.message), style="dim")
        eta = overall["eta_seconds"] if state.status is ProgressStatus.RUNNING else None
        self.table.add_row(
            _cell(name),
            render_bar(fraction, self.options.bar_width, _BAR_STYLES.get(state.status, "cyan")),
            f"{finished}/{fmt_amount(overall['total'])}",
            f"{overall['percentage']:5.1f}%",
            "",
            f"eta {fmt_duration(eta)}" if eta else "",
            fmt_duration(overall["elapsed_seconds"]),
            _cell(detail),
        )

    def _choose(self, view: ChildView) -> tuple[list[ProgressLevel], str]:
        """The children drawn for ``view`` and the count line for the others."""
        options = self.options
        running = [kid for kid in view.open if kid.status is ProgressStatus.RUNNING]
        pending = [kid for kid in view.open if kid.status is not ProgressStatus.RUNNING]
        shown_pending = pending[:_PENDING_SHOWN]
        failed = _last(view.failed, options.keep_failed)
        done = _last(view.done, options.keep_completed)
        counts = view.counts
        hidden_failed = counts.get("failed", 0) + counts.get("cancelled", 0) - len(failed)
        line = _plural_counts(
            [
                (counts.get("completed", 0) - len(done), "completed"),
                (hidden_failed, "failed or cancelled"),
                (len(pending) - len(shown_pending), "pending"),
            ]
        )
        return [*running, *shown_pending, *failed, *done], line

    def _frame(
        self, parent: ProgressLevel | None, prefix: str
    ) -> tuple[list[ProgressLevel], str, int, str]:
        """``(children drawn, count line, next index, prefix)`` below ``parent``."""
        if parent is not None and parent.is_finished:
            kids, line = self._finished_children(parent)
        else:
            kids, line = self._choose(self.tally.children(self.state, parent))
        return kids, line, 0, prefix

    def level_rows(self, parent: ProgressLevel | None, prefix: str) -> None:
        """Rows below ``parent``, depth first, with an explicit stack (any depth)."""
        stack = [self._frame(parent, prefix)]
        while stack:
            kids, line, index, prefix = stack.pop()
            if index < len(kids):
                if self.budget <= 0:
                    self.skipped += len(kids) - index
                    continue  # and no count line: the rows stop here
                stack.append((kids, line, index + 1, prefix))
                kid = kids[index]
                last = index == len(kids) - 1 and not line
                self.level_row(kid, prefix + ("└─ " if last else "├─ "))
                if kid.children and not (self.options.collapse and kid.is_finished):
                    stack.append(self._frame(kid, prefix + ("   " if last else "│  ")))
            elif line:
                self.count_row(prefix + "└─ ", f"+ {line}")

    def _finished_children(self, parent: ProgressLevel) -> tuple[list[ProgressLevel], str]:
        """The last children of a finished level (drawn when not collapsed)."""
        children = parent.children
        shown = max(self.options.keep_completed + self.options.keep_failed, 1)
        _, tail = levels_after(children, max(len(children) - shown, 0))
        hidden = len(children) - len(tail)
        return tail, (f"{hidden:,} earlier" if hidden > 0 else "")

    def count_row(self, branch: str, text: str) -> None:
        self.budget -= 1
        self.table.add_row(_cell(Text.assemble((branch, "dim"), (text, "dim green"))))

    def level_row(self, level: ProgressLevel, branch: str) -> None:
        self.budget -= 1
        status = level.status
        name = Text.assemble(
            (branch, "dim"),
            _icon(status, self.frame),
            " ",
            (
                clip(level.name or level.level_id),
                "bold" if status is ProgressStatus.RUNNING else "",
            ),
        )
        fraction, done, total = self._numbers(level)
        count = f"{fmt_amount(done)}/{fmt_amount(total)}" if total else ""
        if status is ProgressStatus.FAILED:
            detail = Text(clip(level.error or "failed"), style="red")
        elif status is ProgressStatus.CANCELLED:
            detail = Text(clip(level.message or "cancelled"), style="yellow")
        else:
            detail = Text(clip(level.message or ""), style="dim")
        eta = None
        if status is ProgressStatus.RUNNING and fraction is not None and 0.0 < fraction < 1.0:
            eta = level.get_elapsed_seconds() * (1.0 - fraction) / fraction
        elapsed = level.get_elapsed_seconds()
        rate = done / elapsed if total and done > 0 and elapsed >= 0.2 else None
        self.table.add_row(
            _cell(name),
            render_bar(fraction, self.options.bar_width, _BAR_STYLES.get(status, "cyan")),
            count,
            "" if fraction is None else f"{fraction * 100:5.1f}%",
            fmt_rate(rate),
            f"eta {fmt_duration(eta)}" if eta else "",
            fmt_duration(elapsed),
            _cell(detail),
        )

    def _numbers(self, level: ProgressLevel) -> tuple[float | None, float, float]:
        """``(fraction, done, total)`` of a row, without visiting every child.

        A running level's children come settled from the tally; a finished
        level with a huge number of children shows its own counters only.
        """
        children = level.children
        if level.status is ProgressStatus.RUNNING:
            if not children:
                if not level.total:
                    return None, float(level.current), 0.0
                return level_fraction(level, self.memo), float(level.current), float(level.total)
            fraction = self.tally.fraction(level, self.running)
            if level.current:
                return fraction, float(level.current), float(level.total)
            view = self.tally.children(self.state, level)
            done = float(view.counts.get("completed", 0))
            return fraction, done, float(max(level.total, view.total))
        if len(children) > _FINISHED_KIDS:
            # The count column shows the level's own counters (no walk of the
            # children); the bar and percentage stay the level's percentage.
            own = level_fraction(level, self.memo)
            return own, float(level.current), float(level.total)
        done, total = level_counts(level)
        return level_fraction(level, self.memo), done, total


def render_state(state: ProgressState, options: TreeOptions | None = None) -> Table:
    """The operation line and a bounded tree of its levels, as one rich table."""
    options = options or TreeOptions()
    frame = options.spinner_frame
    if frame is None:
        frame = int(time.monotonic() * 10)
    builder = _Builder(options, frame, state)
    builder.operation_row(state)
    builder.level_rows(None, "")
    if builder.skipped:
        builder.table.add_row(
            _cell(Text(f"… {builder.skipped:,} more rows (max_rows={options.max_rows})", "dim"))
        )
    return builder.table


def render_states(
    states: Iterable[ProgressState], options: TreeOptions | None = None
) -> RenderableType:
    """Several operations, one tree each, separated by a blank line."""
    parts: list[RenderableType] = []
    for state in states:
        if parts:
            parts.append(Text(""))
        parts.append(render_state(state, options))
    if not parts:
        return Text("waiting for progress…", style="dim")
    return Group(*parts)

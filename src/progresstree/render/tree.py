"""One operation as a rich renderable: an aligned table drawn as a tree.

A ``rich.tree.Tree`` cannot align columns across depths, so the tree is a
grid whose first column carries the guide lines (``├─``, ``└─``, ``│``) and
whose other columns (bar, count, percentage, rate, ETA, elapsed, message)
line up for every level. Finished subtrees collapse to their own line, and
only the last few completed siblings are kept, so a long job stays a
screenful; failures are always shown, with their error.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .._text import printable
from ..models import ProgressLevel, ProgressState, ProgressStatus
from ._format import (
    fmt_amount,
    fmt_duration,
    fmt_rate,
    level_counts,
    level_eta,
    level_fraction,
    level_rate,
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
    ``keep_completed``: completed siblings shown per parent (older ones are
    folded into a "… n more completed" line); failed and cancelled levels are
    always shown. ``bar_width``: characters of each bar. ``spinner_frame``:
    a fixed frame for running icons (None: follow the clock).
    """

    collapse: bool = True
    keep_completed: int = 3
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


def _visible_children(
    kids: Sequence[ProgressLevel], keep: int
) -> list[ProgressLevel | tuple[int, int]]:
    """Children to draw; a ``(hidden, total)`` marker stands for folded ones."""
    completed = [k for k in kids if k.status is ProgressStatus.COMPLETED]
    hidden = {id(k) for k in completed[: max(len(completed) - keep, 0)]}
    if not hidden:
        return list(kids)
    out: list[ProgressLevel | tuple[int, int]] = []
    marker_placed = False
    for kid in kids:
        if id(kid) in hidden:
            if not marker_placed:
                out.append((len(hidden), len(completed)))
                marker_placed = True
            continue
        out.append(kid)
    return out


class _Builder:
    """Adds one row per visible level, depth first."""

    def __init__(self, options: TreeOptions, frame: int) -> None:
        self.options = options
        self.frame = frame
        self.table = _table()
        self.memo: dict[int, float] = {}

    def operation_row(self, state: ProgressState) -> None:
        overall = state.get_overall_progress()
        fraction = overall["percentage"] / 100.0
        finished = overall["completed"] + overall["failed"] + overall["cancelled"]
        name = Text.assemble(_icon(state.status, self.frame), " ", (state.name, "bold"))
        detail = Text()
        if state.error:
            detail.append(state.error, style="red")
        else:
            for key, style in (("failed", "red"), ("cancelled", "yellow")):
                if overall[key]:
                    detail.append(f"{overall[key]} {key} ", style=style)
            if state.message:
                detail.append(state.message, style="dim")
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

    def level_rows(self, kids: Sequence[ProgressLevel], prefix: str) -> None:
        """Rows for ``kids`` and their subtrees, depth first, with an explicit stack."""
        keep = self.options.keep_completed
        stack = [(_visible_children(kids, keep), 0, prefix)]
        while stack:
            shown, index, prefix = stack.pop()
            if index >= len(shown):
                continue
            stack.append((shown, index + 1, prefix))
            item = shown[index]
            last = index == len(shown) - 1
            branch = prefix + ("└─ " if last else "├─ ")
            if isinstance(item, tuple):
                hidden, done = item
                text = f"… {hidden} more completed ({done} in all)"
                self.table.add_row(_cell(Text.assemble((branch, "dim"), (text, "dim green"))))
                continue
            self.level_row(item, branch)
            children = list(item.children.values())
            if children and not (self.options.collapse and item.is_finished):
                inner = prefix + ("   " if last else "│  ")
                stack.append((_visible_children(children, keep), 0, inner))

    def level_row(self, level: ProgressLevel, branch: str) -> None:
        status = level.status
        name = Text.assemble(
            (branch, "dim"),
            _icon(status, self.frame),
            " ",
            (level.name or level.level_id, "bold" if status is ProgressStatus.RUNNING else ""),
        )
        fraction = level_fraction(level, self.memo)
        done, total = level_counts(level)
        count = f"{fmt_amount(done)}/{fmt_amount(total)}" if total else ""
        if status is ProgressStatus.FAILED:
            detail = Text(f"{level.error or 'failed'}", style="red")
        elif status is ProgressStatus.CANCELLED:
            detail = Text(level.message or "cancelled", style="yellow")
        else:
            detail = Text(level.message or "", style="dim")
        eta = level_eta(level, self.memo)
        self.table.add_row(
            _cell(name),
            render_bar(fraction, self.options.bar_width, _BAR_STYLES.get(status, "cyan")),
            count,
            "" if fraction is None else f"{fraction * 100:5.1f}%",
            fmt_rate(level_rate(level)) if total else "",
            f"eta {fmt_duration(eta)}" if eta else "",
            fmt_duration(level.get_elapsed_seconds()),
            _cell(detail),
        )


def render_state(state: ProgressState, options: TreeOptions | None = None) -> Table:
    """The operation line and its tree of levels, as one rich table."""
    options = options or TreeOptions()
    frame = options.spinner_frame
    if frame is None:
        frame = int(time.monotonic() * 10)
    builder = _Builder(options, frame)
    builder.operation_row(state)
    levels = state.levels
    roots = [levels[i] for i in list(state.root_level_ids) if i in levels]
    builder.level_rows(roots, "")
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

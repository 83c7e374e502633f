"""The table printed when the demo ends, built from the store's history."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from .._text import printable
from ..models import ProgressState, ProgressStatus
from ..render import fmt_duration

__all__ = ["summary_table"]

_STYLES = {
    ProgressStatus.COMPLETED: "green",
    ProgressStatus.FAILED: "bold red",
    ProgressStatus.CANCELLED: "yellow",
    ProgressStatus.RUNNING: "cyan",
    ProgressStatus.PENDING: "dim",
}


def summary_table(state: ProgressState, planned: int) -> Table:
    """Per song: status, actions finished, duration and error.

    ``planned`` is the number of songs in the setlist: those never started
    (after a cancellation) are listed as ``not started``.
    """
    overall = state.get_overall_progress()
    caption = Text(
        f"{printable(state.name)}: {state.status.value} in {state.get_duration_str()} - "
        f"{overall['completed']} completed, {overall['failed']} failed, "
        f"{overall['cancelled']} cancelled"
    )
    table = Table(title="Setlist summary", caption=caption, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Song")
    table.add_column("Status")
    table.add_column("Actions", justify="right")
    table.add_column("Duration", justify="right")
    table.add_column("Error", overflow="fold")
    levels = state.levels
    roots = [levels[i] for i in state.root_level_ids if i in levels]
    for index, song in enumerate(roots, 1):
        actions = list(song.children.values())
        finished = sum(1 for a in actions if a.status is ProgressStatus.COMPLETED)
        table.add_row(
            str(index),
            Text(printable(song.name)),
            Text(song.status.value, style=_STYLES[song.status]),
            f"{finished}/{max(int(song.total), len(actions))}",
            fmt_duration(song.get_elapsed_seconds()),
            Text(printable(song.error or ""), style="red"),
        )
    for index in range(len(roots) + 1, planned + 1):
        table.add_row(str(index), "", Text("not started", style="dim"), "", "", "")
    return table

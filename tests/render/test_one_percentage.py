"""The bounded tree and the tally show each level's own ``percentage``, nothing else."""

from __future__ import annotations

import io
import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from progresstree import ProgressEventStore, ProgressState, ProgressStatus
from progresstree.render import TreeOptions, render_state

_ACTION = st.tuples(
    st.sampled_from(["add", "add", "add", "start", "update", "complete", "fail", "cancel", "read"]),
    st.integers(0, 40),  # picks a level (or a parent for "add")
    st.integers(0, 5),  # a small id
    st.integers(0, 8),  # an amount
)
_ROW = re.compile(r"^[\s│├└─]*\S (?P<name>n\S+) .*?(?P<pct>\d+\.\d)%")


def _rows(state: ProgressState) -> dict[str, float]:
    """Level name -> percentage as drawn, for every drawn level row."""
    options = TreeOptions(max_rows=10_000, keep_completed=16, keep_failed=16, collapse=False)
    console = Console(file=io.StringIO(), width=400, color_system=None, force_terminal=False)
    console.print(render_state(state, options))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    drawn = {}
    for line in text.splitlines()[1:]:
        found = _ROW.match(line)
        if found:
            drawn[found["name"]] = float(found["pct"])
    return drawn


def _check(state: ProgressState) -> None:
    for level in list(state.levels.values()):
        # What JSON lines, watch --json and OTel spans write: the same number.
        assert math.isclose(state.level_percentage(level), level.percentage, abs_tol=1e-9), (
            level.level_id
        )
        if level.status is ProgressStatus.RUNNING:
            # The tally's settled fraction of a running level is its percentage.
            fraction = state.tally.fraction(level)
            assert math.isclose(fraction * 100.0, level.percentage, abs_tol=1e-9), level.level_id
    drawn = _rows(state)
    by_name = {level.name: level for level in state.levels.values()}
    assert "nr" in drawn, "the root row is drawn"
    for name, shown in drawn.items():
        assert shown == float(f"{by_name[name].percentage:.1f}"), name


@settings(max_examples=60, deadline=None)
@given(actions=st.lists(_ACTION, min_size=1, max_size=60))
def test_every_drawn_row_shows_the_levels_percentage(
    actions: list[tuple[str, int, int, int]],
) -> None:
    store = ProgressEventStore()
    state = store.start_operation("job", "Job")
    store.add_level(state.operation_id, "r", "item", "nr", None, total=3)
    store.start_level(state.operation_id, "r")
    for kind, pick, small, amount in actions:
        ids = list(state.levels)
        target = ids[pick % len(ids)]
        if kind == "add":
            level_id = f"{target}:{small}"
            if level_id not in state.levels and not state.levels[target].is_finished:
                name = "n" + level_id.replace(":", ".")
                store.add_level(state.operation_id, level_id, "item", name, target, total=amount)
                if amount % 3:
                    store.start_level(state.operation_id, level_id)
        elif kind == "start":
            store.start_level(state.operation_id, target)
        elif kind == "update":
            store.update_level(state.operation_id, target, current=amount)
        elif kind == "complete":
            store.complete_level(state.operation_id, target)
        elif kind == "fail":
            store.fail_level(state.operation_id, target, "boom")
        elif kind == "cancel":
            store.cancel_level(state.operation_id, target)
        if kind == "read":
            _check(state)
    _check(state)

"""``render_state``: the tree, its bars, failures and collapsing."""

from __future__ import annotations

import re

import progresstree
from progresstree.render import TreeOptions, render_bar, render_state

from .conftest import fail_inside, text_of

FIXED = TreeOptions(spinner_frame=0)


def _row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if name in line)


def test_running_tree_shows_guides_bars_and_counts(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        op.set_total(2)
        with op.song("s1", "Intro") as song, song.action("a0", "normalise", total=8) as act:
            act.update(current=2, message="working")
            text = text_of(render_state(op.state, FIXED))
    lines = text.splitlines()
    assert "Gig" in lines[0]
    assert lines[1].startswith("└─ ⠋ Intro")
    assert lines[2].startswith("   └─ ⠋ normalise")
    row = _row(text, "normalise")
    assert "━━━━━─" in row  # 25% of a 20-character bar
    assert "2/8" in row
    assert "25.0%" in row
    assert "working" in row


def test_failed_level_shows_its_error_and_where_it_stopped(
    progress: progresstree.ProgressContext,
) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        with op.song("s1", "Hot song", total=4) as song:
            with song.action("a0", "synthesise"):
                pass
            try:
                with song.action("a1", "master"):
                    raise ValueError("clipping at 0.3 dBFS")
            except ValueError:
                pass
            song_level = song.progress_level
            assert song_level is not None
            progress.store.fail_level(op.operation_id, song_level.level_id, "clipping at 0.3 dBFS")
        text = text_of(render_state(op.state, FIXED))
    row = _row(text, "Hot song")
    assert "✗ Hot song" in row
    assert "clipping at 0.3 dBFS" in row
    assert "25.0%" in row  # one of four actions done: not a full bar
    assert "1/4" in row  # completed children only


def test_finished_subtree_collapses_to_one_line(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        with op.song("s1", "Done song") as song, song.action("a0", "deep action"):
            pass
        with op.song("s2", "Now playing") as now, now.action("a0", "live action"):
            text = text_of(render_state(op.state, FIXED))
    assert "Done song" in text
    assert "deep action" not in text
    assert "live action" in text


def test_collapse_can_be_turned_off(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        with op.song("s1", "Done song") as song, song.action("a0", "deep action"):
            pass
        text = text_of(render_state(op.state, TreeOptions(collapse=False, spinner_frame=0)))
    assert "deep action" in text


def test_old_completed_siblings_fold_into_one_line(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        for index in range(6):
            with op.song(index, f"song number {index}"):
                pass
        fail_inside(op, "boom")
        text = text_of(render_state(op.state, TreeOptions(keep_completed=2, spinner_frame=0)))
    assert "+ 4 completed" in text
    assert "song number 0" not in text
    assert "song number 4" in text
    assert "song number 5" in text


def test_failures_are_never_folded(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        fail_inside(op, "first failure")
        for index in range(5):
            with op.song(index, f"song {index}"):
                pass
        text = text_of(render_state(op.state, TreeOptions(keep_completed=1, spinner_frame=0)))
    assert "✗ analyse" in text
    assert "first failure" in text


def test_operation_line_shows_overall_percentage_and_eta(
    progress: progresstree.ProgressContext,
) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        op.set_total(4)
        with op.song("s1", "one"):
            pass
        with op.song("s2", "two"):
            text = text_of(render_state(op.state, FIXED))
    first = text.splitlines()[0]
    assert "1/4" in first
    assert "25.0%" in first
    assert re.search(r"eta \d", first)


def test_narrow_console_keeps_the_numbers(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "A rather long setlist name") as op:
        with op.song("s1", "A song with a long title") as song:
            song.update(current=1, total=4, message="a long message " * 5)
            text = text_of(render_state(op.state, FIXED), width=70)
    assert all(len(line) <= 70 for line in text.splitlines())
    assert "25.0%" in text
    assert "1/4" in text


def test_bar_without_total_is_empty() -> None:
    assert render_bar(None, 10).plain == "─" * 10
    assert render_bar(0.5, 10).plain == "━" * 5 + "─" * 5
    assert render_bar(1.0, 4).plain == "━" * 4


def test_rows_stay_bounded_whatever_the_size_of_the_tree(
    progress: progresstree.ProgressContext,
) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        for index in range(20_000):
            with op.song(index, f"song {index}"):
                pass
        for index in range(3):
            try:
                with op.song(f"bad{index}", f"bad song {index}"):
                    raise ValueError(f"boom {index}")
            except ValueError:
                pass
        with op.song("now", "Now playing") as now, now.action("a", "live action"):
            text = text_of(render_state(op.state, FIXED))
    lines = text.splitlines()
    assert len(lines) <= FIXED.max_rows + 2
    # Running first (with its path expanded), then failures, then the count.
    assert "Now playing" in lines[1]
    assert "live action" in lines[2]
    assert "+ 19,997 completed · 3 failed or cancelled" not in text
    assert "+ 19,997 completed" in lines[-1]
    for index in range(3):  # the recent failures, oldest first, with their error
        assert f"bad song {index}" in lines[3 + index]
        assert f"boom {index}" in lines[3 + index]


def test_max_rows_cuts_a_wide_running_tree(progress: progresstree.ProgressContext) -> None:
    with progress.setlist_processing("s", "Gig") as op:
        songs = [op.song(i, f"song {i}").__enter__() for i in range(100)]
        text = text_of(render_state(op.state, TreeOptions(max_rows=10, spinner_frame=0)))
        for song in reversed(songs):
            song.__exit__(None, None, None)
    lines = text.splitlines()
    assert len(lines) == 1 + 10 + 1
    assert "… 90 more rows (max_rows=10)" in lines[-1]


def test_running_parent_counts_its_children_from_the_tally(
    progress: progresstree.ProgressContext,
) -> None:
    with progress.setlist_processing("s", "Gig") as op, op.song("s", "Big song", total=10) as song:
        for index in range(5_000):
            with song.block(index, f"block {index}"):
                pass
        text = text_of(render_state(op.state, FIXED))
        assert "5000/5000" in _row(text, "Big song")
        assert "+ 4,997 completed" in text
        with song.block("x", "one more"):
            text = text_of(render_state(op.state, FIXED))
    assert "5000/5001" in _row(text, "Big song")
    assert "one more" in _row(text, "⠋ one more")


def test_a_huge_name_is_cut_before_rendering(progress: progresstree.ProgressContext) -> None:
    huge = "n" * 20_000_000
    with progress.setlist_processing("s", huge) as op, op.song("s", huge) as song:
        song.update(message="m" * 5_000_000)
        table = render_state(op.state, FIXED)
        cells = [str(cell) for column in table.columns for cell in column.cells]
    assert max(len(cell) for cell in cells) < 1_000
    assert any("nnnn…" in cell for cell in cells)

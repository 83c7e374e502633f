"""``PlainListener``: readable lines, nothing but text."""

from __future__ import annotations

import io

import progresstree
import progresstree.render

from .conftest import fail_inside


def _run(progress: progresstree.ProgressContext, **kwargs: int) -> str:
    out = io.StringIO()
    with progresstree.render.plain(progress.store, out, **kwargs):
        with progress.setlist_processing("s", "Gig") as op:
            op.set_total(2)
            with op.song("s1", "Opening") as song, song.action("a0", "mix") as action:
                with action.block("b0", "Deep block"):
                    pass
            with op.song("s2", "Hot one") as song:
                fail_inside(song, "clipping")
    return out.getvalue()


def test_lines_cover_start_levels_and_end(progress: progresstree.ProgressContext) -> None:
    lines = _run(progress).splitlines()
    assert "start Gig (setlist_processing)" in lines[0]
    assert any("begin song Opening" in line for line in lines)
    assert any("done action Opening / mix" in line for line in lines)
    assert "end Gig: completed" in lines[-1]


def test_levels_below_max_depth_are_quiet(progress: progresstree.ProgressContext) -> None:
    assert "Deep block" not in _run(progress)
    assert "Deep block" in _run(progress, max_depth=3)


def test_a_failure_is_reported_where_it_began(progress: progresstree.ProgressContext) -> None:
    text = _run(progress)
    assert "FAILED block Hot one / analyse / Pitch" in text  # depth 3, still shown
    assert "FAILED action Hot one / analyse (" in text
    assert text.count("clipping") == 2


def test_no_terminal_control_codes(progress: progresstree.ProgressContext) -> None:
    assert "\x1b" not in _run(progress)


def test_each_level_ends_once_in_time_order(progress: progresstree.ProgressContext) -> None:
    lines = _run(progress, max_depth=3).splitlines()
    ends = [line.split("]", 1)[1].split("(")[0].strip() for line in lines if " done " in line]
    assert ends == [
        "done block Opening / mix / Deep block",
        "done action Opening / mix",
        "done song Opening",
        "done song Hot one",
    ]

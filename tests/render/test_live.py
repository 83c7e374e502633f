"""``LiveRenderer``: a cheap listener and a live view of any store."""

from __future__ import annotations

import io
import subprocess
import sys

from rich.console import Console

import progresstree
import progresstree.render
from progresstree.render import LiveRenderer

from .conftest import text_of


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120, color_system="standard"), out


def test_import_progresstree_does_not_import_rich() -> None:
    code = "import sys, progresstree; print('rich' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_listener_only_remembers_the_state(progress: progresstree.ProgressContext) -> None:
    console, out = _console()
    view = LiveRenderer(progress.store, console=console)
    with progress.operation("job", "Job") as op:
        view("updated", op.state)
    assert view.dirty
    assert view.states() == [op.state]
    assert out.getvalue() == ""  # nothing drawn until the view runs


def test_live_view_draws_the_tree_and_leaves_the_final_picture(
    progress: progresstree.ProgressContext,
) -> None:
    console, out = _console()
    with progresstree.render.live(progress.store, console=console) as view:
        with progress.setlist_processing("s", "Gig") as op:
            with op.song("s1", "Opening") as song, song.action("a0", "mix"):
                pass
    assert "\x1b[" in out.getvalue()  # a terminal: drawn in place
    final = text_of(view.renderable())
    assert "✓ Gig" in final
    assert "Opening" in final
    assert "1/1" in final


def test_live_view_shows_operations_already_running(
    progress: progresstree.ProgressContext,
) -> None:
    console, _ = _console()
    with progress.operation("job", "Started before") as op:
        view = LiveRenderer(progress.store, console=console)
        with view:
            assert [s.operation_id for s in view.states()] == [op.operation_id]


def test_only_the_most_recent_finished_operations_stay(
    progress: progresstree.ProgressContext,
) -> None:
    console, _ = _console()
    with LiveRenderer(progress.store, console=console, keep_finished=2) as view:
        for index in range(4):
            with progress.operation("job", f"job {index}"):
                pass
    assert [s.name for s in view.states()] == ["job 2", "job 3"]


def test_live_view_is_removed_from_the_store_on_exit(
    progress: progresstree.ProgressContext,
) -> None:
    console, _ = _console()
    with LiveRenderer(progress.store, console=console):
        assert progress.store.has_listeners
    assert not progress.store.has_listeners


def test_default_store_is_the_global_one() -> None:
    console, _ = _console()
    view = LiveRenderer(console=console)
    assert view.store is progresstree.get_progress_store()


def test_a_frame_of_a_huge_flat_job_stays_a_screenful(
    progress: progresstree.ProgressContext,
) -> None:
    console, _ = _console()
    renderer = LiveRenderer(progress.store, console=console)
    with progress.setlist_processing("s", "Flat") as op:
        for index in range(30_000):
            with op.song(index, f"song {index}"):
                pass
        renderer("updated", op.state)
        text_of(renderer.renderable())  # the first frame settles what exists
        with op.song("now", "now playing"):
            renderer("updated", op.state)
            text = text_of(renderer.renderable())
    lines = text.splitlines()
    assert len(lines) <= renderer.options.max_rows + 2
    assert "now playing" in lines[1]
    assert "+ 29,997 completed" in lines[-1]

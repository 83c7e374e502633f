"""progresstree.ProcessPoolExecutor: one tree across worker processes."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

import pt_dist_workers as w
import pytest

import progresstree
from progresstree import ProcessPoolExecutor, get_progress_context
from progresstree.testing import RecordingListener

METHODS = ["fork", "spawn", "forkserver"]


@pytest.mark.parametrize("method", METHODS)
def test_setlist_songs_in_workers_actions_inside_make_one_tree(method: str) -> None:
    progress = get_progress_context()
    context = multiprocessing.get_context(method)
    with progress.setlist_processing("s1", "Setlist") as op:
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            futures = []
            for song in range(3):
                with op.song(song, f"song {song}"):
                    futures.append(pool.submit(w.process_song, song))
            assert [f.result() for f in futures] == [0, 10, 20]
        state = op.state
        for song in range(3):
            children = state.get_level(str(song)).children  # type: ignore[union-attr]
            assert list(children) == [f"{song}:a0", f"{song}:a1", f"{song}:a2"]
            for child in children.values():
                assert child.status.value == "completed"
                assert child.current == 5
        assert len(progress.get_active_operations()) == 1


def test_events_are_applied_before_the_result_is_available() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, ProcessPoolExecutor(2) as pool:
        for _ in range(5):
            result = pool.submit(w.process_song, 1, 1, 1).result()
            assert result == 10
            level = op.state.levels[list(op.state.levels)[-1]]
            assert level.status.value == "completed"


def test_worker_progress_reaches_parent_while_task_runs() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, ProcessPoolExecutor(1) as pool:
        future = pool.submit(w.slow_action, 1.5)
        started = time.monotonic()
        assert w.wait_until(lambda: op.state.get_level("slow") is not None, 5)
        level = op.state.get_level("slow")
        assert level is not None
        assert level.current == 1
        assert level.message == "half way"
        assert not future.done()
        assert time.monotonic() - started < 1.5
        assert future.result() == "done"


def test_parent_listeners_receive_worker_events() -> None:
    progress = get_progress_context()
    recorder = RecordingListener()
    progress.store.add_callback(recorder)
    with progress.operation("job") as op, ProcessPoolExecutor(1) as pool:
        pool.submit(w.process_song, 1, 1, 2).result()
    assert "updated" in recorder.types(op.operation_id)
    assert recorder.events[-1].event_type == "completed"


def test_worker_exception_fails_levels_and_future_raises_same_type() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, ProcessPoolExecutor(1) as pool:
        future = pool.submit(w.raise_key_error, "nope")
        with pytest.raises(KeyError, match="nope"):
            future.result()
        level = op.state.get_level("bad")
        assert level is not None
        assert level.status.value == "failed"
        assert level.error_details["exception_type"] == "KeyError"  # type: ignore[index]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_crashing_worker_fails_open_levels_and_nothing_hangs(method: str) -> None:
    progress = get_progress_context()
    started = time.monotonic()
    with progress.operation("job") as op, op.song("s", "song"):
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method))
        future = pool.submit(w.die_in_action, 3, 0.3)
        with pytest.raises(BrokenProcessPool):
            future.result(timeout=30)
        level = op.state.get_level("s:dying")
        assert level is not None
        assert level.status.value == "failed"
        assert level.error is not None
        assert level.error.startswith("worker process died")
        assert "exit code 3" in level.error
        assert level.error_details["exception_type"] == "BrokenProcessPool"  # type: ignore[index]
        pool.shutdown(wait=True)
    assert time.monotonic() - started < 30


def test_outside_any_level_behaves_as_the_base_class() -> None:
    with ProcessPoolExecutor(2) as pool:
        assert list(pool.map(w.plain_square, range(10))) == [x * x for x in range(10)]
        assert pool.submit(w.pid_and_token).result()[1] is None
    assert progresstree.get_progress_store().get_all_active() == []


def test_map_with_chunks_runs_under_the_submitting_level() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, ProcessPoolExecutor(2) as pool:
        with op.song("s", "song"):
            tokens = {t for _, t in pool.map(w.pid_and_token_of, range(6), chunksize=2)}
            assert tokens == {progresstree.current_token()}


def test_shutdown_wait_applies_all_events() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op:
        pool = ProcessPoolExecutor(2)
        for song in range(4):
            with op.song(song, "song"):
                pool.submit(w.process_song, song, 2, 3)
        pool.shutdown(wait=True)
        assert len(op.state.levels) == 4 + 4 * 2
        assert all(level.is_finished for level in op.state.levels.values())


def test_futures_work_with_wait_and_as_completed_and_cancel() -> None:
    with ProcessPoolExecutor(1) as pool:
        futures = [pool.submit(w.plain_square, x) for x in range(5)]
        done = {f.result() for f in concurrent.futures.as_completed(futures)}
        assert done == {0, 1, 4, 9, 16}
        blocker = pool.submit(w.slow_action, 0.5)
        queued = [pool.submit(w.plain_square, x) for x in range(20)]
        cancelled = [f for f in queued if f.cancel()]
        concurrent.futures.wait([blocker, *queued])
        assert all(f.cancelled() for f in cancelled)
        assert blocker.result() == "done"


def test_bad_initializer_is_rejected() -> None:
    with pytest.raises(TypeError, match="initializer must be callable"):
        ProcessPoolExecutor(1, initializer=42)  # type: ignore[arg-type]


def test_same_level_ids_from_successive_tasks_stay_distinct_levels() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, ProcessPoolExecutor(1) as pool:
        with op.song("s", "song"):
            for _ in range(3):
                pool.submit(w.tagged_song, 1).result()
        assert sorted(op.state.get_level("s").children) == ["s:t", "s:t#2", "s:t#3"]  # type: ignore[union-attr]


def test_many_tasks_of_one_level_keep_distinct_completed_levels() -> None:
    """A worker reuses and renews its mirror of the operation; no level is lost or merged."""
    progress = get_progress_context()
    with progress.operation("job") as op, ProcessPoolExecutor(1) as pool:
        with op.song("s", "song"):
            futures = [pool.submit(w.tagged_song, i) for i in range(150)]
            assert [f.result() for f in futures] == [f"song {i}" for i in range(150)]
        children = op.state.get_level("s").children  # type: ignore[union-attr]
        assert len(children) == 150
        assert all(child.status.value == "completed" for child in children.values())


def test_done_callbacks_see_the_tasks_levels() -> None:
    progress = get_progress_context()
    seen: list[bool] = []
    with progress.operation("job") as op, ProcessPoolExecutor(2) as pool:

        def check(level_id: str) -> Callable[[object], None]:
            def done(_: object) -> None:
                level = op.state.get_level(level_id)
                seen.append(level is not None and level.is_finished)

            return done

        for song in range(4):
            with op.song(song, "song"):
                future = pool.submit(w.process_song, song, 1, 2)
            future.add_done_callback(check(f"{song}:a0"))
    assert seen == [True] * 4


def test_tasks_of_two_operations_stay_in_their_trees() -> None:
    progress = get_progress_context()
    with (
        progress.operation("one") as first,
        progress.operation("two") as second,
        ProcessPoolExecutor(1) as pool,
    ):
        futures = []
        for op in (first, second, first, second):
            with op.song("s", "song"):
                futures.append(pool.submit(w.tagged_song, 1))
        for future in futures:
            future.result()
        assert sorted(first.state.levels) == ["s", "s#2", "s#2:t", "s:t"]
        assert sorted(second.state.levels) == ["s", "s#2", "s#2:t", "s:t"]

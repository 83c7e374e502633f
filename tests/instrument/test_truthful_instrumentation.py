"""Instrumentation never records what did not happen: loop exits, labels, typos, threads."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import warnings
from types import SimpleNamespace
from typing import Any

import pytest

import progresstree
from progresstree import current_level, track_progress, tracks

# -- how a level-mode loop was left ------------------------------------------------------


def _items(op: progresstree.OperationContext) -> dict[str, Any]:
    return {level.name: level for level in op.state.levels.values() if level.level_type == "item"}


def test_exception_caught_outside_the_loop_fails_the_item(progress):
    with progress.operation("job") as op, op.song("s", "Song"):
        try:
            for name in track_progress(["a", "b", "c"], level="item"):
                if name == "b":
                    raise ValueError("bad b")
        except ValueError as exc:
            caught = exc
        assert current_level().level_id == "s"
    items = _items(op)
    assert items["a"].status.value == "completed"
    assert items["b"].status.value == "failed"
    assert items["b"].error == str(caught)
    assert items["b"].error_details["exception_type"] == "ValueError"
    assert "bad b" in items["b"].error_details["traceback"]
    assert "c" not in items
    assert op.state.levels["s"].status.value == "completed"


def test_break_completes_the_item(progress):
    with progress.operation("job") as op, op.song("s", "Song"):
        for name in track_progress(["a", "b", "c"], level="item"):
            if name == "b":
                break
        assert current_level().level_id == "s"
        assert _items(op)["b"].status.value == "completed"


def test_return_from_the_loop_completes_the_item(progress):
    def first_big(numbers: list[int]) -> int:
        for number in track_progress(numbers, level="item"):
            if number > 1:
                return number
        return -1

    with progress.operation("job") as op, op.song("s", "Song"):
        assert first_big([1, 2, 3]) == 2
        assert _items(op)["2"].status.value == "completed"


def test_exception_caught_by_a_caller_inside_the_parent_fails_the_item(progress):
    def process(names: list[str]) -> None:
        for name in track_progress(names, level="item"):
            if name == "b":
                raise KeyError(name)

    with progress.operation("job") as op, op.song("s", "Song"):
        with pytest.raises(KeyError):
            process(["a", "b"])
        items = _items(op)
        assert items["b"].status.value == "failed"
        assert items["b"].error_details["exception_type"] == "KeyError"


def test_interrupt_caught_outside_the_loop_cancels_the_item(progress):
    with progress.operation("job") as op, op.song("s", "Song"):
        try:
            for _ in track_progress(["a"], level="item"):
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        assert _items(op)["a"].status.value == "cancelled"


def test_break_inside_an_except_block_still_completes(progress):
    with progress.operation("job") as op, op.song("s", "Song"):
        try:
            raise RuntimeError("handled before the loop")
        except RuntimeError:
            for _ in track_progress(["a", "b"], level="item"):
                break
        assert _items(op)["a"].status.value == "completed"


def test_no_trace_function_is_left_behind(progress):
    with progress.operation("job") as op, op.song("s", "Song"):
        for _ in track_progress(["a", "b"], level="item"):
            break
        try:
            for _ in track_progress(["c"], level="item"):
                raise ValueError("x")
        except ValueError:
            pass
        assert sys.gettrace() is None
    assert {level.status.value for level in _items(op).values()} == {"completed", "failed"}


def test_loop_inside_a_generator_closed_by_its_consumer_ends_the_item(progress):
    def produce() -> Any:
        # A loop, not ``yield from``: the loop's own frame is left by GeneratorExit.
        for name in track_progress(["a", "b", "c"], level="item"):  # noqa: UP028
            yield name

    with progress.operation("job") as op, op.song("s", "Song"):
        for name in produce():
            if name == "b":
                break
        assert current_level().level_id == "s"
        items = _items(op)
        assert items["a"].status.value == "completed"
        assert items["b"].is_finished
        assert sys.gettrace() is None


def test_exception_caught_by_a_suppressing_context_manager_fails_the_item(progress):
    import contextlib

    with progress.operation("job") as op, op.song("s", "Song"):
        with contextlib.suppress(ValueError):
            for _ in track_progress(["a"], level="item"):
                raise ValueError("suppressed")
        assert _items(op)["a"].status.value == "failed"


def test_an_uncaught_exception_fails_item_and_parents_alike(progress):
    with pytest.raises(ValueError), progress.operation("job") as op, op.song("s", "Song"):
        for _ in track_progress(["a"], level="item"):
            raise ValueError("up and out")
    assert _items(op)["a"].status.value == "failed"
    assert op.state.levels["s"].status.value == "failed"


def test_async_loop_left_by_a_caught_exception_fails_the_item(progress):
    async def numbers() -> Any:
        for number in range(3):
            yield number

    async def main() -> None:
        with progress.operation("job") as op, op.song("s", "Song"):
            try:
                async for number in track_progress(numbers(), level="item"):
                    if number == 1:
                        raise ValueError("async bad")
            except ValueError:
                pass
            items = _items(op)
            assert items["0"].status.value == "completed"
            assert items["1"].status.value == "failed"
            assert items["1"].error == "async bad"

    asyncio.run(main())


# -- labels never break a call ------------------------------------------------------------


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def test_name_whose_str_raises_never_breaks_the_call(progress):
    @tracks("song", name_from="song.title")
    def play(song: Any) -> str:
        return "played"

    with progress.operation("job") as op, pytest.warns(progresstree.PathWarning):
        assert play(SimpleNamespace(title=_Unprintable())) == "played"
    (level,) = op.state.levels.values()
    assert level.name == play.__qualname__
    assert "RuntimeError" in level.metadata["path_errors"]["name_from"]


def test_id_whose_str_raises_never_breaks_the_call(progress):
    @tracks("song", id_from="song.key")
    def play(song: Any) -> str:
        return "played"

    with progress.operation("job") as op, pytest.warns(progresstree.PathWarning):
        assert play(SimpleNamespace(key=_Unprintable())) == "played"
    (level,) = op.state.levels.values()
    assert level.level_id == "1"
    assert "id_from" in level.metadata["path_errors"]


def test_item_id_whose_str_raises_falls_back_to_the_index(progress):
    with progress.operation("job") as op, op.song("s", "Song"):
        for _ in track_progress([SimpleNamespace(key=_Unprintable())], level="item", id_from="key"):
            pass
    (item,) = _items(op).values()
    assert item.level_id == "s:0"
    assert "id_from" in item.metadata["path_errors"]


# -- typos are loud ---------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["idfrom", "name_form", "totl_from", "stage"])
def test_unknown_tracks_keywords_raise(keyword):
    with pytest.raises(TypeError, match=keyword):
        tracks("song", **{keyword: "song.id"})
    with pytest.raises(TypeError, match=keyword):
        tracks.operation("song", **{keyword: "song.id"})


def test_misspelt_keyword_gets_a_suggestion():
    with pytest.raises(TypeError, match="did you mean 'id_from'"):
        tracks("song", idfrom="song.id")


def test_constant_metadata_goes_in_metadata(progress):
    @tracks("song", metadata={"stage": "mix"})
    def play() -> None:
        pass

    with progress.operation("job") as op:
        play()
    (level,) = op.state.levels.values()
    assert level.metadata == {"stage": "mix"}
    with pytest.raises(TypeError, match="mapping"):
        tracks("song", metadata=["stage"])  # type: ignore[arg-type]


def test_a_failing_path_warns_once_per_function(progress):
    @tracks("song", id_from="song.idd")
    def play(song: Any) -> None:
        pass

    @tracks("song", id_from="song.idd")
    def sing(song: Any) -> None:
        pass

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with progress.operation("job") as op:
            for _ in range(3):
                play(SimpleNamespace(id=1))
            sing(SimpleNamespace(id=1))
    ours = [w for w in seen if issubclass(w.category, progresstree.PathWarning)]
    assert len(ours) == 2
    assert "'idd'" in str(ours[0].message)
    assert "id_from" in str(ours[0].message)
    assert ours[0].filename == __file__
    assert all("path_errors" in level.metadata for level in op.state.levels.values())


# -- thread pools ---------------------------------------------------------------------------


@pytest.fixture
def threads_instrumented() -> Any:
    progresstree.instrument_threads()
    try:
        yield
    finally:
        progresstree.uninstrument_threads()


def test_instrumented_thread_pool_nests_tracked_calls(store, progress, threads_instrumented):
    @tracks("task")
    def task(index: int) -> str | None:
        level = current_level()
        return None if level is None else level.parent.level_id

    with progress.operation("job") as op, op.song("s", "Song"):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            parents = list(pool.map(task, range(4)))
            parents.append(pool.submit(task, 4).result())
    assert parents == ["s"] * 5
    assert len(op.state.levels["s"].children) == 5
    assert store.get_history() == [op.state]


def test_instrumented_threads_nest_too(store, progress, threads_instrumented):
    seen: list[str | None] = []

    class Worker(threading.Thread):
        def run(self) -> None:  # a subclass overriding run is covered as well
            level = current_level()
            seen.append(None if level is None else level.level_id)

    with progress.operation("job"), progress.song("s", "Song"):
        plain = threading.Thread(target=lambda: seen.append(current_level().level_id))
        plain.start()
        plain.join()
        worker = Worker()
        worker.start()
        worker.join()
    assert seen == ["s", "s"]


def test_uninstrument_restores_the_originals(store, progress):
    submit = concurrent.futures.ThreadPoolExecutor.submit
    start = threading.Thread.start
    progresstree.instrument_threads()
    progresstree.instrument_threads()  # twice changes nothing
    assert concurrent.futures.ThreadPoolExecutor.submit is not submit
    progresstree.uninstrument_threads()
    progresstree.uninstrument_threads()
    assert concurrent.futures.ThreadPoolExecutor.submit is submit
    assert threading.Thread.start is start

    @tracks("task")
    def task() -> bool:
        return current_level().parent is None

    with progress.operation("job"), concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(task).result()  # a separate operation again


def test_progresstree_pool_is_not_wrapped_twice(store, progress, threads_instrumented):
    @tracks("task")
    def task() -> str:
        return current_level().parent.level_id

    with progress.operation("job"), progress.song("s", "Song"):
        with progresstree.ThreadPoolExecutor(1) as pool:
            assert pool.submit(task).result() == "s"

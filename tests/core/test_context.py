"""The context API: current level, nesting, exit rules, misuse."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable

import pytest

import progresstree
from progresstree import (
    LevelEndedError,
    LevelHandle,
    OperationCancelled,
    ProgressContext,
    ProgressEventStore,
    ProgressStatus,
    current_level,
)
from progresstree.testing import assert_tree


def test_operation_is_the_outermost_current_level(progress: ProgressContext) -> None:
    assert current_level() is None
    with progress.operation("op") as op:
        assert current_level() is op
        assert op.level_id is None
        with op.song("s", "S") as song:
            assert current_level() is song
            assert song.level_id == "s"
            assert song.operation_id == op.operation_id
            assert song.state is op.state
        assert current_level() is op
    assert current_level() is None


def test_context_methods_open_children_of_the_current_level(progress: ProgressContext) -> None:
    def deep_helper() -> None:
        with progress.action("a1", "Deep action") as action:
            action.update(message="deep")

    with progress.operation("op") as op:
        with op.song("s", "S"):
            deep_helper()
        state = op.state
    assert_tree(state, {"s": ("completed", {"a1": "completed"})}, exact=True)
    assert state.levels["s:a1"].message == "deep"


def test_level_without_current_starts_an_operation(progress: ProgressContext) -> None:
    with progress.song("s1", "Lonely song") as handle:
        assert handle.state.operation_type == "song"
        assert handle.state.name == "Lonely song"
    assert progress.get_history()[-1].operation_type == "song"


def test_block_execution_top_level_and_nested(progress: ProgressContext) -> None:
    with progress.block_execution("b1", "Top", block_type="T") as top:
        assert top.state.operation_type == "block_execution"
        with progress.block_execution("b2", "Inner", block_type="U") as inner:
            assert inner.state is top.state
            assert inner.level_id == "b2"
    state = progress.get_history()[-1]
    assert state.levels["b2"].level_type == "block"
    assert state.levels["b2"].metadata["block_type"] == "U"
    assert len(progress.get_history()) == 1


def test_setlist_processing_starts_its_own_operation(progress: ProgressContext) -> None:
    with progress.setlist_processing("set-1", "Gig") as op:
        assert op.state.operation_type == "setlist_processing"
        assert op.state.metadata["setlist_id"] == "set-1"


def test_current_level_of_another_store_is_ignored(progress: ProgressContext) -> None:
    other = progresstree.get_progress_context(ProgressEventStore())
    with other.operation("other"), progress.song("s", "S") as handle:
        assert handle.state.operation_type == "song"


def test_exception_propagates_as_the_same_object(progress: ProgressContext) -> None:
    error = KeyError("missing")
    with pytest.raises(KeyError) as caught:
        with progress.operation("op") as op, op.song("s", "S"):
            raise error
    assert caught.value is error
    assert caught.value.__traceback__ is not None
    state = progress.get_history()[-1]
    assert state.levels["s"].error == "'missing'"
    assert state.status is ProgressStatus.FAILED


def test_empty_exception_message_uses_the_type_name(progress: ProgressContext) -> None:
    with pytest.raises(RuntimeError), progress.operation("op") as op, op.song("s", "S"):
        raise RuntimeError
    level = progress.get_history()[-1].levels["s"]
    assert level.error == "RuntimeError"
    assert level.error_details is not None
    assert level.error_details["exception_type"] == "RuntimeError"


@pytest.mark.parametrize(
    "exc_type",
    [KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError],
)
def test_base_exceptions_cancel(progress: ProgressContext, exc_type: type[BaseException]) -> None:
    with pytest.raises(exc_type), progress.operation("op") as op, op.song("s", "S"):
        raise exc_type()
    state = progress.get_history()[-1]
    assert state.status is ProgressStatus.CANCELLED
    assert state.levels["s"].status is ProgressStatus.CANCELLED


def test_children_end_with_their_parent(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        song = op.song("s", "S").__enter__()
        song.action("a", "A").__enter__()
        op.song("t", "T").__enter__()
    state = progress.get_history()[-1]
    assert_tree(state, {"s": ("completed", {"a": "completed"}), "t": "completed"}, exact=True)


def test_failed_parent_fails_open_children_with_its_error(progress: ProgressContext) -> None:
    with pytest.raises(ValueError), progress.operation("op") as op:
        with op.song("s", "S") as song:
            song.action("a", "A").__enter__()
            raise ValueError("bad song")
    level = progress.get_history()[-1].levels["s:a"]
    assert (level.status, level.error) == (ProgressStatus.FAILED, "bad song")


def test_handle_used_after_end_raises_and_changes_nothing(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        with op.song("s", "S") as song:
            song.update(current=1)
        with pytest.raises(RuntimeError, match="'s'"):
            song.update(current=2)
        with pytest.raises(LevelEndedError, match="'s'"):
            song.increment()
        with pytest.raises(RuntimeError, match="'s'"):
            with song.action("a", "A"):
                pass
        assert op.state.levels["s"].current == 1
        assert list(op.state.levels) == ["s"]
    with pytest.raises(RuntimeError):
        op.update(message="late")
    with pytest.raises(RuntimeError):
        with op.song("x", "X"):
            pass


def test_handle_not_entered_is_rejected(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        handle = op.song("s", "S")
        with pytest.raises(RuntimeError, match="not been entered"):
            handle.update(current=1)
        assert handle.level_id == "s"
        assert "s" not in op.state.levels


def test_duplicate_ids_under_one_parent(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        for _ in range(3):
            with op.song("s", "S"), progress.action(1, "A"):
                pass
        assert list(op.state.levels) == ["s", "s:1", "s#2", "s#2:1", "s#3", "s#3:1"]


def test_ids_are_converted_with_str(progress: ProgressContext) -> None:
    with progress.operation("op") as op, op.song(7, "S") as song:
        assert song.level_id == "7"


def test_cancel_request_stops_the_work(progress: ProgressContext) -> None:
    reached = []
    with pytest.raises(OperationCancelled):
        with progress.operation("op") as op:
            with op.song("s", "S") as song:
                assert progress.cancel(op.operation_id)
                try:
                    song.increment()
                except Exception:
                    reached.append("swallowed")
    assert reached == []
    state = progress.get_history()[-1]
    assert state.status is ProgressStatus.CANCELLED
    assert state.levels["s"].status is ProgressStatus.CANCELLED


def test_cancel_request_stops_level_entry(progress: ProgressContext) -> None:
    with pytest.raises(OperationCancelled), progress.operation("op") as op:
        progress.cancel(op.operation_id)
        with op.song("s", "S"):
            pytest.fail("entered a level of a cancelled operation")
    assert progress.get_history()[-1].status is ProgressStatus.CANCELLED


def test_operation_handle_update_and_total(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        op.set_total(4)
        op.update(message="hi", owner="me")
        op.increment()
        state = op.state
        assert state.total == 4
        assert state.message == "hi"
        assert state.metadata["owner"] == "me"
        assert state.get_overall_progress()["percentage"] == 25.0


async def _child(progress: ProgressContext, index: int) -> None:
    with progress.action(index, f"task {index}") as action:
        await asyncio.sleep(0)
        action.increment()


def test_asyncio_tasks_nest_under_the_level_current_at_creation(
    progress: ProgressContext,
) -> None:
    async def main() -> progresstree.ProgressState:
        with progress.operation("op") as op, op.song("s", "S"):
            await asyncio.gather(*(_child(progress, i) for i in range(300)))
            return op.state

    state = asyncio.run(main())
    assert len(state.levels["s"].children) == 300
    assert all(lvl.status is ProgressStatus.COMPLETED for lvl in state.levels.values())


def test_carry_keeps_the_parent_in_threads(progress: ProgressContext) -> None:
    def work(index: int) -> None:
        with progress.action(index, "A"):
            pass

    with progress.operation("op") as op, op.song("s", "S"):
        with progresstree.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(work, range(200)))
        threads = [
            threading.Thread(target=progresstree.carry(work), args=(i,)) for i in range(200, 250)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        state = op.state
    assert len(state.levels["s"].children) == 250
    assert state.root_level_ids == ["s"]


def test_many_threads_incrementing_one_level_are_exact(progress: ProgressContext) -> None:
    with progress.operation("op") as op, op.song("s", "S") as song:

        def bump() -> None:
            for _ in range(5000):
                song.increment()

        old = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            threads = [threading.Thread(target=bump) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            sys.setswitchinterval(old)
        assert op.state.levels["s"].current == 40000


def test_increments_racing_the_end_of_their_level_all_count_or_raise(
    progress: ProgressContext,
) -> None:
    """Every increment either lands before the level ends (and counts) or raises."""
    landed = [0] * 6
    with progress.operation("op") as op:
        song = op.song("s", "S").__enter__()
        start = threading.Barrier(7)

        def bump(slot: int) -> None:
            start.wait()
            while True:
                try:
                    song.advance(1 if slot % 2 else 2.5)
                except LevelEndedError:
                    return
                landed[slot] += 1 if slot % 2 else 2.5

        old = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            threads = [threading.Thread(target=bump, args=(i,)) for i in range(6)]
            for thread in threads:
                thread.start()
            start.wait()
            time.sleep(0.05)
            song.__exit__(None, None, None)
            for thread in threads:
                thread.join()
        finally:
            sys.setswitchinterval(old)
        level = op.state.levels["s"]
        assert level.status.value == "completed"
        assert level.current == sum(landed) > 0


def test_many_threads_opening_children_lose_none(progress: ProgressContext) -> None:
    with progress.operation("op") as op, op.song("s", "S") as song:

        def spawn(offset: int) -> None:
            for i in range(250):
                with song.action(f"{offset}-{i}", "A"):
                    pass

        threads = [threading.Thread(target=spawn, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        state = op.state
    assert len(state.levels["s"].children) == 2000
    assert len(state.levels) == 2001


@pytest.fixture
def tiny_switch_interval() -> object:
    """Switch threads as often as CPython allows, to provoke interleavings."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _all_at_once(threads: int, open_level: Callable[[], LevelHandle]) -> None:
    """``threads`` threads released together, each entering 200 levels."""
    barrier = threading.Barrier(threads)

    def spawn() -> None:
        barrier.wait()
        for _ in range(200):
            with open_level():
                pass

    workers = [threading.Thread(target=spawn) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@pytest.mark.usefixtures("tiny_switch_interval")
def test_threads_racing_for_one_id_get_distinct_ids(progress: ProgressContext) -> None:
    with progress.operation("op") as op, op.song("s", "S") as song:
        with song.action("warm", "first child"):
            pass
        _all_at_once(8, lambda: song.action("same", "A"))
        state = op.state
    ids = [i for i in state.levels if i.startswith("s:same")]
    assert len(ids) == 1600
    assert len(set(ids)) == 1600
    assert all(state.levels[i].level_id == i for i in ids)
    assert len(state.levels["s"].children) == 1601


def _open_children_until_refused(
    song: progresstree.LevelHandle, started: threading.Event, errors: list[BaseException]
) -> None:
    started.set()
    for i in range(400):
        try:
            with song.action(i, "A"):
                pass
        except LevelEndedError as exc:
            errors.append(exc)
            return


@pytest.mark.usefixtures("tiny_switch_interval")
def test_children_racing_their_parents_end_never_outlive_it(progress: ProgressContext) -> None:
    refused = 0
    for _ in range(30):
        with progress.operation("op") as op:
            song = op.song("s", "S")
            song.__enter__()
            with song.action("warm", "first child"):
                pass
            started = threading.Event()
            errors: list[BaseException] = []
            thread = threading.Thread(
                target=_open_children_until_refused, args=(song, started, errors)
            )
            thread.start()
            started.wait()
            song.__exit__(None, None, None)
            thread.join()
            refused += bool(errors)
            ended = song.progress_level
            assert ended is not None
            assert ended.completed_at is not None
            for child in ended.children.values():
                # Never running below an ended parent: closed by it, or
                # refused, at the latest when the parent ended.
                assert child.completed_at is not None
                assert child.completed_at <= ended.completed_at, child
    assert refused > 0


@pytest.mark.usefixtures("tiny_switch_interval")
def test_threads_with_generated_ids_get_each_number_once(progress: ProgressContext) -> None:
    with progress.operation("op") as op, op.song("s", "S") as song:
        _all_at_once(8, lambda: song.level("step", None, "generated id"))
        children = list(op.state.levels["s"].children)
    assert sorted(children) == sorted(f"s:{n}" for n in range(1, 1601))

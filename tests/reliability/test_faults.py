"""Fault injection: the tracked work keeps its results and exceptions, the store stays sound.

Each test breaks something around the work (a listener, a thread, an
iterator, the program's control flow) and then checks two things: what the
work returned or raised is exactly what it would have without progresstree,
and the store passes :func:`check_store`.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import progresstree
from progresstree import (
    OperationCancelled,
    ProgressContext,
    ProgressEventStore,
    current_level,
    track_progress,
    tracks,
)
from progresstree.testing import RecordingListener

from ._consistency import check_store

TERMINAL = {"completed", "failed", "cancelled"}


def fresh() -> tuple[ProgressEventStore, ProgressContext]:
    store = ProgressEventStore()
    return store, progresstree.get_progress_context(store)


def run_in_thread(target: Any, timeout: float = 10.0) -> None:
    """Run ``target`` in a thread; fail (instead of hanging) on a deadlock."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "deadlock: the work did not finish"
    if errors:
        raise errors[0]


def setlist(progress: ProgressContext, songs: int, actions: int) -> int:
    """A small instrumented job; returns the same number with or without tracking."""

    @tracks("action", id_from="index")
    def action(index: int, values: list[int]) -> int:
        return sum(v * index for v in track_progress(values))

    total = 0
    with progress.setlist_processing("set-1", "Gig") as op:
        op.set_total(songs)
        for song in track_progress(list(range(songs)), level="song"):
            for index in range(actions):
                total += action(index, [song, song + 1])
    return total


def expected_setlist(songs: int, actions: int) -> int:
    return sum(i * (s + s + 1) for s in range(songs) for i in range(actions))


# -- listeners that misbehave ----------------------------------------------------------------


def test_raising_listener_changes_nothing_and_is_logged(caplog: pytest.LogCaptureFixture):
    store, progress = fresh()
    good = RecordingListener()

    def bad(event_type: str, state: Any) -> None:
        raise RuntimeError("listener bug")

    store.add_callback(bad)
    store.add_callback(good)
    with caplog.at_level(logging.ERROR, logger="progresstree"):
        assert setlist(progress, 3, 2) == expected_setlist(3, 2)
    assert good.types()[0] == "started"
    assert good.types()[-1] == "completed"
    assert any("listener bug" in (r.exc_text or "") for r in caplog.records)
    assert all(r.name == "progresstree" for r in caplog.records)
    check_store(store)


def test_raising_listener_does_not_replace_the_works_exception():
    store, progress = fresh()
    store.add_callback(lambda *_: 1 / 0)
    error = KeyError("from the work")
    with pytest.raises(KeyError) as caught:
        with progress.operation("job") as op, op.song("s", "S"):
            raise error
    assert caught.value is error
    assert op.state.status.value == "failed"
    check_store(store)


def test_listener_raising_keyboard_interrupt_cancels_and_keeps_store_sound():
    """A Ctrl-C that lands inside a listener behaves like one in the work."""
    store, progress = fresh()

    def interrupted(event_type: str, state: Any) -> None:
        if event_type == "updated" and state.last_level_id == "s:a":
            raise KeyboardInterrupt

    store.add_callback(interrupted)
    with pytest.raises(KeyboardInterrupt):
        with progress.operation("job") as op, op.song("s", "S") as song, song.action("a", "A"):
            pass
    assert op.state.status.value == "cancelled"
    check_store(store)


def test_slow_throttled_listener_does_not_slow_the_work():
    """A 100 ms listener behind a throttle costs the worker no more than a few calls."""
    store, progress = fresh()
    calls: list[str] = []

    def slow(event_type: str, state: Any) -> None:
        calls.append(event_type)
        time.sleep(0.1)

    store.add_callback(slow, min_interval=0.1)
    start = time.perf_counter()
    with progress.operation("job") as op, op.song("s", "S", total=20_000) as song:
        for _ in range(20_000):
            song.increment()
    elapsed = time.perf_counter() - start
    # started + completed are delivered on the worker (0.2 s); the rest is coalesced.
    assert elapsed < 1.5, elapsed
    assert song.progress_level.current == 20_000
    assert calls[0] == "started"
    assert calls[-1] == "completed"
    assert calls.count("completed") == 1
    store.remove_callback(slow)
    check_store(store)


def test_slow_listener_never_blocks_readers():
    """Callbacks run outside the store lock: another thread reads while one sleeps."""
    store, progress = fresh()
    inside = threading.Event()

    def slow(event_type: str, state: Any) -> None:
        if event_type == "updated":
            inside.set()
            time.sleep(0.1)

    store.add_callback(slow)
    reads: list[float] = []

    def reader() -> None:
        inside.wait(5)
        start = time.perf_counter()
        for state in store.get_all_active():
            state.get_overall_progress()
            state.to_dict()
        reads.append(time.perf_counter() - start)

    thread = threading.Thread(target=reader)
    thread.start()
    with progress.operation("job") as op, op.song("s", "S"):
        pass
    thread.join(5)
    assert reads and reads[0] < 0.05, reads
    check_store(store)


def test_reentrant_listener_reads_and_writes_without_deadlock():
    """A listener may call the store, even to update another operation."""
    store, progress = fresh()
    side = store.start_operation("side", "bookkeeping")
    store.add_level(side.operation_id, "count", "counter", "events")
    seen: list[tuple[str, int]] = []

    def reentrant(event_type: str, state: Any) -> None:
        if state is side:
            return
        seen.append((event_type, len(store.get_all_active())))
        state.to_dict()
        state.get_overall_progress()
        store.get_history()
        store.update_level(side.operation_id, "count", increment=1)

    store.add_callback(reentrant)
    store.add_callback(reentrant, min_interval=0.01)

    def work() -> None:
        assert setlist(progress, 4, 3) == expected_setlist(4, 3)

    run_in_thread(work)
    time.sleep(0.05)
    store.remove_callback(reentrant)
    store.remove_callback(reentrant)
    assert side.levels["count"].current >= len(seen) > 0
    store.complete_operation(side.operation_id)
    check_store(store)


def test_listener_that_removes_itself_and_adds_another():
    store, progress = fresh()
    late = RecordingListener()

    def once(event_type: str, state: Any) -> None:
        store.remove_callback(once)
        store.add_callback(late)

    store.add_callback(once)
    with progress.operation("job") as op, op.song("s", "S"):
        pass
    assert late.types()[-1] == "completed"
    check_store(store)


# -- interruptions at random points ----------------------------------------------------------

FAULTS = st.sampled_from(["keyboard", "cancelled", "request_cancel", "error"])


@settings(max_examples=60, deadline=None)
@given(
    songs=st.integers(1, 4),
    actions=st.integers(1, 3),
    at=st.integers(0, 40),
    fault=FAULTS,
)
def test_interruption_at_any_point_propagates_unchanged(
    songs: int, actions: int, at: int, fault: str
) -> None:
    """Ctrl-C, a cancellation or an error anywhere: same exception, sound store."""
    store, progress = fresh()
    steps = [0]
    raised: list[BaseException] = []

    def maybe_fail(op_id: str) -> None:
        steps[0] += 1
        if steps[0] != at:
            return
        if fault == "request_cancel":
            assert store.request_cancel(op_id)
            raised.append(OperationCancelled(op_id))  # expected, raised by the library
            return
        exc: BaseException = (
            KeyboardInterrupt()
            if fault == "keyboard"
            else OperationCancelled(op_id)
            if fault == "cancelled"
            else ValueError("injected")
        )
        raised.append(exc)
        raise exc

    @tracks("action", id_from="index")
    def action(index: int, op_id: str) -> int:
        maybe_fail(op_id)
        for value in track_progress(range(3)):
            maybe_fail(op_id)
            current_level().update(message=f"value {value}")  # type: ignore[union-attr]
        return index

    result = 0
    outcome: BaseException | None = None
    try:
        with progress.setlist_processing("set", "Gig") as op:
            for _ in track_progress(list(range(songs)), level="song"):
                for index in range(actions):
                    result += action(index, op.operation_id)
    except BaseException as exc:
        outcome = exc

    state = op.state
    check_store(store)
    if outcome is None:
        assert not raised, "the injected fault did not propagate"
        assert result == songs * sum(range(actions))
        assert state.status.value == "completed"
        return
    assert raised, f"unexpected {outcome!r}"
    if fault == "request_cancel":
        assert isinstance(outcome, OperationCancelled)
        assert outcome.operation_id == state.operation_id
    else:
        assert outcome is raised[0], "the work's exception was replaced"
    want = "failed" if isinstance(outcome, Exception) else "cancelled"
    assert state.status.value == want
    if want == "failed":
        assert state.error == "injected"
    for level in state.levels.values():
        assert level.status.value in TERMINAL


def test_request_cancel_is_not_swallowed_by_except_exception():
    store, progress = fresh()
    with pytest.raises(OperationCancelled):
        with progress.operation("job") as op, op.song("s", "S") as song:
            progress.cancel(op.operation_id)
            try:
                song.increment()
            except Exception:  # user code that swallows errors
                pytest.fail("OperationCancelled was caught by except Exception")
    assert op.state.status.value == "cancelled"
    assert song.progress_level.status.value == "cancelled"
    check_store(store)


def test_exception_object_and_traceback_are_untouched():
    store, progress = fresh()

    @tracks("action")
    def explode() -> None:
        raise ValueError("deep")

    with pytest.raises(ValueError) as caught:
        with progress.operation("job"):
            explode()
    frames = []
    tb = caught.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames[-1] == "explode"
    assert caught.value.__context__ is None
    check_store(store)


# -- generators and iterators left half-way ---------------------------------------------------


def test_abandoned_tracked_generator_is_cancelled_when_collected():
    store, progress = fresh()

    @tracks("reader")
    def chunks(n: int):
        for i in range(n):
            yield i * 2

    with progress.operation("job") as op:
        gen = chunks(10)
        assert [next(gen), next(gen)] == [0, 2]
        del gen
        gc.collect()
        assert current_level() is op
    (level,) = op.state.levels.values()
    assert level.status.value == "cancelled"
    check_store(store)


def test_abandoned_level_iterator_ends_with_its_parent():
    store, progress = fresh()
    with progress.operation("job") as op:
        iterator = iter(track_progress(["a", "b", "c"], level="song"))
        assert next(iterator) == "a"
        kept = iterator  # still referenced: nothing can close it before the parent ends
    assert all(lv.status.value != "running" for lv in op.state.levels.values())
    del kept
    check_store(store)


def test_abandoned_counting_iterator_leaves_an_exact_count():
    store, progress = fresh()
    with progress.operation("job") as op, op.song("s", "S") as song:
        iterator = iter(track_progress(range(1000)))
        for _ in range(10):
            next(iterator)
        del iterator
        gc.collect()
    assert song.progress_level.current in (9, 10)
    check_store(store)


def test_generator_abandoned_after_its_operation_ended():
    """Closing a generator whose operation is gone never raises into the collector."""
    store, progress = fresh()

    @tracks("reader")
    def numbers():
        yield 1
        yield 2

    with progress.operation("job"):
        gen = numbers()
        next(gen)
    gen.close()
    del gen
    gc.collect()
    check_store(store)


# -- threads that die, operations that are never closed ---------------------------------------


def test_thread_dying_inside_a_level_fails_it():
    store, progress = fresh()
    with progress.operation("job") as op:

        def worker() -> None:
            with progresstree.get_progress_context(store).song("w", "worker song"):
                raise RuntimeError("thread died")

        errors: list[BaseException] = []
        thread = threading.Thread(
            target=progresstree.carry(lambda: _capture(worker, errors)), daemon=True
        )
        thread.start()
        thread.join(5)
        assert isinstance(errors[0], RuntimeError)
    song = op.state.levels["w"]
    assert (song.status.value, song.error) == ("failed", "thread died")
    check_store(store)


def _capture(fn: Any, errors: list[BaseException]) -> None:
    try:
        fn()
    except BaseException as exc:
        errors.append(exc)


def test_thread_that_vanishes_holding_a_level_is_closed_by_the_parent():
    """A level entered and never exited (its thread stopped) ends with its operation."""
    store, progress = fresh()
    with progress.operation("job") as op:

        def worker() -> None:
            handle = progresstree.get_progress_context(store).song("w", "orphan")
            handle.__enter__()  # the thread returns without ever leaving it

        thread = threading.Thread(target=progresstree.carry(worker), daemon=True)
        thread.start()
        thread.join(5)
        assert op.state.levels["w"].status.value == "running"
        assert current_level() is op
    assert op.state.levels["w"].status.value == "completed"
    check_store(store)


def test_operation_never_closed_stays_active_and_out_of_history():
    """Documented: an unclosed operation stays active until someone ends it."""
    store, progress = fresh()

    def forgetful() -> str:
        handle = progress.operation("job", "forgotten")
        handle.__enter__()
        with progress.song("s", "S"):
            pass
        return handle.operation_id

    box: list[str] = []
    run_in_thread(lambda: box.append(forgetful()))
    op_id = box[0]
    gc.collect()
    for _ in range(5):
        with progress.operation("other"):
            pass
    assert [s.operation_id for s in store.get_all_active()] == [op_id]
    assert op_id not in [s.operation_id for s in store.get_history()]
    store.clear_history()
    assert store.get_state(op_id) is not None
    assert store.cancel_operation(op_id) is not None
    assert [s.operation_id for s in store.get_history()] == [op_id]
    assert store.get_all_active() == []
    check_store(store)


def test_many_threads_with_random_faults_keep_the_store_sound():
    store, progress = fresh()
    store.add_callback(RecordingListener(), min_interval=0.005)
    store.add_callback(lambda *_: None)
    outcomes: list[str] = []
    lock = threading.Lock()

    with progress.operation("job") as op:

        def worker(n: int) -> None:
            ctx = progresstree.get_progress_context(store)
            try:
                with ctx.song(f"t{n}", f"thread {n}", total=50) as song:
                    for i in range(50):
                        song.increment()
                        if n % 4 == 1 and i == 25:
                            raise ValueError(n)
                        if n % 4 == 2 and i == 30:
                            raise KeyboardInterrupt
                        with song.action(i, "a"):
                            pass
                result = "ok"
            except ValueError:
                result = "failed"
            except KeyboardInterrupt:
                result = "cancelled"
            with lock:
                outcomes.append(result)

        threads = [
            threading.Thread(target=progresstree.carry(worker), args=(n,)) for n in range(16)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert sorted(outcomes) == sorted(["ok"] * 8 + ["failed"] * 4 + ["cancelled"] * 4)
    state = op.state
    assert len(state.root_level_ids) == 16
    statuses = {lv.status.value for lv in state.levels.values()}
    assert "running" not in statuses
    check_store(store)

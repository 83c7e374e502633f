"""Listener rules: ordering, isolation, re-entrance, throttling."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from typing import Any

import pytest

from progresstree import ProgressContext, ProgressEventStore, ProgressState
from progresstree.testing import RecordingListener


def test_started_first_terminal_last(store: ProgressEventStore, progress: ProgressContext) -> None:
    listener = RecordingListener()
    store.add_callback(listener)
    with progress.operation("op") as op, op.song("s", "S") as song:
        song.increment()
    types = listener.types()
    assert types[0] == "started"
    assert types[-1] == "completed"
    assert set(types[1:-1]) == {"updated"}
    assert len(types) == 5  # started, open, increment, close, completed


def test_raising_listener_is_logged_and_isolated(
    store: ProgressEventStore, progress: ProgressContext, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: str, state: ProgressState) -> None:
        raise RuntimeError("listener bug")

    good = RecordingListener()
    store.add_callback(broken)
    store.add_callback(good)
    with caplog.at_level(logging.ERROR, logger="progresstree"):
        with progress.operation("op") as op, op.song("s", "S") as song:
            song.update(current=1)
            result = "work finished"
    assert result == "work finished"
    assert good.types()[-1] == "completed"
    assert "listener bug" in caplog.text
    assert any(r.name == "progresstree" for r in caplog.records)


def test_listener_may_read_and_write_the_store(
    store: ProgressEventStore, progress: ProgressContext
) -> None:
    seen: list[float] = []

    def reentrant(event: str, state: ProgressState) -> None:
        seen.append(state.get_overall_progress()["percentage"])
        store.get_all_active()
        state.to_dict()
        if event == "started":
            store.add_level(state.operation_id, "from-listener", "note", "N")

    store.add_callback(reentrant)
    done = threading.Event()

    def job() -> None:
        with progress.operation("op") as op, op.song("s", "S") as song:
            song.update(current=1)
        done.set()

    thread = threading.Thread(target=job)
    thread.start()
    thread.join(5)
    assert done.is_set(), "listener calling back into the store deadlocked"
    assert "from-listener" in store.get_history()[-1].levels


def test_removed_listener_hears_nothing(
    store: ProgressEventStore, progress: ProgressContext
) -> None:
    listener = RecordingListener()
    store.add_callback(listener)
    store.remove_callback(listener)
    store.remove_callback(listener)  # removing twice is harmless
    with progress.operation("op"):
        pass
    assert listener.events == []
    assert not store.has_listeners


def test_aliases(store: ProgressEventStore) -> None:
    listener = RecordingListener()
    store.add_listener(listener)
    assert store.has_listeners
    store.remove_listener(listener)
    assert not store.has_listeners


def test_bad_callback_and_interval_rejected(store: ProgressEventStore) -> None:
    with pytest.raises(TypeError, match="callable"):
        store.add_callback("not callable")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_interval"):
        store.add_callback(lambda e, s: None, min_interval=-1)


def test_throttled_listener_coalesces_and_delivers_newest(
    store: ProgressEventStore, progress: ProgressContext
) -> None:
    interval = 0.05
    listener = RecordingListener()
    store.add_callback(listener, min_interval=interval)
    with progress.operation("op") as op, op.song("s", "S", total=1000) as song:
        for _ in range(1000):
            song.increment()
        level = op.state.levels["s"]
        # Work goes quiet: the newest state must arrive within 2 x interval.
        deadline = time.monotonic() + 2 * interval
        while time.monotonic() < deadline:
            time.sleep(0.005)
        updates = [e for e in listener.events if e.event_type == "updated"]
        assert len(updates) < 50
        assert updates[-1].percentage >= 0  # newest state object delivered
        assert level.current == 1000
        last_seen_current = op.state.levels["s"].current
        assert last_seen_current == 1000
    types = listener.types()
    assert types[0] == "started" and types[-1] == "completed"
    assert types.count("completed") == 1


def test_throttled_quiet_work_gets_the_newest_state(
    store: ProgressEventStore, progress: ProgressContext
) -> None:
    interval = 0.1
    currents: list[int] = []

    def listener(event: str, state: ProgressState) -> None:
        if event == "updated" and "s" in state.levels:
            currents.append(int(state.levels["s"].current))

    store.add_callback(listener, min_interval=interval)
    with progress.operation("op") as op, op.song("s", "S") as song:
        for _ in range(5):
            song.increment()
        start = time.monotonic()
        while (not currents or currents[-1] != 5) and time.monotonic() - start < 1:
            time.sleep(0.005)
        waited = time.monotonic() - start
    assert currents[-1] == 5
    assert waited <= 2 * interval + 0.05


def test_no_updated_after_terminal_with_throttling(
    store: ProgressEventStore, progress: ProgressContext
) -> None:
    listener = RecordingListener()
    store.add_callback(listener, min_interval=0.02)
    for _ in range(20):
        with progress.operation("op") as op, op.song("s", "S") as song:
            for _ in range(50):
                song.increment()
    time.sleep(0.1)
    per_op: dict[str, list[str]] = {}
    for event in listener.events:
        per_op.setdefault(event.operation_id, []).append(event.event_type)
    for types in per_op.values():
        assert types[0] == "started"
        assert types[-1] == "completed"
        assert types.count("completed") == 1


def test_reads_from_another_thread_while_work_runs(
    store: ProgressEventStore, progress: ProgressContext
) -> None:
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader(state: ProgressState) -> None:
        while not stop.is_set():
            try:
                state.to_dict()
                state.get_overall_progress()
                for _ in state.levels:
                    pass
                list(state.levels.items())
            except BaseException as exc:
                errors.append(exc)
                return

    with progress.operation("op") as op:
        thread = threading.Thread(target=reader, args=(op.state,))
        thread.start()
        for i in range(3000):
            with op.song(i, "S") as song:
                song.increment()
        stop.set()
        thread.join()
    assert errors == []


def test_idle_flusher_thread_exits_and_restarts(
    store: ProgressEventStore, progress: ProgressContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import progresstree.listeners

    monkeypatch.setattr(progresstree.listeners, "_IDLE_EXIT_SECONDS", 0.05)

    flushers = _flushers
    before = flushers()
    currents: list[int] = []

    def listener(event: str, state: ProgressState) -> None:
        if event == "updated" and "s" in state.levels:
            currents.append(int(state.levels["s"].current))

    store.add_callback(listener, min_interval=0.01)
    with progress.operation("op") as op, op.song("s", "S") as song:
        song.increment()
        deadline = time.monotonic() + 2
        while flushers() > before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert flushers() <= before, "idle flusher thread did not exit"
        song.increment()
        deadline = time.monotonic() + 2
        while (not currents or currents[-1] != 2) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert currents[-1] == 2, "updates after an idle exit were not delivered"


def _flushers() -> int:
    return sum(t.name == "progresstree-throttle" and t.is_alive() for t in threading.enumerate())


def test_flusher_starts_when_attached_and_stops_when_removed(store: ProgressEventStore) -> None:
    """The thread is started with the listener, so no operation's work pays for it."""
    before = _flushers()

    def listener(event: str, state: ProgressState) -> None:
        pass

    store.add_callback(listener, min_interval=0.05)
    assert _flushers() == before + 1
    store.remove_callback(listener)
    deadline = time.monotonic() + 2
    while _flushers() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _flushers() == before, "a removed listener's flusher kept running"
    store.add_callback(listener)  # unthrottled: no thread at all
    assert _flushers() == before


@pytest.mark.parametrize("others", ["none", "direct", "throttled"])
def test_levels_reach_a_throttled_listener_alone_or_among_others(
    store: ProgressEventStore, progress: ProgressContext, others: str
) -> None:
    """Entering and leaving levels reach every listener, whichever are attached."""
    throttled = RecordingListener()
    extra = RecordingListener()
    store.add_callback(throttled, min_interval=0.01)
    if others != "none":
        store.add_callback(extra, min_interval=0.01 if others == "throttled" else 0.0)
    with progress.operation("op") as op:
        with op.song("s1", "One"):
            pass
        time.sleep(0.05)  # quiet: the flusher delivers the parked state
        seen = [e for e in throttled.events if e.event_type == "updated"]
        assert seen and seen[-1].last_level_id == "s1"
        store.remove_callback(extra)
        with op.song("s2", "Two"):
            time.sleep(0.05)
            seen = [e for e in throttled.events if e.event_type == "updated"]
            assert seen[-1].last_level_id == "s2"
    if others == "direct":
        assert [e.event_type for e in extra.events].count("updated") >= 2
    assert throttled.types()[-1] == "completed"


_FORKED_STORE = ProgressEventStore()
_FORKED_EVENTS: list[str] = []


def _quiet_job_in_child(queue: Any) -> None:
    progress = ProgressContext(_FORKED_STORE)
    with progress.operation("child") as op, op.song("s", "S") as song:
        song.increment()
        deadline = time.monotonic() + 3
        while "updated" not in _FORKED_EVENTS[1:] and time.monotonic() < deadline:
            time.sleep(0.01)
    queue.put(list(_FORKED_EVENTS))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_flusher() -> None:
    """A store with a throttled listener, inherited by a forked process (a
    fork-based pool): the child's quiet update still arrives."""
    _FORKED_STORE.add_callback(lambda e, s: _FORKED_EVENTS.append(str(e)), min_interval=0.02)
    with ProgressContext(_FORKED_STORE).operation("parent") as op, op.song("s", "S") as song:
        song.increment()  # the parent's flusher is busy or sleeping at the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    _FORKED_EVENTS.clear()
    child = context.Process(target=_quiet_job_in_child, args=(queue,))
    child.start()
    try:
        seen = queue.get(timeout=10)
    finally:
        child.join(10)
    assert seen[0] == "started" and "updated" in seen

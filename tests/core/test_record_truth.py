"""The record tells the truth: cancellation, handle lifecycle, numbers, percentages, depth."""

from __future__ import annotations

import json
import math
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import progresstree
from progresstree import (
    LevelEndedError,
    OperationCancelled,
    ProgressEventStore,
    get_progress_context,
)
from progresstree.testing import RecordingListener


@pytest.fixture
def store() -> ProgressEventStore:
    return ProgressEventStore()


@pytest.fixture
def progress(store: ProgressEventStore) -> progresstree.ProgressContext:
    return get_progress_context(store)


# -- cancellation ----------------------------------------------------------------------


def test_cancel_with_worker_threads_ends_the_operation_cancelled(store, progress):
    caught: list[BaseException] = []
    inside = threading.Barrier(4)
    with progress.operation("job") as op:

        def work(index: int) -> None:
            try:
                with op.song(index, f"song {index}") as song:
                    inside.wait(5)
                    while True:
                        song.increment()
            except OperationCancelled as exc:
                caught.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        inside.wait(5)
        assert store.request_cancel(op.operation_id)
        for thread in threads:
            thread.join(10)
    assert len(caught) == 3
    state = op.state
    assert state.status.value == "cancelled"
    assert {level.status.value for level in state.levels.values()} == {"cancelled"}
    assert state.get_overall_progress()["cancelled"] == 3


def test_levels_left_open_end_cancelled_with_a_cancelled_operation(store, progress):
    with progress.operation("job") as op:
        store.add_level(op.operation_id, "left", "song", "Left open")
        store.start_level(op.operation_id, "left")
        store.add_level(op.operation_id, "never", "song", "Never started")
        store.request_cancel(op.operation_id)
    levels = op.state.levels
    assert op.state.status.value == "cancelled"
    assert levels["left"].status.value == "cancelled"
    assert levels["never"].status.value == "cancelled"


def test_complete_operation_after_request_cancel_records_cancelled(store):
    state = store.start_operation("job")
    store.request_cancel(state.operation_id)
    store.complete_operation(state.operation_id)
    assert state.status.value == "cancelled"
    assert store.get_history()[-1] is state


def test_a_failure_after_request_cancel_still_reads_failed(store):
    state = store.start_operation("job")
    store.request_cancel(state.operation_id)
    store.complete_operation(state.operation_id, error=ValueError("broke"))
    assert state.status.value == "failed"
    assert state.error == "broke"


# -- a live handle goes through the store -----------------------------------------------


@pytest.mark.parametrize("end", ["complete", "fail", "cancel"])
def test_ending_a_live_handle_goes_through_the_store(store, progress, end):
    recorder = RecordingListener()
    store.add_callback(recorder)
    with progress.operation("job") as op, op.song("s", "Song") as song:
        with song.action("a", "Action") as action:
            before = len(recorder.events)
            if end == "fail":
                song.fail(ValueError("bad take"))
            else:
                getattr(song, end)()
            # One event, and the open child ended with its parent.
            assert recorder.types()[before:] == ["updated"]
            assert action.status is song.status
            with pytest.raises(LevelEndedError):
                getattr(song, end)() if end != "fail" else song.fail("again")
    expected = {"complete": "completed", "fail": "failed", "cancel": "cancelled"}[end]
    assert op.state.levels["s"].status.value == expected
    assert op.state.levels["s:a"].status.value == expected
    if end == "fail":
        assert op.state.levels["s"].error == "bad take"
        assert op.state.levels["s:a"].error == "bad take"
        assert op.state.levels["s"].error_details["exception_type"] == "ValueError"
    assert op.state.status.value == "completed"


def test_start_and_message_on_a_live_handle_emit_an_event(store, progress):
    recorder = RecordingListener()
    store.add_callback(recorder)
    with progress.operation("job") as op, op.song("s", "Song") as song:
        before = len(recorder.events)
        song.start("warming up")
        assert recorder.types()[before:] == ["updated"]
        assert song.message == "warming up"


def test_ending_a_handle_that_was_never_entered_is_refused(progress):
    with progress.operation("job") as op:
        song = op.song("s", "Song")
        with pytest.raises(RuntimeError, match="not been entered"):
            song.complete()


# -- numbers and types -------------------------------------------------------------------


def test_update_level_refuses_an_int_beyond_float_range(store):
    state = store.start_operation("job")
    store.add_level(state.operation_id, "s", "song", "Song", total=10)
    with pytest.raises(ValueError, match="finite"):
        store.update_level(state.operation_id, "s", current=10**400)
    assert state.levels["s"].current == 0
    json.dumps(state.to_dict())


def test_advancing_past_float_range_is_refused(progress):
    with progress.operation("job") as op, op.song("s", "Song", total=10) as song:
        song.advance(1e308)
        with pytest.raises(ValueError, match="finite"):
            song.advance(1e308)
        assert song.current == 1e308
        assert math.isfinite(song.percentage)
        json.dumps(op.state.to_dict(), allow_nan=False)


def test_operation_increment_past_float_range_is_refused(progress):
    with progress.operation("job") as op:
        op.update(current=1e308)
        with pytest.raises(ValueError):
            op.update(increment=1e308)
        assert op.state.current == 1e308


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=2**1024, max_value=2**4000))
def test_huge_ints_are_refused_everywhere(value):
    store = ProgressEventStore()
    progress = get_progress_context(store)
    with progress.operation("job") as op:
        with pytest.raises(ValueError):
            op.song("s", "Song", total=value)
        with op.song("t", "Song") as song:
            with pytest.raises(ValueError):
                song.update(current=value)
            with pytest.raises(ValueError):
                song.advance(value)
            assert song.current == 0
    json.dumps(op.state.to_dict(), allow_nan=False)


@pytest.mark.parametrize("level_type", [None, 42, b"song"])
def test_level_type_must_be_a_str(progress, level_type):
    with progress.operation("job") as op:
        with pytest.raises(TypeError, match="level_type"):
            op.level(level_type, "x", "X")
        with pytest.raises(TypeError, match="level_type"):
            progress.level(level_type, "x", "X")
    assert not op.state.levels


# -- one progress number per level -------------------------------------------------------


def test_percentage_of_a_song_follows_its_finished_children(progress):
    with progress.operation("job") as op, op.song("s", "Song") as song:
        for index in range(4):
            with song.action(index, f"action {index}"):
                pass
        assert song.percentage == 100.0
        assert song.to_dict()["percentage"] == 100.0
        assert op.state.to_dict()["levels"]["s"]["percentage"] == 100.0
        assert op.state.get_overall_progress()["percentage"] == 100.0


def test_percentage_is_the_same_number_in_every_view(progress):
    pytest.importorskip("rich")
    from progresstree.render import event_record, level_record, render_state

    with progress.operation("job") as op, op.song("s", "Song", total=4) as song:
        with song.action(0, "done"):
            pass
        with song.action(1, "half", total=2) as half:
            half.advance(1)
            assert song.percentage == pytest.approx(100 * 1.5 / 4)
            dumped = op.state.to_dict()["levels"]["s"]["percentage"]
            assert dumped == song.percentage
            assert level_record("updated", op.state, song)["percentage"] == song.percentage
            assert event_record("updated", op.state)["overall_percentage"] == pytest.approx(
                op.state.get_overall_progress()["percentage"]
            )
            text = _render_text(render_state(op.state))
            assert f"{song.percentage:5.1f}%" in text


def test_failed_song_reads_where_it_stopped(store):
    state = store.start_operation("job")
    store.add_level(state.operation_id, "s", "song", "Song")
    store.start_level(state.operation_id, "s")
    for index in range(4):
        store.add_level(state.operation_id, f"s:{index}", "action", "A", parent_id="s")
    for index in range(2):
        store.start_level(state.operation_id, f"s:{index}")
        store.complete_level(state.operation_id, f"s:{index}")
    store.fail_level(state.operation_id, "s", "broke")
    level = state.levels["s"]
    assert level.percentage == 50.0
    # A finished root still counts whole in the operation's progress (SPEC 2).
    assert state.get_overall_progress()["percentage"] == 100.0


def _render_text(renderable: object) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


# -- no recursion on depth ---------------------------------------------------------------

DEPTH = 1200


def _chain(store: ProgressEventStore) -> progresstree.ProgressState:
    state = store.start_operation("deep")
    parent = None
    for index in range(DEPTH):
        level_id = str(index) if parent is None else f"{parent}:{index}"
        store.add_level(state.operation_id, level_id, "step", f"step {index}", parent_id=parent)
        store.start_level(state.operation_id, level_id)
        parent = level_id
    store.update_level(state.operation_id, parent, current=1, total=2)
    return state


def test_a_deep_chain_reads_without_recursion(store):
    state = _chain(store)
    overall = state.get_overall_progress()
    assert overall["percentage"] == pytest.approx(50.0)
    root = state.levels["0"]
    assert root.percentage == pytest.approx(50.0)
    nested = root.to_dict()
    depth = 0
    while nested["children"]:
        (nested,) = nested["children"].values()
        depth += 1
    assert depth == DEPTH - 1
    json.dumps(state.to_dict())
    store.complete_operation(state.operation_id)
    assert all(level.status.value == "completed" for level in state.levels.values())


def test_a_deep_chain_renders_and_streams_as_json(store):
    pytest.importorskip("rich")
    import io

    from progresstree.render import JsonLinesListener, TreeOptions, render_state

    state = _chain(store)
    # Every row of the chain when asked for (the default draws a bounded
    # number of rows, ``max_rows``, whatever the size of the tree).
    text = _render_text(render_state(state, TreeOptions(max_rows=DEPTH + 1)))
    assert text.count("\n") >= DEPTH + 1
    bounded = _render_text(render_state(state, TreeOptions()))
    assert TreeOptions().max_rows + 1 <= bounded.count("\n") <= TreeOptions().max_rows + 2
    stream = io.StringIO()
    store.add_callback(JsonLinesListener(stream))
    store.update_level(state.operation_id, state.last_level_id, current=2)
    store.complete_operation(state.operation_id)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[-1]["event"] == "completed"


# -- events ------------------------------------------------------------------------------


def test_listeners_receive_event_enum_members(store, progress):
    from progresstree import ProgressEvent

    seen: list[object] = []
    store.add_callback(lambda event, state: seen.append(event))
    with progress.operation("job") as op, op.song("s", "Song"):
        pass
    assert all(isinstance(event, ProgressEvent) for event in seen)
    assert seen[0] == "started"
    assert seen[-1] == "completed"
    assert seen[-1].is_terminal
    assert not seen[0].is_terminal
    assert json.dumps(seen[-1]) == '"completed"'
    assert f"{seen[-1]}" == str(seen[-1]) == "completed"
    assert {e for e in ProgressEvent if e.is_terminal} == {"completed", "failed", "cancelled"}

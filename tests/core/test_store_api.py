"""The compatibility store API: names, return values, unknown ids, history."""

from __future__ import annotations

import logging

import pytest

from progresstree import (
    ProgressEventStore,
    ProgressStatus,
    ProgressStore,
    get_progress_store,
    reset_progress_store,
)
from progresstree.testing import RecordingListener


def test_progress_store_is_an_alias() -> None:
    assert ProgressStore is ProgressEventStore


def test_global_store_is_a_singleton_until_reset() -> None:
    first = get_progress_store()
    assert get_progress_store() is first
    second = reset_progress_store()
    assert second is not first
    assert get_progress_store() is second


def test_full_lifecycle_through_the_store_api(store: ProgressEventStore) -> None:
    state = store.start_operation("setlist_processing", "Gig", setlist_id="s")
    op = state.operation_id
    assert op.startswith("setlist_processing_")
    assert state.metadata == {"setlist_id": "s"}
    song = store.add_level(op, "song1", "song", "Song 1", total=2)
    assert song is not None and song.status is ProgressStatus.PENDING
    action = store.add_level(op, "song1:a", "action", "A", parent_id="song1")
    assert action is not None and action.parent_id == "song1"
    assert store.start_level(op, "song1", "go") is song
    assert song.status is ProgressStatus.RUNNING and song.message == "go"
    store.update_level(op, "song1", current=1, message="half", extra=3)
    assert (song.current, song.percentage, song.metadata["extra"]) == (1, 50.0, 3)
    store.update_level(op, "song1", increment=1)
    assert song.current == 2
    assert store.complete_level(op, "song1:a", "ok") is action
    assert store.complete_level(op, "song1") is song
    assert song.percentage == 100.0
    assert store.get_state(op) is state
    assert store.complete_operation(op) is state
    assert state.status is ProgressStatus.COMPLETED
    assert store.get_state(op) is None
    assert store.get_history() == [state]


def test_generated_and_given_operation_ids(store: ProgressEventStore) -> None:
    a = store.start_operation("t")
    b = store.start_operation("t")
    assert a.operation_id != b.operation_id
    c = store.start_operation("t", operation_id="mine")
    assert c.operation_id == "mine"
    with pytest.raises(ValueError, match="'mine'"):
        store.start_operation("t", operation_id="mine")


def test_fail_level_and_error_operation(store: ProgressEventStore) -> None:
    op = store.start_operation("t").operation_id
    store.add_level(op, "x", "item", "X")
    store.start_level(op, "x")
    level = store.fail_level(op, "x", "boom", {"code": 7})
    assert level is not None
    assert (level.status, level.error, level.error_details) == (
        ProgressStatus.FAILED,
        "boom",
        {"code": 7},
    )
    state = store.complete_operation(op, error="bad things")
    assert state is not None
    assert state.status is ProgressStatus.FAILED and state.error == "bad things"


def test_cancel_operation_cancels_running_levels(store: ProgressEventStore) -> None:
    op = store.start_operation("t").operation_id
    store.add_level(op, "x", "item", "X")
    store.start_level(op, "x")
    state = store.cancel_operation(op)
    assert state is not None and state.status is ProgressStatus.CANCELLED
    assert state.levels["x"].status is ProgressStatus.CANCELLED


@pytest.mark.parametrize(
    "call",
    [
        lambda s, op: s.add_level("nope", "x", "item", "X"),
        lambda s, op: s.add_level(op, "x", "item", "X", parent_id="missing"),
        lambda s, op: s.start_level(op, "missing"),
        lambda s, op: s.start_level("nope", "x"),
        lambda s, op: s.update_level(op, "missing", current=1),
        lambda s, op: s.complete_level(op, "missing"),
        lambda s, op: s.fail_level(op, "missing", "e"),
        lambda s, op: s.complete_operation("nope"),
        lambda s, op: s.cancel_operation("nope"),
        lambda s, op: s.get_state("nope"),
    ],
)
def test_unknown_ids_return_none_and_change_nothing(
    store: ProgressEventStore, call: object, caplog: pytest.LogCaptureFixture
) -> None:
    op = store.start_operation("t").operation_id
    store.add_level(op, "a", "item", "A")
    before = store.get_state(op).to_dict()  # type: ignore[union-attr]
    caplog.set_level(logging.DEBUG, logger="progresstree")
    assert call(store, op) is None  # type: ignore[operator]
    after = store.get_state(op).to_dict()  # type: ignore[union-attr]
    for snapshot in (before, after):
        snapshot.pop("elapsed_seconds")
        snapshot["overall_progress"].pop("elapsed_seconds")
    assert before == after


def test_ended_level_is_left_alone(store: ProgressEventStore) -> None:
    op = store.start_operation("t").operation_id
    store.add_level(op, "a", "item", "A")
    store.complete_level(op, "a")
    assert store.update_level(op, "a", current=5) is None
    assert store.fail_level(op, "a", "late") is None
    assert store.start_level(op, "a") is None
    level = store.get_state(op).levels["a"]  # type: ignore[union-attr]
    assert (level.status, level.current, level.error) == (ProgressStatus.COMPLETED, 0, None)


def test_ended_operation_is_left_alone(store: ProgressEventStore) -> None:
    op = store.start_operation("t").operation_id
    store.complete_operation(op)
    assert store.complete_operation(op) is None
    assert store.add_level(op, "a", "item", "A") is None
    assert store.get_history()[-1].status is ProgressStatus.COMPLETED


def test_duplicate_level_ids_get_suffixes(store: ProgressEventStore) -> None:
    op = store.start_operation("t").operation_id
    first = store.add_level(op, "a", "item", "A")
    second = store.add_level(op, "a", "item", "A again")
    third = store.add_level(op, "a", "item", "A third")
    assert [lvl.level_id for lvl in (first, second, third)] == ["a", "a#2", "a#3"]  # type: ignore[union-attr]
    assert store.get_state(op).levels["a"] is first  # type: ignore[union-attr]


def test_history_is_bounded_oldest_dropped_first() -> None:
    store = ProgressEventStore(max_history=3)
    ids = []
    for i in range(5):
        state = store.start_operation("t", f"op{i}")
        store.complete_operation(state.operation_id)
        ids.append(state.operation_id)
    assert [s.operation_id for s in store.get_history()] == ids[-3:]


def test_history_filter_limit_and_clear(store: ProgressEventStore) -> None:
    for kind in ["a", "b", "a", "a"]:
        store.complete_operation(store.start_operation(kind).operation_id)
    assert len(store.get_history("a")) == 3
    assert len(store.get_history("a", limit=2)) == 2
    assert store.get_history("a", limit=2) == store.get_history("a")[-2:]
    assert store.get_history(limit=0) == []
    store.clear_history()
    assert store.get_history() == []


def test_get_operation_finds_active_and_finished(store: ProgressEventStore) -> None:
    done = store.start_operation("t")
    store.complete_operation(done.operation_id)
    running = store.start_operation("t")
    assert store.get_operation(done.operation_id) is done
    assert store.get_operation(running.operation_id) is running
    assert store.get_all_active() == [running]
    assert store.get_operation("nope") is None


def test_request_cancel_only_flags_running_operations(store: ProgressEventStore) -> None:
    state = store.start_operation("t")
    assert store.request_cancel(state.operation_id) is True
    assert state.cancel_requested
    assert store.request_cancel("nope") is False
    store.cancel_operation(state.operation_id)
    assert store.request_cancel(state.operation_id) is False


def test_events_of_the_store_api(store: ProgressEventStore) -> None:
    listener = RecordingListener()
    store.add_callback(listener)
    op = store.start_operation("t").operation_id
    store.add_level(op, "a", "item", "A")
    store.start_level(op, "a")
    store.update_level(op, "a", current=1)
    store.complete_level(op, "a")
    store.complete_operation(op, error="x")
    assert listener.types() == ["started", "updated", "updated", "updated", "updated", "failed"]


@pytest.mark.parametrize("bad", [-1, "3", True, None, 1.5])
def test_max_history_must_be_a_non_negative_int(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="max_history"):
        ProgressEventStore(max_history=bad)  # type: ignore[arg-type]

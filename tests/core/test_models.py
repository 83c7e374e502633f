"""The models: fields, percentage, overall progress, serialisation, bad input."""

from __future__ import annotations

import json
import math
from datetime import timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from progresstree import (
    ProgressContext,
    ProgressEventStore,
    ProgressLevel,
    ProgressState,
    ProgressStatus,
)


def test_status_is_a_str_enum() -> None:
    assert ProgressStatus.RUNNING == "running"
    assert [s.value for s in ProgressStatus] == [
        "pending",
        "running",
        "completed",
        "failed",
        "cancelled",
    ]
    assert ProgressStatus.FAILED.is_terminal and not ProgressStatus.PENDING.is_terminal


def test_level_is_constructible_with_keywords() -> None:
    level = ProgressLevel(level_id="x", level_type="song", name="X", total=4)
    assert (level.status, level.current, level.total, level.percentage) == (
        ProgressStatus.PENDING,
        0,
        4,
        0.0,
    )
    assert level.children == {} and level.metadata == {}
    assert level.started_at is None and level.get_elapsed_seconds() == 0.0


def test_level_lifecycle_methods() -> None:
    level = ProgressLevel(level_id="x", level_type="song", name="X", total=4)
    level.start("go")
    assert level.started_at is not None
    assert level.started_at.tzinfo is timezone.utc
    level.update(current=2, message="half", key="v")
    assert (level.percentage, level.message, level.metadata) == (50.0, "half", {"key": "v"})
    level.update(increment=1)
    assert level.current == 3
    level.complete("done")
    assert (level.status, level.percentage, level.message) == (
        ProgressStatus.COMPLETED,
        100.0,
        "done",
    )
    assert level.completed_at is not None and level.completed_at >= level.started_at
    with pytest.raises(RuntimeError, match="'x'"):
        level.update(current=1)


def test_level_fail_and_cancel() -> None:
    failed = ProgressLevel(level_id="f", level_type="t")
    failed.fail(ValueError("bad"))
    assert (failed.status, failed.error) == (ProgressStatus.FAILED, "bad")
    assert failed.error_details is not None
    assert failed.error_details["exception_type"] == "ValueError"
    cancelled = ProgressLevel(level_id="c", level_type="t")
    cancelled.cancel("stop")
    assert cancelled.status is ProgressStatus.CANCELLED


def test_percentage_is_clamped_and_current_kept() -> None:
    level = ProgressLevel(level_id="x", level_type="t", total=10)
    level.update(current=25)
    assert level.current == 25
    assert level.percentage == 100.0


def test_duration_strings() -> None:
    level = ProgressLevel(level_id="x", level_type="t")
    assert level.get_duration_str() == "0.0s"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"current": -1}, ValueError, "current"),
        ({"total": -5}, ValueError, "total"),
        ({"current": "3"}, TypeError, "current"),
        ({"total": [1]}, TypeError, "total"),
        ({"current": math.nan}, ValueError, "current"),
        ({"current": True}, TypeError, "current"),
        ({"message": 3}, TypeError, "message"),
        ({"increment": "1"}, TypeError, "increment"),
    ],
)
def test_bad_updates_raise_and_change_nothing(
    progress: ProgressContext,
    store: ProgressEventStore,
    kwargs: dict[str, object],
    error: type[Exception],
    words: str,
) -> None:
    with progress.operation("op") as op, op.song("s", "S", total=10) as song:
        song.update(current=2, message="m")
        before = op.state.levels["s"].to_dict()
        with pytest.raises(error, match=words):
            song.update(**kwargs)  # type: ignore[arg-type]
        with pytest.raises(error, match=words):
            store.update_level(op.operation_id, "s", **kwargs)  # type: ignore[arg-type]
        after = op.state.levels["s"].to_dict()
        for snapshot in (before, after):
            snapshot.pop("elapsed_seconds")
        assert before == after


def test_bad_values_name_the_value(progress: ProgressContext) -> None:
    with progress.operation("op") as op, op.song("s", "S") as song:
        with pytest.raises(ValueError, match="-7"):
            song.set_total(-7)
        with pytest.raises(ValueError, match="total"):
            op.song("t", "T", total=-1)
        with pytest.raises(ValueError, match="current"):
            song.update(increment=-1)


def test_to_dict_is_json_even_for_odd_metadata(progress: ProgressContext) -> None:
    class Weird:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    with progress.operation("op", path=object()) as op:
        with op.song("s", "S") as song:
            song.update(weird=Weird(), nested={"a": [1, 2.5, {3, 4}]}, nan=math.nan)
        data = op.state.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert "unrepresentable Weird" in text
    assert data["levels"]["s"]["metadata"]["nested"]["a"][:2] == [1, 2.5]
    assert data["levels"]["s"]["status"] == "completed"
    level_data = op.state.levels["s"].to_dict()
    json.dumps(level_data, allow_nan=False)


def test_overall_progress_fields(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        op.set_total(4)
        with op.song("a", "A"):
            pass
        with pytest.raises(ValueError), op.song("b", "B"):
            raise ValueError("x")
        song = op.song("c", "C", total=10).__enter__()
        song.update(current=5)
        overall = op.state.get_overall_progress()
        assert overall["total"] == 4
        assert (overall["completed"], overall["failed"], overall["running"]) == (1, 1, 1)
        assert overall["pending"] == 1 and overall["cancelled"] == 0
        assert overall["percentage"] == pytest.approx((1 + 1 + 0.5) / 4 * 100)
        assert overall["eta_seconds"] is not None and overall["eta_seconds"] >= 0
        assert overall["elapsed_seconds"] >= 0


def test_total_is_at_least_the_number_of_roots(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        op.set_total(1)
        for i in range(3):
            with op.song(i, "S"):
                pass
        assert op.state.get_overall_progress()["total"] == 3


def test_eta_unknown_before_any_progress(progress: ProgressContext) -> None:
    with progress.operation("op") as op:
        op.set_total(3)
        assert op.state.get_overall_progress()["eta_seconds"] is None


def test_state_add_level_rules() -> None:
    state = ProgressState("op1", "t")
    state.add_level("a", "song", "A")
    child = state.add_level("a:b", "action", "B", parent_id="a")
    assert state.get_level("a:b") is child
    assert state.levels["a"].children == {"a:b": child}
    assert state.get_or_create_level("a:b", "action", "B", parent_id="a") is child
    with pytest.raises(KeyError, match="nope"):
        state.add_level("x", "t", "X", parent_id="nope")


# -- property-based: the overall-progress rules -------------------------------

_steps = st.lists(
    st.tuples(
        st.sampled_from(["open_root", "open_child", "advance", "close", "fail"]),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(declared=st.integers(min_value=0, max_value=6), steps=_steps)
def test_percentage_bounded_and_monotone(declared: int, steps: list[tuple[str, int]]) -> None:
    """Within [0, 100], never decreasing while no level exceeds its total."""
    progress = ProgressContext(ProgressEventStore())
    with progress.operation("op") as op:
        op.set_total(declared)
        open_handles: list = []  # type: ignore[type-arg]
        last = 0.0
        for action, amount in steps:
            if action == "open_root":
                if len(op.state.root_level_ids) >= max(declared, 1):
                    continue
                open_handles.append(op.song(len(op.state.levels), "S", total=3).__enter__())
            elif action == "open_child" and open_handles:
                parent = open_handles[-1]
                level = parent.progress_level
                if level is not None and len(level.children) >= level.total:
                    continue
                open_handles.append(parent.action(amount, "A", total=2).__enter__())
            elif action == "advance" and open_handles:
                handle = open_handles[-1]
                level = handle.progress_level
                if level.current + amount <= level.total:
                    handle.update(increment=amount)
            elif action in {"close", "fail"} and open_handles:
                handle = open_handles.pop()
                if action == "close":
                    handle.__exit__(None, None, None)
                else:
                    handle.__exit__(ValueError, ValueError("x"), None)
            percentage = op.state.get_overall_progress()["percentage"]
            assert 0.0 <= percentage <= 100.0
            assert percentage >= last - 1e-9
            last = percentage


@settings(max_examples=100, deadline=None)
@given(
    values=st.one_of(
        st.integers(), st.floats(), st.text(), st.booleans(), st.none(), st.lists(st.integers())
    )
)
def test_amount_validation_never_corrupts(values: object) -> None:
    store = ProgressEventStore()
    progress = ProgressContext(store)
    with progress.operation("op") as op, op.song("s", "S", total=5) as song:
        try:
            song.update(current=values)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            assert op.state.levels["s"].current == 0
        else:
            assert op.state.levels["s"].current == values or values is None
        json.dumps(op.state.to_dict(), allow_nan=False)

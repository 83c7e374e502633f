"""The reference helpers, with a tracker and with None."""

from __future__ import annotations

import pytest

import progresstree
from progresstree import current_level
from progresstree.helpers import (
    IncrementalProgress,
    ProgressTracker,
    get_progress_tracker,
    progress_scope,
    track_progress,
    yield_progress,
)


@pytest.fixture
def ctx() -> progresstree.ProgressContext:
    return progresstree.get_progress_context()


def test_track_progress_is_the_same_object():
    assert track_progress is progresstree.track_progress


def test_get_progress_tracker_reads_metadata():
    tracker = ProgressTracker()
    assert get_progress_tracker({"progress_tracker": tracker}) is tracker
    assert get_progress_tracker({}) is None
    assert get_progress_tracker(None) is None


def test_tracker_on_a_given_level_reports_there(ctx):
    with ctx.operation("op") as op, op.block("b", "Block") as block:
        tracker = ProgressTracker(block)
        tracker.start("Loading", total=100)
        tracker.update(50, message="half")
        level = block.progress_level
        assert (level.current, level.total, level.message) == (50, 100, "half")
        tracker.complete()
        assert level.current == 100
        assert level.status.value == "running"


def test_tracker_without_level_opens_one_under_current(ctx):
    with ctx.operation("op") as op:
        tracker = ProgressTracker()
        tracker.start("Loading", total=4)
        assert current_level() is op
        tracker.update(increment=2)
        level = tracker.handle.progress_level
        assert (level.parent_id, level.current, level.level_type) == (None, 2, "task")
        tracker.complete("done")
        assert level.status.value == "completed"


def test_tracker_without_any_level_starts_an_operation():
    tracker = ProgressTracker()
    tracker.start("Alone", total=2)
    tracker.complete()
    state = progresstree.get_progress_store().get_history()[-1]
    assert (state.name, state.status.value) == ("Alone", "completed")


def test_tracker_fail_ends_its_own_level(ctx):
    with ctx.operation("op"):
        tracker = ProgressTracker()
        tracker.start("x")
        tracker.fail(ValueError("bad"))
        assert tracker.handle.progress_level.error == "bad"


def test_incremental_progress_steps_sets_and_completes(ctx):
    with ctx.operation("op") as op, op.block("b", "B") as block:
        steps = IncrementalProgress(ProgressTracker(block), "Phase", 4)
        steps.step()
        steps.step()
        assert block.progress_level.message == "Phase (2/4)"
        steps.set(3)
        assert block.progress_level.current == 3
        steps.complete()
        assert (block.progress_level.current, block.progress_level.message) == (
            4,
            "Phase complete",
        )


def test_progress_scope_starts_and_completes(ctx):
    with ctx.operation("op"):
        tracker = ProgressTracker()
        with progress_scope(tracker, "Scoped", total=2) as scoped:
            assert scoped is tracker
            yield_progress(tracker, 1, "one")
            assert tracker.handle.progress_level.current == 1
        assert tracker.handle.progress_level.status.value == "completed"


def test_progress_scope_fails_the_tracker_on_exception(ctx):
    with ctx.operation("op"):
        tracker = ProgressTracker()
        with pytest.raises(KeyError), progress_scope(tracker, "Scoped"):
            raise KeyError("k")
        assert tracker.handle.progress_level.status.value == "failed"


def test_helpers_with_a_duck_typed_tracker():
    calls = []

    class Duck:
        def start(self, message, total=None, current=0):
            calls.append(("start", message))

        def update(self, current=None, total=None, message=None, increment=0):
            calls.append(("update", current))

        def complete(self, message=None):
            calls.append(("complete", message))

    duck = Duck()
    with progress_scope(duck, "m"):
        yield_progress(duck, 3)
    assert calls == [("start", "m"), ("update", 3), ("complete", None)]


def test_track_progress_counts_on_a_tracker(ctx):
    with ctx.operation("op") as op, op.block("b", "B") as block:
        for _ in track_progress([1, 2, 3], ProgressTracker(block), "Items"):
            pass
    assert (block.progress_level.current, block.progress_level.total) == (3, 3)


def test_every_helper_accepts_none(ctx):
    steps = IncrementalProgress(None, "x", 3)
    steps.step()
    steps.set(2)
    steps.complete()
    with progress_scope(None, "x") as scoped:
        assert scoped is None
    yield_progress(None, 1, "m")
    assert list(track_progress([1, 2], None, "m")) == [1, 2]
    assert progresstree.get_progress_store().get_history() == []


def test_tracker_rejects_a_non_handle():
    with pytest.raises(TypeError, match="level must be a level handle"):
        ProgressTracker("song")  # type: ignore[arg-type]


class _DuckTracker:
    """A tracker with only the reference's start / update / complete."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def start(self, *args: object, **kwargs: object) -> None:
        self.calls.append(("start", args, kwargs))

    def update(self, *args: object, **kwargs: object) -> None:
        self.calls.append(("update", args, kwargs))

    def complete(self, *args: object, **kwargs: object) -> None:
        self.calls.append(("complete", args, kwargs))


def test_incremental_progress_starts_its_tracker_like_the_reference():
    tracker = _DuckTracker()
    steps = IncrementalProgress(tracker, "Rendering", total=5, start_at=2)
    assert tracker.calls == [("start", ("Rendering",), {"total": 5, "current": 2})]
    steps.step()
    assert tracker.calls[-1][0] == "update"
    assert tracker.calls[-1][2]["current"] == 3


def test_incremental_progress_on_a_real_tracker(ctx):
    with ctx.operation("op") as op, op.block("b", "Block") as block:
        tracker = ProgressTracker(block)
        IncrementalProgress(tracker, "Phase", total=4, start_at=1)
        level = block.progress_level
        assert (level.current, level.total, level.message) == (1, 4, "Phase")


def test_progress_scope_uses_only_start_update_complete():
    tracker = _DuckTracker()
    with pytest.raises(ValueError), progress_scope(tracker, "Mixing", total=3):
        raise ValueError("broke")
    assert [name for name, _, _ in tracker.calls] == ["start", "complete"]
    assert tracker.calls[0] == ("start", ("Mixing",), {"total": 3})


def test_progress_scope_records_a_failure_through_a_public_fail(ctx):
    with ctx.operation("op"):
        tracker = ProgressTracker(level_type="phase")
        with pytest.raises(ValueError), progress_scope(tracker, "Mixing"):
            raise ValueError("broke")
        level = tracker.handle.progress_level
    assert level.status.value == "failed"
    assert level.error == "broke"

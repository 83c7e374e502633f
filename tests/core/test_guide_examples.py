"""Every example of the seed guide, adapted only in its imports."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from progresstree import ProgressState, ProgressStatus, get_progress_context, get_progress_store
from progresstree.testing import assert_tree


@dataclass
class Song:
    id: str
    name: str


@dataclass
class Action:
    name: str


SONGS = [Song("s1", "Intro"), Song("s2", "Ballad"), Song("s3", "Finale")]
ACTIONS = [Action("normalise"), Action("analyse")]


def test_basic_operation_completes_on_exit() -> None:
    progress = get_progress_context()
    with progress.operation("operation_type", "Operation Name") as op:
        assert op.state.status is ProgressStatus.RUNNING
    state = progress.get_history()[-1]
    assert state.status is ProgressStatus.COMPLETED
    assert state.name == "Operation Name"
    assert state.operation_id.startswith("operation_type_")


def test_nested_levels_example() -> None:
    progress = get_progress_context()
    with progress.operation("setlist_processing", "Process All Songs") as op:
        for song in SONGS:
            with op.level("song", song.id, song.name) as song_ctx:
                for idx, action in enumerate(ACTIONS):
                    with song_ctx.level("action", str(idx), action.name) as action_ctx:
                        action_ctx.update(message="Executing...")
    state = progress.get_history()[-1]
    assert_tree(
        state,
        {s.id: ("completed", {"0": "completed", "1": "completed"}) for s in SONGS},
        exact=True,
    )
    assert state.levels["s1:0"].message == "Executing..."
    assert state.levels["s1:0"].parent_id == "s1"


def test_complete_setlist_example() -> None:
    class Service:
        def _execute_action(self, action: Action) -> str:
            return f"done {action.name}"

        def process_setlist(self, setlist_id: str) -> None:
            progress = get_progress_context()
            with progress.setlist_processing(setlist_id, "Processing My Set") as op:
                op.set_total(len(SONGS))
                for idx, song in enumerate(SONGS):
                    with op.song(song.id, song.name) as song_ctx:
                        song_ctx.set_total(len(ACTIONS))
                        song_ctx.update(message=f"Starting ({idx + 1}/{len(SONGS)})")
                        for action_idx, action in enumerate(ACTIONS):
                            with song_ctx.action(str(action_idx), action.name) as action_ctx:
                                action_ctx.update(message="Executing...")
                                result = self._execute_action(action)
                                action_ctx.update(message="Completed", result=result)
                        song_ctx.update(message="Completed")

    Service().process_setlist("set-42")
    state = get_progress_context().get_history(operation_type="setlist_processing")[-1]
    assert state.metadata["setlist_id"] == "set-42"
    assert state.operation_type == "setlist_processing"
    overall = state.get_overall_progress()
    assert overall["total"] == 3
    assert overall["completed"] == 3
    assert overall["percentage"] == pytest.approx(100.0)
    action = state.levels["s2:1"]
    assert action.metadata["result"] == "done analyse"
    assert action.level_type == "action"
    assert state.levels["s2"].message == "Completed"


def test_set_total_update_increment_and_metadata() -> None:
    progress = get_progress_context()
    with progress.operation("op") as op, op.level("song", "s1", "Song") as song_ctx:
        song_ctx.set_total(5)
        song_ctx.update(current=3, message="Processing item 3/5")
        level = op.state.levels["s1"]
        assert (level.current, level.total, level.percentage) == (3, 5, 60.0)
        song_ctx.increment()
        song_ctx.increment(message="Moved to next item")
        assert level.current == 5
        assert level.message == "Moved to next item"
        song_ctx.update(
            message="Processing audio", sample_rate=44100, channels=2, duration_seconds=180.5
        )
        assert level.metadata == {"sample_rate": 44100, "channels": 2, "duration_seconds": 180.5}


def test_convenience_methods() -> None:
    progress = get_progress_context()
    with (
        progress.setlist_processing("set", "Setlist Name") as op,
        op.song("song1", "Song") as song_ctx,
        song_ctx.action("a1", "Action") as action_ctx,
        action_ctx.block("b1", "Block", block_type="LoadAudio") as block_ctx,
        block_ctx.subprocess("sub", "Sub"),
    ):
        pass
    state = progress.get_history()[-1]
    types = {lid: lvl.level_type for lid, lvl in state.levels.items()}
    assert types == {
        "song1": "song",
        "song1:a1": "action",
        "song1:a1:b1": "block",
        "song1:a1:b1:sub": "subprocess",
    }
    assert state.levels["song1:a1:b1"].metadata["block_type"] == "LoadAudio"


def test_block_execution_example() -> None:
    progress = get_progress_context()
    with (
        progress.block_execution("blk", "Loader", block_type="LoadAudio") as op,
        op.subprocess("load", "Loading audio file") as sub,
    ):
        sub.update(current=50, total=100, message="50% loaded")
        assert op.state.levels["load"].percentage == 50.0
    state = progress.get_history()[-1]
    assert state.operation_type == "block_execution"
    assert state.metadata == {"block_id": "blk", "block_type": "LoadAudio"}


def test_exception_marks_level_and_operation_failed() -> None:
    progress = get_progress_context()
    with pytest.raises(ValueError, match="Something went wrong"):
        with progress.operation("my_op", "My Operation") as op:
            with op.level("item", "item_1", "Item 1"):
                raise ValueError("Something went wrong")
    state = progress.get_history()[-1]
    assert state.status is ProgressStatus.FAILED
    level = state.levels["item_1"]
    assert level.status is ProgressStatus.FAILED
    assert level.error == "Something went wrong"
    assert level.error_details is not None
    assert level.error_details["exception_type"] == "ValueError"


def test_error_information_example() -> None:
    progress = get_progress_context()
    with progress.operation("op") as op:
        try:
            with op.level("item", "1", "Item 1"):
                raise ValueError("Invalid input")
        except ValueError:
            pass
        level = op.state.levels["1"]
    assert level.status is ProgressStatus.FAILED
    assert level.error == "Invalid input"
    assert level.error_details is not None
    assert level.error_details["exception_type"] == "ValueError"
    assert level.completed_at is not None
    assert progress.get_history()[-1].status is ProgressStatus.COMPLETED


def test_querying_active_specific_and_history(capsys: pytest.CaptureFixture[str]) -> None:
    progress = get_progress_context()
    with progress.operation("setlist_processing", "Running") as op:
        active = progress.get_active_operations()
        for state in active:
            print(f"{state.name}: {state.status.value}")
        found = progress.get_operation(op.operation_id)
        assert found is not None
        overall = found.get_overall_progress()
        print(f"Progress: {overall['percentage']:.1f}%")
        print(f"Completed: {overall['completed']}/{overall['total']}")
    history = progress.get_history(operation_type="setlist_processing", limit=10)
    for state in history:
        elapsed = state.get_elapsed_seconds()
        print(f"{state.name}: {state.status.value} ({elapsed:.1f}s)")
    out = capsys.readouterr().out
    assert "Running: running" in out
    assert "Progress: 0.0%" in out
    assert "Running: completed (0.0s)" in out


def test_listening_for_updates_example() -> None:
    store = get_progress_store()
    seen: list[tuple[str, float]] = []

    def on_progress(event_type: str, state: ProgressState) -> None:
        if event_type == "updated":
            seen.append((event_type, state.get_overall_progress()["percentage"]))
        elif event_type == "completed":
            seen.append((event_type, 100.0))

    store.add_callback(on_progress)
    progress = get_progress_context()
    with progress.operation("op", "Op") as op:
        op.set_total(2)
        with op.level("item", "a", "A"):
            pass
        with op.level("item", "b", "B"):
            pass
    store.remove_callback(on_progress)
    with progress.operation("op", "Unheard"):
        pass
    assert seen[-1] == ("completed", 100.0)
    percentages = [p for kind, p in seen if kind == "updated"]
    assert percentages == sorted(percentages)
    assert 50.0 in percentages
    assert len([s for s in seen if s[0] == "completed"]) == 1


def test_integration_with_service_init() -> None:
    class SetlistService:
        def __init__(self) -> None:
            self._progress = get_progress_context()

        def process_setlist(self, setlist_id: str) -> None:
            with self._progress.setlist_processing(setlist_id, "name") as op:
                with op.song("s", "S"):
                    pass

    SetlistService().process_setlist("x")
    assert get_progress_context().get_history()[-1].levels["s"].status is ProgressStatus.COMPLETED

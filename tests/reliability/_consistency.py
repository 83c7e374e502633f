"""A whole-store consistency check shared by the reliability tests."""

from __future__ import annotations

import json

from progresstree import ProgressEventStore, ProgressState

TERMINAL = {"completed", "failed", "cancelled"}


def check_operation(state: ProgressState) -> None:
    """Every structural rule a tree must satisfy, whatever happened to the work."""
    levels = state.levels.snapshot()
    roots = list(state.root_level_ids)
    assert len(set(roots)) == len(roots), f"duplicate root ids {roots}"
    reachable: list[str] = []
    stack = [levels[r] for r in roots]
    while stack:
        level = stack.pop()
        reachable.append(level.level_id)
        status = level.status.value
        if status in TERMINAL:
            assert level.completed_at is not None, level
        for child_id, child in level.children.items():
            assert child_id == child.level_id
            assert child.parent_id == level.level_id
            if status in TERMINAL:
                assert child.status.value != "running", f"{child!r} runs under ended {level!r}"
            stack.append(child)
    assert sorted(reachable) == sorted(levels), "levels not reachable from the roots"
    if state.is_finished:
        running = [lv.level_id for lv in levels.values() if lv.status.value == "running"]
        assert not running, f"levels still running in a finished operation: {running}"
    overall = state.get_overall_progress()
    assert 0.0 <= overall["percentage"] <= 100.0
    json.dumps(state.to_dict())


def check_store(store: ProgressEventStore) -> None:
    """Check every operation, active or in history, and the history bound."""
    active = store.get_all_active()
    history = store.get_history(limit=10**6)
    assert len(history) <= store.max_history
    ids = [s.operation_id for s in active + history]
    assert len(set(ids)) == len(ids), "an operation is both active and finished"
    for state in active:
        assert not state.is_finished
        check_operation(state)
    for state in history:
        assert state.is_finished
        check_operation(state)

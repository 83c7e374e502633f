"""``JsonLinesListener``: one parseable object per line, documented fields."""

from __future__ import annotations

import io
import json
from typing import Any

import progresstree
import progresstree.render
from progresstree.render import event_record

from .conftest import fail_inside

FIELDS = {
    "event",
    "scope",
    "timestamp",
    "operation_id",
    "operation_type",
    "operation_name",
    "operation_status",
    "operation_error",
    "overall_percentage",
    "eta_seconds",
    "level_id",
    "level_type",
    "parent_id",
    "name",
    "status",
    "current",
    "total",
    "percentage",
    "message",
    "error",
    "started_at",
    "completed_at",
    "elapsed_seconds",
}


def _records(progress: progresstree.ProgressContext, **kwargs: bool) -> list[dict[str, Any]]:
    out = io.StringIO()
    with progresstree.render.json_lines(progress.store, out, **kwargs):
        with progress.setlist_processing("s", "Gig") as op:
            with op.song("s1", "Opening") as song:
                song.update(current=1, total=2, message="half")
            fail_inside(op, "clipping")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_every_line_has_the_documented_fields(progress: progresstree.ProgressContext) -> None:
    for record in _records(progress):
        assert set(record) == FIELDS


def test_operation_lifecycle_starts_and_ends(progress: progresstree.ProgressContext) -> None:
    records = [r for r in _records(progress) if r["scope"] == "operation"]
    assert records[0]["event"] == "started"
    assert records[-1]["event"] == "completed"
    assert records[-1]["operation_status"] == "completed"
    assert records[-1]["overall_percentage"] == 100.0


def test_each_level_starts_and_ends(progress: progresstree.ProgressContext) -> None:
    levels = [(r["event"], r["level_id"]) for r in _records(progress) if r["scope"] == "level"]
    assert ("started", "s1") in levels
    assert ("completed", "s1") in levels
    assert ("failed", "a1:b1") in levels
    assert levels.index(("started", "s1")) < levels.index(("completed", "s1"))


def test_failed_level_carries_its_error(progress: progresstree.ProgressContext) -> None:
    failed = [r for r in _records(progress) if r["event"] == "failed"]
    assert {r["level_id"] for r in failed} == {"a1", "a1:b1"}
    assert all(r["error"] == "clipping" and r["status"] == "failed" for r in failed)


def test_level_events_can_be_turned_off(progress: progresstree.ProgressContext) -> None:
    assert {r["scope"] for r in _records(progress, level_events=False)} == {"operation"}


def test_record_describes_the_last_level_touched(progress: progresstree.ProgressContext) -> None:
    with progress.operation("job", "Job") as op:
        started = event_record("started", op.state)
        with op.level("step", "x", "Step", total=4) as step:
            step.update(current=1, message="one")
            record = event_record("updated", op.state)
    assert started["level_id"] is None
    assert started["status"] == "running"
    assert record["level_id"] == "x"
    assert record["percentage"] == 25.0
    assert record["message"] == "one"
    assert record["timestamp"].endswith("+00:00")


def test_a_flush_costs_the_changes_not_the_tree(
    progress: progresstree.ProgressContext, monkeypatch: Any
) -> None:
    """Overall progress once per flush; level lines only for what changed."""
    listener = progresstree.render.JsonLinesListener(io.StringIO(), short_levels=None)
    with progress.setlist_processing("s", "Big") as op:
        for index in range(20_000):
            with op.song(index, f"song {index}"):
                pass
        first = listener.records("updated", op.state)
        assert len(first) == 2 * 20_000 + 1  # each song's start and end, then the event
        calls = []
        original = progresstree.ProgressState.get_overall_progress

        def counting(state: progresstree.ProgressState) -> dict[str, Any]:
            calls.append(1)
            return original(state)

        monkeypatch.setattr(progresstree.ProgressState, "get_overall_progress", counting)
        with op.song("late", "late song"):
            records = listener.records("updated", op.state)
        assert [(r["scope"], r["event"], r["level_id"]) for r in records] == [
            ("level", "started", "late"),
            ("operation", "updated", "late"),
        ]
        assert len(calls) == 1
        records = listener.records("updated", op.state)
        assert [(r["scope"], r["event"]) for r in records] == [
            ("level", "completed"),
            ("operation", "updated"),
        ]
        assert records[-1]["overall_percentage"] == 100.0


def test_an_odd_level_type_is_written_as_its_repr(progress: progresstree.ProgressContext) -> None:
    out = io.StringIO()
    with progresstree.render.json_lines(progress.store, out, min_interval=0.0):
        # The context API refuses a non-str level type; the store API does not check it.
        with progress.setlist_processing("s", "Gig") as op:
            progress.store.add_level(op.operation_id, "x", object, "odd")  # type: ignore[arg-type]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    kinds = {line["level_type"] for line in lines if line["scope"] == "level"}
    assert kinds == {repr(object)}

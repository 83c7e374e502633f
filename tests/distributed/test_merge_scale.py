"""Relaying and merging cost what changed, and merge state ends with its operation."""

from __future__ import annotations

import io
import json
from typing import Any

from progresstree import ProgressEventStore, get_progress_context
from progresstree._relay import Relay, weight
from progresstree._replica import Replica
from progresstree.remote.watch import JsonEventWriter


def _ship(relay: Relay, replica: Replica) -> list[list[Any]]:
    records = relay.collect()
    replica.apply(relay.source, json.loads(json.dumps(records)))
    return records


def test_relay_sends_only_what_changed_since_the_last_tick() -> None:
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(2_000):
            with op.level("item", index, "I"):
                pass
        first = _ship(relay, replica)
        assert sum(weight(r) for r in first if r[0] in ("lv", "lr")) == 2_000
        assert len(first) < 10  # finished runs of levels go as a few run records
        with op.level("item", "late", "L") as late:
            late.update(current=1)
            second = _ship(relay, replica)
            assert [r[2][0] for r in second if r[0] == "lv"] == ["late"]
            late.update(current=2)
            third = _ship(relay, replica)
            assert [(r[2][0], r[2][4]) for r in third if r[0] == "lv"] == [("late", 2)]
    _ship(relay, replica)
    merged = hub.get_operation(op.operation_id)
    assert merged is not None
    assert len(merged.levels) == 2_001
    assert merged.get_overall_progress()["completed"] == 2_001


def test_replica_drops_merge_state_when_operations_end() -> None:
    hub = ProgressEventStore(max_history=5)
    replica = Replica(hub)
    for _ in range(50):
        worker = ProgressEventStore()
        relay = Relay()
        worker.add_callback(relay)
        with get_progress_context(worker).operation("job") as op:
            for index in range(20):
                with op.level("item", index, "I"):
                    pass
            _ship(relay, replica)
            assert replica.tracked_operations >= 1
        _ship(relay, replica)
        assert replica.tracked_operations == 0
    assert len(hub.get_history(limit=100)) == 5


def test_replica_prunes_the_hub_s_own_operation_ended_locally() -> None:
    hub = ProgressEventStore()
    replica = Replica(hub)
    worker = ProgressEventStore()
    relay = Relay()
    worker.add_callback(relay)
    with get_progress_context(hub).operation("pool") as pool:
        # A worker sends levels straight into the hub's operation (same id).
        with get_progress_context(worker).operation("pool", operation_id=pool.operation_id) as op:
            with op.level("item", "w", "W"):
                pass
            records = [r for r in relay.collect() if r[0] == "lv"]
        replica.apply(relay.source, records)
        assert replica.tracked_operations == 1
        assert "w" in pool.state.levels
    replica.apply("nobody", [])  # the next batch sweeps what ended meanwhile
    assert replica.tracked_operations == 0


def test_ended_remote_operation_is_not_reopened_after_history_forgot_it() -> None:
    hub = ProgressEventStore(max_history=1)
    replica = Replica(hub)
    worker = ProgressEventStore()
    relay = Relay()
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        pass
    records = relay.collect()
    replica.apply(relay.source, records)
    hub.start_operation("other")
    hub.complete_operation(hub.get_all_active()[0].operation_id)  # pushes it out
    replica.apply(relay.source, records)  # a late duplicate
    assert hub.get_state(op.operation_id) is None


# -- watch --json ---------------------------------------------------------------------


def test_watch_json_lines_are_deltas_that_rebuild_the_tree() -> None:
    store = ProgressEventStore()
    out = io.StringIO()
    store.add_callback(JsonEventWriter(out))
    with get_progress_context(store).operation("job", "Job") as op:
        for index in range(300):
            with op.song(index, f"song {index}") as song:
                song.update(current=1)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["event"] == "started"
    assert lines[-1]["event"] == "completed"
    assert lines[-1]["operation"]["overall_progress"]["completed"] == 300
    merged: dict[str, dict[str, Any]] = {}
    for line in lines:
        merged.update(line["levels"])
    assert len(merged) == 300
    assert {level["status"] for level in merged.values()} == {"completed"}
    assert merged["7"]["name"] == "song 7"
    # Each line carries the levels of one event, not the whole tree: the
    # total written grows linearly (a full state per line grew quadratically).
    assert max(len(line["levels"]) for line in lines) <= 2
    assert len(out.getvalue()) < 300 * 3 * 1_000


def test_overall_progress_follows_a_placeholder_moving_under_its_parent() -> None:
    from progresstree import ProgressState

    hub = ProgressEventStore()
    replica = Replica(hub)
    state = hub.start_operation("job")
    op_id = state.operation_id

    def level(level_id: str, parent: str | None, status: str) -> list[Any]:
        record = [level_id, "item", level_id, status, 0, 0, None, 1.0, None, None, None, parent]
        record.append(None)
        if status == "completed":
            record[8] = 2.0
        return ["lv", op_id, record, 1]

    def recount(merged: ProgressState) -> tuple[int, int, int]:
        roots = [merged.levels[i] for i in merged.root_level_ids]
        done = sum(1 for lv in roots if lv.status.value == "completed")
        running = sum(1 for lv in roots if lv.status.value == "running")
        return len(roots), done, running

    def overall(merged: ProgressState) -> tuple[int, int, int]:
        got = merged.get_overall_progress()
        return got["total"], got["completed"], got["running"]

    # A grandchild first: its parent "x:y" waits as a placeholder root.
    replica.apply("w", [level("x:y:z", "x:y", "running")])
    assert overall(state) == recount(state) == (1, 0, 0)
    # "x:y" arrives below "x" (unknown too): it moves under a new placeholder
    # root "x", so the roots list loses one entry and gains one.
    replica.apply("w", [level("x:y", "x", "running")])
    replica.apply("w", [level("x", None, "completed")])
    assert state.root_level_ids == ["x"]
    assert overall(state) == recount(state) == (1, 1, 0)

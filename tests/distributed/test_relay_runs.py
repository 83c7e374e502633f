"""Run records: finished levels of one parent travel as columns, and arrive whole.

A relay sends a run of finished levels as one ``lr`` record (ids and names
joined, times packed); the receiver checks it whole and expands it into
ordinary levels. The tree at the hub must equal the source tree, and any
hostile variant must be refused with nothing of its entry applied.
"""

from __future__ import annotations

import base64
import gc
import itertools
import json
import struct
from collections.abc import Iterator
from typing import Any

import hypothesis.strategies as st
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from pt_dist_redis import RedisServer

from progresstree import ProgressEventStore, ProgressLevel, ProgressState, get_progress_context
from progresstree._records import MAX_ID, MAX_LEVELS, MAX_RUN, MAX_TEXT, loads
from progresstree._relay import Relay, chunks, stretches, weight
from progresstree._replica import Replica
from progresstree._tally import levels_after
from progresstree.remote import RedisAggregator, RedisPublisher

T0 = 1_700_000_000.0


def _ship(relay: Relay, replica: Replica) -> list[list[Any]]:
    """One tick: collect, encode as the Redis publisher does, decode and apply."""
    records = relay.collect()
    payload = json.dumps(records, separators=(",", ":"), allow_nan=False)
    assert replica.apply(relay.source, loads(payload)) is None
    return records


def _same_tree(source: ProgressState, merged: ProgressState) -> None:
    assert list(merged.levels) == list(source.levels)
    for level_id, mine in source.levels.items():
        theirs = merged.levels[level_id]
        for field in (
            "level_type",
            "name",
            "status",
            "message",
            "error",
            "error_details",
            "parent_id",
            "metadata",
        ):
            assert getattr(theirs, field) == getattr(mine, field), (level_id, field)
        for field in ("current", "total"):
            assert getattr(theirs, field) == getattr(mine, field), (level_id, field)
            assert type(getattr(theirs, field)) is type(getattr(mine, field)), (level_id, field)
        for field in ("started_monotonic", "completed_monotonic"):
            mine_at, theirs_at = getattr(mine, field), getattr(theirs, field)
            assert (mine_at is None) == (theirs_at is None), (level_id, field)
            if mine_at is not None:  # epoch seconds on the wire: sub-microsecond rounding
                assert abs(mine_at - theirs_at) < 1e-6, (level_id, field)


# -- round trips ---------------------------------------------------------------------------------


def test_finished_leaves_travel_as_a_few_run_records() -> None:
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(1_200):
            with op.level("item", "item", f"item {index}"):
                pass
        records = _ship(relay, replica)
    _ship(relay, replica)
    runs = [r for r in records if r[0] == "lr"]
    assert [weight(r) for r in runs] == [500, 500, 200]
    assert not [r for r in records if r[0] == "lv"]
    merged = hub.get_operation(op.operation_id)
    assert merged is not None
    _same_tree(op.state, merged)
    assert merged.get_overall_progress()["completed"] == 1_200


def test_an_open_level_splits_a_run_and_goes_alone() -> None:
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(3):
            with op.level("item", f"a{index}", "A"):
                pass
        with op.level("item", "open", "O") as still_open:
            for index in range(3):
                with op.level("item", f"b{index}", "B"):
                    pass
            records = _ship(relay, replica)
            kinds = [(r[0], weight(r)) for r in records if r[0] != "op"]
            assert kinds == [("lr", 3), ("lv", 1), ("lr", 3)]
            still_open.update(current=1)
        _ship(relay, replica)
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)


def _set(field: str, value: Any) -> Any:
    """A change made to one finished level through its public attributes."""

    def change(state: ProgressState, level_id: str) -> None:
        setattr(state.levels[level_id], field, value)

    return change


def _handle(call: str, *args: Any, **kwargs: Any) -> Any:
    """A change made through the level's handle while it is open."""

    def change(handle: Any) -> None:
        getattr(handle, call)(*args, **kwargs)

    return change


# One level of a run differs in one way: the run must go as single records,
# and the hub's tree must still equal the source tree field by field.
ODD_LEVELS: dict[str, tuple[Any, Any]] = {
    "message": (_handle("update", message="m"), None),
    "current-float": (_handle("update", current=0.0), None),
    "current-value": (_handle("update", current=1), None),
    "total-value": (_handle("update", total=3), None),
    "total-float": (_handle("update", total=2.0), None),
    "failed": (_handle("fail", "broke"), None),
    "cancelled": (_handle("cancel"), None),
    "error-on-completed": (None, _set("error", "")),
    "error-details": (None, _set("error_details", {"k": 1})),
    "metadata": (None, lambda state, level_id: state.levels[level_id].metadata.update(k=1)),
    "type": (None, _set("level_type", "other")),
}


@pytest.mark.parametrize("position", [0, 2, 4])
@pytest.mark.parametrize("case", sorted(ODD_LEVELS))
def test_a_differing_level_goes_alone_and_its_neighbours_in_runs(case: str, position: int) -> None:
    during, after = ODD_LEVELS[case]
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(5):
            with op.level("item", f"i{index}", f"I {index}", 2) as handle:
                if index == position and during is not None:
                    during(handle)
        if after is not None:
            after(op.state, f"i{position}")
        records = _ship(relay, replica)
        # The odd level goes alone; the levels before and after it still make runs.
        kinds = [(r[0], weight(r)) for r in records if r[0] != "op"]
        before = [("lr", position)] if position else []
        after_it = [("lr", 4 - position)] if position < 4 else []
        assert kinds == [*before, ("lv", 1), *after_it]
        assert [r[2][0] for r in records if r[0] == "lv"] == [f"i{position}"]
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)
        # The rest of the levels still travel as runs once they agree again.
        for index in range(5, 10):
            with op.level("item", f"i{index}", f"I {index}", 2):
                pass
        assert [weight(r) for r in _ship(relay, replica) if r[0] == "lr"] == [5]
        _same_tree(op.state, merged)


def test_equal_fields_in_distinct_objects_still_make_a_run() -> None:
    """Types built per level, counts beyond the cached small ints: equal, not identical."""
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(5):
            kind = "".join(["it", "em"])  # a new string object each time
            with op.level(kind, f"i{index}", "I", int("5000")) as handle:
                handle.update(current=int("4000"), message="".join(["m", "e"]))
        records = _ship(relay, replica)
        assert [weight(r) for r in records if r[0] == "lr"] == [5]
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)


def test_a_total_of_another_number_type_ends_a_run() -> None:
    """``2`` and ``2.0`` are equal but arrive as different JSON numbers."""
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(4):
            with op.level("item", f"i{index}", "I", 2.0 if index == 3 else 2):
                pass
        records = _ship(relay, replica)
        assert [(r[0], weight(r)) for r in records if r[0] != "op"] == [("lr", 3), ("lv", 1)]
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)
        assert type(merged.levels["i3"].total) is float


@pytest.mark.parametrize("case", ["newline-in-id", "newline-in-name", "too-large"])
def test_runs_that_cannot_be_columns_go_as_single_records(case: str) -> None:
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(100):
            level_id, name = f"i{index}", "I"
            if case == "newline-in-id" and index == 50:
                level_id = "i\n50"
            elif case == "newline-in-name" and index == 50:
                name = "I\n"
            elif case == "too-large":  # 100 ids of 1,000 characters: more than one record holds
                level_id = f"{index:04d}" + "x" * (MAX_ID - 30)
            with op.level("item", level_id, name):
                pass
        records = _ship(relay, replica)
        assert not [r for r in records if r[0] == "lr"]
        assert len(records) == 1 + 100
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)


def test_a_relayed_level_without_a_start_is_sent_alone_by_the_next_relay() -> None:
    """A hub that relays again: a level it received ended without a start."""
    hub, far = ProgressEventStore(), ProgressEventStore()
    relay, replica, far_replica = Relay(), Replica(hub), Replica(far)
    hub.add_callback(relay)
    batch = [
        ["op", "job_1", "job", "Job", "running", T0, None, None, None, 0, 0, None, None, False, 1]
    ]
    for index in range(4):
        started = None if index == 2 else T0 + index
        record = [f"i{index}", "item", "I", "completed", 0, 0, None, started, T0 + 9]
        batch.append(["lv", "job_1", [*record, None, None, None, None], 1])
    assert replica.apply("w", batch) is None
    records = relay.collect()
    assert not [r for r in records if r[0] == "lr"]
    assert far_replica.apply(relay.source, loads(json.dumps(records))) is None
    merged, source = far.get_operation("job_1"), hub.get_operation("job_1")
    assert merged is not None and source is not None
    _same_tree(source, merged)
    assert merged.levels["i2"].started_monotonic is None


def test_interleaved_parents_keep_their_order() -> None:
    """New levels under two parents, the first and last under the same one."""
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        with op.song("s", "S") as song:
            for index in range(3):
                with op.level("item", f"r{index}", "R"):
                    pass
            for index in range(3):
                with song.action(f"a{index}", "A"):
                    pass
        for index in range(3, 6):
            with op.level("item", f"r{index}", "R"):
                pass
        records = _ship(relay, replica)
        kinds = [(r[0], r[3] if r[0] == "lr" else r[2][0]) for r in records if r[0] != "op"]
        # The song differs from the root leaves after it in type: it goes alone.
        assert kinds == [("lv", "s"), ("lr", None), ("lr", "s"), ("lr", None)]
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)


LEAF = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=6),
        "name": st.text(max_size=8),
        "type": st.sampled_from(["item", "action"]),
        "current": st.sampled_from([0, 1, 1.0, 2.5]),
        "total": st.sampled_from([0, 2, 2.0]),
        "message": st.sampled_from([None, "", "m\nm"]),
        "end": st.sampled_from(["ok", "ok", "ok", "fail", "cancel", "open"]),
        "metadata": st.sampled_from([{}, {}, {"k": 1}]),
    }
)


def _leaf(parent: Any, spec: dict[str, Any]) -> Any:
    """Enter one leaf under ``parent`` as ``spec`` says; return it if it stays open."""
    level = parent.level(spec["type"], spec["id"], spec["name"], spec["total"], **spec["metadata"])
    handle = level.__enter__()
    handle.update(current=spec["current"], message=spec["message"])
    if spec["end"] == "open":
        return level
    if spec["end"] == "fail":
        handle.fail("broke", {"code": 3})
    elif spec["end"] == "cancel":
        handle.cancel("stop")
    level.__exit__(None, None, None)
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    songs=st.lists(st.lists(LEAF, max_size=12), min_size=1, max_size=5),
    ticks=st.sets(st.integers(0, 5)),
)
def test_round_trip_of_any_tree_equals_the_source(
    songs: list[list[dict[str, Any]]], ticks: set[int]
) -> None:
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index, leaves in enumerate(songs):
            with op.song(f"song{index}", f"Song {index}") as song:
                still_open = [_leaf(song, spec) for spec in leaves]
                if index in ticks:  # a tick while some levels are open
                    _ship(relay, replica)
                for level in reversed(still_open):
                    if level is not None:
                        level.__exit__(None, None, None)
            if index + 1 in ticks:
                _ship(relay, replica)
        for spec in songs[0]:  # root-level leaves too
            level = _leaf(op, spec)
            if level is not None:
                level.__exit__(None, None, None)
        _ship(relay, replica)
        merged = hub.get_operation(op.operation_id)
        assert merged is not None
        _same_tree(op.state, merged)
    _ship(relay, replica)


def test_publisher_delivers_every_level_of_a_large_job_through_redis(
    redis_server: RedisServer,
) -> None:
    with RedisAggregator(redis_server.url) as aggregator:
        worker = ProgressEventStore()
        publisher = RedisPublisher(redis_server.url, buffer=300, interval=0.01)
        worker.add_callback(publisher)
        with get_progress_context(worker).operation("job") as op:
            for index in range(3_000):
                with op.level("item", f"i{index}", f"item\n{index}"):  # newline: single records
                    pass
                with op.level("item", f"j{index}", f"item {index}"):
                    pass
        publisher.close(timeout=10)
        assert publisher.dropped == 0
        assert aggregator.wait_idle(10)
        merged = aggregator.get_operation(op.operation_id)
        assert merged is not None
        assert merged.status.value == "completed"
        _same_tree(op.state, merged)
        assert aggregator.rejected == 0


# -- chunking ------------------------------------------------------------------------------------


def _run_of(ids: list[str], op_id: str = "job_1", **fields: Any) -> list[Any]:
    starts = fields.pop("starts", [1.0 + i for i in range(len(ids))])
    ends = fields.pop("ends", [1.5 + i for i in range(len(ids))])
    record = [
        "lr",
        op_id,
        fields.pop("instance", 1),
        fields.pop("parent", None),
        fields.pop("level_type", "item"),
        fields.pop("status", "completed"),
        fields.pop("current", 0),
        fields.pop("total", 0),
        fields.pop("message", None),
        fields.pop("offset", T0),
        "\n".join(ids),
        "\n".join(fields.pop("names", [f"name {i}" for i in ids])),
        base64.b64encode(struct.pack(f"<{len(starts)}d", *starts)).decode(),
        base64.b64encode(struct.pack(f"<{len(ends)}d", *ends)).decode(),
    ]
    assert not fields
    return record


def _levels(entries: list[list[Any]]) -> list[str]:
    out = []
    for entry in entries:
        out += entry[10].split("\n") if entry[0] == "lr" else [entry[2][0]]
    return out


@given(sizes=st.lists(st.integers(0, 40), max_size=12), limit=st.integers(1, 25))
def test_chunks_keep_every_level_in_order_and_respect_the_limit(
    sizes: list[int], limit: int
) -> None:
    entries: list[list[Any]] = []
    for index, size in enumerate(sizes):
        if size == 0:
            single = _good_level()
            single[2][0] = f"single{index}"
            entries.append(single)
        else:
            entries.append(_run_of([f"r{index}.{i}" for i in range(size)]))
    parts = list(chunks(entries, limit))
    assert all(sum(map(weight, part)) <= limit for part in parts)
    assert all(part for part in parts)
    assert _levels([e for part in parts for e in part]) == _levels(entries)
    hub = ProgressEventStore()
    replica = Replica(hub)
    for part in parts:  # every cut run is itself a valid run
        assert replica.apply("w", json.loads(json.dumps([_op(), *part]))) is None
    merged = hub.get_operation("job_1")
    assert list(merged.levels if merged else []) == _levels(entries)


# -- hostile run records -------------------------------------------------------------------------


def _op(op_id: str = "job_1") -> list[Any]:
    return ["op", op_id, "job", "Job", "running", T0, None, None, None, 0, 0, None, None, False, 1]


def _good_level(op_id: str = "job_1") -> list[Any]:
    record = ["ok", "item", "fine", "completed", 1, 1, None, T0, T0 + 1, None, None, None, None]
    return ["lv", op_id, record, 1]


def _packed(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode()


def _with(index: int, value: Any) -> list[Any]:
    record = _run_of(["a", "b"])
    record[index] = value
    return record


HOSTILE_RUNS: dict[str, Any] = {
    "short": _run_of(["a", "b"])[:13],
    "long": [*_run_of(["a", "b"]), None],
    "op-id-none": _with(1, None),
    "op-id-too-long": _with(1, "x" * (MAX_ID + 1)),
    "instance-bool": _with(2, True),
    "parent-list": _with(3, ["p"]),
    "type-int": _with(4, 5),
    "status-running": _with(5, "running"),
    "status-bogus": _with(5, "done"),
    "current-negative": _with(6, -1),
    "current-text": _with(6, "1"),
    "total-huge": _with(7, 10**19),
    "message-list": _with(8, ["m"]),
    "offset-text": _with(9, "0"),
    "offset-bool": _with(9, True),
    "offset-huge": _with(9, 1e12),
    "ids-list": _with(10, ["a", "b"]),
    "names-list": _with(11, ["A", "B"]),
    "empty-id": _run_of(["a", "", "b"]),
    "id-too-long": _run_of(["a", "x" * (MAX_ID + 1)]),
    "names-count": _run_of(["a", "b"], names=["only one"]),
    "parent-is-itself": _run_of(["a", "b"], parent="b"),
    "too-long-run": _run_of([f"l{i}" for i in range(MAX_RUN + 1)]),
    "starts-not-base64": _with(12, "!!!!"),
    "starts-not-text": _with(12, [1.0, 2.0]),
    "starts-one-short": _with(12, _packed([1.0])),
    "starts-one-extra": _with(12, _packed([1.0, 2.0, 3.0])),
    "starts-odd-bytes": _with(12, base64.b64encode(b"\x00" * 15).decode()),
    "starts-nan": _with(12, _packed([1.0, float("nan")])),
    "ends-inf": _with(13, _packed([float("inf"), 1.0])),
    "ends-minus-inf": _with(13, _packed([1.0, float("-inf")])),
    "ends-huge": _with(13, _packed([1e300, 1.0])),
    "ends-before-epoch": _run_of(["a", "b"], ends=[-T0 - 5, 1.0]),
    "ends-far-future": _run_of(["a", "b"], ends=[1.0, 2e11]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_RUNS))
def test_hostile_run_refuses_its_whole_batch(case: str) -> None:
    hub = ProgressEventStore()
    replica = Replica(hub)
    batch = json.loads(json.dumps([_op(), _good_level(), HOSTILE_RUNS[case]]))
    reason = replica.apply("evil", batch)
    assert reason is not None and reason.startswith("bad ")
    assert hub.get_operation("job_1") is None  # nothing of the batch applied
    assert replica.apply("evil", [_op(), _good_level()]) is None  # and the next one is
    assert list(hub.get_operation("job_1").levels) == ["ok"]  # type: ignore[union-attr]


def test_levels_of_all_runs_of_a_batch_are_bounded() -> None:
    runs = [
        _run_of([f"r{r}.{i}" for i in range(MAX_RUN)]) for r in range(MAX_LEVELS // MAX_RUN + 1)
    ]
    hub = ProgressEventStore()
    reason = Replica(hub).apply("evil", [_op(), *runs])
    assert reason is not None and "levels in one batch" in reason
    assert hub.get_operation("job_1") is None


def test_long_names_in_a_run_are_cut_as_in_a_single_record() -> None:
    hub = ProgressEventStore()
    replica = Replica(hub)
    run = _run_of(["a", "b"], names=["n" * (MAX_TEXT + 10), "short"])
    assert replica.apply("w", [_op(), run]) is None
    levels = hub.get_operation("job_1").levels  # type: ignore[union-attr]
    assert len(levels["a"].name) == MAX_TEXT and levels["a"].name.endswith("…")
    assert levels["b"].name == "short"
    assert levels["a"].started_monotonic is not None


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    raw = redis.Redis.from_url(redis_server.url)
    yield raw
    raw.close()


def test_aggregator_skips_hostile_runs_and_keeps_reading(
    redis_server: RedisServer, client: redis.Redis
) -> None:
    with RedisAggregator(redis_server.url) as aggregator:
        for index, case in enumerate(sorted(HOSTILE_RUNS)):
            op_id = f"job_{index}"
            bad = json.loads(json.dumps(HOSTILE_RUNS[case]))
            if bad[0] == "lr" and len(bad) > 1 and bad[1] == "job_1":
                bad[1] = op_id
            data = json.dumps([_op(op_id), _good_level(op_id), bad])
            client.xadd("progresstree", {"s": "evil", "d": data})
        client.xadd(
            "progresstree", {"s": "w", "d": json.dumps([_op("last"), _run_of(["x", "y"], "last")])}
        )
        assert aggregator.wait_idle(10)
        assert aggregator.rejected == len(HOSTILE_RUNS)
        assert [s.operation_id for s in aggregator.get_active_operations()] == ["last"]
        assert list(aggregator.get_operation("last").levels) == ["x", "y"]  # type: ignore[union-attr]


JSON_VALUES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.lists(st.integers(), max_size=2)
)


@settings(max_examples=200, deadline=None)
@given(field=st.integers(1, 13), value=JSON_VALUES)
def test_any_value_in_any_run_field_is_applied_sanely_or_refused(field: int, value: Any) -> None:
    hub = ProgressEventStore()
    replica = Replica(hub)
    run = _with(field, value)
    try:
        batch = loads(json.dumps([_op(), run]))
    except Exception:  # not JSON-encodable (infinity): never reaches a replica
        return
    reason = replica.apply("w", batch)
    if reason is not None and reason.startswith("bad "):  # refused whole
        assert hub.get_active_operations() == []
        return
    # Accepted, or a record refused alone (an unknown parent): the store stays sane.
    states = hub.get_active_operations()  # another operation id: an orphaned one too
    assert sum(len(state.levels) for state in states) == (0 if reason else 2)
    for state in states:
        assert 0.0 <= state.get_overall_progress()["percentage"] <= 100.0
        json.dumps(state.to_dict(), allow_nan=False)


# -- a relay's read of a growing tree --------------------------------------------------------------


def test_reading_new_levels_survives_an_insert_during_the_copy() -> None:
    """A collection during the copy may run Python code, and so another thread's insert."""
    levels = {f"k{i}": i for i in range(1_000)}
    inserted: list[int] = []

    def insert(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and len(inserted) < 20:
            inserted.append(1)
            levels[f"x{len(levels)}"] = len(levels)

    threshold = gc.get_threshold()
    gc.callbacks.append(insert)
    gc.set_threshold(1)
    try:
        for _ in range(50):
            size, tail = levels_after(levels, 10)
            assert tail == list(levels.values())[10:size]
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(insert)
    assert inserted


def test_an_event_after_the_end_was_sent_resends_nothing() -> None:
    """The end can race a tick: a late event of an operation sent whole is ignored."""
    worker, hub = ProgressEventStore(), ProgressEventStore()
    relay, replica = Relay(), Replica(hub)
    worker.add_callback(relay)
    with get_progress_context(worker).operation("job") as op:
        for index in range(50):
            with op.level("item", index, "I"):
                pass
    assert _ship(relay, replica)[-1][4] == "completed"
    relay("updated", op.state)  # what a late delivery of the last event does
    assert relay.collect() == []


# -- the scan that finds runs ----------------------------------------------------------------------

SCANNED = st.fixed_dictionaries(
    {
        "parent": st.sampled_from([None, "p"]),
        "type": st.sampled_from(["item", "action"]),
        "status": st.sampled_from(["completed", "completed", "running"]),
        "current": st.sampled_from([0, 0, 0.0, 1000]),
        "total": st.sampled_from([2, 2, 2.0, 3]),
        "message": st.sampled_from([None, None, "mm"]),
        "error": st.sampled_from([None, None, None, None, "", "e"]),
        "metadata": st.sampled_from([None, None, None, {"k": 1}]),
        "details": st.sampled_from([None, None, None, {}, {"d": 1}]),
        "fresh": st.booleans(),
    }
)


SCANNED_FIELDS = [
    *("parent", "type", "status", "current", "total", "message", "error", "metadata", "details")
]


def _scanned(spec: dict[str, Any]) -> ProgressLevel:
    """A level as ``spec`` says; ``fresh``: its texts and counts equal, not identical objects."""

    def fresh(value: Any) -> Any:
        if not spec["fresh"] or value is None:
            return value
        if isinstance(value, str):
            return "".join(list(value))  # a new string object
        return type(value)(str(value))  # a new int (beyond the cached small ones) or float

    return ProgressLevel(
        "x",
        fresh(spec["type"]),
        status=spec["status"],
        current=fresh(spec["current"]),
        total=fresh(spec["total"]),
        message=fresh(spec["message"]),
        error=spec["error"],
        error_details=spec["details"],
        parent_id=fresh(spec["parent"]),
        metadata=spec["metadata"],
    )


def _fields(level: ProgressLevel) -> tuple[Any, ...]:
    return (
        level.parent_id,
        level.level_type,
        level.status,
        level.message,
        level.current,
        type(level.current),
        level.total,
        type(level.total),
    )


def _alone(level: ProgressLevel) -> bool:
    return level.error is not None or bool(level.error_details) or bool(level.metadata)


@settings(max_examples=300, deadline=None)
@given(
    base=SCANNED,
    changes=st.lists(
        st.tuples(st.sampled_from([None, "fresh", *SCANNED_FIELDS]), SCANNED),
        min_size=1,
        max_size=30,
    ),
)
def test_stretches_are_the_maximal_runs_of_equal_levels(
    base: dict[str, Any], changes: list[tuple[str | None, dict[str, Any]]]
) -> None:
    # Most levels equal the base, or differ from it in one field: near neighbours.
    specs = [base if field is None else {**base, field: other[field]} for field, other in changes]
    levels = [_scanned(spec) for spec in specs]
    found = list(stretches(levels))
    assert found[0][0] == 0 and found[-1][1] == len(levels)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(found))
    for start, end in found:
        assert start < end
        part = levels[start:end]
        if len(part) > 1:  # a run: equal fields of one type, nothing that must go alone
            assert len({_fields(level) for level in part}) == 1
            assert not any(map(_alone, part))
    for (_, end), _next in itertools.pairwise(found):  # maximal: the neighbours differ
        left, right = levels[end - 1], levels[end]
        assert _fields(left) != _fields(right) or _alone(left) or _alone(right)

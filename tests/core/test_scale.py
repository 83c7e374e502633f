"""Reading an operation costs what changed: overall progress, change cursor, id suffixes."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from progresstree import (
    ProgressEventStore,
    ProgressState,
    ProgressStatus,
    get_progress_context,
)
from progresstree._changes import ChangeCursor


def recount(state: ProgressState) -> dict[str, Any]:
    """get_overall_progress() as it was: every root visited, fractions recursed."""
    levels = state.levels
    roots = [levels[i] for i in list(state.root_level_ids) if i in levels]
    counts = dict.fromkeys(("completed", "failed", "cancelled", "running", "pending"), 0)
    done = 0.0
    for level in roots:
        counts[level.status.value] += 1
        done += level.fraction()
    total = max(state.total, len(roots))
    started = counts["running"] + counts["completed"] + counts["failed"] + counts["cancelled"]
    counts["pending"] = max(int(total) - started, 0)
    if total > 0:
        fraction = done / total
        if state.total > 0 and state.current:
            fraction = max(fraction, state.current / state.total)
        fraction = min(fraction, 1.0)
    else:
        fraction = 1.0 if state.status is ProgressStatus.COMPLETED else 0.0
    return {"total": total, **counts, "percentage": fraction * 100.0}


def assert_same(state: ProgressState) -> None:
    fast = state.get_overall_progress()
    slow = recount(state)
    for key in ("total", "completed", "failed", "cancelled", "running", "pending"):
        assert fast[key] == slow[key], key
    assert math.isclose(fast["percentage"], slow["percentage"], rel_tol=1e-9, abs_tol=1e-9)


_ACTION = st.tuples(
    st.sampled_from(["add", "add", "start", "update", "complete", "fail", "cancel", "read"]),
    st.integers(0, 40),  # picks a level (or a parent for "add")
    st.integers(0, 5),  # a small id, so that ids repeat
    st.integers(0, 8),  # an amount
)


@settings(max_examples=150, deadline=None)
@given(actions=st.lists(_ACTION, max_size=80), declared=st.integers(0, 6))
def test_overall_progress_equals_a_full_recount(
    actions: list[tuple[str, int, int, int]], declared: int
) -> None:
    store = ProgressEventStore()
    state = store.start_operation("job")
    state.set_total(declared)
    for kind, pick, small, amount in actions:
        ids = list(state.levels)
        target = ids[pick % len(ids)] if ids else None
        if kind == "add":
            parent = target if pick % 3 else None
            level_id = f"{parent}:{small}" if parent else str(small)
            store.add_level(state.operation_id, level_id, "item", "I", parent, total=amount)
        elif target is None:
            continue
        elif kind == "start":
            store.start_level(state.operation_id, target)
        elif kind == "update":
            store.update_level(state.operation_id, target, current=amount)
        elif kind == "complete":
            store.complete_level(state.operation_id, target)
        elif kind == "fail":
            store.fail_level(state.operation_id, target, "boom")
        elif kind == "cancel":
            store.cancel_level(state.operation_id, target)
        if kind == "read" or pick % 4 == 0:  # reads between changes settle part of it
            assert_same(state)
    assert_same(state)
    store.complete_operation(state.operation_id)
    assert_same(state)


def test_overall_progress_reads_only_what_changed() -> None:
    """A read after n finished levels no longer visits them (the old one took O(n))."""
    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        for index in range(50_000):
            with op.level("item", index, "I"):
                pass
        op.state.get_overall_progress()  # settles the 50,000 once
        start = time.perf_counter()
        for _ in range(200):
            progress = op.state.get_overall_progress()
        per_read = (time.perf_counter() - start) / 200
    assert progress["completed"] == 50_000
    # A recount visits 50,000 levels (milliseconds); a settled read is microseconds.
    assert per_read < 0.0005


def test_nested_running_path_fraction_matches_the_level_fraction() -> None:
    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        op.set_total(2)
        with op.song("s", "S", total=4) as song:
            for index in range(3):
                with song.action(index, "A"):
                    pass
            with song.action("x", "X", total=10) as act:
                act.update(current=5)
                assert_same(op.state)
                level = song.progress_level
                assert level is not None
                assert op.state.get_overall_progress()["percentage"] == pytest.approx(
                    level.fraction() * 50
                )
        assert_same(op.state)


def test_overall_progress_read_while_threads_enter_and_exit_levels() -> None:
    import threading

    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        stop = threading.Event()
        seen: list[int] = []

        def reader() -> None:
            while not stop.is_set():
                seen.append(op.state.get_overall_progress()["completed"])

        def worker(name: str) -> None:
            for index in range(3_000):
                with op.song(f"{name}-{index}", "S") as song, song.action("a", "A"):
                    pass

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
        watcher = threading.Thread(target=reader)
        watcher.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
        assert seen == sorted(seen)  # a count never goes back
        assert_same(op.state)
        assert op.state.get_overall_progress()["completed"] == 9_000


def test_a_state_that_was_read_is_still_freed_with_its_store() -> None:
    import gc
    import weakref

    class Marker:
        """Held only by the state's metadata: freed exactly when the state is."""

    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        with op.song("s", "S") as song, song.action("a", "A"):
            op.state.get_overall_progress()  # the tally now holds open levels
        op.state.get_overall_progress()
    marker = Marker()
    op.state.metadata["marker"] = marker
    gone = weakref.ref(marker)  # records take no weak references in the compiled build
    del store, op, song, marker
    gc.collect()
    assert gone() is None


def test_a_read_state_still_pickles_and_counts_afresh() -> None:
    import pickle

    store = ProgressEventStore()
    state = store.start_operation("job")
    store.add_level(state.operation_id, "a", "item", "A")
    store.complete_level(state.operation_id, "a")
    assert state.get_overall_progress()["completed"] == 1
    copy = pickle.loads(pickle.dumps(state))
    assert copy.get_overall_progress()["completed"] == 1
    assert_same(copy)


# -- change cursor ------------------------------------------------------------------


def test_cursor_reports_new_changed_and_ended_once() -> None:
    store = ProgressEventStore()
    state = store.start_operation("job")
    cursor = ChangeCursor()
    assert not cursor.poll(state)
    store.add_level(state.operation_id, "a", "item", "A")
    store.add_level(state.operation_id, "b", "item", "B")
    found = cursor.poll(state)
    assert [lv.level_id for lv in found.new] == ["a", "b"]
    assert found.changed == found.ended == []
    assert not cursor.poll(state)  # nothing since the mark

    store.update_level(state.operation_id, "a", current=1)
    store.complete_level(state.operation_id, "b")
    store.add_level(state.operation_id, "c", "item", "C")
    store.complete_level(state.operation_id, "c")
    found = cursor.poll(state)
    assert [lv.level_id for lv in found.changed] == ["a"]
    assert [lv.level_id for lv in found.ended] == ["b"]
    assert [lv.level_id for lv in found.new] == ["c"]  # new and already ended
    assert found.new[0].is_finished
    assert cursor.open_count == 1  # only "a" is still watched
    store.update_level(state.operation_id, "a", current=1)  # same value: no change
    assert not cursor.poll(state)


def test_cursors_are_independent_marks() -> None:
    store = ProgressEventStore()
    state = store.start_operation("job")
    first, second = ChangeCursor(), ChangeCursor()
    store.add_level(state.operation_id, "a", "item", "A")
    assert len(first.poll(state).new) == 1
    store.add_level(state.operation_id, "b", "item", "B")
    assert [lv.level_id for lv in first.poll(state).new] == ["b"]
    assert [lv.level_id for lv in second.poll(state).new] == ["a", "b"]


def test_cursor_poll_skips_finished_history() -> None:
    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        cursor = ChangeCursor()
        for index in range(20_000):
            with op.level("item", index, "I"):
                pass
        assert len(cursor.poll(op.state).new) == 20_000
        assert cursor.open_count == 0
        with op.level("item", "last", "I"):
            found = cursor.poll(op.state)
            assert [lv.level_id for lv in found.new] == ["last"]
            assert cursor.open_count == 1


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.booleans()), max_size=60))
def test_cursor_sees_every_level_start_and_end_exactly_once(
    steps: list[tuple[int, bool, bool]],
) -> None:
    store = ProgressEventStore()
    state = store.start_operation("job")
    cursor = ChangeCursor()
    started: list[str] = []
    ended: list[str] = []

    def poll() -> None:
        found = cursor.poll(state)
        started.extend(lv.level_id for lv in found.new)
        ended.extend(lv.level_id for lv in found.new if lv.is_finished)
        ended.extend(lv.level_id for lv in found.ended)

    for pick, add, read in steps:
        ids = list(state.levels)
        if add or not ids:
            store.add_level(state.operation_id, str(pick), "item", "I")
        else:
            store.complete_level(state.operation_id, ids[pick % len(ids)])
        if read:
            poll()
    poll()
    assert sorted(started) == sorted(state.levels)
    assert sorted(ended) == sorted(i for i, lv in state.levels.items() if lv.is_finished)


# -- duplicate ids -------------------------------------------------------------------


def test_repeated_ids_get_consecutive_suffixes() -> None:
    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        ids = []
        for _ in range(4):
            with op.level("item", "x", "X") as level:
                ids.append(level.level_id)
        with op.song("s", "S") as song:
            for _ in range(3):
                with song.action("a", "A") as act:
                    ids.append(act.level_id)
        explicit = store.add_level(op.operation_id, "x#5", "item", "taken by hand")
        assert explicit is not None
        with op.level("item", "x", "X") as level:
            ids.append(level.level_id)
    assert ids == ["x", "x#2", "x#3", "x#4", "s:a", "s:a#2", "s:a#3", "x#6"]


def test_a_repeated_id_costs_the_same_the_ten_thousandth_time() -> None:
    store = ProgressEventStore()
    with get_progress_context(store).operation("job") as op:
        level = op.level

        def batch(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                with level("item", "same", "S"):
                    pass
            return time.perf_counter() - start

        early = batch(1_000)
        batch(20_000)
        late = batch(1_000)
    assert len(op.state.levels) == 22_000
    assert "same#22000" in op.state.levels
    # Linear probing made the late batch ~20x slower than the early one.
    assert late < early * 5


# -- retained levels and the cyclic GC ---------------------------------------------------

_GC_SCRIPT = """
import gc, time
from progresstree import ProgressEventStore, get_progress_context
OWN = %s
if OWN:
    keep = [[i] for i in range(1000)]
    gc.freeze()
own = gc.get_freeze_count()
store = ProgressEventStore()
with get_progress_context(store).operation("job") as op:
    for index in range(200_000):
        with op.level("item", f"item-{index}", "I"):
            pass
    gc.collect()
    during = gc.get_freeze_count()
    start = time.perf_counter(); gc.collect(); frozen_walk = time.perf_counter() - start
after = gc.get_freeze_count()
start = time.perf_counter(); gc.collect(); full_walk = time.perf_counter() - start
print(own, during, after, frozen_walk < full_walk, len(store.get_history()[0].levels))
"""


def _gc_run(own_freeze: bool) -> list[str]:
    import subprocess
    import sys

    code = _GC_SCRIPT % own_freeze
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.split()


def test_levels_retained_by_a_running_job_are_frozen_then_handed_back() -> None:
    own, during, after, quicker, kept = _gc_run(own_freeze=False)
    assert own == "0"
    assert int(during) >= 100_000  # slow full collections during the job froze them
    assert after == "0"  # the last running operation ended: handed back
    assert quicker == "True"  # a frozen heap is walked faster
    assert kept == "200000"


def test_an_application_s_own_freeze_is_left_alone() -> None:
    own, during, after, _, kept = _gc_run(own_freeze=True)
    assert int(own) > 0
    assert during == after == own  # neither frozen further nor unfrozen for it
    assert kept == "200000"

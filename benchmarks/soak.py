"""Load and soak run: throughput, peak memory and memory flatness under sustained work.

Not a test (it takes a while and its figures depend on the machine). Three
scenarios, each run twice: once for speed, once under ``tracemalloc`` for
memory (tracing slows Python down several times, so it never shares a run
with the timing):

1. one million ``increment()`` calls with two throttled listeners attached
   and a thread reading the tree (percentage and ``to_dict()``) all along;
2. 10,000 operations (one song with five actions each) through a history of
   100: once history is full, memory must stay flat;
3. 16 threads each opening 10,000 levels under one operation.

Run: ``.venv/bin/python benchmarks/soak.py`` (``--quick`` divides the sizes
by ten).
"""

from __future__ import annotations

import argparse
import gc
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import progresstree
from progresstree import ProgressEventStore

MB = 1024 * 1024


def updates_with_listeners(n: int) -> dict[str, Any]:
    """``n`` increments, two throttled listeners, one reader thread."""
    store = ProgressEventStore()
    progress = progresstree.get_progress_context(store)
    delivered = [0, 0]

    def ui(event_type: str, state: Any) -> None:
        delivered[0] += 1
        state.get_overall_progress()

    def log(event_type: str, state: Any) -> None:
        delivered[1] += 1
        state.to_dict()

    store.add_callback(ui, min_interval=0.05)
    store.add_callback(log, min_interval=0.1)
    stop = threading.Event()
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            for state in store.get_all_active():
                state.get_overall_progress()
                state.to_dict()
            reads[0] += 1
            time.sleep(0.001)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    start = time.perf_counter()
    with progress.operation("soak", "updates") as op, op.song("s", "song", total=n) as song:
        increment = song.increment
        for _ in range(n):
            increment()
    elapsed = time.perf_counter() - start
    stop.set()
    thread.join()
    store.remove_callback(ui)
    store.remove_callback(log)
    assert song.progress_level is not None
    assert song.progress_level.current == n
    return {
        "seconds": elapsed,
        "per_second": n / elapsed,
        "ui_calls": delivered[0],
        "log_calls": delivered[1],
        "reader_passes": reads[0],
    }


def operations_through_history(n: int, checkpoints: int = 10) -> dict[str, Any]:
    """``n`` operations through a history of 100; memory sampled at checkpoints."""
    store = ProgressEventStore(max_history=100)
    progress = progresstree.get_progress_context(store)
    samples: list[int] = []
    step = max(n // checkpoints, 1)
    start = time.perf_counter()
    for i in range(n):
        with progress.setlist_processing(f"set-{i}", "setlist") as op:
            op.set_total(1)
            with op.song("s", "song", total=5) as song:
                for a in range(5):
                    with song.action(a, "action"):
                        pass
        if (i + 1) % step == 0 and tracemalloc.is_tracing():
            gc.collect()
            samples.append(tracemalloc.get_traced_memory()[0])
    elapsed = time.perf_counter() - start
    assert len(store.get_history(limit=1000)) == 100
    assert store.get_all_active() == []
    return {"seconds": elapsed, "per_second": n / elapsed, "samples": samples, "store": store}


def threads_of_levels(threads: int, per_thread: int) -> dict[str, Any]:
    """``threads`` threads each opening ``per_thread`` levels under one operation."""
    store = ProgressEventStore()
    progress = progresstree.get_progress_context(store)
    barrier = threading.Barrier(threads + 1)

    def worker(n: int) -> None:
        ctx = progresstree.get_progress_context(store)
        barrier.wait()
        with ctx.song(f"t{n}", f"thread {n}", total=per_thread) as song:
            for i in range(per_thread):
                with song.action(i, "action"):
                    pass

    with progress.operation("soak", "threads") as op:
        pool = [
            threading.Thread(target=progresstree.carry(worker), args=(n,)) for n in range(threads)
        ]
        for thread in pool:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - start
    levels = len(op.state.levels)
    assert levels == threads * (per_thread + 1), levels
    assert all(lv.status.value == "completed" for lv in op.state.levels.values())
    return {
        "seconds": elapsed,
        "per_second": threads * per_thread / elapsed,
        "levels": levels,
        "store": store,
    }


def traced(run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], int, int]:
    """``run()`` under tracemalloc: its result, peak and retained bytes.

    Retained bytes are measured while the result (and the store it may hold)
    is still alive.
    """
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = run()
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak - base, current - base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes divided by ten")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    updates, operations, per_thread = 1_000_000 // scale, 10_000 // scale, 10_000 // scale

    print(f"1. {updates:,} increments, two throttled listeners, one reader thread")
    timed = updates_with_listeners(updates)
    _, peak, _ = traced(lambda: updates_with_listeners(updates))
    print(
        f"   {timed['per_second']:,.0f} increments/s ({timed['seconds']:.2f} s); "
        f"listener calls {timed['ui_calls']} + {timed['log_calls']}; "
        f"reader passes {timed['reader_passes']}; peak {peak / MB:.2f} MiB (traced)"
    )

    print(f"2. {operations:,} operations (1 song x 5 actions) through a history of 100")
    timed = operations_through_history(operations)
    result, peak, retained = traced(lambda: operations_through_history(operations))
    samples = result["samples"]
    steady = samples[1:]  # the first checkpoint comes after history filled up
    spread = max(steady) - min(steady) if steady else 0
    print(
        f"   {timed['per_second']:,.0f} operations/s ({timed['seconds']:.2f} s); "
        f"peak {peak / MB:.2f} MiB; retained (history of 100) {retained / MB:.2f} MiB"
    )
    print("   traced memory at checkpoints (KiB): " + ", ".join(f"{s / 1024:.0f}" for s in samples))
    flat = spread <= max(0.05 * max(steady, default=1), 64 * 1024)
    print(f"   spread once history is full: {spread / 1024:.1f} KiB -> flat: {flat}")

    threads = 16
    print(f"3. {threads} threads x {per_thread:,} levels under one operation")
    timed = threads_of_levels(threads, per_thread)
    result, peak, retained = traced(lambda: threads_of_levels(threads, per_thread))
    print(
        f"   {timed['per_second']:,.0f} levels/s ({timed['seconds']:.2f} s); "
        f"peak {peak / MB:.2f} MiB; {result['levels']:,} levels recorded"
    )
    print(f"   {retained / result['levels']:.0f} bytes retained per finished level")


if __name__ == "__main__":
    main()

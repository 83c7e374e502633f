"""Scale benchmark: what a level, a listener and a reader cost as a job grows.

Rows at 1e3, 1e5 and 1e6 levels, flat (every level a root) and nested
(songs of 100 levels: a song holding 99 actions), string ids:

* per-level enter+exit, and its ratio to the 1e3 figure (target <= 1.3x);
* job time with each listener attached (JSON lines, plain lines, the live
  tree, a relay as the process-pool and Redis publishers use it) over the
  same job with none, as the median of paired ratios (target <= 1.3x); the
  relay's last collect and encode, which the job leaves to do, are timed
  with the job (a job shorter than a tick would otherwise never pay them);
* one live refresh and one JSON-lines flush on a tree of 1e5 flat levels
  (targets <= 10 ms and <= 1 ms);
* memory and GC: bytes retained per finished level in a nested tree
  (target <= 400 B) and the time of a full ``gc.collect()`` with them alive;
* at a hub: decoding and applying a relay's records, per level;
* the floor under the first row: a bare loop (no library) that keeps every
  record it makes in a dict by id, as any store that keeps finished levels
  as objects must, and the same loop keeping only ids and times in lists.

Times are CPU seconds of the whole process (``time.process_time``: every
thread, listeners' flusher and refresh threads included). With the GIL that
is close to wall time on an idle machine, but other processes on a shared
machine do not inflate it. Every ratio is taken inside one run, each
measurement next to its anchor (alternating rounds, median of the paired
ratios).

    .venv/bin/python benchmarks/bench_scale.py                # all sizes
    .venv/bin/python benchmarks/bench_scale.py --sizes 1e3 1e5
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console

import progresstree.render
from progresstree import ProgressEventStore, get_progress_context
from progresstree._records import loads
from progresstree._relay import Relay, Ticker
from progresstree._replica import Replica
from progresstree.render import JsonLinesListener, LiveRenderer

SONG = 100  # levels per song in the nested shape (the song and 99 actions)


def run_job(
    store: ProgressEventStore, n: int, nested: bool, finish: Callable[[], None] | None = None
) -> float:
    """Seconds to run one operation of ``n`` levels in ``store``, its exit included.

    The exit counts: it delivers the terminal event, on which a line-writing
    listener writes what it still owes (the tracked code waits for that).
    ``finish`` (also timed) is the rest of the work the job caused a
    listener that works on its own thread, e.g. a relay's last collect.
    """
    progress = get_progress_context(store)
    start = time.process_time()
    with progress.operation("bench") as op:
        if nested:
            songs = n // SONG
            for i in range(songs):
                with op.song(f"song-{i}", "Song") as song:
                    action = song.action
                    for j in range(SONG - 1):
                        with action(f"action-{j}", "Action"):
                            pass
        else:
            level = op.level
            for i in range(n):
                with level("item", f"item-{i}", "Item"):
                    pass
    if finish is not None:
        finish()
    return time.process_time() - start


def per_level_us(n: int, nested: bool, repeat: int) -> float:
    """Median microseconds per level of ``repeat`` fresh jobs of ``n`` levels."""
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(run_job(ProgressEventStore(), n, nested) / n * 1e6)
    return statistics.median(times)


# -- listeners ----------------------------------------------------------------------------


def _nothing() -> None:
    pass


@contextlib.contextmanager
def attach(kind: str, store: ProgressEventStore) -> Iterator[Callable[[], None]]:
    """The listener ``kind`` attached to ``store`` as the library attaches it.

    Yields what finishes the listener's work for the job (timed with it).
    """
    sink = open(os.devnull, "w")  # noqa: SIM115
    try:
        if kind == "json":
            with progresstree.render.json_lines(store, sink):
                yield _nothing
        elif kind == "plain":
            with progresstree.render.plain(store, sink):
                yield _nothing
        elif kind == "live":
            console = Console(file=sink, force_terminal=True, width=120)
            with LiveRenderer(store, console=console):
                yield _nothing
        elif kind == "relay":
            relay = Relay()
            store.add_callback(relay)  # as the publishers do

            def pump() -> None:
                records = relay.collect()
                if records:
                    json.dumps(records, separators=(",", ":"), allow_nan=False)  # as Redis

            ticker = Ticker(pump, 0.05, "bench-relay")

            try:
                # Shipping what the job left is timed with it: a job shorter
                # than a tick would otherwise never pay its relay. Stopping
                # the ticker thread is the publisher's, not the job's.
                yield pump
            finally:
                ticker.stop(5.0)
                pump()
                store.remove_callback(relay)
        else:
            yield _nothing
    finally:
        sink.close()


def listener_ratio(kind: str, n: int, nested: bool, pairs: int) -> tuple[float, float]:
    """``(median ratio, median seconds without)``: jobs with vs without ``kind``."""
    ratios, bare = [], []
    for _ in range(pairs):
        gc.collect()
        without = run_job(ProgressEventStore(), n, nested)
        gc.collect()
        store = ProgressEventStore()
        with attach(kind, store) as finish:
            with_ = run_job(store, n, nested, finish)
        ratios.append(with_ / without)
        bare.append(without)
    return statistics.median(ratios), statistics.median(bare)


# -- the hub's side ---------------------------------------------------------------------------


def _entries(records: list[Any]) -> list[list[Any]]:
    """``records`` cut as the Redis publisher cuts them (500 levels per entry)."""
    try:
        from progresstree._relay import chunks
    except ImportError:  # a version whose records each carry one level
        return [records[i : i + 500] for i in range(0, len(records), 500)]
    return list(chunks(records, 500))


def replica_apply_us(n: int, nested: bool, repeat: int = 3) -> tuple[float, float]:
    """``(µs per level to decode + apply, bytes per level)`` at a hub, Redis-sized entries.

    A job of ``n`` levels runs with a relay attached; its records are
    collected once, encoded as the Redis publisher does (entries of 500
    levels), then decoded (``_records.loads``) and applied by a fresh
    ``Replica`` into a fresh hub store, the way the aggregator does.
    """
    store = ProgressEventStore()
    relay = Relay()
    store.add_callback(relay)
    run_job(store, n, nested)
    records = relay.collect()
    payloads = [
        json.dumps(part, separators=(",", ":"), allow_nan=False) for part in _entries(records)
    ]
    size = sum(len(p) for p in payloads)
    times = []
    for _ in range(repeat):
        hub = ProgressEventStore()
        replica = Replica(hub)
        gc.collect()
        start = time.process_time()
        for payload in payloads:
            refused = replica.apply(relay.source, loads(payload))
            if refused is not None:
                raise RuntimeError(refused)
        times.append(time.process_time() - start)
        merged = hub.get_operation(records[0][1])
        if merged is None or len(merged.levels) != n:
            raise RuntimeError("the hub did not receive every level")
    return statistics.median(times) / n * 1e6, size / n


# -- single reads --------------------------------------------------------------------------


def _filled(n: int) -> tuple[Any, Any]:
    store = ProgressEventStore()
    op = get_progress_context(store).operation("bench", "Bench").__enter__()
    level = op.level
    for i in range(n):
        with level("item", f"item-{i}", "Item"):
            pass
    return store, op


def live_refresh_ms(n: int, repeat: int = 30) -> float:
    """Median CPU ms to build and draw one frame of the live tree of ``n`` flat levels."""
    store, op = _filled(n)
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    renderer = LiveRenderer(store, console=console)
    renderer("started", op.state)
    console.print(renderer.renderable())  # the first frame settles the tree once
    times = []
    for i in range(repeat):
        with op.level("item", f"extra-{i}", "Extra"):
            renderer("updated", op.state)
            console.file = io.StringIO()
            start = time.thread_time()
            console.print(renderer.renderable())
            times.append(time.thread_time() - start)
    op.__exit__(None, None, None)
    return statistics.median(times) * 1e3


def json_flush_ms(n: int, repeat: int = 200) -> float:
    """Median CPU ms of one JSON-lines flush (one level changed) on ``n`` flat levels."""
    _store, op = _filled(n)
    listener = JsonLinesListener(io.StringIO())
    listener("started", op.state)  # the first flush reports what exists
    times = []
    for i in range(repeat):
        with op.level("item", f"extra-{i}", "Extra"):
            pass
        listener.stream = io.StringIO()
        start = time.thread_time()
        listener("updated", op.state)
        times.append(time.thread_time() - start)
    op.__exit__(None, None, None)
    return statistics.median(times) * 1e3


def memory_and_gc(n: int) -> tuple[float, float, float]:
    """Bytes retained per finished nested level; full-collection ms during and after the job.

    "During" is a ``gc.collect()`` while the operation still runs (after the
    collector has seen the levels once); "after" is one once it ended, when
    the retained levels are the collector's again (see ``_gcrelief.py``).
    """
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = ProgressEventStore()
    op = get_progress_context(store).operation("bench").__enter__()
    for i in range(n // SONG):
        with op.song(f"song-{i}", "Song") as song:
            action = song.action
            for j in range(SONG - 1):
                with action(f"action-{j}", "Action"):
                    pass
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gc.collect()
    start = time.thread_time()
    gc.collect()
    during_ms = (time.thread_time() - start) * 1e3
    op.__exit__(None, None, None)
    gc.collect()
    start = time.thread_time()
    gc.collect()
    after_ms = (time.thread_time() - start) * 1e3
    del store, op
    return (after - before) / n, during_ms, after_ms


# -- the floor: what keeping a level costs any Python store ---------------------------------


class _Kept:
    """A bare record with as many fields as a level: the least a kept level can be."""

    __slots__ = (
        "children",
        "completed",
        "current",
        "details",
        "error",
        "id",
        "message",
        "metadata",
        "name",
        "parent",
        "started",
        "status",
        "total",
        "type",
    )

    def __init__(self, level_id: str, name: str) -> None:
        self.id = level_id
        self.name = name
        self.type = "item"
        self.parent = self.children = self.message = self.error = None
        self.details = self.metadata = self.completed = None
        self.status = "running"
        self.current = self.total = 0
        self.started = time.perf_counter()


def _floor_job(n: int, columns: bool) -> float:
    """CPU seconds per level of a bare loop that makes, ends and keeps ``n`` records.

    ``columns=False`` keeps each record in a dict by id, as a store keeps its
    levels; ``columns=True`` drops the record when it ends and keeps only
    its id and times in lists (objects the collector does not track).
    """
    kept: dict[str, _Kept] = {}
    ids: list[str] = []
    starts: list[float] = []
    ends: list[float] = []
    start = time.process_time()
    for i in range(n):
        level_id = f"item-{i}"
        record = _Kept(level_id, level_id)
        record.completed = time.perf_counter()
        record.status = "completed"
        if columns:
            ids.append(record.id)
            starts.append(record.started)
            ends.append(record.completed)
        else:
            kept[level_id] = record
    return (time.process_time() - start) / n


def floor_growth(n: int, columns: bool, collector: bool) -> str:
    """The bare loop's time per record at ``n`` over the same at 1e3 (paired, median).

    With the growth in µs per record: a level costs more than a bare record,
    so the growth a kept record adds is what compares with the level's budget.
    """
    ratios = []
    growths = []
    enabled = gc.isenabled()
    try:
        if not collector:
            gc.disable()
        for _ in range(3):
            gc.collect()
            anchor = statistics.median(_floor_job(1_000, columns) for _ in range(51))
            gc.collect()
            figure = _floor_job(n, columns)
            ratios.append(figure / anchor)
            growths.append((figure - anchor) * 1e6)
    finally:
        if enabled:
            gc.enable()
    gc.collect()
    return f"{statistics.median(ratios):.2f}x (+{statistics.median(growths):.2f} µs)"


# -- table ----------------------------------------------------------------------------------


def _size(text: str) -> int:
    return int(float(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e3", "1e5", "1e6"], type=str)
    parser.add_argument("--pairs", type=int, default=3, help="paired rounds per listener row")
    parser.add_argument(
        "--listeners", nargs="+", default=["json", "plain", "live", "relay"], type=str
    )
    parser.add_argument(
        "--no-extras", action="store_true", help="only the per-size rows (no reads, memory, hub)"
    )
    args = parser.parse_args()
    sizes = [_size(s) for s in args.sizes]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    print()
    print(
        "| shape | levels | enter+exit µs/level | vs 1e3 | "
        + " | ".join(f"{kind} / none" for kind in args.listeners)
        + " |"
    )
    print("| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in args.listeners) + " |")
    for nested in (False, True):
        for n in sizes:
            repeat = max(3, min(101, 1_000_000 // n))
            # The 1e3 anchor is measured again next to each size (paired).
            ratios = []
            figures = []
            for _ in range(3 if n >= 100_000 else 1):
                anchor = per_level_us(1_000, nested, 51)
                figure = per_level_us(n, nested, max(1, repeat // 3))
                ratios.append(figure / anchor)
                figures.append(figure)
            figure = statistics.median(figures)
            ratio = statistics.median(ratios) if n != 1_000 else 1.0
            cells = []
            for kind in args.listeners:
                value, _ = listener_ratio(kind, n, nested, args.pairs if n < 1e6 else 2)
                cells.append(f"{value:.2f}x")
            shape = "nested" if nested else "flat"
            print(
                f"| {shape} | {n:,} | {figure:.3f} | {ratio:.2f}x | " + " | ".join(cells) + " |",
                flush=True,
            )
    print()
    if args.no_extras:
        return
    for nested in (False, True):
        apply_us, per_level_bytes = replica_apply_us(100_000, nested)
        shape = "nested" if nested else "flat"
        print(
            f"| hub: decode + Replica.apply, 1e5 {shape} levels | {apply_us:.2f} µs/level "
            f"| {per_level_bytes:.0f} B/level encoded |"
        )
    live = live_refresh_ms(100_000)
    flush = json_flush_ms(100_000)
    print(f"| one live refresh, 1e5 flat levels | {live:.2f} ms | target <= 10 ms |")
    print(f"| one JSON-lines flush, 1e5 flat levels | {flush:.3f} ms | target <= 1 ms |")
    biggest = max(sizes)
    if biggest > 1_000:
        print(
            f"| floor: a bare loop keeping {biggest:,} records in a dict, per record vs 1e3 "
            f"| {floor_growth(biggest, False, True)} "
            f"| collector off: {floor_growth(biggest, False, False)} "
            f"| keeping ids and times in lists: {floor_growth(biggest, True, True)} |"
        )
    per_level, during_ms, after_ms = memory_and_gc(biggest)
    print(
        f"| memory per finished nested level ({biggest:,}) | {per_level:.0f} B | target <= 400 B |"
    )
    print(
        f"| full gc.collect() with {biggest:,} levels retained, job running "
        f"| {during_ms:.1f} ms | after the job ended: {after_ms:.1f} ms |"
    )


if __name__ == "__main__":
    main()

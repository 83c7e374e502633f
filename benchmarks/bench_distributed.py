"""Distributed benchmarks: Redis publisher cost, end-to-end latency, pool relay.

Run alone with ``python benchmarks/bench_distributed.py``; ``bench.py``
imports ``rows()``. A private redis-server is started on a free loopback port
(rows needing it are skipped with a note when redis-server is missing).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import progresstree
from _common import Row, best_of, print_table
from progresstree import ProgressEventStore, get_progress_context

EVENTS = 200_000
LATENCY_PROCESSES = 4
LATENCY_RATE = 10_000  # events per second and process
LATENCY_SECONDS = 3.0
POOL_TASKS = 400
_LOOPBACK = ("--bind", "127.0.0.1", "--dir")


@contextmanager
def _redis() -> Iterator[str | None]:
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(executable).exists():
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [
                executable,
                "--save",
                "",
                "--appendonly",
                "no",
                "--port",
                str(port),
                *_LOOPBACK,
                workdir,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.1).close()
                    break
                except OSError:
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.kill()
            process.wait()


def _event_cost(url: str | None) -> float:
    from progresstree.remote import RedisPublisher

    store = ProgressEventStore()
    publisher = RedisPublisher(url or "redis://127.0.0.1:9/0")
    store.add_callback(publisher)
    progress = get_progress_context(store)

    def run(n: int) -> None:
        with progress.operation("bench") as op, op.song("s", "song") as song:
            for _ in range(n):
                song.increment()

    try:
        return best_of(run, EVENTS)
    finally:
        publisher.close(timeout=2.0)


def _bare_cost() -> float:
    progress = get_progress_context(ProgressEventStore())

    def run(n: int) -> None:
        with progress.operation("bench") as op, op.song("s", "song") as song:
            for _ in range(n):
                song.increment()

    return best_of(run, EVENTS)


def _latency_worker(url: str, index: int) -> None:
    from progresstree.remote import publish

    progress = get_progress_context()
    with (
        publish(url),
        progress.operation("latency", f"worker {index}") as op,
        op.song("s", "song") as song,
    ):
        batch = LATENCY_RATE // 100
        deadline = time.time() + LATENCY_SECONDS
        count = 0
        while time.time() < deadline:
            tick = time.perf_counter()
            for _ in range(batch):
                count += 1
                song.update(current=count, sent=time.time())
            rest = 0.01 - (time.perf_counter() - tick)
            if rest > 0:
                time.sleep(rest)


def _latency(url: str) -> tuple[float, float, int]:
    """p50 and p99 (ms) from a worker's ``update()`` to the aggregator's store."""
    from progresstree.remote import RedisAggregator

    delays: list[float] = []

    def listener(event: str, state: progresstree.ProgressState) -> None:
        level = state.levels.get("s")
        if event == "updated" and level is not None and "sent" in level.metadata:
            delays.append(time.time() - level.metadata["sent"])

    context = multiprocessing.get_context("spawn")
    with RedisAggregator(url, stream="progresstree") as aggregator:
        aggregator.store.add_callback(listener)
        workers = [
            context.Process(target=_latency_worker, args=(url, i)) for i in range(LATENCY_PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        aggregator.wait_idle(10)
    delays.sort()
    p50 = statistics.median(delays) * 1000
    p99 = delays[int(len(delays) * 0.99)] * 1000
    return p50, p99, len(delays)


def _busy(_: int) -> int:
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        pass
    return 1


def _busy_action(index: int) -> int:
    """1 ms of work inside an action that reports twice."""
    with get_progress_context().action("work", f"task {index}", total=2) as action:
        action.increment()
        _busy(index)
        action.increment()
    return 1


def _pool_pair(task: Callable[[int], int], rounds: int = 5) -> tuple[float, float]:
    """Best seconds for POOL_TASKS tasks on a plain pool and on ours.

    Rounds alternate between the two pools so that a shared machine's load
    drifts hit both alike.
    """
    progress = get_progress_context()
    best = [float("inf"), float("inf")]
    with (
        concurrent.futures.ProcessPoolExecutor(2) as plain,
        progresstree.ProcessPoolExecutor(2) as ours,
    ):
        for pool in (plain, ours):
            list(pool.map(_busy, range(20)))  # start the workers
        for _ in range(rounds):
            for index, pool in enumerate((plain, ours)):
                with progress.operation("pool") as op, op.song("s", "song"):
                    start = time.perf_counter()
                    futures = [pool.submit(task, i) for i in range(POOL_TASKS)]
                    for future in futures:
                        future.result()
                    best[index] = min(best[index], time.perf_counter() - start)
    return best[0], best[1]


def rows() -> list[Row]:
    out: list[Row] = []
    with _redis() as url:
        bare = _bare_cost()
        cost = _event_cost(url)
        out.append(
            Row(
                "increment() with RedisPublisher attached (worker side)",
                cost,
                "no listener",
                bare,
                "<= 5 us",
                cost <= 5.0,
            )
        )
        if url is not None:
            p50, p99, samples = _latency(url)
            out.append(
                Row(
                    f"end-to-end latency p99, ms ({LATENCY_PROCESSES} procs x "
                    f"{LATENCY_RATE}/s, p50 {p50:.1f} ms, {samples} samples)",
                    p99,
                    "",
                    None,
                    "< 100 ms",
                    p99 < 100.0,
                )
            )
    # The target is for tasks that report nothing; the second row shows what
    # reporting from every task adds (relay records, the parent's merge).
    for task, what, target in (
        (_busy, "1 ms", True),
        (_busy_action, "1 ms, each in an action", False),
    ):
        plain, ours = _pool_pair(task)
        out.append(
            Row(
                f"ProcessPoolExecutor, {POOL_TASKS} tasks of {what}, us per task",
                ours / POOL_TASKS * 1e6,
                "concurrent.futures",
                plain / POOL_TASKS * 1e6,
                "<= 1.10x" if target else "",
                ours <= plain * 1.10 if target else None,
            )
        )
    return out


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print_table(rows())

"""Worker processes that survive a file crashing the parser.

libcst's parser is native code: some inputs (a 400 KB ``1+1+...`` line)
overflow its stack and kill the process with a signal.  In a pool from
``concurrent.futures`` that breaks the whole pool.  Here each worker takes
its files one at a time, in the order they were sent over its pipe, so when a
worker dies the file it was on is known: that file is reported as failed, the
files queued behind it go to a new worker and the run goes on.  Even ``-j 1``
runs in a worker, for the same reason.
"""

from __future__ import annotations

import collections
import contextlib
import faulthandler
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from progresstree_codemods.report import FAILED, FileReport

Task = Callable[[str], FileReport]


def _serve(connection: Connection, task: Task) -> None:
    """Worker loop: a path in, a report (as a dict) out, until ``None`` arrives."""
    # A crash is reported by the parent, per file; a dump of this process's
    # stack (pytest and -X faulthandler turn it on) would only add noise.
    faulthandler.disable()
    while True:
        path = connection.recv()
        if path is None:
            return
        try:
            report = task(path)
        except Exception as exc:  # reported per file, the worker goes on
            report = FileReport(path, FAILED, f"{type(exc).__name__}: {exc}")
        connection.send(report.as_dict())


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the parser crashed on this file (worker killed by {name})"
    return f"the worker processing this file exited unexpectedly (status {exitcode})"


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


DEPTH = 2
"""Files handed to a worker ahead: it starts the next one without waiting for the parent."""


class _Worker:
    def __init__(self, task: Task) -> None:
        ours, theirs = _context().Pipe()
        self.connection: Connection = ours
        self.process = _context().Process(target=_serve, args=(theirs, task), daemon=True)
        self.process.start()
        theirs.close()
        self.paths: collections.deque[str] = collections.deque()
        """Files sent and not reported yet, in the order the worker takes them."""

    def fill(self, pending: list[str]) -> None:
        while pending and len(self.paths) < DEPTH:
            path = pending.pop()
            self.paths.append(path)
            self.connection.send(path)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def run_isolated(paths: Sequence[str], task: Task, jobs: int) -> Iterator[FileReport]:
    """``task(path)`` for every path in worker processes; reports in completion order."""
    pending = list(reversed(paths))
    workers: list[_Worker] = []
    try:
        for _ in range(max(1, min(jobs, len(paths)))):
            worker = _Worker(task)
            workers.append(worker)
            worker.fill(pending)
        while any(w.paths for w in workers):
            busy = [w for w in workers if w.paths]
            ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                data, dead = None, False
                if worker.connection in ready or worker.process.sentinel in ready:
                    if worker.connection.poll():
                        try:
                            data = worker.connection.recv()
                        except (EOFError, OSError):
                            dead = True
                    else:
                        dead = True
                if data is not None:
                    worker.paths.popleft()
                    yield FileReport(**data)
                    worker.fill(pending)
                elif dead:
                    worker.process.join()
                    # The worker died on the first file it had not reported;
                    # the files queued behind it go to another worker.
                    crashed = worker.paths.popleft()
                    pending.extend(reversed(worker.paths))
                    worker.paths.clear()
                    yield FileReport(crashed, FAILED, _crash_reason(worker.process.exitcode))
                    workers.remove(worker)
                    worker.connection.close()
                    if pending:
                        replacement = _Worker(task)
                        workers.append(replacement)
                        replacement.fill(pending)
    finally:
        for worker in workers:
            worker.stop()


def default_jobs() -> int:
    return os.cpu_count() or 1

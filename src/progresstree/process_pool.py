"""A ``ProcessPoolExecutor`` whose workers report progress to the parent's store.

``submit`` / ``map`` capture the current level as a token; the worker runs the
function inside ``attach(token)`` with a :class:`~progresstree._relay.Relay`
on its own store, and a sender thread ships the changes back every 0.1 s over
one ``SimpleQueue`` shared by all workers. In the parent a reader thread
merges them with a :class:`~progresstree._replica.Replica`.

Per-task cost is kept to a few microseconds: tokens are made and parsed
once, a worker keeps one mirror of an operation open across the tasks sent
under it, and a task that reported nothing sends nothing.

Ordering: a task flushes its last changes before returning, so they are in
the pipe before the pool's result is. The pool's manager thread drains that
pipe before it settles the future, hence "a task's events are applied before
its result is available" holds without any acknowledgement or extra future.

Crash safety: every message is cut into chunks small enough for one atomic
pipe write (``PIPE_BUF``), so a worker killed mid-send never leaves a torn
message that would block the reader; incomplete chunk series are dropped.
When the pool breaks, the levels the workers left open are failed with
"worker process died (...)" before the futures raise ``BrokenProcessPool``.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import (
    _ExecutorManagerThread,
    _threads_wakeups,
)
from typing import Any, TypeVar

from . import _lifecycle
from ._relay import Relay, Ticker
from ._replica import Replica
from .models import ProgressState
from .propagation import attach, current_token, parse_token, release_mirror, retain_mirror
from .store import ProgressEventStore, get_progress_store, reset_progress_store

__all__ = ["ProcessPoolExecutor"]

_R = TypeVar("_R")
_CHUNK = 3500  # payload bytes per message: header and pickling stay < PIPE_BUF
_SEND_INTERVAL = 0.1
_IDLE = 0.2  # seconds without a task before a worker ends its mirror of an operation
_MIRROR_LEVELS = 64  # levels after which a worker starts a fresh mirror (unique ids stay cheap)


class _Held:
    """A mirror operation a worker keeps open across the tasks sent under it."""

    __slots__ = ("last_used", "running", "state")

    def __init__(self, state: ProgressState) -> None:
        self.state = state
        self.running = 0
        self.last_used = 0.0


class _WorkerRelay:
    """Worker side: a relay on a fresh store, flushed by a ticker and per task.

    Successive tasks of one operation share one mirror of it (opening and
    ending a mirror per task would cost more than a short task's own work);
    the ticker ends a mirror once no task used it for ``_IDLE`` seconds, a
    mirror is replaced once it holds ``_MIRROR_LEVELS`` levels, and a worker
    that exits ends its mirrors and sends what is left.
    """

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self._lock = threading.Lock()
        self._seq = 0
        self._held: dict[str, _Held] = {}
        self.relay = Relay()
        # A forked worker inherits the parent's store and current level: start clean.
        self._store = store = reset_progress_store()
        _lifecycle.CURRENT.set(None)
        store.add_callback(self.relay)
        self._ticker = Ticker(self._tick, _SEND_INTERVAL, "progresstree-pool-relay")
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)

    def hold(self, token: str) -> _Held | None:
        """Keep the mirror of ``token``'s operation open while a task runs under it."""
        op_id = parse_token(token)[0]
        with self._lock:
            held = self._held.get(op_id)
            if held is not None and (
                held.state.is_finished
                or (held.running == 0 and len(held.state.levels) >= _MIRROR_LEVELS)
            ):
                del self._held[op_id]
                release_mirror(self._store, held.state)
                held = None
            if held is None:
                state = retain_mirror(token, self._store)
                if state is None:
                    return None
                held = self._held[op_id] = _Held(state)
            held.running += 1
        return held

    def let_go(self, held: _Held) -> None:
        """The task under ``held`` ended."""
        with self._lock:
            held.running -= 1
            held.last_used = time.monotonic()

    def _tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            idle = [
                op_id
                for op_id, held in self._held.items()
                if held.running == 0 and now - held.last_used >= _IDLE
            ]
            for op_id in idle:
                release_mirror(self._store, self._held.pop(op_id).state)
        self.flush()

    def close(self) -> None:
        """End every mirror still held and send what is left (at worker exit)."""
        with self._lock:
            held, self._held = self._held, {}
            for item in held.values():
                release_mirror(self._store, item.state)
        self._ticker.stop(1.0)
        self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self.relay.has_changes:
                return
            entries = self.relay.collect()
            if not entries:
                return
            data = pickle.dumps(entries, pickle.HIGHEST_PROTOCOL)
            self._seq += 1
            parts = max(1, -(-len(data) // _CHUNK))
            source = self.relay.source
            pid = os.getpid()
            for index in range(parts):
                chunk = data[index * _CHUNK : (index + 1) * _CHUNK]
                self._queue.put((source, pid, self._seq, index, parts, chunk))


_worker_relay: _WorkerRelay | None = None


def _init_worker(
    queue: Any, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    global _worker_relay
    _worker_relay = _WorkerRelay(queue)
    if initializer is not None:
        initializer(*initargs)


def _run_task(
    token: str | None, fn: Callable[..., _R], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> _R:
    relay = _worker_relay
    held = None if relay is None or token is None else relay.hold(token)
    try:
        with attach(token):
            return fn(*args, **kwargs)
    finally:
        if relay is not None:
            if held is not None:
                relay.let_go(held)
            relay.flush()


def _death_message(process: Any) -> tuple[str, int | None]:
    code = None if process is None else process.exitcode
    if code is None:
        return "worker process died (terminated after the pool broke)", None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"worker process died (killed by {name})", code
    return f"worker process died (exit code {code})", code


def _reap(processes: dict[int, Any]) -> None:
    """Collect exit codes of workers that are gone (their sentinel is ready)."""
    sentinels = {}
    for process in processes.values():
        try:
            sentinels[process.sentinel] = process
        except ValueError:  # already closed
            continue
    for ready in multiprocessing.connection.wait(list(sentinels), timeout=0):
        sentinels[ready].join(0.5)


class _Hub:
    """Parent side: reads the workers' messages and applies them to the store."""

    def __init__(self, queue: Any, store: ProgressEventStore) -> None:
        self._queue = queue
        self._replica = Replica(store)
        self._lock = threading.Lock()
        self._parts: dict[tuple[str, int], list[bytes]] = {}
        self._pids: dict[str, int] = {}
        self.closed = False
        self.broken = False
        self._wake_r, self._wake_w = os.pipe()
        # One poll object for the life of the hub: a readiness check costs one
        # syscall, not a selector built per call as in ``Connection.poll``.
        self._pending = select.poll()
        # multiprocessing exposes no public descriptor of a queue's reading end.
        self._pending.register(queue._reader.fileno(), select.POLLIN)  # noqa: SLF001
        self._thread = threading.Thread(
            target=self._loop, name="progresstree-pool-reader", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        watched = select.poll()
        watched.register(self._queue._reader.fileno(), select.POLLIN)  # noqa: SLF001
        watched.register(self._wake_r, select.POLLIN)
        while not self.closed:
            watched.poll()
            if self.closed:
                break
            self.drain()

    def drain(self) -> None:
        """Apply every message already in the pipe (never blocks on a writer)."""
        pending = self._pending.poll
        with self._lock:
            while pending(0):
                self._receive(self._queue.get())

    def _receive(self, message: tuple[str, int, int, int, int, bytes]) -> None:
        source, pid, seq, index, parts, chunk = message
        self._pids[source] = pid
        if parts == 1:
            data = chunk
        else:
            key = (source, seq)
            if index == 0:
                self._parts[key] = []
            collected = self._parts.get(key)
            if collected is None or len(collected) != index:
                self._parts.pop(key, None)
                return
            collected.append(chunk)
            if index + 1 < parts:
                return
            data = b"".join(self._parts.pop(key))
        if not self.broken:
            self._replica.apply(source, pickle.loads(data))

    def fail_workers(self, processes: dict[int, Any]) -> None:
        """Fail what dead workers left open (once the pool broke)."""
        self.drain()
        with self._lock:
            self.broken = True
            by_source = dict(self._pids)
        _reap(processes)
        for source, pid in by_source.items():
            error, code = _death_message(processes.get(pid))
            details = {"exception_type": "BrokenProcessPool", "pid": pid, "exit_code": code}
            self._replica.fail_open([source], error, details)

    def close(self) -> None:
        self.closed = True
        os.write(self._wake_w, b"x")
        self._thread.join()
        self.drain()
        os.close(self._wake_r)
        os.close(self._wake_w)


class _ManagerThread(_ExecutorManagerThread):
    """The pool's manager thread, which applies a task's progress before its result.

    A worker writes a task's last changes to the relay pipe before it returns
    the result, so draining that pipe before the future is settled is enough.
    """

    def __init__(self, executor: ProcessPoolExecutor, hub: _Hub) -> None:
        super().__init__(executor)
        self._progresstree_hub = hub

    def process_result_item(self, result_item: Any) -> None:
        if not isinstance(result_item, int):  # an int: a worker that exited cleanly
            self._progresstree_hub.drain()
        super().process_result_item(result_item)

    def terminate_broken(self, cause: Any) -> None:
        self._progresstree_hub.fail_workers(dict(self.processes))
        super().terminate_broken(cause)


class ProcessPoolExecutor(concurrent.futures.ProcessPoolExecutor):
    """Drop-in ``ProcessPoolExecutor``: tasks run under the submitting level.

    Works with the fork, spawn and forkserver start methods. ``store`` is
    where worker progress is merged (default: the process-wide store).
    """

    def __init__(
        self,
        max_workers: int | None = None,
        mp_context: Any = None,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        *,
        max_tasks_per_child: int | None = None,
        store: ProgressEventStore | None = None,
    ) -> None:
        if initializer is not None and not callable(initializer):
            msg = f"initializer must be callable, got {initializer!r}"
            raise TypeError(msg)
        if mp_context is None:
            spawn = max_tasks_per_child is not None
            mp_context = multiprocessing.get_context("spawn" if spawn else None)
        self._relay_queue = mp_context.SimpleQueue()
        extra: dict[str, Any] = {}
        if max_tasks_per_child is not None:  # Python 3.11+
            extra["max_tasks_per_child"] = max_tasks_per_child
        base: Any = super()
        base.__init__(
            max_workers,
            mp_context,
            _init_worker,
            (self._relay_queue, initializer, tuple(initargs)),
            **extra,
        )
        self._hub = _Hub(self._relay_queue, store if store is not None else get_progress_store())

    def submit(self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any) -> Future[_R]:
        return super().submit(_run_task, current_token(), fn, args, kwargs)

    def _start_executor_manager_thread(self) -> None:
        # As the base class, with a manager thread that applies worker progress.
        if self._executor_manager_thread is None:
            if not self._safe_to_dynamically_spawn_children:  # fork: sentinels first
                self._launch_processes()
            thread = self._executor_manager_thread = _ManagerThread(self, self._hub)
            thread.start()
            _threads_wakeups[thread] = self._executor_manager_thread_wakeup

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:
            self._finish()
        else:
            threading.Thread(target=self._finish_later, daemon=True).start()

    def _finish_later(self) -> None:
        thread: Any = getattr(self, "_executor_manager_thread", None)
        if thread is not None:
            thread.join()
        self._finish()

    def _finish(self) -> None:
        hub = self._hub
        if hub.closed:
            return
        if self._broken and not hub.broken:
            hub.fail_workers(dict(self._processes or {}))
        hub.close()

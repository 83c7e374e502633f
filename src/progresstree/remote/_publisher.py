"""Publishing a process's progress to a Redis stream without ever blocking it.

The listener only marks operations dirty (see ``_relay.Relay``); a sender
thread collects change records every ``interval`` seconds, keeps them in a
bounded buffer and ``XADD``s them (``MAXLEN ~``) in one pipeline. When Redis
is down or hung (socket timeouts are short), records stay buffered - the
oldest are dropped and counted in ``dropped`` once ``buffer`` records are
waiting - and after a reconnect the publisher also re-sends the whole current
state of the operations it tracks, so that an aggregator's tree is complete
again whenever ``dropped == 0``.
"""

from __future__ import annotations

import atexit
import json
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from .._relay import Relay
from ..models import ProgressState
from ..store import get_progress_store
from ._url import check_url

__all__ = ["RedisPublisher", "publish"]

_OPEN: weakref.WeakSet[RedisPublisher] = weakref.WeakSet()
_NETWORK_ERRORS = (redis.RedisError, OSError)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        msg = f"{name} must be a positive int, got {value!r}"
        raise ValueError(msg)
    return value


class RedisPublisher:
    """A listener sending the store's events to a Redis stream from a background thread."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "progresstree",
        maxlen: int = 100_000,
        buffer: int = 10_000,
        interval: float = 0.05,
    ) -> None:
        self.url = check_url(url)
        self.stream = str(stream)
        self.maxlen = _positive_int("maxlen", maxlen)
        self.buffer = _positive_int("buffer", buffer)
        self.interval = float(interval)
        self.dropped = 0
        self._relay = Relay()
        self._dirty = self._relay._dirty
        self.parked = self._dirty  # the store parks updates here (listeners.py)
        self._client = redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=0
        )
        self._pending: deque[list[list[Any]]] = deque()
        self._pending_records = 0
        self._resync = False
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name="progresstree-redis-publisher", daemon=True
        )
        self._thread.start()
        _OPEN.add(self)

    @property
    def source(self) -> str:
        """The name records from this publisher carry."""
        return self._relay.source

    def __call__(self, event: str, state: ProgressState) -> None:
        self._dirty[state.operation_id] = state

    # -- sender thread -----------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._pump()
        self._pump()

    def _enqueue(self, records: list[list[Any]]) -> None:
        if not records:
            return
        self._pending.append(records)
        self._pending_records += len(records)
        while self._pending_records > self.buffer and len(self._pending) > 1:
            oldest = self._pending.popleft()
            self._pending_records -= len(oldest)
            self.dropped += len(oldest)

    def _pump(self) -> None:
        self._enqueue(self._relay.collect())
        if not self._pending and not self._resync:
            return
        try:
            self._send_pending()
            if self._resync:
                self._relay.resync()
                self._enqueue(self._relay.collect())
                self._send_pending()
                self._resync = False
        except _NETWORK_ERRORS:
            self._resync = True
            self._stop.wait(min(0.5, self.interval * 4))

    def _send_pending(self) -> None:
        batches = list(self._pending)
        if not batches:
            return
        pipe = self._client.pipeline(transaction=False)
        for records in batches:
            fields: Any = {"s": self._relay.source, "d": json.dumps(records, separators=(",", ":"))}
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        pipe.execute()
        for _ in batches:
            sent = self._pending.popleft()
            self._pending_records -= len(sent)

    # -- closing -------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Send what is buffered (waiting at most ``timeout`` seconds) and stop."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout)
        _OPEN.discard(self)
        if not self._thread.is_alive():
            self._client.close()

    def __enter__(self) -> RedisPublisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@atexit.register
def _close_all() -> None:
    for publisher in list(_OPEN):
        publisher.close()


@contextmanager
def publish(url: str, **kwargs: Any) -> Iterator[RedisPublisher]:
    """Publish the global store's events to Redis for the duration of the block."""
    publisher = RedisPublisher(url, **kwargs)
    store = get_progress_store()
    store.add_callback(publisher)
    try:
        yield publisher
    finally:
        store.remove_callback(publisher)
        publisher.close()

"""Publishing a process's progress to a Redis stream without ever blocking it.

The listener only marks operations dirty (see ``_relay.Relay``); a sender
thread collects change records every ``interval`` seconds, encodes them in
entries of at most a few hundred records (and never above the size an
aggregator accepts), keeps at most ``buffer`` records waiting and ``XADD``s
them (``MAXLEN ~``) in one pipeline. When Redis cannot be written (down,
hung, wrong password, TLS failure) records stay buffered - the oldest are
dropped once ``buffer`` records wait - and after a reconnect the publisher
also re-sends the whole current state of the operations it tracks, so that
an aggregator's tree is complete again whenever ``dropped == 0``. Every
record that is never delivered, also those still waiting at ``close()``, is
counted in ``dropped``, and each distinct reason is logged once.
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

from .._logging import logger
from .._records import MAX_ENTRY_BYTES
from .._relay import Relay, chunks, weight
from .._text import printable
from ..models import ProgressState
from ..store import get_progress_store
from ._url import check_url, describe, redact

__all__ = ["RedisPublisher", "publish"]

_OPEN: weakref.WeakSet[RedisPublisher] = weakref.WeakSet()
_CHUNK = 500  # records per stream entry at most (a run record counts its levels)
_MAX_REASONS = 32


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        msg = f"{name} must be a positive int, got {value!r}"
        raise ValueError(msg)
    return value


class RedisPublisher:
    """A listener sending the store's events to a Redis stream from a background thread.

    ``dropped`` counts records never delivered; ``error`` is why the last
    send failed (None once sending works). ``url`` is the URL with its
    password redacted; ``password`` keeps a password out of the URL.
    """

    def __init__(
        self,
        url: str,
        *,
        stream: str = "progresstree",
        maxlen: int = 100_000,
        buffer: int = 10_000,
        interval: float = 0.05,
        password: str | None = None,
    ) -> None:
        check_url(url)
        self.url = redact(url)
        self.address = describe(url)
        self.stream = str(stream)
        self.maxlen = _positive_int("maxlen", maxlen)
        self.buffer = _positive_int("buffer", buffer)
        self.interval = float(interval)
        self.dropped = 0
        self.error: str | None = None
        self._relay = Relay()
        self._dirty = self._relay.dirty
        self.parked = self._dirty  # the store parks updates here (listeners.py)
        options: dict[str, Any] = {} if password is None else {"password": password}
        self._client = redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=0, **options
        )
        secrets = (password, self._client.get_connection_kwargs().get("password"))
        self._secrets = [str(secret) for secret in secrets if secret]
        self._lock = threading.Lock()  # _pending and dropped: sender thread and close()
        self._pending: deque[tuple[str, int]] = deque()  # (encoded entry, records in it)
        self._pending_records = 0
        self._abandoned = False
        self._reasons: set[str] = set()
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

    def _pump(self) -> None:
        fresh = self._relay.collect()
        if not fresh and not self._pending and not self._resync:
            return
        try:
            if self._resync:
                self._flush()
                self._relay.resync()
                fresh += self._relay.collect()
                self._resync = False
            for part in chunks(fresh, self.buffer):  # at most ``buffer`` records wait
                fresh = fresh[len(part) :]
                self._enqueue(part)
                self._flush()
        except Exception as exc:  # network, auth, TLS, ...: keep, retry, resync
            self._enqueue(fresh)
            self.error = self._reason(exc)
            self._once(f"cannot send to redis at {self.address}: {self.error}")
            self._resync = True
            self._stop.wait(min(0.5, self.interval * 4))
        else:
            self.error = None

    def _enqueue(self, records: list[list[Any]]) -> None:
        """Encode ``records`` as entries; drop the oldest beyond ``buffer``."""
        for part in chunks(records, min(_CHUNK, self.buffer)):
            self._add(part)

    def _add(self, records: list[list[Any]]) -> None:
        count = sum(map(weight, records))  # levels: a run record counts each of its own
        try:
            payload = json.dumps(records, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            self._drop(count, f"records that cannot be encoded ({exc})")
            return
        if len(payload) > MAX_ENTRY_BYTES:  # ASCII: json.dumps escapes the rest
            if len(records) == 1:
                self._drop(count, f"a record larger than {MAX_ENTRY_BYTES} bytes")
                return
            half = len(records) // 2
            self._add(records[:half])
            self._add(records[half:])
            return
        with self._lock:
            if self._abandoned:
                self.dropped += count
                return
            self._pending.append((payload, count))
            self._pending_records += count
            lost = 0
            while self._pending_records > self.buffer:
                _, count = self._pending.popleft()
                self._pending_records -= count
                lost += count
            self.dropped += lost
        if lost:
            self._once(f"buffer of {self.buffer} records full, dropping the oldest")

    def _flush(self) -> None:
        with self._lock:
            batches = list(self._pending)
        if not batches:
            return
        pipe = self._client.pipeline(transaction=False)
        for payload, _ in batches:
            fields: Any = {"s": self._relay.source, "d": payload}
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        pipe.execute()
        with self._lock:
            for sent in batches:
                if self._pending and self._pending[0] is sent:
                    self._pending.popleft()
                    self._pending_records -= sent[1]

    def _drop(self, count: int, reason: str) -> None:
        with self._lock:
            self.dropped += count
        self._once(f"dropped {reason}")

    def _reason(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return printable(redact(text) if "://" in text else text)[:300]

    def _once(self, message: str) -> None:
        """Log ``message`` the first time this publisher meets it."""
        if message not in self._reasons and len(self._reasons) < _MAX_REASONS:
            self._reasons.add(message)
            logger().warning("progresstree: redis publisher: %s", message)

    # -- closing -------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Send what is buffered (waiting at most ``timeout`` seconds) and stop.

        Records still undelivered then are added to ``dropped`` and logged.
        """
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout)
        _OPEN.discard(self)
        with self._lock:
            self._abandoned = True
            lost = self._pending_records
            self._pending.clear()
            self._pending_records = 0
            self.dropped += lost
        if lost:
            reason = self.error or "timed out"
            logger().warning(
                "progresstree: redis publisher: %d records not delivered to %s: %s",
                lost,
                self.address,
                reason,
            )
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

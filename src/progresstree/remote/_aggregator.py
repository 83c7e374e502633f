"""Merging everything published to a Redis stream into one local store.

The reader thread ``XREAD``s from the stream's start (so it catches up on a
job already running), applies each entry with a ``_replica.Replica``
(idempotent: resent state and repeated entries never duplicate levels) and
remembers the last id it applied, from which it resumes after a reconnect.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import redis

from .._replica import Replica
from ..models import ProgressState
from ..store import ProgressEventStore
from ._url import check_url

__all__ = ["RedisAggregator"]

_NETWORK_ERRORS = (redis.RedisError, OSError)


def _id_key(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)


class RedisAggregator:
    """A store kept up to date from a Redis stream (``.store``)."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "progresstree",
        store: ProgressEventStore | None = None,
    ) -> None:
        self.url = check_url(url)
        self.stream = str(stream)
        self.store = store if store is not None else ProgressEventStore()
        self._replica = Replica(self.store)
        self._client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=5.0, socket_connect_timeout=1.0
        )
        self._last_id = "0-0"
        self._applied = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> RedisAggregator:
        """Start reading (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="progresstree-redis-aggregator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading (the store keeps what was applied)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5.0)
        self._client.close()

    def __enter__(self) -> RedisAggregator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- reading -----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response: Any = self._client.xread(
                    {self.stream: self._last_id}, count=1000, block=200
                )
            except _NETWORK_ERRORS:
                self._stop.wait(0.2)
                continue
            for _stream, entries in response or ():
                for entry_id, fields in entries:
                    self._apply(fields)
                    with self._applied:
                        self._last_id = entry_id
                        self._applied.notify_all()

    def _apply(self, fields: dict[str, Any]) -> None:
        try:
            records = json.loads(fields["d"])
            source = str(fields["s"])
        except (KeyError, TypeError, ValueError):
            return  # not ours: other writers may share the stream
        if isinstance(records, list):
            self._replica.apply(source, records)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every entry in the stream at call time has been applied."""
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            target = None
            while target is None and not deadline.is_set():
                try:
                    last: Any = self._client.xrevrange(self.stream, count=1)
                except _NETWORK_ERRORS:
                    deadline.wait(0.1)
                    continue
                if not last:
                    return True
                target = _id_key(last[0][0])
            if target is None:
                return False
            with self._applied:
                while _id_key(self._last_id) < target:
                    if deadline.is_set():
                        return False
                    self._applied.wait(0.05)
            return True
        finally:
            timer.cancel()

    # -- queries -------------------------------------------------------------------------

    def get_active_operations(self) -> list[ProgressState]:
        """The operations still running, as last published."""
        return self.store.get_all_active()

    def get_operation(self, operation_id: str) -> ProgressState | None:
        """An operation by id, active or finished."""
        return self.store.get_operation(operation_id)

"""Merging everything published to a Redis stream into one local store.

The reader thread ``XREAD``s from the stream's start (so it catches up on a
job already running), applies each entry with a ``_replica.Replica``
(idempotent: resent state and repeated entries never duplicate levels) and
remembers the last id it applied, from which it resumes after a reconnect.

Whoever can write to the stream can write anything, so each entry is
decoded with size and nesting caps and checked whole before it is applied
(``_records``); a refused entry is counted in ``rejected`` and skipped, and
nothing an entry holds can stop the reader. When Redis cannot be read, the
reader retries with a growing delay and ``error`` says why.
"""

from __future__ import annotations

import threading
from typing import Any

import redis

from .. import _clock
from .._logging import logger
from .._records import MAX_ID, RecordError, loads
from .._replica import Replica
from .._text import printable
from ..models import ProgressState
from ..store import ProgressEventStore
from ._url import check_url, describe, redact

__all__ = ["RedisAggregator"]

_READ_COUNT = 100  # entries per XREAD: bounds one reply to 100 x the entry size cap
_FIRST_DELAY = 0.2
_MAX_DELAY = 5.0
_REPORT_EVERY = 1.0


def _id_key(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)


def _entry_id(value: object) -> str:
    """A stream entry id as text; ValueError unless it is ``millis-seq``."""
    text = value.decode("ascii") if isinstance(value, bytes) else str(value)
    _id_key(text)
    return text


def _source(value: object) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = None
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        msg = "bad source name"
        raise RecordError(msg)
    return value


class RedisAggregator:
    """A store kept up to date from a Redis stream (``.store``).

    ``rejected`` counts stream entries refused as malformed or out of bounds;
    ``error`` is why the last attempt to read failed (None while reading
    works). ``url`` is the URL with its password redacted; a password can
    also be given as ``password`` so that it is in no URL at all.
    """

    def __init__(
        self,
        url: str,
        *,
        stream: str = "progresstree",
        store: ProgressEventStore | None = None,
        password: str | None = None,
    ) -> None:
        check_url(url)
        self.url = redact(url)
        self.address = describe(url)
        self.stream = str(stream)
        self.store = store if store is not None else ProgressEventStore()
        self.rejected = 0
        self.error: str | None = None
        self._replica = Replica(self.store)
        options: dict[str, Any] = {} if password is None else {"password": password}
        self._client = redis.Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=1.0, **options
        )
        secrets = (password, self._client.get_connection_kwargs().get("password"))
        self._secrets = [str(secret) for secret in secrets if secret]
        self._last_id = "0-0"
        self._applied = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unreported = 0
        self._reported_at = float("-inf")
        self._last_reason = ""

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
        if self._unreported:
            self._report()

    def __enter__(self) -> RedisAggregator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- reading -----------------------------------------------------------------------

    def _run(self) -> None:
        delay = _FIRST_DELAY
        while not self._stop.is_set():
            try:
                response: Any = self._client.xread(
                    {self.stream: self._last_id}, count=_READ_COUNT, block=200
                )
                entries = [
                    (_entry_id(i), fields) for _, batch in response or () for i, fields in batch
                ]
            except Exception as exc:  # network, auth, TLS, a wrong key type, a bad reply
                self._failed(exc)
                self._stop.wait(delay)
                delay = min(delay * 2, _MAX_DELAY)
                continue
            delay = _FIRST_DELAY
            if self.error is not None:
                logger().warning(
                    "progresstree: reading redis at %s again",
                    self.address,
                    extra={"progresstree_connection": True},
                )
                self.error = None
            for entry_id, fields in entries:
                self._apply(fields)
                with self._applied:
                    self._last_id = entry_id
                    self._applied.notify_all()

    def _failed(self, exc: BaseException) -> None:
        reason = self._reason(exc)
        if reason != self.error:
            logger().warning(
                "progresstree: cannot read redis at %s: %s",
                self.address,
                reason,
                extra={"progresstree_connection": True},
            )
        self.error = reason

    def _reason(self, exc: BaseException) -> str:
        """``exc`` as one printable line, without this aggregator's password."""
        text = str(exc) or type(exc).__name__
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = printable(redact(text) if "://" in text else text)
        return text if len(text) <= 300 else text[:297] + "..."

    def _apply(self, fields: Any) -> None:
        """Apply one stream entry, or count it as rejected; never raises."""
        try:
            if not isinstance(fields, dict) or b"s" not in fields or b"d" not in fields:
                msg = "not a progresstree entry (fields 's' and 'd' expected)"
                raise RecordError(msg)
            refused = self._replica.apply(_source(fields[b"s"]), loads(fields[b"d"]))
        except RecordError as exc:
            refused = str(exc)
        except Exception as exc:  # the reader must outlive any entry
            refused = f"{type(exc).__name__}: {exc}"
        if refused is not None:
            self._reject(refused)

    def _reject(self, reason: str) -> None:
        self.rejected += 1
        self._unreported += 1
        self._last_reason = reason
        if _clock.monotonic() - self._reported_at >= _REPORT_EVERY:
            self._report()

    def _report(self) -> None:
        """One log line for the entries refused since the last one (at most 1/s)."""
        logger().warning(
            "progresstree: refused %d entr%s of stream %r at %s; last: %s",
            self._unreported,
            "y" if self._unreported == 1 else "ies",
            self.stream,
            self.address,
            printable(self._last_reason[:300]),
        )
        self._unreported = 0
        self._reported_at = _clock.monotonic()

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
                    if not last:
                        return True
                    target = _id_key(_entry_id(last[0][0]))
                except Exception:  # unreachable, not a stream, a bad reply: not idle yet
                    deadline.wait(0.1)
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

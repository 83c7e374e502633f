"""Delivering store events to listeners: isolation, ordering, throttling.

A listener is any callable ``(event_type, state)``. The store wraps each one
in a subscription object that

* catches and logs what the callback raises, so one faulty UI callback never
  breaks the tracked work or the other listeners;
* never delivers an ``updated`` event after the operation's terminal event
  (the status is checked under the subscription's lock, and a terminal event
  is delivered only after the status became terminal);
* for throttled listeners (``min_interval > 0``), coalesces ``updated`` events
  per operation: at most one per interval, always the newest state, and a
  background flusher delivers the newest state of an operation that went
  quiet, within twice the interval. ``started`` and terminal events are
  always delivered at once, in order.

Callbacks run outside the store's lock, so they may call any store API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._clock import monotonic
from ._logging import logger

if TYPE_CHECKING:
    from .models import ProgressState

__all__ = ["Listener", "Subscription", "ThrottledSubscription"]

Listener = Callable[[str, "ProgressState"], object]
_UPDATED = "updated"


def _call(callback: Listener, event: str, state: ProgressState) -> None:
    try:
        callback(event, state)
    except Exception:
        logger().exception(
            "progress listener %r raised on %r event of operation %r",
            callback,
            event,
            state.operation_id,
        )


class Subscription:
    """A listener that receives every event as it happens."""

    __slots__ = ("_lock", "callback")

    def __init__(self, callback: Listener) -> None:
        self.callback = callback
        # Re-entrant: a callback may itself update the store.
        self._lock = threading.RLock()

    def __call__(self, event: str, state: ProgressState) -> None:
        with self._lock:
            if event == _UPDATED and state.is_finished:
                return
            _call(self.callback, event, state)

    def close(self) -> None:
        """Nothing to release for an unthrottled listener."""


class ThrottledSubscription(Subscription):
    """A listener that sees at most one ``updated`` per operation per interval."""

    __slots__ = ("_armed", "_closed", "_last", "_pending", "_thread", "_wake", "interval")

    def __init__(self, callback: Listener, interval: float) -> None:
        super().__init__(callback)
        self.interval = interval
        self._last: dict[str, float] = {}
        self._pending: dict[str, ProgressState] = {}
        self._armed = False
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, event: str, state: ProgressState) -> None:
        op_id = state.operation_id
        if event == _UPDATED:
            now = monotonic()
            if now - self._last.get(op_id, -1e18) < self.interval:
                # Coalesce: remember the newest state, let the flusher send it.
                self._pending[op_id] = state
                if not self._armed:
                    self._arm()
                return
            with self._lock:
                self._pending.pop(op_id, None)
                if state.is_finished:
                    return
                self._last[op_id] = now
                _call(self.callback, event, state)
            return
        with self._lock:
            self._pending.pop(op_id, None)
            if state.is_finished:
                self._last.pop(op_id, None)
            else:
                self._last[op_id] = monotonic()
            _call(self.callback, event, state)

    def _arm(self) -> None:
        self._armed = True
        if self._thread is None:
            thread = threading.Thread(
                target=self._flush_loop, name="progresstree-throttle", daemon=True
            )
            self._thread = thread
            thread.start()
        self._wake.set()

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            while self._pending and not self._closed:
                self._flush_due()
            self._armed = False
            if self._pending:  # raced with a producer that saw _armed == True
                self._armed = True
                self._wake.set()

    def _flush_due(self) -> None:
        interval = self.interval
        now = monotonic()
        wait = interval
        for op_id in list(self._pending):
            due = self._last.get(op_id, 0.0) + interval
            if due > now:
                wait = min(wait, due - now)
                continue
            with self._lock:
                state = self._pending.pop(op_id, None)
                if state is None or state.is_finished:
                    continue
                self._last[op_id] = monotonic()
                _call(self.callback, _UPDATED, state)
            wait = 0.0
        if wait > 0.0:
            time.sleep(wait)

    def close(self) -> None:
        """Stop the flusher thread (pending coalesced updates are dropped)."""
        self._closed = True
        self._wake.set()

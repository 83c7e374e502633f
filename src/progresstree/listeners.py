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
  always delivered at once, in order;
* for listeners that collect on their own schedule (a relay's ticker), parks
  ``updated`` events straight into the listener's own ``parked`` dict: one
  dict store per event, no call, no lock, no flusher thread.

Callbacks run outside the store's lock, so they may call any store API.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._logging import logger

if TYPE_CHECKING:
    from .models import ProgressState

__all__ = [
    "Listener",
    "ParkedSubscription",
    "Subscription",
    "ThrottledSubscription",
    "subscribe",
]

Listener = Callable[[str, "ProgressState"], object]
_UPDATED = "updated"
_IDLE_EXIT_SECONDS = 10.0


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

    __slots__ = ("__weakref__", "_lock", "callback")

    def __init__(self, callback: Listener) -> None:
        self.callback = callback
        # Re-entrant: a callback may itself update the store.
        self._lock = threading.RLock()
        _LIVE.add(self)

    def after_fork(self) -> None:
        """In a forked child: a lock another thread held at the fork would stay held."""
        self._lock = threading.RLock()

    def __call__(self, event: str, state: ProgressState) -> None:
        with self._lock:
            if event == _UPDATED and state.is_finished:
                return
            _call(self.callback, event, state)

    def close(self) -> None:
        """Nothing to release for an unthrottled listener."""


class ThrottledSubscription(Subscription):
    """A listener that sees at most one ``updated`` per operation per interval.

    The worker's side of an ``updated`` event is one dict store: the newest
    state is parked per operation and a flusher thread delivers what is
    parked, then sleeps for the interval. So the newest state arrives within
    one interval, the worker never formats or waits, and a quiet operation
    still gets its last update. ``started`` and terminal events are delivered
    at once on the emitting thread, after dropping what is parked.
    """

    __slots__ = ("_closed", "_thread", "_thread_lock", "_wake", "armed", "interval", "pending")

    def __init__(self, callback: Listener, interval: float) -> None:
        super().__init__(callback)
        self.interval = interval
        self.pending: dict[str, ProgressState] = {}
        self.armed = False
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()

    def __call__(self, event: str, state: ProgressState) -> None:
        # ProgressEventStore._updated repeats the first branch inline.
        if event == _UPDATED:
            self.pending[state.operation_id] = state
            if not self.armed:
                self.arm()
            return
        with self._lock:
            self.pending.pop(state.operation_id, None)
            _call(self.callback, event, state)

    def start(self) -> None:
        """Start the flusher thread now, when the listener is attached.

        Starting a thread costs about as much as a job of a hundred levels;
        paid at attach time, it is not paid by the first operation's work
        (the way a live display starts its refresh thread when it opens).
        An idle flusher exits after a while and the next update restarts it.
        """
        with self._thread_lock:
            self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._closed:
            thread = threading.Thread(
                target=self._flush_loop, name="progresstree-throttle", daemon=True
            )
            self._thread = thread
            thread.start()

    def arm(self) -> None:
        # Only on the idle -> busy transition, so the lock costs nothing per update.
        with self._thread_lock:
            self.armed = True
            self._ensure_thread()
        self._wake.set()

    def after_fork(self) -> None:
        # The parent's flusher thread does not exist in the child: without a
        # reset, ``_thread`` (and ``armed``, if it was busy) would keep the
        # child from ever starting one, and quiet updates would never arrive.
        # What was parked belongs to the parent's operations: the parent
        # delivers it.
        super().after_fork()
        self._thread_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self.pending.clear()
        self.armed = False

    def _flush_loop(self) -> None:
        pending = self.pending
        while not self._closed:
            if not self._wake.wait(_IDLE_EXIT_SECONDS):
                # Idle for long: let the thread go (a store dropped without
                # removing its listeners keeps no thread alive); the next
                # update starts a new one.
                with self._thread_lock:
                    if not self._wake.is_set() and not pending:
                        self._thread = None
                        return
                continue
            self._wake.clear()
            while not self._closed:
                if pending:
                    self._deliver_pending()
                    time.sleep(self.interval)
                    continue
                self.armed = False
                if not pending:  # else: raced with a producer that saw armed
                    break
                self.armed = True

    def _deliver_pending(self) -> None:
        pending = self.pending
        for op_id in list(pending):
            with self._lock:
                state = pending.pop(op_id, None)
                if state is not None and not state.is_finished:
                    _call(self.callback, _UPDATED, state)

    def close(self) -> None:
        """Stop the flusher thread (what is still parked is dropped)."""
        self._closed = True
        self._wake.set()


class ParkedSubscription(ThrottledSubscription):
    """A listener that reads parked states itself: ``updated`` is one dict store.

    The listener exposes ``parked`` (operation id -> newest state), which it
    drains on its own schedule; the store writes ``updated`` events into it
    inline (see ``ProgressEventStore._updated``). ``started`` and terminal
    events are delivered as calls, as for any throttled listener.
    """

    __slots__ = ()

    def __init__(self, callback: Listener, parked: dict[str, ProgressState]) -> None:
        super().__init__(callback, 0.0)
        self.pending = parked
        self.armed = True  # never starts a flusher: the listener collects

    def arm(self) -> None:
        return None

    def after_fork(self) -> None:
        # The parked dict is the listener's own (it collects it); it never arms.
        Subscription.after_fork(self)


_LIVE: weakref.WeakSet[Subscription] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for sub in list(_LIVE):
        sub.after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def subscribe(callback: Listener, min_interval: float) -> Subscription:
    """The subscription that delivers to ``callback`` (see the module docstring)."""
    parked = getattr(callback, "parked", None)
    if isinstance(parked, dict):
        return ParkedSubscription(callback, parked)
    if min_interval > 0:
        sub = ThrottledSubscription(callback, min_interval)
        sub.start()
        return sub
    return Subscription(callback)

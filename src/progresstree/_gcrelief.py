"""Keeping the cyclic GC from re-walking the levels a job retains.

A store keeps every finished level until its operation leaves history, and
every level is a GC-tracked object. CPython's full collections walk all
tracked objects, and run again each time the survivors grew by a quarter,
so a job of a million levels spent about half of its time per level in the
collector, re-walking levels that can never be garbage while the job runs.

While at least one operation is running, a full collection that took
longer than ``SLOW_COLLECTION`` seconds (a heap big enough for the walk to
matter) is followed by ``gc.freeze()``: what survived it moves to the
permanent generation, which later collections skip. When the frozen
population has grown ``THAW_GROWTH`` times since the collector last saw it,
and when no operation is running any more, ``gc.unfreeze()`` hands it back,
so cycles that became garbage meanwhile are reclaimed by the next full
collection: freezing only delays their collection (by a bounded growth of
the heap), never leaks them. A retained level is walked about twice in all
instead of once per quarter of growth.

An application that calls ``gc.freeze()`` itself is left alone (nothing is
frozen or unfrozen on its behalf). ``PROGRESSTREE_GC_FREEZE=0`` in the
environment turns this off; so should a process whose operations never all
end (a service that always has one running), where freezing would delay
collecting unrelated garbage cycles indefinitely.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

__all__ = ["operation_ended", "operation_started"]

SLOW_COLLECTION = 0.005  # seconds
THAW_GROWTH = 4  # frozen population growth after which it is handed back once

_ENABLED = os.environ.get("PROGRESSTREE_GC_FREEZE", "1") != "0"
_lock = threading.Lock()
_running = 0
_froze = False
_started_at = 0.0
_thawed = 100_000  # frozen objects when last handed back (a floor at first)


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    """``gc.callbacks`` hook: freeze after a slow full collection during a job."""
    global _started_at, _froze, _thawed
    if info.get("generation") != 2 or not _running:
        return
    if phase == "start":
        _started_at = time.perf_counter()
    elif not _froze and gc.get_freeze_count():
        return  # the application freezes objects itself: leave that to it
    elif time.perf_counter() - _started_at > SLOW_COLLECTION:
        frozen = gc.get_freeze_count()
        if frozen > THAW_GROWTH * _thawed:
            # Frozen objects have grown a lot since the collector last saw
            # them: hand them back once, so garbage cycles among them do not
            # wait for the end of every job (a job may never end).
            gc.unfreeze()
            _thawed = frozen
            _froze = False
        else:
            gc.freeze()
            _froze = True


def operation_started() -> None:
    """Count an operation that began running (any store)."""
    global _running
    if not _ENABLED:
        return
    with _lock:
        _running += 1
        if _on_collection not in gc.callbacks:
            gc.callbacks.append(_on_collection)


def operation_ended() -> None:
    """Count an operation that ended; the last one hands frozen objects back."""
    global _running, _froze
    if not _ENABLED:
        return
    with _lock:
        _running = max(_running - 1, 0)
        if not _running and _froze:
            _froze = False
            gc.unfreeze()

"""Dask distributed: tasks submitted inside a level run under it on the workers.

``install(client)`` wraps ``client.submit`` and ``client.map`` of that client:
a call made inside a level sends the function wrapped with the level's token
(so identical pure calls under two levels are two tasks, one under each).
On the worker the task runs inside ``attach(token)`` and a relay on the
worker's store ships its changes back:

* ``relay=None``: through Dask's own channels (``Worker.log_event`` on a
  topic the client subscribes to); the events are merged into the client
  process's global store.
* ``relay="redis://..."``: through a Redis stream; an aggregator in the
  client process merges them into the global store.

``dask.delayed`` graphs computed with ``client.compute`` are not rewritten:
call ``submit``/``map`` (or ``attach(token)`` inside the delayed function)
to nest their work.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any

from distributed import Client, get_worker

from ._relay import Relay, Ticker
from ._replica import Replica
from .propagation import attach, current_token
from .store import get_progress_store

__all__ = ["install", "uninstall"]

TOPIC = "progresstree"
_INTERVAL = 0.1
_worker_lock = threading.Lock()
_worker_relays: dict[str | None, Any] = {}


class _TopicRelay:
    """Worker side, no Redis: change records go out as worker log events."""

    def __init__(self) -> None:
        self.relay = Relay()
        self._lock = threading.Lock()
        get_progress_store().add_callback(self.relay)
        self._ticker = Ticker(self.flush, _INTERVAL, "progresstree-dask-relay")

    def flush(self) -> None:
        with self._lock:
            if not self.relay.has_changes:
                return
            records = self.relay.collect()
            if not records:
                return
            try:
                worker = get_worker()
            except ValueError:
                return
            worker.log_event(TOPIC, {"s": self.relay.source, "d": json.dumps(records)})


def _worker_relay(relay: str | None) -> Any:
    with _worker_lock:
        found = _worker_relays.get(relay)
        if found is None:
            if relay is None:
                found = _TopicRelay()
            else:
                from .remote import RedisPublisher

                found = RedisPublisher(relay)
                get_progress_store().add_callback(found)
            _worker_relays[relay] = found
        return found


def _run_under(
    token: str, relay: str | None, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> Any:
    sender = _worker_relay(relay)
    try:
        with attach(token):
            return fn(*args, **kwargs)
    finally:
        if isinstance(sender, _TopicRelay):
            sender.flush()  # a Redis publisher sends from its own thread within 50 ms


def install(client: Client, *, relay: str | None = None) -> None:
    """Make ``client.submit`` / ``client.map`` inside a level run under it on the workers."""
    target: Any = client
    if relay is not None:
        from .remote import RedisAggregator, check_url

        check_url(relay)
        aggregator = RedisAggregator(relay, store=get_progress_store()).start()
        target._progresstree_aggregator = aggregator
    else:
        replica = Replica(get_progress_store())

        def receive(event: Any) -> None:
            _, message = event
            replica.apply(str(message["s"]), json.loads(message["d"]))

        target.subscribe_topic(TOPIC, receive)
    submit, map_ = target.submit, target.map

    @functools.wraps(submit)
    def submit_under(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        token = current_token()
        if token is None:
            return submit(fn, *args, **kwargs)
        return submit(functools.partial(_run_under, token, relay, fn), *args, **kwargs)

    @functools.wraps(map_)
    def map_under(fn: Callable[..., Any], *iterables: Any, **kwargs: Any) -> Any:
        token = current_token()
        if token is None:
            return map_(fn, *iterables, **kwargs)
        return map_(functools.partial(_run_under, token, relay, fn), *iterables, **kwargs)

    target.submit = submit_under
    target.map = map_under
    target._progresstree_originals = (submit, map_)


def uninstall(client: Client) -> None:
    """Undo :func:`install` on ``client``."""
    target: Any = client
    originals = getattr(target, "_progresstree_originals", None)
    if originals is not None:
        target.submit, target.map = originals
        del target._progresstree_originals
    if TOPIC in getattr(target, "_event_handlers", {}):
        target.unsubscribe_topic(TOPIC)
    aggregator = getattr(target, "_progresstree_aggregator", None)
    if aggregator is not None:
        aggregator.stop()
        del target._progresstree_aggregator

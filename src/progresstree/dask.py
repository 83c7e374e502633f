"""Dask distributed: work submitted inside a level runs under it on the workers.

``install(client)`` hooks the one place where that client sends a graph to
the scheduler (``Client._graph_to_futures``, used by ``submit``, ``map``,
``get``, ``compute`` and ``persist``, hence also by ``dask.compute``,
``.compute()`` and ``dask.persist`` of delayed objects and other
collections). A graph sent inside a level is wrapped in an expression that,
when the scheduler materialises it:

* renames every key with a suffix derived from the level's token, so that
  identical pure calls sent under two levels are two tasks, one under each
  (the caller still sees its own keys: the futures are mapped back);
* runs every task inside ``attach(token)`` on the worker, a relay on the
  worker's store shipping the changes back:

  * ``relay=None``: through Dask's own channels (``Worker.log_event`` on a
    topic the client subscribes to); the events are merged into the client
    process's global store.
  * ``relay="redis://..."``: through a Redis stream; an aggregator in the
    client process merges them into the global store.

Outside any level graphs are sent unchanged. ``uninstall`` removes the hook.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from dask._expr import Expr
from dask._task_spec import DataNode, GraphNode, Task, TaskRef, convert_legacy_graph, cull

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


def _run_node(
    token: str, relay: str | None, node: GraphNode, keys: tuple[Any, ...], /, *values: Any
) -> Any:
    """Worker side: run one task of a rewritten graph under ``token``."""
    return _run_under(token, relay, node, dict(zip(keys, values, strict=True)))


# -- keys and graphs -----------------------------------------------------------------


def _suffix(token: str) -> str:
    return hashlib.blake2b(token.encode(), digest_size=8).hexdigest()


def _renamed(key: Any, suffix: str) -> Any:
    """``key`` made distinct per level; tuple keys keep their indices."""
    if isinstance(key, tuple) and key:
        return (f"{key[0]}-{suffix}", *key[1:])
    return f"{key}-{suffix}"


def _under(node: GraphNode, token: str, relay: str | None) -> GraphNode:
    """``node`` run inside ``attach(token)`` (data, aliases and coroutines as they are)."""
    if not isinstance(node, Task) or node.is_coro:
        return node
    keys = tuple(node.dependencies)
    return Task(
        node.key,
        _run_node,
        token,
        relay,
        DataNode(None, node),
        keys,
        *(TaskRef(key) for key in keys),
        _data_producer=node.data_producer,
    )


class _UnderLevel(Expr):
    """An expression whose graph is ``inner``'s, renamed and run under ``token``.

    Materialised where the graph is (on the scheduler), like any expression.
    """

    _parameters = ["inner", "token", "relay", "keys"]  # noqa: RUF012 (as in dask)

    def __dask_graph__(self) -> dict[Any, GraphNode]:
        inner, token, relay, keys = self.operands
        suffix = _suffix(token)
        graph = convert_legacy_graph(inner.__dask_graph__())
        subs = {key: _renamed(key, suffix) for key in graph}
        renamed = {subs[key]: node.substitute(subs, key=subs[key]) for key, node in graph.items()}
        needed = cull(renamed, list(keys))
        return {key: _under(node, token, relay) for key, node in needed.items()}

    _layer = __dask_graph__

    def __dask_annotations__(self) -> dict[str, dict[Any, Any]]:
        inner, token = self.operands[:2]
        suffix = _suffix(token)
        return {
            kind: {_renamed(key, suffix): value for key, value in values.items()}
            for kind, values in inner.__dask_annotations__().items()
        }

    def __dask_keys__(self) -> list[Any]:
        return list(self.operands[3])


def _rename_keyed(value: Any, suffix: str) -> Any:
    """``internal_priority`` (a dict) or ``actors`` (a list) with renamed keys."""
    if isinstance(value, dict):
        return {_renamed(key, suffix): item for key, item in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_renamed(key, suffix) for key in value]
    return value


def install(client: Client, *, relay: str | None = None) -> None:
    """Make work sent by ``client`` inside a level run under it on the workers.

    Covers ``submit``, ``map``, ``get``, ``compute`` and ``persist`` (so
    ``dask.compute``, ``.compute()`` and ``dask.persist`` of delayed objects
    too). ``relay`` is a Redis URL to carry the workers' events, or None for
    Dask's own channels. Installing again replaces the previous installation.
    """
    uninstall(client)
    target: Any = client
    if relay is not None:
        from .remote import RedisAggregator, check_url

        check_url(relay)
        aggregator = RedisAggregator(relay, store=get_progress_store()).start()
        target._progresstree_aggregator = aggregator  # noqa: SLF001 (our attribute)
    else:
        replica = Replica(get_progress_store())

        def receive(event: Any) -> None:
            _, message = event
            replica.apply(str(message["s"]), json.loads(message["d"]))

        target.subscribe_topic(TOPIC, receive)
    # distributed has no public hook where a graph is submitted: wrap its method.
    send = target._graph_to_futures  # noqa: SLF001

    def send_under(expr: Any, keys: Iterable[Any], *args: Any, **kwargs: Any) -> dict[Any, Any]:
        token = current_token()
        if token is None:
            return send(expr, keys, *args, **kwargs)  # type: ignore[no-any-return]
        suffix = _suffix(token)
        names = {key: _renamed(key, suffix) for key in keys}
        for name in ("internal_priority", "actors"):
            if kwargs.get(name) is not None:
                kwargs[name] = _rename_keyed(kwargs[name], suffix)
        wrapped = _UnderLevel(expr, token, relay, list(names.values()))  # type: ignore[no-untyped-call]
        futures = send(wrapped, list(names.values()), *args, **kwargs)
        return {key: futures[name] for key, name in names.items()}

    target._progresstree_hook = (send_under, vars(target).get("_graph_to_futures"))  # noqa: SLF001
    target._graph_to_futures = send_under  # noqa: SLF001


def uninstall(client: Client) -> None:
    """Undo :func:`install` on ``client`` (nothing happens when it is not installed)."""
    target: Any = client
    hook = vars(target).pop("_progresstree_hook", None)
    if hook is not None:
        installed, previous = hook
        if vars(target).get("_graph_to_futures") is installed:
            if previous is None:
                del target._graph_to_futures  # noqa: SLF001 (the class's method again)
            else:
                target._graph_to_futures = previous  # noqa: SLF001
    if TOPIC in getattr(target, "_event_handlers", {}):
        target.unsubscribe_topic(TOPIC)
    aggregator = getattr(target, "_progresstree_aggregator", None)
    if aggregator is not None:
        aggregator.stop()
        del target._progresstree_aggregator  # noqa: SLF001

"""Progress across machines through Redis Streams (extra ``progresstree[redis]``).

A :class:`RedisPublisher` is a store listener that sends change records of
its process to a stream; a :class:`RedisAggregator` reads the stream and
merges every publisher's records into one store, so the usual queries,
listeners and renderers show one tree per job wherever its parts run. See
``docs/distributed.md``.
"""

from __future__ import annotations

from ._aggregator import RedisAggregator
from ._publisher import RedisPublisher, publish
from ._url import check_url

__all__ = ["RedisAggregator", "RedisPublisher", "check_url", "publish"]

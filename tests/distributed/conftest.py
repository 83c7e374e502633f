"""Fixtures of the distributed tests: a real redis-server on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pt_dist_redis import REDIS_SERVER, RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh, empty redis-server for one test."""
    if REDIS_SERVER is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("PROGRESSTREE_REQUIRE_REDIS"):
            pytest.fail(reason)  # CI installs it: a missing server is a failure there
        pytest.skip(reason)
    server = RedisServer(REDIS_SERVER, tmp_path)
    server.start()
    yield server
    server.stop()

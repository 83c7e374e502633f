"""Fixtures of the distributed tests: a real redis-server on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pt_dist_redis import REDIS_SERVER, RedisServer

REDIS_PASSWORD = "s3cret-pw"


def _server(tmp_path: Path, *args: str) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("PROGRESSTREE_REQUIRE_REDIS"):
            pytest.fail(reason)  # CI installs it: a missing server is a failure there
        pytest.skip(reason)
    server = RedisServer(REDIS_SERVER, tmp_path, *args)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh, empty redis-server for one test."""
    yield from _server(tmp_path)


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server that requires ``REDIS_PASSWORD``."""
    yield from _server(tmp_path, "--requirepass", REDIS_PASSWORD)

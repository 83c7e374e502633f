"""progresstree.dask on a real LocalCluster with two worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import pt_dist_workers as w
import pytest
from pt_dist_redis import RedisServer

import progresstree.dask
from distributed import Client, LocalCluster
from progresstree import get_progress_context


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster) as dask_client:
        progresstree.dask.install(dask_client)
        yield dask_client
        progresstree.dask.uninstall(dask_client)


def test_submitted_tasks_nest_under_the_submitting_level(client: Client) -> None:
    progress = get_progress_context()
    with progress.setlist_processing("s", "Setlist") as op:
        futures = []
        for song in range(4):
            with op.song(song, f"song {song}"):
                futures.append(client.submit(w.process_song, song, 2, 3))
        assert client.gather(futures) == [0, 10, 20, 30]
        expected = {f"{s}:a{a}" for s in range(4) for a in range(2)}
        assert w.wait_until(lambda: expected <= set(op.state.levels), 10)
        assert w.wait_until(
            lambda: all(op.state.levels[lid].status.value == "completed" for lid in expected)
        )
        assert op.state.levels["2:a1"].current == 3


def test_map_nests_under_the_level(client: Client) -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, op.song("m", "mapped"):
        assert client.gather(client.map(w.tagged_song, range(3))) == [f"song {i}" for i in range(3)]
        assert w.wait_until(lambda: {"m:t", "m:t#2", "m:t#3"} <= set(op.state.levels), 10)


def test_identical_pure_calls_under_two_levels_are_two_tasks(client: Client) -> None:
    progress = get_progress_context()
    with progress.operation("job") as op:
        with op.song("a", "A"):
            first = client.submit(w.tagged_song, 7)
        with op.song("b", "B"):
            second = client.submit(w.tagged_song, 7)
        assert first.key != second.key
        assert client.gather([first, second]) == ["song 7", "song 7"]
        assert w.wait_until(lambda: {"a:t", "b:t"} <= set(op.state.levels), 10)


def test_outside_levels_submit_is_unchanged(client: Client) -> None:
    assert client.submit(w.plain_square, 3).result() == 9


def test_events_can_travel_through_redis(cluster: LocalCluster, redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with Client(cluster) as dask_client:
        progresstree.dask.install(dask_client, relay=redis_server.url)
        try:
            with progress.operation("job") as op, op.song("r", "redis song"):
                assert dask_client.submit(w.process_song, 1, 2, 2).result() == 10
                assert w.wait_until(lambda: {"r:a0", "r:a1"} <= set(op.state.levels), 10)
        finally:
            progresstree.dask.uninstall(dask_client)

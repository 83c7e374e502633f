"""progresstree.dask on a real LocalCluster with two worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import dask
import pt_dist_workers as w
import pytest
from pt_dist_redis import RedisServer

import progresstree.dask
from distributed import Client, LocalCluster
from progresstree import get_progress_context, get_progress_store


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


def _completed(op: object, expected: set[str]) -> bool:
    levels = op.state.levels  # type: ignore[attr-defined]
    return expected <= set(levels) and all(
        levels[lid].status.value == "completed" for lid in expected
    )


def test_delayed_compute_runs_under_the_level(client: Client) -> None:
    progress = get_progress_context()
    with progress.setlist_processing("s", "Setlist") as op:
        with op.song("d", "delayed song"):
            assert dask.delayed(w.process_song)(4, 2, 3).compute() == 40
        assert w.wait_until(lambda: _completed(op, {"d:a0", "d:a1"}), 10)
        assert op.state.levels["d:a1"].current == 3
        assert op.state.levels["d:a0"].parent_id == "d"


def test_dask_compute_of_several_delayed_with_dependencies(client: Client) -> None:
    progress = get_progress_context()
    with progress.setlist_processing("s", "Setlist") as op:
        with op.song("x", "songs"):
            songs = [dask.delayed(w.process_song)(i, 1, 2) for i in range(3)]
            total = dask.delayed(w.song_total)(songs)
            assert dask.compute(total, songs[0]) == (30, 0)
        assert w.wait_until(lambda: _completed(op, {"x:a0", "x:a0#2", "x:a0#3"}), 10)


def test_client_compute_and_persist_run_under_the_level(client: Client) -> None:
    progress = get_progress_context()
    with progress.operation("job") as op:
        with op.song("c", "computed"):
            future = client.compute(dask.delayed(w.process_song)(1, 1, 1))
        with op.song("p", "persisted"):
            persisted = dask.persist(dask.delayed(w.process_song)(2, 1, 1))[0]
        with op.song("q", "client.persist"):
            kept = client.persist(dask.delayed(w.process_song)(3, 1, 1))
        assert future.result() == 10
        assert persisted.compute() == 20
        assert kept.compute() == 30
        assert w.wait_until(lambda: _completed(op, {"c:a0", "p:a0", "q:a0"}), 10)


def test_same_pure_delayed_under_two_levels_is_two_tasks(client: Client) -> None:
    progress = get_progress_context()
    call = dask.delayed(w.tagged_song, pure=True)
    assert call(7).key == call(7).key
    with progress.operation("job") as op:
        with op.song("a", "A"):
            first = call(7).persist()
        with op.song("b", "B"):
            second = call(7).persist()
        assert dask.compute(first, second) == ("song 7", "song 7")
        assert w.wait_until(lambda: _completed(op, {"a:t", "b:t"}), 10)
        assert op.state.levels["a:t"].parent_id == "a"
        assert op.state.levels["b:t"].parent_id == "b"


def test_delayed_outside_any_level_is_unchanged(client: Client) -> None:
    task = dask.delayed(w.plain_square)(5)
    future = client.compute(task)
    assert future.key == task.key
    assert future.result() == 25
    assert task.compute() == 25
    assert dask.delayed(w.song_total)([task, task]).compute() == 50
    assert get_progress_store().get_all_active() == []


def test_uninstall_restores_the_client(cluster: LocalCluster) -> None:
    progress = get_progress_context()
    with Client(cluster) as dask_client:
        progresstree.dask.install(dask_client)
        progresstree.dask.install(dask_client)
        progresstree.dask.uninstall(dask_client)
        assert "_graph_to_futures" not in vars(dask_client)
        with progress.operation("job"):
            task = dask.delayed(w.plain_square)(4)
            assert dask_client.compute(task).key == task.key


def test_events_can_travel_through_redis(cluster: LocalCluster, redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with Client(cluster) as dask_client:
        progresstree.dask.install(dask_client, relay=redis_server.url)
        try:
            with progress.operation("job") as op, op.song("r", "redis song"):
                assert dask_client.submit(w.process_song, 1, 2, 2).result() == 10
                assert dask.delayed(w.process_song)(2, 1, 1).compute() == 20
                assert w.wait_until(lambda: {"r:a0", "r:a1", "r:a0#2"} <= set(op.state.levels), 10)
        finally:
            progresstree.dask.uninstall(dask_client)

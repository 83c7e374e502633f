"""Redis Streams: publishers in several processes, one aggregated tree."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
import time

import pt_dist_workers as w
import pytest
from pt_dist_redis import RedisServer

from progresstree import ProgressEventStore, current_token, get_progress_context
from progresstree.remote import RedisAggregator, RedisPublisher, publish
from progresstree.remote.watch import main as watch_main
from progresstree.testing import RecordingListener

WATCH = [sys.executable, "-m", "progresstree", "watch"]


def _shape(store: ProgressEventStore, operation_id: str) -> dict[str, tuple[str, float]]:
    state = store.get_operation(operation_id)
    assert state is not None
    return {lid: (lv.status.value, lv.current) for lid, lv in state.levels.items()}


def test_aggregator_mirrors_a_published_job(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with publish(redis_server.url), progress.setlist_processing("s", "Setlist") as op:
        for song in range(3):
            with op.song(song, f"song {song}"):
                w.process_song(song, actions=2, steps=4)
    with RedisAggregator(redis_server.url) as aggregator:
        assert aggregator.wait_idle(10)
        mirrored = aggregator.get_operation(op.operation_id)
        assert mirrored is not None
        assert mirrored.status.value == "completed"
        assert mirrored.name == "Setlist"
        assert _shape(aggregator.store, op.operation_id) == _shape(progress.store, op.operation_id)
        assert mirrored.get_overall_progress()["percentage"] == 100.0
        assert mirrored.to_dict()["levels"]["0:a1"]["current"] == 4


def test_songs_in_other_processes_join_the_parent_tree(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    context = multiprocessing.get_context("spawn")
    aggregator = RedisAggregator(redis_server.url, stream="job").start()
    recorder = RecordingListener()
    aggregator.store.add_callback(recorder)
    try:
        with publish(redis_server.url, stream="job"), progress.setlist_processing("s", "S") as op:
            token = current_token()
            workers = [
                context.Process(target=w.publish_songs, args=(redis_server.url, token, s, "job"))
                for s in ([1, 2], [3, 4])
            ]
            for process in workers:
                process.start()
            for process in workers:
                process.join(60)
                assert process.exitcode == 0
        assert aggregator.wait_idle(10)
        state = aggregator.get_operation(op.operation_id)
        assert state is not None
        assert "orphaned" not in state.metadata
        assert sorted(state.root_level_ids) == ["1", "2", "3", "4"]
        for song in (1, 2, 3, 4):
            assert list(state.levels[str(song)].children) == [f"{song}:a0", f"{song}:a1"]
        assert len(state.levels) == 12
        assert all(level.status.value == "completed" for level in state.levels.values())
        assert state.status.value == "completed"
        assert recorder.types(op.operation_id)[0] == "started"
        assert recorder.types(op.operation_id)[-1] == "completed"
    finally:
        aggregator.stop()


def test_aggregator_started_late_catches_up(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with publish(redis_server.url) as publisher, progress.operation("job", "Job") as op:
        with op.song("early", "early song"):
            pass
        time.sleep(0.2)
        with RedisAggregator(redis_server.url) as aggregator:
            assert aggregator.wait_idle(10)
            assert aggregator.get_operation(op.operation_id) is not None
            assert "early" in aggregator.get_operation(op.operation_id).levels  # type: ignore[union-attr]
            with op.song("late", "late song"):
                pass
            publisher.close()
            assert aggregator.wait_idle(10)
            state = aggregator.get_operation(op.operation_id)
            assert state is not None
            assert list(state.levels) == ["early", "late"]


def test_two_jobs_in_one_stream_and_two_streams_stay_apart(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with publish(redis_server.url, stream="a"):
        with progress.operation("job", "A1") as a1, a1.song("x", "x"):
            pass
        with progress.operation("job", "A2") as a2, a2.song("y", "y"):
            pass
    with publish(redis_server.url, stream="b"), progress.operation("job", "B") as b:
        with b.song("z", "z"):
            pass
    with RedisAggregator(redis_server.url, stream="a") as agg_a:
        assert agg_a.wait_idle(10)
        assert list(agg_a.get_operation(a1.operation_id).levels) == ["x"]  # type: ignore[union-attr]
        assert list(agg_a.get_operation(a2.operation_id).levels) == ["y"]  # type: ignore[union-attr]
        assert agg_a.get_operation(b.operation_id) is None


def test_redis_killed_and_restarted_mid_job_leaves_a_complete_tree(
    redis_server: RedisServer,
) -> None:
    progress = get_progress_context()
    aggregator = RedisAggregator(redis_server.url).start()
    try:
        with publish(redis_server.url) as publisher:
            with progress.operation("job", "Job") as op:
                for song in range(10):
                    with op.song(song, f"song {song}"):
                        w.process_song(song, actions=2, steps=3)
                    if song == 3:
                        assert aggregator.wait_idle(10)
                        redis_server.stop()
                    if song == 6:
                        redis_server.start()
                    time.sleep(0.05)
            publisher.close(timeout=10)
            assert publisher.dropped == 0
        assert aggregator.wait_idle(10)
        state = aggregator.get_operation(op.operation_id)
        assert state is not None
        assert len(state.levels) == 30
        assert not [lid for lid in state.levels if "#" in lid]
        assert all(level.status.value == "completed" for level in state.levels.values())
        assert state.status.value == "completed"
    finally:
        aggregator.stop()


def test_unreachable_redis_never_blocks_the_work_and_counts_drops() -> None:
    progress = get_progress_context()
    publisher = RedisPublisher("redis://127.0.0.1:9/0", buffer=50, interval=0.01)
    progress.store.add_callback(publisher)
    started = time.monotonic()
    with progress.operation("job") as op:
        for song in range(200):
            with op.song(song, "song"):
                time.sleep(0.0005)
    worked = time.monotonic() - started
    progress.store.remove_callback(publisher)
    closing = time.monotonic()
    publisher.close(timeout=1.0)
    assert time.monotonic() - closing < 2.5
    assert worked < 5
    assert publisher.dropped > 0


def test_process_with_unreachable_redis_exits_within_timeout() -> None:
    code = (
        "from progresstree import get_progress_context\n"
        "from progresstree.remote import RedisPublisher\n"
        "p = RedisPublisher('redis://127.0.0.1:9/0')\n"
        "get_progress_context().store.add_callback(p)\n"
        "with get_progress_context().operation('job'): pass\n"
    )
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    assert time.monotonic() - started < 5.0 + 3.0


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "redis://", ""])
def test_bad_urls_are_rejected_naming_the_url(url: str) -> None:
    for make in (RedisPublisher, RedisAggregator):
        with pytest.raises(ValueError) as info:
            make(url)
        assert repr(url) in str(info.value)
    with pytest.raises(ValueError, match="unsupported Redis URL"), publish(url):
        pass


def test_watch_bad_url_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert watch_main(["http://nowhere"]) == 2
    assert "'http://nowhere'" in capsys.readouterr().err


def test_watch_json_prints_one_event_per_line(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with publish(redis_server.url), progress.operation("job", "Job") as op, op.song(1, "s"):
        pass
    result = subprocess.run(
        [*WATCH, redis_server.url, "--json", "--exit-when-idle"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["event"] == "started"
    assert lines[-1]["event"] == "completed"
    assert {line["operation_id"] for line in lines} == {op.operation_id}
    assert lines[-1]["name"] == "Job"
    assert lines[-1]["operation"]["status"] == "completed"
    merged: dict[str, dict[str, object]] = {}
    for line in lines:  # deltas: later lines update earlier ones
        merged.update(line["levels"])
    assert merged["1"]["status"] == "completed"
    assert merged["1"]["name"] == "s"


def test_watch_plain_shows_the_job(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with publish(redis_server.url), progress.operation("job", "Plain job"):
        pass
    result = subprocess.run(
        [*WATCH, redis_server.url, "--plain", "--exit-when-idle"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "Plain job" in result.stdout


def test_publisher_is_thread_safe_under_concurrent_work(redis_server: RedisServer) -> None:
    progress = get_progress_context()
    with publish(redis_server.url), progress.operation("job") as op:

        def work(index: int) -> None:
            with op.song(index, "song") as song:
                for _ in range(50):
                    song.increment()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with RedisAggregator(redis_server.url) as aggregator:
        assert aggregator.wait_idle(10)
        assert _shape(aggregator.store, op.operation_id) == _shape(progress.store, op.operation_id)

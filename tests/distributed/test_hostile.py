"""What other machines write to a Redis stream is untrusted: a real redis-server
gets hostile entries, and the aggregator, the renderers and ``watch`` must hold."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import redis
from hypothesis import given, settings
from pt_dist_redis import RedisServer
from rich.console import Console

from conftest import REDIS_PASSWORD
from progresstree import ProgressEventStore, get_progress_context
from progresstree.remote import RedisAggregator, RedisPublisher, publish
from progresstree.render import LiveRenderer
from progresstree.render.tree import render_states

WATCH = [sys.executable, "-m", "progresstree", "watch"]
EVIL = "name\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")
T0 = 1_700_000_000.0


# -- raw records, as a hostile writer would send them ---------------------------------------------


def op(
    op_id: Any = "job_1",
    status: str = "running",
    *,
    total: Any = 0,
    current: Any = 0,
    instance: Any = 1,
) -> list[Any]:
    ended = T0 + 1 if status in {"completed", "failed", "cancelled"} else None
    return [
        "op",
        op_id,
        "job",
        "Job",
        status,
        T0,
        ended,
        None,
        None,
        total,
        current,
        None,
        None,
        False,
        instance,
    ]


def lv(
    level_id: Any,
    *,
    op_id: Any = "job_1",
    parent: Any = None,
    status: str = "running",
    current: Any = 0,
    total: Any = 0,
    name: Any = "song",
) -> list[Any]:
    ended = T0 + 1 if status in {"completed", "failed", "cancelled"} else None
    record = [
        level_id,
        "song",
        name,
        status,
        current,
        total,
        None,
        T0,
        ended,
        None,
        None,
        parent,
        None,
    ]
    return ["lv", op_id, record, 1]


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    raw = redis.Redis.from_url(redis_server.url)
    yield raw
    raw.close()


@pytest.fixture
def aggregator(redis_server: RedisServer) -> Iterator[RedisAggregator]:
    with RedisAggregator(redis_server.url) as running:
        yield running


def send(client: redis.Redis, records: Any, source: str = "evil-host:1:ab") -> None:
    data = records if isinstance(records, (str, bytes)) else json.dumps(records)
    client.xadd("progresstree", {"s": source, "d": data})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _hostile_job() -> str:
    """Run a local job whose texts carry terminal controls; return its id."""
    progress = get_progress_context()
    with progress.operation("job", EVIL) as job:
        with job.song(1, EVIL) as song:
            song.update(message=EVIL)
        try:
            with job.song(2, "breaks"):
                raise RuntimeError(EVIL)
        except RuntimeError:
            pass
        return job.operation_id


# -- terminal escapes -----------------------------------------------------------------------------


def test_watch_plain_prints_no_terminal_controls(redis_server: RedisServer) -> None:
    with publish(redis_server.url):
        _hostile_job()
    result = subprocess.run(
        [*WATCH, redis_server.url, "--plain", "--exit-when-idle"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "pwned" in result.stdout
    assert "evil" in result.stdout
    assert not CONTROLS.findall(result.stdout)


def test_live_tree_draws_no_escape_from_the_stream(redis_server: RedisServer) -> None:
    with publish(redis_server.url):
        op_id = _hostile_job()
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=200, color_system=None)
    with RedisAggregator(redis_server.url) as aggregator:
        assert aggregator.wait_idle(10)
        state = aggregator.get_operation(op_id)
        assert state is not None
        live = LiveRenderer(aggregator.store, console=console)
        live("completed", state)
        live.start()
        live.stop()
    drawn = buffer.getvalue()
    assert "pwned" in drawn
    assert "\x1b]" not in drawn  # no OSC (window title)
    assert "\x1b[2J" not in drawn  # no screen clear
    assert not re.findall("[\x07\x9b\u202e]", drawn)


def test_tree_of_a_merged_state_keeps_every_name_printable(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, [op(), lv("1", name=EVIL), lv("1:2", parent="1", name="a\x1bb")])
    assert aggregator.wait_idle(10)
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(
        render_states(aggregator.get_active_operations())
    )
    assert "pwned" in buffer.getvalue()
    assert not CONTROLS.findall(buffer.getvalue())


# -- the reader survives every entry --------------------------------------------------------------


def _job_records(op_id: str = "job_1") -> list[list[Any]]:
    return [
        op(op_id),
        lv("1", op_id=op_id, status="completed", current=3, total=3),
        op(op_id, "completed"),
    ]


def test_deeply_nested_entry_is_refused_and_later_entries_applied(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, "[" * 200_000 + "]" * 200_000)
    send(client, _job_records())
    assert aggregator.wait_idle(10)
    state = aggregator.get_operation("job_1")
    assert state is not None
    assert state.status.value == "completed"
    assert aggregator.rejected == 1
    send(client, _job_records("job_2"))  # the reader is still alive
    assert aggregator.wait_idle(10)
    assert aggregator.get_operation("job_2") is not None


@pytest.mark.parametrize(
    "fields",
    [
        {"s": "x", "d": "[" + "1," * 600_000 + "1]"},  # larger than the size cap
        {"s": "x", "d": b"\xff\xfe[]"},  # not UTF-8
        {"s": b"\xff", "d": "[]"},  # source not UTF-8
        {"s": "x", "d": '[["op"'},  # not JSON
        {"s": "x", "d": json.dumps([lv("1", current=0.5)]).replace("0.5", "NaN")},
        {"s": "x", "d": json.dumps([lv("1", current=0.5)]).replace("0.5", "1e999")},
        {"s": "x", "d": '{"a": 1}'},
        {"s": "x", "d": "[1, 2]"},
        {"s": "x", "d": '[["op", "job_1"]]'},
        {"other": "writer"},
    ],
    ids=[
        "huge",
        "bad-utf8",
        "bad-source",
        "not-json",
        "nan",
        "inf",
        "object",
        "scalars",
        "short",
        "foreign",
    ],
)
def test_hostile_entry_is_counted_and_skipped(
    aggregator: RedisAggregator, client: redis.Redis, fields: dict[str, Any]
) -> None:
    client.xadd("progresstree", fields)  # type: ignore[arg-type]
    send(client, _job_records())
    assert aggregator.wait_idle(10)
    assert aggregator.rejected == 1
    state = aggregator.get_operation("job_1")
    assert state is not None
    assert state.get_overall_progress()["percentage"] == 100.0


def test_stream_key_of_another_type_is_reported_and_outlived(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    client.set("progresstree", "not a stream")
    deadline = time.monotonic() + 10
    while aggregator.error is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert aggregator.error is not None
    assert "WRONGTYPE" in aggregator.error
    assert not aggregator.wait_idle(0.5)
    client.delete("progresstree")
    send(client, _job_records())
    assert aggregator.wait_idle(20)
    assert aggregator.get_operation("job_1") is not None
    assert aggregator.error is None


def test_refusals_are_logged_at_most_once_a_second(
    redis_server: RedisServer, client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="progresstree")
    for index in range(200):
        send(client, f"not json {index}")
    started = time.monotonic()
    with RedisAggregator(redis_server.url) as aggregator:
        assert aggregator.wait_idle(10)
    elapsed = time.monotonic() - started
    counts = [
        int(match.group(1))
        for record in caplog.records
        if (match := re.search(r"refused (\d+) entr", record.getMessage()))
    ]
    assert sum(counts) == 200
    assert len(counts) <= elapsed + 2  # one line a second, plus the rest at stop()


def test_watch_exit_when_idle_returns_despite_a_poisoned_entry(
    redis_server: RedisServer, client: redis.Redis
) -> None:
    send(client, "[" * 200_000 + "]" * 200_000)
    send(client, _job_records())
    result = subprocess.run(
        [*WATCH, redis_server.url, "--json", "--exit-when-idle"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["event"] == "completed"
    assert "refused 1 entry" in result.stderr


# -- records are checked whole, then applied ------------------------------------------------------


POISONED_LEVELS = {
    "current-text": lv("2", current="abc"),
    "current-huge": lv("2", current=10**400),
    "total-null": lv("2", total=None),
    "total-negative": lv("2", total=-1),
    "status-unknown": lv("2", status="exploded"),
    "name-number": lv("2", name=7),
    "id-list": lv(["2"]),
    "parent-self": lv("2", parent="2"),
}
POISONED_HEADERS = {
    "op-total-null": op("job_1", total=None),
    "op-current-text": op("job_1", current="abc"),
    "op-current-huge": op("job_1", current=10**400),
    "op-id-null": op(None),
}


@pytest.mark.parametrize("poison", [*POISONED_LEVELS, *POISONED_HEADERS])
def test_poisoned_record_refuses_its_whole_entry(
    aggregator: RedisAggregator, client: redis.Redis, poison: str
) -> None:
    bad = POISONED_LEVELS.get(poison) or POISONED_HEADERS[poison]
    send(client, [op(), lv("1"), bad])
    send(client, [op("job_2"), lv("1", op_id="job_2", current=1, total=2)])
    assert aggregator.wait_idle(10)
    assert aggregator.rejected == 1
    assert aggregator.get_operation("job_1") is None  # nothing of the entry applied
    (state,) = aggregator.get_active_operations()
    assert state.get_overall_progress()["total"] == 1
    buffer = io.StringIO()
    Console(file=buffer, width=120).print(render_states([state]))  # what rich's thread does
    assert "song" in buffer.getvalue()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -1, 2**63, 1e308, "", "running", "x" * 5000])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def test_any_value_in_any_field_is_applied_sanely_or_refused(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    """Whatever a writer puts in a record, the merged store stays usable."""
    counter = iter(range(10**6))

    @settings(max_examples=120, deadline=None)
    @given(header=st.booleans(), field=st.integers(1, 14), value=JSON_VALUES)
    def check(header: bool, field: int, value: Any) -> None:
        op_id = f"job_{next(counter)}"
        records = [op(op_id), lv("1", op_id=op_id, current=1, total=2)]
        if header:
            records[0][field] = value
        else:
            records[1][2][field % 13] = value
        before = aggregator.rejected
        send(client, records)
        assert aggregator.wait_idle(10)
        state = aggregator.get_operation(op_id)
        if aggregator.rejected > before:
            return
        assert state is not None
        assert 0.0 <= state.get_overall_progress()["percentage"] <= 100.0
        json.dumps(state.to_dict(), allow_nan=False)
        Console(file=io.StringIO(), width=120).print(render_states([state]))

    check()


def test_bad_record_never_leaves_a_level_half_updated(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, [op(), lv("1", current=1, total=10)])
    send(client, [lv("1", status="completed", current=10, total=10), lv("2", current="abc")])
    assert aggregator.wait_idle(10)
    level = aggregator.get_operation("job_1").levels["1"]  # type: ignore[union-attr]
    assert (level.status.value, level.current) == ("running", 1)
    assert "2" not in aggregator.get_operation("job_1").levels  # type: ignore[union-attr]


def test_parent_cycle_is_refused_and_the_operation_still_ends(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, [op(), lv("B:x", parent="B")])  # B is not there yet: a placeholder
    send(client, [lv("B", parent="B:x")])  # would hang B under its own child
    send(client, [op(status="completed")])
    assert aggregator.wait_idle(10)
    assert aggregator.rejected == 1
    assert aggregator.get_active_operations() == []
    state = aggregator.get_operation("job_1")
    assert state is not None
    reachable: list[str] = []
    todo = [state.levels[i] for i in state.root_level_ids]
    while todo:
        level = todo.pop()
        reachable.append(level.level_id)
        todo.extend(level.children.values())
    assert sorted(reachable) == sorted(state.levels) == ["B", "B:x"]
    statuses = {level_id: level.status.value for level_id, level in state.levels.items()}
    assert statuses == {"B:x": "completed", "B": "pending"}  # nothing left running


def test_unknown_parent_the_id_does_not_name_is_refused(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, [op(), lv("A", parent="B")])
    send(client, [lv("B", parent="A")])
    assert aggregator.wait_idle(10)
    assert aggregator.rejected == 2
    state = aggregator.get_operation("job_1")
    assert state is not None
    assert dict(state.levels) == {}
    send(client, [lv("B"), lv("A", parent="B")])  # once the parent exists, any id may join it
    assert aggregator.wait_idle(10)
    assert state.levels["A"].parent_id == "B"
    assert list(state.levels["B"].children) == ["A"]


def test_integer_operation_id_is_stored_and_ended_as_a_string(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, [op(123), lv("1", op_id=123)])
    send(client, [op("123", "completed")])
    assert aggregator.wait_idle(10)
    assert aggregator.get_active_operations() == []
    state = aggregator.get_operation("123")
    assert state is not None
    assert state.status.value == "completed"
    assert list(state.levels) == ["1"]


def test_records_after_the_terminal_header_never_reopen_the_operation(
    aggregator: RedisAggregator, client: redis.Redis
) -> None:
    send(client, _job_records())
    send(client, [lv("late")])
    send(client, [op(), lv("later")])
    assert aggregator.wait_idle(10)
    assert aggregator.get_active_operations() == []
    history = aggregator.store.get_history()
    assert [state.operation_id for state in history] == ["job_1"]
    assert list(history[0].levels) == ["1"]
    assert "orphaned" not in history[0].metadata


# -- watch without Redis, and passwords -----------------------------------------------------------


def test_watch_without_redis_says_why_and_gives_up() -> None:
    port = _free_port()
    started = time.monotonic()
    result = subprocess.run(
        [
            *WATCH,
            f"redis://127.0.0.1:{port}/0",
            "--plain",
            "--exit-when-idle",
            "--connect-timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"cannot connect to redis at 127.0.0.1:{port}: " in result.stderr
    assert result.stderr.count("cannot") == 1  # said once, not again by the library's log
    assert "giving up" in result.stderr
    assert time.monotonic() - started < 30


def test_watch_retries_until_redis_comes_up(redis_server: RedisServer, client: redis.Redis) -> None:
    send(client, _job_records())
    client.save()  # the restarted server loads the job from its dump
    redis_server.stop()
    watcher = subprocess.Popen(
        [*WATCH, redis_server.url, "--json", "--exit-when-idle", "--connect-timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0)
        redis_server.start()
        out, err = watcher.communicate(timeout=60)
    finally:
        watcher.kill()
    assert watcher.returncode == 0
    assert "cannot connect to redis at" in err
    assert "connected to redis at" in err
    assert json.loads(out.splitlines()[-1])["event"] == "completed"


def test_aggregator_reports_an_outage_and_recovers(redis_server: RedisServer) -> None:
    redis_server.stop()
    with RedisAggregator(redis_server.url) as aggregator:
        deadline = time.monotonic() + 10
        while aggregator.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert aggregator.error is not None
        redis_server.start()
        progress = get_progress_context()
        with publish(redis_server.url), progress.operation("job") as job:
            pass
        deadline = time.monotonic() + 20
        while aggregator.get_operation(job.operation_id) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert aggregator.get_operation(job.operation_id) is not None
        assert aggregator.error is None


def test_password_in_a_bad_url_is_never_printed() -> None:
    result = subprocess.run(
        [*WATCH, "redis://:s3cret@127.0.0.1:99999/0"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "s3cret" not in result.stderr + result.stdout
    assert "redis://***@127.0.0.1:99999/0" in result.stderr
    for make in (RedisAggregator, RedisPublisher):
        with pytest.raises(ValueError) as info:
            make("redis://user:s3cret@host:99999/0")
        assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    ["redis://:s3cret@127.0.0.1:{port}/0", "redis://me:s3cret@127.0.0.1:{port}/0?password=s3cret"],
)
def test_urls_kept_and_errors_shown_are_redacted(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="progresstree")
    url = url.format(port=_free_port())
    publisher = RedisPublisher(url, interval=0.01)
    with RedisAggregator(url) as aggregator:
        deadline = time.monotonic() + 10
        while aggregator.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        shown = [aggregator.url, aggregator.error or "", publisher.url]
    get_progress_context().store.add_callback(publisher)
    with get_progress_context().operation("job"):
        pass
    publisher.close(timeout=1.0)
    shown += [publisher.error or "", caplog.text]
    assert all("s3cret" not in text for text in shown)
    assert aggregator.url.startswith("redis://***@127.0.0.1:")
    result = subprocess.run(
        [*WATCH, url, "--plain", "--exit-when-idle", "--connect-timeout", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "s3cret" not in result.stderr + result.stdout


def _run_job_with_password(server: RedisServer) -> str:
    progress = get_progress_context()
    with publish(server.url, password=REDIS_PASSWORD) as publisher:
        with progress.operation("job", "Secured job") as job, job.song(1, "s"):
            pass
    assert publisher.dropped == 0
    return job.operation_id


def test_watch_takes_the_password_from_env_or_file(
    redis_with_password: RedisServer, tmp_path: Path
) -> None:
    _run_job_with_password(redis_with_password)
    command = [*WATCH, redis_with_password.url, "--plain", "--exit-when-idle"]
    by_env = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(), "REDIS_PASSWORD": REDIS_PASSWORD},
    )
    assert by_env.returncode == 0, by_env.stderr
    assert "Secured job" in by_env.stdout
    secret = tmp_path / "password"
    secret.write_text(REDIS_PASSWORD + "\n")
    by_file = subprocess.run(
        [*command, "--password-file", str(secret)], capture_output=True, text=True, timeout=60
    )
    assert by_file.returncode == 0, by_file.stderr
    assert "Secured job" in by_file.stdout
    wrong = subprocess.run(
        [*command, "--connect-timeout", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(), "REDIS_PASSWORD": "wrong-pw"},
    )
    assert wrong.returncode == 1
    assert "cannot connect to redis at" in wrong.stderr
    assert "wrong-pw" not in wrong.stderr


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "REDIS_PASSWORD"}


def test_watch_with_an_unreadable_password_file_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [*WATCH, "redis://127.0.0.1:1/0", "--password-file", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "cannot read the password file" in result.stderr


# -- the publisher counts every record it does not deliver ----------------------------------------


def _publish_songs(publisher: RedisPublisher, songs: int) -> None:
    progress = get_progress_context()
    progress.store.add_callback(publisher)
    with progress.operation("job") as job:
        for song in range(songs):
            with job.song(song, f"song {song}"):
                pass
    progress.store.remove_callback(publisher)


def _failing_publishers(server: RedisServer) -> dict[str, str]:
    host = f"127.0.0.1:{server.port}"
    return {
        "no-password": f"redis://{host}/0",
        "wrong-password": f"redis://:wrong-pw@{host}/0",
        "tls-to-plain": f"rediss://:{REDIS_PASSWORD}@{host}/0",
        "unreachable": f"redis://127.0.0.1:{_free_port()}/0",
    }


@pytest.mark.parametrize("case", ["no-password", "wrong-password", "tls-to-plain", "unreachable"])
def test_undelivered_records_count_as_dropped_and_are_logged_once(
    redis_with_password: RedisServer, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.WARNING, logger="progresstree")
    publisher = RedisPublisher(_failing_publishers(redis_with_password)[case], interval=0.01)
    _publish_songs(publisher, 5)
    time.sleep(0.3)  # several failed sends
    publisher.close(timeout=2.0)
    assert publisher.dropped >= 5 + 2  # each song and both operation headers
    assert publisher.error
    sending = [r for r in caplog.records if "cannot send" in r.getMessage()]
    assert len(sending) == 1
    closing = [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert len(closing) == 1
    assert f"{publisher.dropped} records" in closing[0].getMessage()


def test_buffer_bounds_even_one_large_tick(redis_server: RedisServer, client: redis.Redis) -> None:
    publisher = RedisPublisher(redis_server.url, buffer=10, interval=60.0)
    _publish_songs(publisher, 30)  # one tick: everything goes at close()
    publisher.close(timeout=10)
    assert publisher.dropped == 0
    entries = client.xrange("progresstree")
    assert len(entries) >= 3
    assert all(len(json.loads(fields[b"d"])) <= 10 for _, fields in entries)
    store = ProgressEventStore()
    with RedisAggregator(redis_server.url, store=store) as aggregator:
        assert aggregator.wait_idle(10)
        (state,) = store.get_history()
        assert len(state.levels) == 30


def test_buffer_overflow_while_unreachable_counts_every_record() -> None:
    publisher = RedisPublisher(f"redis://127.0.0.1:{_free_port()}/0", buffer=10, interval=60.0)
    _publish_songs(publisher, 30)
    publisher.close(timeout=2.0)
    assert publisher.dropped >= 30 + 2


def test_least_privilege_acl_users_of_the_docs_suffice(
    redis_server: RedisServer, client: redis.Redis
) -> None:
    client.execute_command(
        "ACL", "SETUSER", "worker", "on", ">wpw", "~progresstree", "+xadd", "+ping"
    )
    client.execute_command(
        "ACL", "SETUSER", "watcher", "on", ">vpw", "~progresstree", "+xread", "+xrevrange", "+ping"
    )
    host = f"127.0.0.1:{redis_server.port}"
    progress = get_progress_context()
    with publish(f"redis://worker@{host}/0", password="wpw") as publisher:
        with progress.operation("job", "ACL job") as job, job.song(1, "s"):
            pass
    assert publisher.dropped == 0
    with RedisAggregator(f"redis://watcher@{host}/0", password="vpw") as aggregator:
        assert aggregator.wait_idle(10)
        state = aggregator.get_operation(job.operation_id)
        assert state is not None
        assert state.status.value == "completed"
    with RedisAggregator(f"redis://worker@{host}/0", password="wpw") as forbidden:
        deadline = time.monotonic() + 10
        while forbidden.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert forbidden.error is not None
        assert "wpw" not in forbidden.error

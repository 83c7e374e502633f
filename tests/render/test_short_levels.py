"""Short levels: a flush writes the first few one by one and counts the rest.

Levels that start and complete between two flushes are the ones a log can
drown in; levels seen running and failures are always written in full.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import progresstree
import progresstree.render
from progresstree import ProgressEventStore, get_progress_context
from progresstree.render import JsonLinesListener, PlainListener


def _songs(op: Any, names: list[str], fail_every: int = 0) -> None:
    for index, name in enumerate(names):
        try:
            with op.song(name, f"Song {name}"):
                if fail_every and index % fail_every == fail_every - 1:
                    raise RuntimeError(f"broke {name}")
        except RuntimeError:
            pass


def test_json_writes_the_first_short_levels_and_counts_the_rest() -> None:
    store = ProgressEventStore()
    listener = JsonLinesListener(io.StringIO(), short_levels=3)
    with get_progress_context(store).operation("op", "Op") as op:
        listener("started", op.state)
        _songs(op, [f"s{i}" for i in range(50)])
        records = listener.records("updated", op.state)
    levels = [r for r in records if r["scope"] == "level"]
    assert [(r["event"], r["level_id"]) for r in levels] == [
        ("started", "s0"),
        ("completed", "s0"),
        ("started", "s1"),
        ("completed", "s1"),
        ("started", "s2"),
        ("completed", "s2"),
    ]
    (folded,) = [r for r in records if r["scope"] == "levels"]
    assert folded["event"] == "completed"
    assert folded["count"] == 47
    assert folded["by_type"] == {"song": 47}
    assert folded["operation_id"] == op.state.operation_id
    assert records[-1]["scope"] == "operation"


def test_json_failures_are_never_counted_away() -> None:
    store = ProgressEventStore()
    listener = JsonLinesListener(io.StringIO(), short_levels=2)
    with get_progress_context(store).operation("op", "Op") as op:
        _songs(op, [f"s{i}" for i in range(100)], fail_every=10)
        records = listener.records("updated", op.state)
    failed = [r["level_id"] for r in records if r["scope"] == "level" and r["event"] == "failed"]
    assert failed == [f"s{i}" for i in range(9, 100, 10)]
    assert all(r["error"].startswith("broke") for r in records if r["event"] == "failed")
    (folded,) = [r for r in records if r["scope"] == "levels"]
    assert folded["count"] == 100 - 10 - 2


def test_json_a_level_seen_running_always_gets_its_end() -> None:
    store = ProgressEventStore()
    listener = JsonLinesListener(io.StringIO(), short_levels=0)
    with get_progress_context(store).operation("op", "Op") as op:
        with op.song("long", "Long song") as song:
            first = listener.records("updated", op.state)
            for i in range(20):
                with song.action(f"a{i}", "Action"):
                    pass
        second = listener.records("updated", op.state)
    assert [(r["event"], r["level_id"]) for r in first if r["scope"] == "level"] == [
        ("started", "long")
    ]
    assert [(r["event"], r["level_id"]) for r in second if r["scope"] == "level"] == [
        ("completed", "long")
    ]
    (folded,) = [r for r in second if r["scope"] == "levels"]
    assert folded["by_type"] == {"action": 20}


def test_json_folded_line_has_every_documented_field() -> None:
    out = io.StringIO()
    store = ProgressEventStore()
    with progresstree.render.json_lines(store, out, short_levels=0):
        with get_progress_context(store).operation("op", "Op") as op:
            _songs(op, ["a", "b"])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    keys = set(lines[0])
    (folded,) = [r for r in lines if r["scope"] == "levels"]
    assert keys <= set(folded)
    assert folded["level_id"] is None and folded["count"] == 2


def test_json_short_levels_none_writes_every_level() -> None:
    store = ProgressEventStore()
    listener = JsonLinesListener(io.StringIO(), short_levels=None)
    with get_progress_context(store).operation("op", "Op") as op:
        _songs(op, [f"s{i}" for i in range(300)])
        records = listener.records("updated", op.state)
    assert sum(r["scope"] == "level" for r in records) == 600
    assert not [r for r in records if r["scope"] == "levels"]


def test_plain_writes_a_count_line_for_the_rest() -> None:
    store = ProgressEventStore()
    listener = PlainListener(io.StringIO(), short_levels=2)
    with get_progress_context(store).operation("op", "Op") as op:
        with op.song("long", "Long") as song:
            listener("updated", op.state)
            for i in range(1000):
                with song.action(f"a{i}", f"act {i}"):
                    pass
        lines = listener.lines("updated", op.state)
    text = "\n".join(lines)
    assert "done action Long / act 0" in text
    assert "done action Long / act 1" in text
    assert "act 2" not in text
    assert "+ 998 more levels completed (action 998)" in text
    assert "done song Long" in text


def test_plain_deep_levels_do_not_use_up_the_lines() -> None:
    store = ProgressEventStore()
    listener = PlainListener(io.StringIO(), max_depth=1, short_levels=2)
    with get_progress_context(store).operation("op", "Op") as op:
        for i in range(3):
            with op.song(f"s{i}", f"Song {i}") as song:
                for j in range(5):
                    with song.action(f"a{j}", "deep"):
                        pass
        lines = listener.lines("updated", op.state)
    text = "\n".join(lines)
    assert "done song Song 0" in text and "done song Song 1" in text
    assert "deep" not in text


def test_plain_failures_are_always_written() -> None:
    out = io.StringIO()
    store = ProgressEventStore()
    with progresstree.render.plain(store, out, short_levels=0):
        with get_progress_context(store).operation("op", "Op") as op:
            _songs(op, [f"s{i}" for i in range(40)], fail_every=20)
    text = out.getvalue()
    assert "FAILED song Song s19" in text and "FAILED song Song s39" in text
    # However the flusher split the job, the count lines add up.
    counted = [int(n) for n in re.findall(r"\+ (\d+) more levels completed", text)]
    listed = text.count("  done song")
    assert sum(counted) + listed == 38 and counted


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_a_bad_short_levels_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="short_levels"):
        JsonLinesListener(io.StringIO(), short_levels=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="short_levels"):
        PlainListener(io.StringIO(), short_levels=bad)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    plan=st.lists(st.tuples(st.sampled_from(["ok", "fail", "flush"]), st.booleans()), max_size=60),
    short=st.one_of(st.none(), st.integers(0, 5)),
)
def test_json_accounts_for_every_level_exactly_once(
    plan: list[tuple[str, bool]], short: int | None
) -> None:
    """Completed levels: written one by one or counted, never both, never lost."""
    store = ProgressEventStore()
    listener = JsonLinesListener(io.StringIO(), short_levels=short)
    records: list[dict[str, Any]] = []
    with get_progress_context(store).operation("op", "Op") as op:
        records += listener.records("started", op.state)
        for index, (step, nested) in enumerate(plan):
            if step == "flush":
                records += listener.records("updated", op.state)
                continue
            name = f"l{index}"
            try:
                with op.song(name, name) as song:
                    if nested:
                        with song.action("inner", "inner"):
                            pass
                    if step == "fail":
                        raise RuntimeError(name)
            except RuntimeError:
                pass
        records += listener.records("updated", op.state)
        levels = op.state.levels.values()
        completed = {lv.level_id for lv in levels if lv.status.value == "completed"}
        failed = {lv.level_id for lv in levels if lv.status.value == "failed"}
    ended = [r for r in records if r["scope"] == "level" and r["event"] != "started"]
    written_done = [r["level_id"] for r in ended if r["event"] == "completed"]
    written_failed = sorted(r["level_id"] for r in ended if r["event"] == "failed")
    assert len(written_done) == len(set(written_done))
    assert set(written_done) <= completed
    assert written_failed == sorted(failed)
    counted = sum(r["count"] for r in records if r["scope"] == "levels")
    assert counted + len(written_done) == len(completed)
    if short is None:
        assert counted == 0


def test_written_lines_are_the_records() -> None:
    """The encoded lines (shared fields encoded once) parse to ``records()``."""
    store = ProgressEventStore()
    out = io.StringIO()
    writer = JsonLinesListener(out, short_levels=4)
    reader = JsonLinesListener(io.StringIO(), short_levels=4)
    with get_progress_context(store).operation("op", 'Op \u2028 "q"') as op:
        writer("started", op.state)
        expected = reader.records("started", op.state)
        with op.song("open", "Still \\ open") as song:
            _songs(op, [f"s{i}" for i in range(9)], fail_every=3)
            song.update(message="half way")
            writer("updated", op.state)
            expected += reader.records("updated", op.state)
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(written) == len(expected) > 10

    def strip(record: dict[str, Any]) -> dict[str, Any]:
        moving = ("timestamp", "elapsed_seconds", "eta_seconds")
        return {k: v for k, v in record.items() if k not in moving}

    assert [strip(r) for r in written] == [strip(r) for r in expected]
    assert {r["scope"] for r in written} == {"operation", "level", "levels"}


@pytest.mark.parametrize("kind", ["json", "plain"])
def test_a_big_job_of_tiny_levels_gets_a_bounded_log_that_adds_up(kind: str) -> None:
    """50,000 empty levels through the real (throttled) listener: few lines, every level counted."""
    out = io.StringIO()
    store = ProgressEventStore()
    attach = progresstree.render.json_lines if kind == "json" else progresstree.render.plain
    with attach(store, out, min_interval=0.01):
        with get_progress_context(store).operation("op", "Op") as op:
            level = op.level
            for i in range(50_000):
                with level("item", f"i{i}", f"item {i}"):
                    pass
    text = out.getvalue()
    lines = text.splitlines()
    assert len(lines) < 5_000  # one line per level would be 100,000
    if kind == "json":
        records = [json.loads(line) for line in lines]
        listed = sum(r["scope"] == "level" and r["event"] == "completed" for r in records)
        counted = sum(r["count"] for r in records if r["scope"] == "levels")
        assert records[-1]["event"] == "completed" and records[-1]["scope"] == "operation"
    else:
        listed = text.count("  done item ")
        counted = sum(int(n.replace(",", "")) for n in re.findall(r"\+ ([\d,]+) more", text))
        assert "end Op: completed" in lines[-1]
    assert listed + counted == 50_000


@pytest.mark.parametrize("short_levels", [0, 10])
def test_a_level_that_ends_during_a_flush_is_written_once(
    monkeypatch: pytest.MonkeyPatch, short_levels: int
) -> None:
    """Seen running by the flush's read of the tree, ended before the flush is
    done (the worker runs on): its end is written by the next flush, and it
    is neither counted nor written as ended by this one."""
    from progresstree._changes import ChangeCursor

    store = ProgressEventStore()
    listener = JsonLinesListener(io.StringIO(), short_levels=short_levels)
    original = ChangeCursor.poll
    ending: list[Any] = []

    def poll_while_the_worker_runs(self: ChangeCursor, state: Any) -> Any:
        found = original(self, state)
        while ending:
            ending.pop().__exit__(None, None, None)
        return found

    monkeypatch.setattr(ChangeCursor, "poll", poll_while_the_worker_runs)
    records: list[dict[str, Any]] = []
    with get_progress_context(store).operation("op", "Op") as op:
        records += listener.records("started", op.state)
        level = op.level("item", "x", "X")
        level.__enter__()
        ending.append(level)
        records += listener.records("updated", op.state)
    records += listener.records("completed", op.state)
    mine = [r for r in records if r["scope"] == "level" and r["level_id"] == "x"]
    counted = sum(r["count"] for r in records if r["scope"] == "levels")
    assert [r["event"] for r in mine] == ["started", "completed"]
    assert counted == 0

"""A run of the public API whose observable results are printed as JSON.

``tests/test_compiled.py`` runs it once with ``PROGRESSTREE_PURE=1`` and once
without, and compares the two outputs: the compiled build must behave exactly
like the pure one, bad input and error messages included. Times are left out
(they differ from run to run); everything else is kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import progresstree
from progresstree import (
    LevelEndedError,
    OperationCancelled,
    ProgressEventStore,
    ProgressLevel,
    ProgressState,
    get_progress_context,
)

_TIMES = {"started_at", "completed_at", "elapsed_seconds", "eta_seconds", "traceback"}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in _TIMES}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _outcome(call: Callable[[], object]) -> list[str]:
    try:
        result = call()
    except Exception as exc:
        return [type(exc).__name__, str(exc)]
    return ["ok", repr(result) if not isinstance(result, ProgressState) else "state"]


def _bad_input(store: ProgressEventStore) -> dict[str, list[str]]:
    progress = get_progress_context(store)
    state = store.start_operation("bad", operation_id="bad-1")
    store.add_level("bad-1", "a", "step", "A")
    level = ProgressLevel("x", "t")
    calls: dict[str, Callable[[], object]] = {
        "store max_history str": lambda: ProgressEventStore("3"),  # type: ignore[arg-type]
        "store max_history bool": lambda: ProgressEventStore(True),
        "store max_history -1": lambda: ProgressEventStore(-1),
        "add_callback not callable": lambda: store.add_callback(5),  # type: ignore[arg-type]
        "add_callback interval str": lambda: store.add_callback(print, "1"),  # type: ignore[arg-type]
        "update_level current str": lambda: store.update_level("bad-1", "a", current="1"),
        "update_level total nan": lambda: store.update_level("bad-1", "a", total=float("nan")),
        "update_level message int": lambda: store.update_level("bad-1", "a", message=3),
        "update_level increment list": lambda: store.update_level("bad-1", "a", increment=[1]),
        "update_level below zero": lambda: store.update_level("bad-1", "a", increment=-5),
        "start_level message int": lambda: store.start_level("bad-1", "a", message=1),
        "complete_level message bytes": lambda: store.complete_level("bad-1", "a", message=b"x"),
        "cancel_level message int": lambda: store.cancel_level("bad-1", "a", message=2),
        "add_level total str": lambda: store.add_level("bad-1", "b", "t", "B", total="2"),
        "get_history limit float": lambda: store.get_history(limit=1.5),  # type: ignore[arg-type]
        "get_history limit -1": lambda: store.get_history(limit=-1),
        "get_state int id": lambda: store.get_state(123),  # type: ignore[arg-type]
        "request_cancel int id": lambda: store.request_cancel(7),  # type: ignore[arg-type]
        "level current str": lambda: ProgressLevel("x", "t", current="1"),  # type: ignore[arg-type]
        "level total inf": lambda: ProgressLevel("x", "t", total=float("inf")),
        "level message int": lambda: ProgressLevel("x", "t", message=1),  # type: ignore[arg-type]
        "level status bad": lambda: ProgressLevel("x", "t", status="nope"),  # type: ignore[arg-type]
        "level ids coerced": lambda: ProgressLevel(5, 6, 7).to_dict()["level_id"],  # type: ignore[arg-type]
        "record update current str": lambda: level.update(current="2"),  # type: ignore[arg-type]
        "record update increment str": lambda: level.update(increment="2"),  # type: ignore[arg-type]
        "record start message int": lambda: level.start(message=4),  # type: ignore[arg-type]
        "record fail with int": lambda: ProgressLevel("y", "t").fail(404),  # type: ignore[arg-type]
        "state total str": lambda: ProgressState("o", "t", total="1"),  # type: ignore[arg-type]
        "state set_total bool": lambda: state.set_total(True),  # type: ignore[arg-type]
        "state add_level total -1": lambda: state.add_level("z", "t", "Z", total=-1),
        "state get_level int": lambda: state.get_level(1),  # type: ignore[arg-type]
        "operation total str": lambda: progress.level("t", 1, "n", total="3"),  # type: ignore[arg-type]
        "history operation_type int": lambda: progress.get_history(5),  # type: ignore[arg-type]
    }
    results = {name: _outcome(call) for name, call in calls.items()}
    with progress.operation("handles", operation_id="h-1") as op:
        handle_calls: dict[str, Callable[[], object]] = {
            "song total str": lambda: op.song(1, "s", total="4"),  # type: ignore[arg-type]
            "song name int": lambda: op.song(1, 99).name,  # type: ignore[arg-type]
            "op update message list": lambda: op.update(message=["m"]),  # type: ignore[arg-type]
            "op advance str": lambda: op.advance("1"),  # type: ignore[arg-type]
            "op set_total float nan": lambda: op.set_total(float("nan")),
        }
        with op.song(2, "two") as song:
            handle_calls.update(
                {
                    "level update current dict": lambda: song.update(current={}),  # type: ignore[arg-type]
                    "level update increment str": lambda: song.update(increment="1"),  # type: ignore[arg-type]
                    "level advance -1": lambda: song.advance(-1),
                    "level advance bool": lambda: song.advance(True),
                    "level increment message int": lambda: song.increment(5),  # type: ignore[arg-type]
                    "level set_total str": lambda: song.set_total("9"),  # type: ignore[arg-type]
                }
            )
            results.update({name: _outcome(call) for name, call in handle_calls.items()})
    return results


def _tree(store: ProgressEventStore) -> dict[str, Any]:
    progress = get_progress_context(store)
    events: list[tuple[str, str | None]] = []
    store.add_callback(lambda event, state: events.append((event, state.last_level_id)))
    with progress.operation("job", "Job", operation_id="job-1") as op:
        op.set_total(3)
        with op.song("a", "Song A", total=2, key="v") as song:
            song.increment("first")
            song.advance(1)
            with song.action("x", "Act") as action:
                action.update(current=1, total=4, message="m", extra=1)
        try:
            with op.song("b", "Song B") as song_b:
                with song_b.block("blk", "Block", "kind"):
                    raise ValueError("boom")
        except ValueError:
            pass
        try:
            with op.song(None, "Generated"):
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        with op.song("c", "Song C") as song_c, song_c.action(None, "inner"):
            pass
        op.update(message="done")
    ended = store.get_operation("job-1")
    assert ended is not None
    cancelled: list[str] = []
    with progress.operation("stop", operation_id="stop-1") as op2:
        store.request_cancel("stop-1")
        for what, call in (
            ("enter", lambda: op2.song(1, "late").__enter__()),
            ("update", lambda: op2.update(current=1)),
        ):
            try:
                call()
            except OperationCancelled as exc:
                cancelled.append(f"{what}: {exc}")
    try:
        with progress.operation("ended", operation_id="e-1") as op3:
            pass
        with op3.song(1, "after"):
            pass
    except (LevelEndedError, RuntimeError) as exc:
        cancelled.append(f"{type(exc).__name__}: {exc}")
    return {
        "tree": _clean(ended.to_dict()),
        "overall": _clean(ended.get_overall_progress()),
        "events": events,
        "cancelled": cancelled,
        "repr": [repr(level) for level in ended.iter_levels()],
        "history": [s.operation_id for s in store.get_history()],
    }


def main() -> None:
    store = ProgressEventStore()
    report = {"tree": _tree(store), "bad_input": _bad_input(ProgressEventStore())}
    json.dump({"compiled": progresstree.compiled, "report": report}, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()

"""Instrumentation overhead: track_progress per item and @tracks per call.

Rows, each measured in the same run as its anchor:

- ``track_progress`` counting mode per item, against tqdm writing to
  ``os.devnull`` (target: no slower than tqdm) and a bare loop;
- ``track_progress(level=...)`` per item (target: <= 2 us);
- ``@tracks`` per call, minus the undecorated call (target: <= 2.5 us).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import Row, best_of, print_table  # type: ignore[import-not-found,no-redef]
else:
    from ._common import Row, best_of, print_table

import progresstree
from progresstree import get_progress_context, track_progress, tracks

_ITEMS = 200_000
_LEVEL_ITEMS = 20_000
_CALLS = 50_000


def _bare_loop(n: int) -> None:
    for _ in range(n):
        pass


def _tqdm_loop(n: int) -> None:
    from tqdm import tqdm

    with open(os.devnull, "w") as sink:
        for _ in tqdm(range(n), file=sink):
            pass


def _counting_loop(n: int) -> None:
    store = progresstree.ProgressEventStore()
    with get_progress_context(store).operation("bench") as op, op.level("loop", "l", "loop"):
        for _ in track_progress(range(n)):
            pass


def _level_loop(n: int) -> None:
    store = progresstree.ProgressEventStore(max_history=1)
    with get_progress_context(store).operation("bench"):
        for _ in track_progress(range(n), level="item"):
            pass


def _plain(x: int) -> int:
    return x


@tracks("call")
def _decorated(x: int) -> int:
    return x


def _call_loop(function: object) -> object:
    def run(n: int) -> None:
        store = progresstree.ProgressEventStore(max_history=1)
        call = function
        with get_progress_context(store).operation("bench"):
            for i in range(n):
                call(i)  # type: ignore[operator]

    return run


def rows() -> list[Row]:
    """Measure every row (a few seconds)."""
    bare = best_of(_bare_loop, _ITEMS)
    result = [Row("bare loop, per item", bare)]
    try:
        tqdm_us: float | None = best_of(_tqdm_loop, _ITEMS)
    except ImportError:
        tqdm_us = None
    counting = best_of(_counting_loop, _ITEMS)
    result.append(
        Row(
            "track_progress counting, per item",
            counting,
            "tqdm (devnull)",
            tqdm_us,
            "<= tqdm",
            None if tqdm_us is None else counting <= tqdm_us,
        )
    )
    level = best_of(_level_loop, _LEVEL_ITEMS)
    result.append(
        Row("track_progress(level=...), per item", level, "", None, "<= 2 us", level <= 2.0)
    )
    plain = best_of(_call_loop(_plain), _CALLS)
    decorated = best_of(_call_loop(_decorated), _CALLS)
    overhead = decorated - plain
    result.append(
        Row(
            "@tracks overhead, per call",
            overhead,
            "undecorated call",
            plain,
            "<= 2.5 us",
            overhead <= 2.5,
        )
    )
    return result


if __name__ == "__main__":
    print_table(rows())

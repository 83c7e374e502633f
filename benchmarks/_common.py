"""Shared measuring helpers for the benchmark scripts.

Every row is measured in the same process, back to back with its anchor, as
the best of several repeats (the least disturbed run), in microseconds per
operation.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Row", "best_of", "paired", "print_table"]


@dataclass
class Row:
    """One line of the benchmark table."""

    what: str
    ours_us: float
    anchor: str = ""
    anchor_us: float | None = None
    target: str = ""
    ok: bool | None = None
    # The median of paired ratios (ours / anchor, measured in alternating
    # rounds) when the row has one; otherwise the ratio of the two figures.
    paired_ratio: float | None = None

    @property
    def ratio(self) -> str:
        if self.paired_ratio is not None:
            return f"{self.paired_ratio:.3f}x (paired median)"
        if not self.anchor_us:
            return ""
        return f"{self.ours_us / self.anchor_us:.2f}x"


def best_of(run: Callable[[int], None], n: int, repeat: int = 5) -> float:
    """Microseconds per operation: ``run(n)`` performs n operations."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run(n)
        best = min(best, time.perf_counter() - start)
    return best / n * 1e6


def paired(
    ours: Callable[[int], None],
    n: int,
    anchor: Callable[[int], None],
    anchor_n: int,
    rounds: int = 9,
) -> tuple[float, float, float]:
    """``(ours µs, anchor µs, median of ours/anchor)`` from alternating rounds.

    Each round times one run of ours and, right after it, one run of the
    anchor; a slow spell of a shared machine then hits both sides of a pair,
    and the median of the per-round ratios drops the pairs it split.
    """
    ours_us: list[float] = []
    anchor_us: list[float] = []
    ratios: list[float] = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        ours(n)
        mine = (time.perf_counter() - start) / n * 1e6
        gc.collect()
        start = time.perf_counter()
        anchor(anchor_n)
        theirs = (time.perf_counter() - start) / anchor_n * 1e6
        ours_us.append(mine)
        anchor_us.append(theirs)
        ratios.append(mine / theirs)
    return statistics.median(ours_us), statistics.median(anchor_us), statistics.median(ratios)


def print_table(rows: list[Row]) -> None:
    """A Markdown table (paste-able into notes and docs)."""
    print("| what | progresstree | anchor | anchor value | ratio | target | met |")
    print("| --- | ---: | --- | ---: | ---: | --- | --- |")
    for row in rows:
        anchor_value = "" if row.anchor_us is None else f"{row.anchor_us:.3f}"
        met = "" if row.ok is None else ("yes" if row.ok else "NO")
        print(
            f"| {row.what} | {row.ours_us:.3f} | {row.anchor} | {anchor_value} "
            f"| {row.ratio} | {row.target} | {met} |"
        )


class Bare:
    """The floor of a ``with`` statement: a slotted class that does nothing."""

    __slots__ = ()

    def __enter__(self) -> Bare:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def bare_with(n: int) -> None:
    """``n`` empty ``with`` blocks on :class:`Bare`."""
    bare = Bare
    for _ in range(n):
        with bare():
            pass

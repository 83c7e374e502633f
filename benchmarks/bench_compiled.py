"""Pure against compiled: the hot path's paired ratios, one process per build.

Run with ``make bench-compiled``. Both builds come from the same installation
(the compiled wheel): one process runs it as installed, one with
``PROGRESSTREE_PURE=1``. Within a process each measurement is paired with its
anchor in alternating rounds (ours, anchor, ours, anchor, ...) and the table
gives the median of the per-round ratios, so that the machine's speed, which
drifts on a shared host, cancels out. Absolute times are medians too, for
orientation only.

The two builds' processes alternate (``--processes`` of each), and each
figure is the median over all their paired rounds.
``--child`` measures the build the current process runs and prints JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import progresstree
from _common import bare_with
from progresstree import ProgressEventStore, get_progress_context

Runner = Callable[[int], None]


def _levels(n: int) -> None:
    progress = get_progress_context(ProgressEventStore())
    with progress.operation("bench") as op:
        level = op.level
        for i in range(n):
            with level("item", i, "Item"):
                pass


def _increments(n: int) -> None:
    progress = get_progress_context(ProgressEventStore())
    with progress.operation("bench") as op, op.song("s", "S", total=n) as song:
        bump = song.increment
        for _ in range(n):
            bump()


def _otel_spans() -> Runner:
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("bench")

    def run(n: int) -> None:
        with tracer.start_as_current_span("root"):
            for _ in range(n):
                with tracer.start_as_current_span("child"):
                    pass

    return run


def _tqdm_updates() -> Runner:
    from tqdm import tqdm

    def run(n: int) -> None:
        with open(os.devnull, "w") as sink, tqdm(total=n, file=sink) as bar:
            update = bar.update
            for _ in range(n):
                update()

    return run


def _per_op(run: Runner, n: int) -> float:
    """Microseconds per operation of one batch."""
    gc.collect()
    start = time.perf_counter()
    run(n)
    return (time.perf_counter() - start) / n * 1e6


def paired(ours: Runner, n: int, anchor: Runner, m: int, rounds: int) -> dict[str, list[float]]:
    """Per-op times of both sides and the per-round ratios ours/anchor."""
    mine: list[float] = []
    theirs: list[float] = []
    ratios: list[float] = []
    _per_op(ours, n // 10)  # warm up both sides
    _per_op(anchor, m // 10)
    for index in range(rounds):
        # Alternate which side goes first, so neither always runs warmer.
        if index % 2:
            b = _per_op(anchor, m)
            a = _per_op(ours, n)
        else:
            a = _per_op(ours, n)
            b = _per_op(anchor, m)
        mine.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return {"ours_us": mine, "anchor_us": theirs, "ratio": ratios}


def measure(rounds: int, scale: float) -> dict[str, object]:
    """Every paired row for the build this process runs."""
    n = max(int(20_000 * scale), 100)
    return {
        "compiled": progresstree.compiled,
        "level_vs_otel": paired(_levels, n, _otel_spans(), n // 5, rounds),
        "level_vs_with": paired(_levels, n, bare_with, n * 4, rounds),
        "increment_vs_tqdm": paired(_increments, n * 4, _tqdm_updates(), n * 4, rounds),
    }


def _child(pure: bool, rounds: int, scale: float) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PROGRESSTREE_PURE"}
    if pure:
        env["PROGRESSTREE_PURE"] = "1"
    command = [sys.executable, __file__, "--child", "--rounds", str(rounds), "--scale", str(scale)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def _merge(results: list[dict[str, object]]) -> dict[str, object]:
    """One result whose rounds are those of all ``results`` (same build)."""
    merged: dict[str, object] = {"compiled": results[0]["compiled"]}
    for key, value in results[0].items():
        if isinstance(value, dict):
            merged[key] = {k: [x for r in results for x in r[key][k]] for k in value}  # type: ignore[index]
    return merged


def _table(pure: dict[str, object], comp: dict[str, object]) -> list[str]:
    def get(result: dict[str, object], row: str, key: str) -> float:
        values = result[row]
        assert isinstance(values, dict)
        return statistics.median(values[key])

    lines = [
        "| measure (median of paired rounds) | pure | compiled | target (compiled) | met |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    rows: list[tuple[str, str, Callable[[dict[str, object]], float], str, Callable[[float], bool]]]
    rows = [
        (
            "OTel SDK span / level enter+exit",
            "{:.1f}x",
            lambda r: 1 / get(r, "level_vs_otel", "ratio"),
            ">= 10x",
            lambda v: v >= 10,
        ),
        (
            "level enter+exit / bare `with`",
            "{:.2f}x",
            lambda r: get(r, "level_vs_with", "ratio"),
            "<= 6x",
            lambda v: v <= 6,
        ),
        (
            "increment() / tqdm.update()",
            "{:.2f}x",
            lambda r: get(r, "increment_vs_tqdm", "ratio"),
            "<= 0.6x",
            lambda v: v <= 0.6,
        ),
        (
            "level enter+exit (µs)",
            "{:.3f}",
            lambda r: get(r, "level_vs_with", "ours_us"),
            "",
            lambda v: True,
        ),
        (
            "increment() (µs)",
            "{:.3f}",
            lambda r: get(r, "increment_vs_tqdm", "ours_us"),
            "",
            lambda v: True,
        ),
        (
            "OTel SDK nested span (µs)",
            "{:.3f}",
            lambda r: get(r, "level_vs_otel", "anchor_us"),
            "",
            lambda v: True,
        ),
        (
            "bare `with` (µs)",
            "{:.3f}",
            lambda r: get(r, "level_vs_with", "anchor_us"),
            "",
            lambda v: True,
        ),
    ]
    for label, fmt, value, target, ok in rows:
        p, c = value(pure), value(comp)
        met = ("yes" if ok(c) else "NO") if target else ""
        lines.append(f"| {label} | {fmt.format(p)} | {fmt.format(c)} | {target} | {met} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help="measure this process's build")
    parser.add_argument("--rounds", type=int, default=15, help="paired rounds per row")
    parser.add_argument("--scale", type=float, default=1.0, help="batch size factor")
    parser.add_argument("--processes", type=int, default=3, help="processes per build")
    args = parser.parse_args()
    if args.child:
        json.dump(measure(args.rounds, args.scale), sys.stdout)
        return
    pures: list[dict[str, object]] = []
    comps: list[dict[str, object]] = []
    for _ in range(args.processes):
        pures.append(_child(True, args.rounds, args.scale))
        comps.append(_child(False, args.rounds, args.scale))
    pure, comp = _merge(pures), _merge(comps)
    if not comp["compiled"]:
        print("no compiled build installed: run `make bench-compiled`", file=sys.stderr)
        raise SystemExit(1)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; {args.processes} processes"
        f" per build, {args.rounds} paired rounds each"
    )
    print("\n".join(_table(pure, comp)))


if __name__ == "__main__":
    main()

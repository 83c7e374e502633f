"""Instructions per operation, counted by valgrind's callgrind: a noise-free companion to bench.py.

Wall-clock figures on a shared or virtual machine move by tens of percent
from run to run; instruction counts do not (same interpreter, same inputs,
same count). This script runs each case twice under
``valgrind --tool=callgrind``, with 0 and with N operations, and prints the
difference divided by N, next to a bare ``with`` block as the floor. Use it
to tell whether a change to a hot path made it cheaper; use ``bench.py`` for
the times.

    .venv/bin/python benchmarks/instructions.py          # needs valgrind
    .venv/bin/python benchmarks/instructions.py --case level
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Callable

N = 20_000


def _bare_with(n: int) -> None:
    from bench import bare_with

    bare_with(n)


def _level(n: int, listener: bool = False, nested: bool = False) -> None:
    from progresstree import ProgressEventStore, get_progress_context

    store = ProgressEventStore()
    if listener:
        store.add_callback(lambda event, state: None, min_interval=0.2)
    with get_progress_context(store).operation("bench") as op:
        parent = op
        if nested:
            parent = op.song("s", "S").__enter__()
        level = parent.level
        for i in range(n):
            with level("item", i, "Item"):
                pass


def _increment(n: int) -> None:
    from progresstree import ProgressEventStore, get_progress_context

    with (
        get_progress_context(ProgressEventStore()).operation("bench") as op,
        op.song("s", "S", total=n) as song,
    ):
        bump = song.increment
        for _ in range(n):
            bump()


def _tqdm_update(n: int) -> None:
    import os

    from tqdm import tqdm

    with open(os.devnull, "w") as sink, tqdm(total=n, file=sink) as bar:
        update = bar.update
        for _ in range(n):
            update()


def _tracks(n: int) -> None:
    from progresstree import ProgressEventStore, get_progress_context, tracks

    @tracks("call")
    def call(x: int) -> int:
        return x

    with get_progress_context(ProgressEventStore()).operation("bench"):
        for i in range(n):
            call(i)


def _track_progress_levels(n: int) -> None:
    from progresstree import ProgressEventStore, get_progress_context, track_progress

    store = ProgressEventStore()
    with get_progress_context(store).operation("bench"):
        for _ in track_progress(range(n), level="item"):
            pass


CASES: dict[str, tuple[str, Callable[[int], None]]] = {
    "bare_with": ("bare `with` (floor)", _bare_with),
    "level": ("level enter+exit, no listener", _level),
    "nested": ("level enter+exit below a song", lambda n: _level(n, nested=True)),
    "listened": ("level enter+exit, one throttled listener", lambda n: _level(n, listener=True)),
    "increment": ("increment()", _increment),
    "tqdm_update": ("tqdm.update() (devnull), the anchor of increment()", _tqdm_update),
    "tracks": ("@tracks call (including the bare call)", _tracks),
    "track_levels": ("track_progress(level=...), per item", _track_progress_levels),
}


def _count(case: str, n: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--run",
        case,
        "-n",
        str(n),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        msg = f"no instruction count in valgrind's output for {case!r}:\n{done.stderr}"
        raise RuntimeError(msg)
    return int(found.group(1))


def per_operation(case: str, n: int = N) -> float:
    """Instructions per operation of ``case`` (its start-up cost cancelled out)."""
    return (_count(case, n) - _count(case, 0)) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument("--run", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("-n", type=int, default=N)
    args = parser.parse_args()
    if args.run:
        CASES[args.run][1](args.n)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install -y valgrind)")
    floor = per_operation("bare_with", args.n)
    print(f"python {sys.version.split()[0]}; instructions per operation (callgrind)")
    print("| what | instructions | x bare `with` |")
    print("| --- | ---: | ---: |")
    for case in args.case or list(CASES):
        what = CASES[case][0]
        count = floor if case == "bare_with" else per_operation(case, args.n)
        print(f"| {what} | {count:,.0f} | {count / floor:.2f} |", flush=True)


if __name__ == "__main__":
    main()

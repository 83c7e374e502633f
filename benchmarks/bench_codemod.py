"""Codemod cost against libcst's own parse + render of the same ~90k-line tree.

Builds a tree in a temporary directory from the codemod's example and fixture
modules (files the codemod edits) and real Python sources of the standard
library (files it parses and leaves alone), then times, side by side:

* baseline: ``libcst.parse_module`` + rendering every file back to bytes;
* codemod: parse + ``InstrumentCommand`` on every file, rendering the edited ones;
* end to end: ``progresstree codemod --check -j 1`` over the tree (file
  discovery, libcst's runner, per-file reports, diffs of the edited files).

The three are timed in turn, round after round (so a slow spell of the
machine hits all of them), and each is reported as the minimum and the median
over the rounds, with its ratio to the baseline's.

Usage: python benchmarks/bench_codemod.py [--lines 90000] [--repeat 5] [--copies 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from progresstree_codemods import runner
from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig

REPO = Path(__file__).resolve().parents[1]
TARGET_SOURCES = [
    *sorted((REPO / "docs" / "examples" / "legacy").glob("*.py")),
    *sorted((REPO / "tests" / "codemods" / "fixtures").glob("*.py")),
]
TARGET_COPIES = 10


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(root.rglob("*.py")):
        parts = set(path.relative_to(root).parts)
        if parts & {"test", "tests", "site-packages", "lib2to3", "idlelib", "turtledemo"}:
            continue
        files.append(path)
    return files


def build_tree(directory: Path, lines: int, copies: int = TARGET_COPIES) -> list[Path]:
    """Copy target modules and stdlib modules into ``directory`` up to ``lines`` lines."""
    files: list[Path] = []
    total = 0
    for copy in range(copies):
        for source in TARGET_SOURCES:
            target = directory / "targets" / f"copy{copy}" / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            files.append(target)
            total += source.read_bytes().count(b"\n")
    for index, source in enumerate(_stdlib_files()):
        if total >= lines:
            break
        data = source.read_bytes()
        try:
            cst.parse_module(data)
        except Exception:
            continue
        target = directory / "stdlib" / f"m{index}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files.append(target)
        total += data.count(b"\n")
    return files


def baseline(sources: list[bytes]) -> None:
    for source in sources:
        cst.parse_module(source).bytes  # noqa: B018 - rendering is the measured work


def codemod(sources: list[bytes]) -> int:
    settings = CodemodConfig()
    changed = 0
    for source in sources:
        command = InstrumentCommand(CodemodContext(), settings=settings)
        try:
            result = command.transform_module(cst.parse_module(source))
        except SkipFile:
            continue
        if result.bytes != source:
            changed += 1
    return changed


def rounds(repeat: int, funcs: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Seconds taken by each of ``funcs``, called in turn ``repeat`` times."""
    times: dict[str, list[float]] = {label: [] for label in funcs}
    for _ in range(repeat):
        for label, func in funcs.items():
            start = time.perf_counter()
            func()
            times[label].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=90_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument(
        "--copies",
        type=int,
        default=TARGET_COPIES,
        help="copies of each example/fixture module (files the codemod edits)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-codemod-") as temporary:
        root = Path(temporary)
        files = build_tree(root, args.lines, args.copies)
        sources = [f.read_bytes() for f in files]
        lines = sum(s.count(b"\n") for s in sources)
        edited = codemod(sources)
        print(f"tree: {len(files)} files, {lines} lines, {edited} files edited by the codemod")
        settings = CodemodConfig()

        def end_to_end() -> None:
            runner.run([str(root)], settings, mode=runner.CHECK, jobs=1)

        base_label = "libcst parse + render"
        times = rounds(
            args.repeat,
            {
                base_label: lambda: baseline(sources),
                "codemod (parse + transform)": lambda: codemod(sources),
                "progresstree codemod --check -j 1": end_to_end,
            },
        )
        base_min = min(times[base_label])
        base_median = statistics.median(times[base_label])
        print(f"{args.repeat} rounds{'min':>26}{'median':>18}")
        for label, seconds in times.items():
            low, median = min(seconds), statistics.median(seconds)
            print(
                f"{label:<36}{low:6.2f} s {low / base_min:5.2f}x"
                f"{median:8.2f} s {median / base_median:5.2f}x"
            )
        print("target: codemod <= 1.30x of libcst parse + render")


if __name__ == "__main__":
    main()

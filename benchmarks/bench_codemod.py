"""Codemod cost against libcst's own parse + render of the same tree.

Two trees, built in a temporary directory:

* ``app`` (the default): about 80k lines in 300 generated modules in the shape
  of a real audio application (:mod:`codemod_tree`): block processors, some
  already reporting progress their own way, setlist services, and UI modules
  that import the target base classes without subclassing them;
* ``stdlib``: the codemod's example and fixture modules plus real standard
  library sources up to ``--lines`` lines (files it parses and leaves alone).

It times, side by side:

* baseline: ``libcst.parse_module`` + rendering every file back to bytes;
* codemod: parse + ``InstrumentCommand`` on every file, rendering the edited ones;
* end to end: ``progresstree codemod --check -j 1`` over the tree (file
  discovery, libcst's runner, per-file reports, diffs of the edited files).

The three are timed in turn, round after round (so a slow spell of the
machine hits all of them).  Each candidate's ratio to the baseline is taken
within a round (paired), and the median of those paired ratios is reported
with the minimum times, for wall-clock time and for CPU time (this process
plus the runner's worker processes; steadier on a shared machine).

Usage: python benchmarks/bench_codemod.py [--tree app|stdlib] [--repeat 5] [--lines 90000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from codemod_tree import build_app_tree
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


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the runner's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rounds(
    repeat: int, funcs: dict[str, Callable[[], object]]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds taken by each of ``funcs``, called in turn ``repeat`` times."""
    wall: dict[str, list[float]] = {label: [] for label in funcs}
    cpu: dict[str, list[float]] = {label: [] for label in funcs}
    for _ in range(repeat):
        for label, func in funcs.items():
            start, start_cpu = time.perf_counter(), _cpu()
            func()
            wall[label].append(time.perf_counter() - start)
            cpu[label].append(_cpu() - start_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", choices=("app", "stdlib"), default="app")
    parser.add_argument("--files", type=int, default=300, help="modules of the app tree")
    parser.add_argument("--lines", type=int, default=90_000, help="lines of the stdlib tree")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument(
        "--copies",
        type=int,
        default=TARGET_COPIES,
        help="copies of each example/fixture module in the stdlib tree",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-codemod-") as temporary:
        root = Path(temporary)
        if args.tree == "app":
            files = build_app_tree(root, args.files)
        else:
            files = build_tree(root, args.lines, args.copies)
        sources = [f.read_bytes() for f in files]
        lines = sum(s.count(b"\n") for s in sources)
        edited = codemod(sources)
        print(
            f"{args.tree} tree: {len(files)} files, {lines} lines, "
            f"{edited} files edited by the codemod"
        )
        settings = CodemodConfig()

        def end_to_end() -> None:
            runner.run([str(root)], settings, mode=runner.CHECK, jobs=1)

        base_label = "libcst parse + render"
        wall, cpu = rounds(
            args.repeat,
            {
                base_label: lambda: baseline(sources),
                "codemod (parse + transform)": lambda: codemod(sources),
                "progresstree codemod --check -j 1": end_to_end,
            },
        )
        print(
            f"{args.repeat} rounds{'wall min':>29}{'wall ratio':>12}"
            f"{'cpu min':>10}{'cpu ratio':>11}   (ratios: median of paired rounds)"
        )
        for label in wall:
            wall_ratio = statistics.median(
                t / b for t, b in zip(wall[label], wall[base_label], strict=True)
            )
            cpu_ratio = statistics.median(
                t / b for t, b in zip(cpu[label], cpu[base_label], strict=True)
            )
            print(
                f"{label:<36}{min(wall[label]):7.2f} s{wall_ratio:11.2f}x"
                f"{min(cpu[label]):8.2f} s{cpu_ratio:10.2f}x"
            )
        print("target: --check -j 1 <= 1.30x of libcst parse + render")


if __name__ == "__main__":
    main()

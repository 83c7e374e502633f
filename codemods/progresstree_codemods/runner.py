"""Running the codemod over files and directories.

Files are found with the same rule as libcst's ``gather_files`` (``*.py``
under each directory, hidden ones left out) and handed one at a time to
worker processes (:mod:`progresstree_codemods.pool`), each of which does
everything for its file (:func:`progresstree_codemods.worker.process_file`).
Nothing here imports libcst: the parent only finds files and gathers reports.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import os
from collections.abc import Sequence

from progresstree_codemods.config import CodemodConfig
from progresstree_codemods.report import (
    CHECK,
    DIFF,
    FAILED,
    MODES,
    SKIPPED,
    WRITE,
    FileReport,
    Summary,
)

__all__ = ["CHECK", "DIFF", "MODES", "WRITE", "collect_files", "run"]


def _outside_tree(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([real, root]) != root


def _gather(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path]
    return sorted(glob.glob(os.path.join(glob.escape(path), "**", "*.py"), recursive=True))


def collect_files(paths: Sequence[str]) -> tuple[list[str], list[FileReport]]:
    """Python files under ``paths`` and files refused up front.

    A symlink whose target lies outside the tree it was found in is refused,
    and a file reachable under two names is processed once.
    """
    files: list[str] = []
    refused: list[FileReport] = []
    seen: dict[str, str] = {}
    for path in paths:
        if not os.path.lexists(path):
            refused.append(FileReport(path, FAILED, "no such file or directory"))
            continue
        if os.path.isdir(path):
            root = os.path.realpath(path)
        else:
            root = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        found = _gather(path) if os.path.exists(path) else []
        if not found:
            refused.append(FileReport(path, SKIPPED, "no Python files"))
        for file in found:
            if _outside_tree(file, root):
                target = os.path.realpath(file)
                reason = f"symlink to a file outside the tree ({target})"
                refused.append(FileReport(file, SKIPPED, reason))
                continue
            real = os.path.realpath(file)
            if real in seen:
                refused.append(FileReport(file, SKIPPED, f"same file as {seen[real]}"))
                continue
            seen[real] = file
            files.append(file)
    return files, refused


def _process(path: str, settings: CodemodConfig, mode: str) -> FileReport:
    from progresstree_codemods.worker import process_file  # libcst: in the worker only

    return process_file(path, settings, mode)


def run(
    paths: Sequence[str],
    settings: CodemodConfig,
    *,
    mode: str = WRITE,
    jobs: int | None = None,
) -> Summary:
    """Instrument every Python file under ``paths``; nothing is written unless mode is WRITE."""
    from progresstree_codemods.pool import default_jobs, run_isolated

    if mode not in MODES:
        msg = f"mode must be one of {', '.join(MODES)}, got {mode!r}"
        raise ValueError(msg)
    if jobs is not None and jobs < 1:
        msg = f"jobs must be at least 1, got {jobs!r}"
        raise ValueError(msg)
    files, reports = collect_files(paths)
    if files:
        task = functools.partial(_process, settings=settings, mode=mode)
        done = {r.path: r for r in run_isolated(files, task, jobs or default_jobs())}
        reports.extend(dataclasses.replace(done[file], path=file) for file in files)
    return Summary(reports=reports, writes=mode == WRITE)

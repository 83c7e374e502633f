"""Running the codemod over files and directories with libcst's parallel runner.

libcst's ``parallel_exec_transform_with_prettyprint`` forks the workers and
parses each file; the command it runs here (``_ReportingCommand``) does the
rest in the worker: it instruments the module, checks that the result
compiles, writes it atomically (or renders a diff), records what it did, and
hands libcst back the *unchanged* tree so libcst itself never writes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import tempfile
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import (
    CodemodContext,
    SkipFile,
    diff_code,
    gather_files,
    parallel_exec_transform_with_prettyprint,
)

from progresstree_codemods.atomic import atomic_write, check_writable
from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig
from progresstree_codemods.edits import inserted_counts
from progresstree_codemods.report import CHANGED, FAILED, SKIPPED, FileReport, Summary

WRITE = "write"
DIFF = "diff"
CHECK = "check"
MODES = (WRITE, DIFF, CHECK)
DIFF_CONTEXT = 3
GENERATED_MARKER = "@" + "generated"
"""Files carrying this marker are produced by a generator; editing them would not last."""


class _ReportingCommand(InstrumentCommand):
    """``InstrumentCommand`` that writes its own result and reports it."""

    def __init__(
        self, context: CodemodContext, *, settings: CodemodConfig, mode: str, report_dir: str
    ) -> None:
        super().__init__(context, settings=settings)
        self._mode = mode
        self._report_dir = report_dir

    def _save(self, status: str, reason: str = "", diff: str = "") -> None:
        FileReport(
            path=self.context.filename or "-",
            status=status,
            reason=reason,
            inserted=dict(inserted_counts(self.context)) if status == CHANGED else {},
            warnings=list(self.context.warnings),
            diff=diff,
        ).save(self._report_dir)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        path = self.context.filename or "-"
        try:
            result = super().transform_module(tree)
        except SkipFile as exc:
            self._save(SKIPPED, str(exc))
            raise
        except Exception as exc:
            self._save(FAILED, f"{type(exc).__name__}: {exc}")
            raise
        new_code = result.bytes
        try:
            compile(new_code, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            self._save(FAILED, f"the instrumented code would not compile: {exc}")
            raise
        try:
            if self._mode == WRITE:
                atomic_write(path, new_code)
                self._save(CHANGED)
            else:
                try:
                    check_writable(path)
                except OSError as exc:
                    self.warn(f"writing would fail: {exc}")
                diff = diff_code(tree.code, result.code, DIFF_CONTEXT, filename=path)
                self._save(CHANGED, diff=diff if self._mode == DIFF else "")
        except OSError as exc:
            self._save(FAILED, f"cannot write: {exc}")
            raise
        return tree


def _outside_tree(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([real, root]) != root


def collect_files(paths: Sequence[str]) -> tuple[list[str], list[FileReport]]:
    """Python files under ``paths`` (via libcst's ``gather_files``) and files refused up front.

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
        found = gather_files([path]) if os.path.exists(path) else []
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


def _unreported(path: str) -> FileReport:
    """What happened to a file libcst did not hand to the command (it left no report)."""
    try:
        with open(path, "rb") as stream:
            source = stream.read()
    except OSError as exc:
        return FileReport(path, FAILED, f"cannot read: {exc}")
    if GENERATED_MARKER.encode() in source:
        return FileReport(path, SKIPPED, f"generated file (contains {GENERATED_MARKER})")
    return FileReport(path, FAILED, _parse_failure(source))


def _parse_failure(source: bytes) -> str:
    """The parser's message for ``source``, or a generic one when it parses."""
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return f"cannot parse: {exc.message}"
    except Exception as exc:
        return f"cannot parse: {type(exc).__name__}: {exc}"
    return "the codemod failed on this file"


def run(
    paths: Sequence[str],
    settings: CodemodConfig,
    *,
    mode: str = WRITE,
    jobs: int | None = None,
) -> Summary:
    """Instrument every Python file under ``paths``; nothing is written unless mode is WRITE."""
    if mode not in MODES:
        msg = f"mode must be one of {', '.join(MODES)}, got {mode!r}"
        raise ValueError(msg)
    if jobs is not None and jobs < 1:
        msg = f"jobs must be at least 1, got {jobs!r}"
        raise ValueError(msg)
    files, reports = collect_files(paths)
    if files:
        with tempfile.TemporaryDirectory(prefix="progresstree-codemod-") as report_dir:
            chatter = io.StringIO()
            with contextlib.redirect_stderr(chatter), contextlib.redirect_stdout(chatter):
                parallel_exec_transform_with_prettyprint(
                    _ReportingCommand,
                    files,
                    jobs=jobs,
                    hide_progress=True,
                    hide_generated=True,
                    generated_code_marker=GENERATED_MARKER,
                    codemod_args={"settings": settings, "mode": mode, "report_dir": report_dir},
                )
            saved = FileReport.load_all(report_dir)
        for file in files:
            absolute = os.path.abspath(file)
            report = saved.get(absolute)
            if report is None:
                report = _unreported(file)
            reports.append(dataclasses.replace(report, path=file))
    return Summary(reports=reports, writes=mode == WRITE)

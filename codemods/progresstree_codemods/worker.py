"""What happens to one file: read, parse, instrument, check, then write or diff.

This runs in a worker process (see :mod:`progresstree_codemods.pool`), so a
file that crashes libcst's native parser takes down only that worker.  Check
and diff modes never write.  Write mode writes the instrumented result and
nothing else, atomically, and only when libcst reproduces the untouched file
byte for byte: a file it cannot (carriage-return-only line ends, say) would
come back with bytes changed outside the edited regions, so it is reported
and left as it is.
"""

from __future__ import annotations

import contextlib
import re

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from progresstree_codemods.atomic import atomic_write, check_writable
from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig
from progresstree_codemods.diffs import unified_diff
from progresstree_codemods.edits import inserted_counts
from progresstree_codemods.report import CHANGED, DIFF, FAILED, SKIPPED, WRITE, FileReport
from progresstree_codemods.transformer import SOURCE_KEY

GENERATED_MARKER = "@" + "generated"
"""Files carrying this marker are produced by a generator; editing them would not last."""


_UNUSUAL = re.compile(rb"\r(?!\n)|[\x0b\x0c\x1c-\x1e]")
"""Bytes around which libcst may not reproduce a file: lone CRs, form feeds, ..."""


def _may_be_lossy(source: bytes) -> bool:
    """Whether rendering the parsed file back needs checking (libcst keeps all else)."""
    return _UNUSUAL.search(source) is not None


def _lossy_reason(source: bytes) -> str:
    if b"\r" in source.replace(b"\r\n", b""):
        return "it has carriage-return-only line ends"
    return "its layout is not kept by the parser"


def process_file(path: str, settings: CodemodConfig, mode: str) -> FileReport:
    """Instrument ``path``; the report says what was (or would be) done."""
    try:
        with open(path, "rb") as stream:
            source = stream.read()
    except OSError as exc:
        return FileReport(path, FAILED, f"cannot read: {exc}")
    if GENERATED_MARKER.encode() in source:
        return FileReport(path, SKIPPED, f"generated file (contains {GENERATED_MARKER})")
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return FileReport(path, FAILED, f"cannot parse: {exc.message}")
    except Exception as exc:  # the parser raises more than its own error
        return FileReport(path, FAILED, f"cannot parse: {type(exc).__name__}: {exc}")
    context = CodemodContext(filename=path, full_module_name=None, full_package_name=None)
    if tree.encoding.lower().replace("-", "") == "utf8":
        with contextlib.suppress(UnicodeDecodeError):
            context.scratch[SOURCE_KEY] = source.decode("utf-8")
    command = InstrumentCommand(context, settings=settings)
    try:
        result = command.transform_module(tree)
    except SkipFile as exc:
        return FileReport(path, SKIPPED, str(exc), warnings=list(context.warnings))
    except Exception as exc:  # reported per file, the run goes on
        return FileReport(path, FAILED, f"{type(exc).__name__}: {exc}")
    warnings = list(context.warnings)
    new_code = result.bytes
    if new_code == source:
        return FileReport(path, SKIPPED, "nothing to instrument", warnings=warnings)
    if _may_be_lossy(source) and tree.bytes != source:
        reason = f"not edited: libcst cannot reproduce it byte for byte ({_lossy_reason(source)})"
        return FileReport(path, FAILED, reason, warnings=warnings)
    try:
        compile(new_code, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        reason = f"the instrumented code would not compile: {exc}"
        return FileReport(path, FAILED, reason, warnings=warnings)
    inserted = dict(inserted_counts(context))
    if mode == WRITE:
        try:
            atomic_write(path, new_code)
        except OSError as exc:
            return FileReport(path, FAILED, f"cannot write: {exc}", warnings=warnings)
        return FileReport(path, CHANGED, inserted=inserted, warnings=warnings)
    try:
        check_writable(path)
    except OSError as exc:
        warnings.append(f"writing would fail: {exc}")
    diff = unified_diff(tree.code, result.code, path) if mode == DIFF else ""
    return FileReport(path, CHANGED, inserted=inserted, warnings=warnings, diff=diff)

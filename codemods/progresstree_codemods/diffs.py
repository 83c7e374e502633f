"""Unified diffs that ``git apply`` and ``patch -p1`` accept.

Paths are relative (see :func:`diff_path`) under ``a/`` and ``b/`` (the
layout git uses), so a diff printed in a repository applies there whatever
way the files were named on the command line.  A last line without a newline gets the
``\\ No newline at end of file`` marker, and line ends are kept as they are in
the file, so a CRLF file's diff applies to that file byte for byte.
"""

from __future__ import annotations

import difflib
import os

CONTEXT = 3
_NO_NEWLINE = "\\ No newline at end of file\n"


def _repository_root(path: str) -> str | None:
    directory = os.path.dirname(path)
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def diff_path(path: str, start: str | None = None) -> str:
    """The name of ``path`` in a diff, with ``/`` separators.

    Relative to ``start`` (the working directory) when the file lies under
    it; else relative to the root of the git repository holding the file;
    else the absolute path without its leading ``/`` (apply it from ``/``).
    """
    absolute = os.path.abspath(path)
    base = os.path.abspath(start or os.getcwd())
    if os.path.commonpath([absolute, base]) != base:
        base = _repository_root(absolute) or os.path.splitdrive(absolute)[0] + os.sep
    return os.path.relpath(absolute, base).replace(os.sep, "/")


def _lines(text: str) -> list[str]:
    """Lines ending in ``\\n`` (``str.splitlines`` would also cut at form feeds)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(before: str, after: str, path: str, *, context: int = CONTEXT) -> str:
    """The diff turning ``before`` into ``after``, empty when they are equal."""
    if before == after:
        return ""
    name = diff_path(path)
    out: list[str] = []
    for line in difflib.unified_diff(
        _lines(before), _lines(after), f"a/{name}", f"b/{name}", n=context
    ):
        if line.endswith("\n"):
            out.append(line)
        elif line.startswith(("---", "+++")):
            out.append(line + "\n")
        else:
            out.append(line + "\n")
            out.append(_NO_NEWLINE)
    return "".join(out)

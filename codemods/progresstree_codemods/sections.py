"""Import sections as isort and ruff sort them: future, stdlib, third party, first party, local.

A new ``from progresstree import ...`` line belongs in the third-party
section, in alphabetical order.  Which imports are first party is read from
``known-first-party`` and, like isort does, from the file system: a module
or package next to the edited file, or in one of its parent directories up to
the project root (where ``pyproject.toml``, ``setup.py`` or ``.git`` is), or
in that root's ``src/``, is first party.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Collection

import libcst as cst
from libcst.helpers import get_full_name_for_node

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)
_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def _top_names(directory: str) -> set[str]:
    try:
        entries = os.listdir(directory)
    except OSError:
        return set()
    names = set()
    for entry in entries:
        if entry.endswith(".py"):
            names.add(entry[:-3])
        elif entry.isidentifier() and os.path.isdir(os.path.join(directory, entry)):
            names.add(entry)
    return names


@functools.lru_cache(maxsize=64)
def local_modules(directory: str) -> frozenset[str]:
    """Top-level module names importable from ``directory`` and its project."""
    names: set[str] = set()
    current = os.path.abspath(directory)
    while True:
        names |= _top_names(current)
        if any(os.path.exists(os.path.join(current, marker)) for marker in _ROOT_MARKERS):
            names |= _top_names(os.path.join(current, "src"))
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return frozenset(names)


def section(statement: cst.BaseStatement, first_party: Collection[str]) -> int | None:
    """The section of an import line, None when the statement is not an import."""
    if not isinstance(statement, cst.SimpleStatementLine) or not statement.body:
        return None
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        if small.relative:
            return LOCAL
        name = get_full_name_for_node(small.module) if small.module else None
    elif isinstance(small, cst.Import):
        name = get_full_name_for_node(small.names[0].name)
    else:
        return None
    top = (name or "").split(".")[0]
    if top == "__future__":
        return FUTURE
    if top in first_party:
        return FIRST_PARTY
    if top in sys.stdlib_module_names:
        return STDLIB
    return THIRD_PARTY


def sort_key(statement: cst.BaseStatement, first_party: Collection[str]) -> tuple[int, int, str]:
    """isort's default order: by section, ``import x`` before ``from x import``, by module."""
    rank = section(statement, first_party)
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        module = get_full_name_for_node(small.module) if small.module else ""
        return (rank if rank is not None else LOCAL, 1, (module or "").lower())
    assert isinstance(small, cst.Import)
    module = get_full_name_for_node(small.names[0].name) or ""
    return (rank if rank is not None else LOCAL, 0, module.lower())

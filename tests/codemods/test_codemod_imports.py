"""Adding the scheduled imports gives exactly what libcst's ``AddImportsVisitor`` gives."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from progresstree_codemods.imports import add_imports

HEADS = {
    "empty": "",
    "comment only": "# nothing here\n",
    "statement": "x = 1\n",
    "docstring only": '"""Doc."""\n',
    "docstring": '"""Doc."""\n\nx = 1\n',
    "docstring and import": '"""Doc."""\nimport os\n\nx = 1\n',
    "concatenated docstring": '"""Doc.""" "More."\nimport os\nx = 1\n',
    "strict flag": "__strict__ = True\nimport os\nx = 1\n",
    "future": "from __future__ import annotations\n\nimport os\n\n\nclass A:\n    pass\n",
    "comments": "#!/usr/bin/env python\n# coding: utf-8\nimport os\n# about x\nx = 1\n",
    "blank then comment": "import os\n\n# about x\nx = 1\n",
    "crlf": '"""Doc."""\r\nimport os\r\nx = 1\r\n',
    "tabs": "import os\nif os:\n\tx = 1\n",
    "merge": "from progresstree import tracks\n\nx = 1\n",
    "merge parenthesised": "import os\nfrom progresstree import (\n    tracks,  # kept\n)\nx = 1\n",
    "merge first of two": (
        "from progresstree import tracks\nfrom progresstree import safe_len\nx = 1\n"
    ),
    "already imported": (
        "from progresstree import get_progress_context, track_progress, safe_label\n"
    ),
    "already aliased": (
        "from progresstree import tracks as _progresstree_tracks, track_progress as tp\nx = 1\n"
    ),
    "star": "from progresstree import *\nx = 1\n",
    "star then names": "from progresstree import *\nfrom progresstree import safe_len\nx = 1\n",
    "not at the top": "import os; import sys\nfrom progresstree import tracks\nx = 1\n",
    "after code": "x = 1\nfrom progresstree import tracks\n",
    "nested": "try:\n    from progresstree import tracks\nexcept ImportError:\n    pass\n",
    "submodule and relative": "from progresstree.api import tracks\nfrom . import track_progress\n",
}
RELATIVE = {
    "relative": "from . import track_progress\nx = 1\n",
    "relative star": "from . import *\nx = 1\n",
    "submodule": "from .api import tracks\nfrom progresstree import safe_len\n",
}
REQUESTS = {
    "one": [("get_progress_context", None)],
    "two": [("track_progress", None), ("safe_label", None)],
    "aliased": [("tracks", "_progresstree_tracks")],
    "mixed": [
        ("safe_label", None),
        ("track_progress", "_progresstree_track_progress"),
        ("get_progress_context", None),
        ("tracks", "_progresstree_tracks"),
    ],
}


def _context(package: str | None) -> CodemodContext:
    if package is None:
        return CodemodContext()
    return CodemodContext(full_module_name=f"{package}.legacy", full_package_name=package)


def _schedule(context: CodemodContext, requests: list[tuple[str, str | None]], module: str) -> None:
    for name, alias in requests:
        AddImportsVisitor.add_needed_import(context, module, name, alias)


def _both(
    source: str, requests: list[tuple[str, str | None]], module: str, package: str | None
) -> tuple[str, str]:
    ours, theirs = _context(package), _context(package)
    _schedule(ours, requests, module)
    _schedule(theirs, requests, module)
    tree = cst.parse_module(source)
    return (
        add_imports(ours, tree).code,
        AddImportsVisitor(theirs).transform_module(tree).code,
    )


@pytest.mark.parametrize("requests", REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("source", HEADS.values(), ids=HEADS.keys())
def test_progresstree_imports_match_add_imports_visitor(
    source: str, requests: list[tuple[str, str | None]]
) -> None:
    ours, theirs = _both(source, requests, "progresstree", None)
    assert ours == theirs


@pytest.mark.parametrize("requests", REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("source", RELATIVE.values(), ids=RELATIVE.keys())
def test_relative_imports_resolve_as_in_add_imports_visitor(
    source: str, requests: list[tuple[str, str | None]]
) -> None:
    """Inside the package itself, ``from . import x`` counts as ``from progresstree import x``."""
    ours, theirs = _both(source, requests, "progresstree", "progresstree")
    assert ours == theirs


@pytest.mark.parametrize("source", HEADS.values(), ids=HEADS.keys())
def test_other_requests_match_add_imports_visitor(source: str) -> None:
    """Requests outside the single-module case go through ``AddImportsVisitor`` itself."""
    ours, theirs = CodemodContext(), CodemodContext()
    for context in (ours, theirs):
        AddImportsVisitor.add_needed_import(context, "os")
        AddImportsVisitor.add_needed_import(context, "__future__", "annotations")
        AddImportsVisitor.add_needed_import(context, "progresstree", "tracks")
    tree = cst.parse_module(source)
    expected = AddImportsVisitor(theirs).transform_module(tree).code
    assert add_imports(ours, tree).code == expected


def test_nothing_scheduled_returns_the_module_itself() -> None:
    tree = cst.parse_module("x = 1\n")
    assert add_imports(CodemodContext(), tree) is tree

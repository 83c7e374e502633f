"""Adding the scheduled imports: where isort puts them, else as ``AddImportsVisitor`` does.

A new ``from progresstree import ...`` line goes into the third-party section
(checked with ruff's isort rules on real files); merging into an existing
line and modules without other imports give exactly what libcst's
``AddImportsVisitor`` gives.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from tests_codemod_support import transform

from progresstree_codemods.cli import main
from progresstree_codemods.imports import add_imports

RUFF = Path(sys.executable).with_name("ruff")

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


# Heads where the new line lands after a stdlib import: a section of its own there.
SECTIONED = {
    "docstring and import",
    "strict flag",
    "future",
    "comments",
    "blank then comment",
    "crlf",
    "tabs",
    "submodule and relative",
}
SAME_AS_LIBCST = {name: source for name, source in HEADS.items() if name not in SECTIONED}


@pytest.mark.parametrize("requests", REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("source", SAME_AS_LIBCST.values(), ids=SAME_AS_LIBCST.keys())
def test_progresstree_imports_match_add_imports_visitor(
    source: str, requests: list[tuple[str, str | None]]
) -> None:
    ours, theirs = _both(source, requests, "progresstree", None)
    assert ours == theirs


RELATIVE_SAME = {k: v for k, v in RELATIVE.items() if k != "relative star"}


@pytest.mark.parametrize("requests", REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("source", RELATIVE_SAME.values(), ids=RELATIVE_SAME.keys())
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


SERVICE_BODY = (
    "\n\nclass SetlistService:\n"
    "    def process_setlist(self, setlist_id, songs):\n"
    "        for song in songs:\n"
    "            render(Block(song.id), song.name)\n"
)
ISORTED_HEADS = {
    "stdlib then first party": "import logging\n\nfrom myapp.models import Block, render\n",
    "all sections": (
        "from __future__ import annotations\n\nimport logging\nimport os\n\n"
        "import numpy as np\nimport requests\nfrom rich import print\n\n"
        "from myapp.models import Block, render\n\nfrom .local import helper\n"
    ),
    "third party after ours": (
        "import os\n\nfrom requests import get\n\nfrom myapp.models import Block, render\n"
    ),
    "third party before ours": (
        "import os\n\nfrom attrs import define\n\nfrom myapp.models import Block, render\n"
    ),
    "first party only, docstring": '"""Services."""\n\nfrom myapp.models import Block, render\n',
    "comment above first party": (
        "import sys\n\n# the application\nfrom myapp.models import Block, render\n"
    ),
    "plain imports": "import os\n\nimport myapp\nfrom myapp.models import Block, render\n",
    "docstring, no imports": '"""Services."""\n',
}


def test_new_import_goes_into_the_third_party_section(tmp_path: Path) -> None:
    """ruff's isort rules accept every instrumented file they accepted before."""
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    files = []
    for index, head in enumerate(ISORTED_HEADS.values()):
        path = tmp_path / "services" / f"s{index}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(head + SERVICE_BODY, encoding="utf-8")
        files.append(path)
    ruff = [
        str(RUFF),
        "check",
        "--isolated",
        "--select",
        "I",
        "--config",
        "lint.isort.known-first-party = ['myapp']",
    ]
    before = subprocess.run([*ruff, str(tmp_path / "services")], cwd=tmp_path, check=False)
    assert before.returncode == 0
    assert main([str(tmp_path / "services"), "-j", "1"]) == 0
    done = subprocess.run(
        [*ruff, str(tmp_path / "services")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "from progresstree import get_progress_context" in text
        if "myapp" in text:
            assert text.index("from progresstree import") < text.index("from myapp")


def test_known_first_party_setting_places_the_line_before_those_imports() -> None:
    source = "import logging\n\nfrom shop.models import Block, render\n" + SERVICE_BODY
    # Unknown to the codemod, ``shop`` is third party: same section, sorted.
    assert transform(source).startswith(
        "import logging\n\nfrom progresstree import get_progress_context, safe_len\n"
        "from shop.models import Block, render\n"
    )
    assert transform(source, known_first_party=("shop",)).startswith(
        "import logging\n\nfrom progresstree import get_progress_context, safe_len\n\n"
        "from shop.models import Block, render\n"
    )

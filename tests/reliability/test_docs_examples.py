"""The Python examples of the documentation pages run, and print what they show.

Each page's ``python`` blocks run top to bottom in one namespace, like a
reader pasting them into one session. A block that prints and ends with
comment lines (``# completed 100.0``) must print exactly those lines.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["index.md", "getting-started.md", "guide.md", "migration.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(page: str) -> list[str]:
    return BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


def expected_output(code: str) -> list[str] | None:
    """The trailing ``# ...`` lines of a block that prints, or None."""
    if "print(" not in code:
        return None
    lines = code.rstrip("\n").splitlines()
    shown: list[str] = []
    while lines and lines[-1].startswith("# "):
        shown.insert(0, lines.pop()[2:])
    return shown or None


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run_and_print_what_they_show(page: str) -> None:
    found = blocks(page)
    assert found, f"no python examples in {page}"
    namespace: dict[str, object] = {"__name__": f"docs_{page}"}
    for number, code in enumerate(found, 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page} block {number}", "exec"), namespace)
        want = expected_output(code)
        if want is not None:
            got = out.getvalue().splitlines()
            assert got[-len(want) :] == want, f"{page} block {number} printed {got}"

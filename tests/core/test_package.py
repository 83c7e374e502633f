"""The package surface: exports resolve, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import progresstree


def test_every_exported_name_resolves() -> None:
    for name in progresstree.__all__:
        assert getattr(progresstree, name) is not None, name
    assert progresstree.__all__ == sorted(progresstree.__all__)


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        progresstree.does_not_exist  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "does_not_exist" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, progresstree\n"
        "heavy = [m for m in ('libcst', 'rich', 'wrapt', 'redis', 'dask', 'distributed',"
        " 'opentelemetry', 'asyncio', 'concurrent.futures') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

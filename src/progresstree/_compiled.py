"""Which build runs: the mypyc-compiled hot path or pure Python.

The compiled wheel ships each compiled module as an extension *and* as its
``.py`` source; Python's path finder prefers the extension. Setting
``PROGRESSTREE_PURE=1`` before the first import installs a finder that loads
this package's modules from source only, so one installation can run either
build (to compare them, or to rule the compiled one out when hunting a bug).

``trait`` marks a class that mypyc compiles as a trait (a mixin that a
compiled class may inherit next to its real base);
``mypyc_attr(allow_interpreted_subclasses=True)`` lets Python code subclass a
compiled class, as it can subclass the pure one. mypyc reads both from the
source; at run time, without mypy_extensions installed, they do nothing.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import SOURCE_SUFFIXES, FileFinder, ModuleSpec, SourceFileLoader
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_extensions import mypyc_attr, trait
else:
    try:
        from mypy_extensions import mypyc_attr, trait
    except ImportError:  # a pure install without mypy's helpers

        def trait(cls: Any) -> Any:
            return cls

        def mypyc_attr(*attrs: str, **kwattrs: object) -> Any:
            return trait


__all__ = ["PURE_ENV", "install_pure_finder", "is_compiled", "mypyc_attr", "trait"]

PURE_ENV = "PROGRESSTREE_PURE"
_PACKAGE = __name__.rpartition(".")[0]


class _SourceOnlyFinder:
    """A meta path finder for this package's submodules that sees only ``.py`` files."""

    @classmethod
    def find_spec(
        cls,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if path is None or not fullname.startswith(_PACKAGE + "."):
            return None
        for entry in path:
            spec = FileFinder(entry, (SourceFileLoader, SOURCE_SUFFIXES)).find_spec(fullname)
            if spec is not None and spec.loader is not None:
                return spec
        return None


def install_pure_finder() -> bool:
    """Load this package from source when ``PROGRESSTREE_PURE=1``; True when it does."""
    if os.environ.get(PURE_ENV, "") not in ("1", "true", "yes"):
        return False
    if _SourceOnlyFinder not in sys.meta_path:
        sys.meta_path.insert(0, _SourceOnlyFinder)
    return True


def is_compiled(module: ModuleType) -> bool:
    """True when ``module`` was loaded from a compiled extension."""
    filename = getattr(module, "__file__", None) or ""
    return not filename.endswith((".py", ".pyc"))

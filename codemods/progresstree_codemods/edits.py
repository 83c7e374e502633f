"""State shared by the rewriters while one module is edited.

It is the single place where inserted code is counted (for the summary that
``progresstree codemod`` prints) and where left-alone code is reported.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable

import libcst as cst
from libcst.codemod import CodemodContext

from progresstree_codemods import builders
from progresstree_codemods.api import ApiNames
from progresstree_codemods.config import CodemodConfig

INSERTED_KEY = "progresstree_codemods.inserted"


def inserted_counts(context: CodemodContext) -> collections.Counter[str]:
    """What was inserted into the module of ``context``, by kind."""
    counts = context.scratch.setdefault(INSERTED_KEY, collections.Counter())
    if not isinstance(counts, collections.Counter):
        msg = f"context.scratch[{INSERTED_KEY!r}] must be a Counter, got {counts!r}"
        raise TypeError(msg)
    return counts


@dataclasses.dataclass
class EditSession:
    """One module being edited: settings, import names, counters, warnings."""

    config: CodemodConfig
    api: ApiNames
    context: CodemodContext
    warn: Callable[[str], None]
    indent: str = "    "

    def record(self, kind: str, count: int = 1) -> None:
        inserted_counts(self.context)[kind] += count

    def call(self, func: cst.BaseExpression, *args: cst.Arg) -> cst.Call:
        """A generated call, wrapped with this module's indentation when long."""
        return builders.wrapped_call(func, *args, indent=self.indent)

    @property
    def decorators(self) -> bool:
        return self.config.style == "decorators"

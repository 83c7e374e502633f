"""Which local name each progresstree function gets in the module being edited.

Generated code calls ``get_progress_context``, ``track_progress``, ``tracks``,
``safe_label`` and ``safe_len``.  A module may already import some of them
from progresstree (reuse that name), or bind the same name to something else
(then import ours under a private alias so nothing in the module changes
meaning).  Imports are requested with libcst's
``AddImportsVisitor.add_needed_import`` and applied by ``imports.add_imports``,
which merges them into an existing ``from progresstree import ...`` line.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node

MODULE = "progresstree"


def _bound_names(statement: cst.BaseStatement, ours: dict[str, str], taken: set[str]) -> None:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        taken.add(statement.name.value)
        return
    if isinstance(statement, (cst.If, cst.Try)):
        blocks: list[cst.BaseSuite] = [statement.body]
        if isinstance(statement, cst.Try):
            blocks.extend(h.body for h in statement.handlers)
        for block in blocks:
            if isinstance(block, cst.IndentedBlock):
                for inner in block.body:
                    _bound_names(inner, ours, taken)
        return
    if not isinstance(statement, cst.SimpleStatementLine):
        return
    for small in statement.body:
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            module = get_full_name_for_node(small.module) if small.module else None
            for alias in small.names:
                imported = get_full_name_for_node(alias.name) or ""
                local = alias.evaluated_alias or imported
                if module == MODULE and not small.relative:
                    ours[imported] = local
                else:
                    taken.add(local)
        elif isinstance(small, cst.Import):
            for alias in small.names:
                taken.add((alias.evaluated_alias or alias.evaluated_name).split(".")[0])
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    taken.add(target.target.value)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            taken.add(small.target.value)


class ApiNames:
    """Hands out local names for progresstree functions and schedules their import."""

    def __init__(self, module: cst.Module, context: CodemodContext) -> None:
        self._context = context
        self._ours: dict[str, str] = {}
        self._taken: set[str] = set()
        for statement in module.body:
            _bound_names(statement, self._ours, self._taken)
        self._requested: dict[str, str] = {}

    def existing(self) -> set[str]:
        """Local names already bound to progresstree functions in this module."""
        return set(self._ours.values())

    def name(self, api_name: str) -> str:
        """The local name to call ``api_name`` by; imports it on first use."""
        if api_name in self._ours:
            return self._ours[api_name]
        if api_name in self._requested:
            return self._requested[api_name]
        local = api_name
        asname: str | None = None
        if api_name in self._taken:
            local = asname = f"_progresstree_{api_name}"
        AddImportsVisitor.add_needed_import(self._context, MODULE, api_name, asname)
        self._requested[api_name] = local
        return local

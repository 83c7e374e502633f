"""Which loops do processing work, and so deserve a progress level or a counter.

A loop is worth reporting when its body *calls work on the loop variable*:
some call other than a builtin, a container method, a logging call or a
lookup takes the variable (or something reached from it) as an argument or
as its receiver.  Loops that only check items (``if not isinstance(x, T):
raise``), search them (a ``break`` ends the loop), build a dict or a list for
a user interface, or renumber items (``item.order = i``) are left alone: a
progress level around them would be noise in the tree and in the diff.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

import libcst as cst

from progresstree_codemods.analysis import OwnScopeOnly

_TRIVIAL_CALLS = frozenset(
    {
        # builtins that inspect or convert
        *("isinstance", "issubclass", "len", "str", "repr", "int", "float", "bool", "type"),
        *("hasattr", "getattr", "setattr", "print", "id", "hash", "min", "max", "sorted"),
        *("list", "dict", "tuple", "set", "frozenset", "enumerate", "zip", "range", "iter"),
        *("next", "sum", "any", "all", "round", "abs", "reversed", "format", "vars"),
        # container and string methods
        *("append", "extend", "add", "update", "setdefault", "get", "items", "keys", "values"),
        *("join", "startswith", "endswith", "lower", "upper", "strip", "split", "replace"),
        *("insert", "pop", "remove", "discard", "index", "count", "copy", "clear"),
        # logging
        *("debug", "info", "warning", "warn", "error", "exception", "critical", "log"),
    }
)
_LOOKUP_PREFIXES = ("validate", "check", "ensure", "assert", "is_", "has_", "find", "lookup")


def _is_trivial(func: cst.BaseExpression) -> bool:
    if isinstance(func, cst.Attribute):
        name = func.attr.value
    elif isinstance(func, cst.Name):
        name = func.value
    else:
        return False
    return name in _TRIVIAL_CALLS or name.lstrip("_").startswith(_LOOKUP_PREFIXES)


class _Mentions(cst.CSTVisitor):
    def __init__(self, names: Collection[str]) -> None:
        self.names = names
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names:
            self.found = True


def _mentions(node: cst.CSTNode, names: Collection[str]) -> bool:
    finder = _Mentions(names)
    node.visit(finder)
    return finder.found


class _WorkFinder(OwnScopeOnly, cst.CSTVisitor):
    """Looks for a work call on the loop variables and for a ``break`` of this loop."""

    def __init__(self, names: Collection[str]) -> None:
        self.names = names
        self.work = False
        self.breaks = False
        self._depth = 0  # nested loops: their ``break`` ends them, not ours

    def visit_Call(self, node: cst.Call) -> None:
        if not self.work and not _is_trivial(node.func) and _mentions(node, self.names):
            self.work = True

    def visit_Break(self, node: cst.Break) -> None:
        if self._depth == 0:
            self.breaks = True

    def visit_For(self, node: cst.For) -> None:
        self._depth += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._depth -= 1

    def visit_While(self, node: cst.While) -> None:
        self._depth += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._depth -= 1

    def visit_If(self, node: cst.If) -> bool:
        # The test only decides; the branches may work.
        node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_Raise(self, node: cst.Raise) -> bool:
        return False

    def visit_Assert(self, node: cst.Assert) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def target_names(target: cst.BaseExpression) -> set[str]:
    """Every name a ``for`` target binds."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        names: set[str] = set()
        for element in target.elements:
            names |= target_names(element.value)
        return names
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return set()


@functools.lru_cache(maxsize=256)
def is_processing_loop(loop: cst.For) -> bool:
    """Whether ``loop`` calls work on its variable and runs over all its items."""
    names = target_names(loop.target)
    if not names:
        return False
    finder = _WorkFinder(names)
    loop.body.visit(finder)
    return finder.work and not finder.breaks

"""Running libcst's ``AddImportsVisitor`` on the head of a module only.

``AddImportsVisitor`` looks only at the imports that open a module (before the
first other statement), yet it walks the whole tree, which costs many times a
parse on a large file.  Handing it the opening statements plus a one-line
stand-in for the rest gives the same result at a fraction of the cost; the
stand-in's leading lines (the blank line the visitor may add) go back onto
the real statement.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

_STAND_IN = "__progresstree_codemod_rest_of_module__"
_OPENING = (
    m.SimpleStatementLine(body=[m.AtLeastN(m.Import() | m.ImportFrom(), n=1)])
    | m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())])
    | m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name("__strict__"))])])
)


def add_imports(context: CodemodContext, module: cst.Module) -> cst.Module:
    """Apply the imports scheduled with ``AddImportsVisitor.add_needed_import``."""
    if not context.scratch.get(AddImportsVisitor.CONTEXT_KEY):
        return module
    body = list(module.body)
    split = 0
    while split < len(body) and m.matches(body[split], _OPENING):
        split += 1
    if split == len(body):
        return AddImportsVisitor(context).transform_module(module)
    rest = body[split]
    stand_in = cst.SimpleStatementLine(
        body=[cst.Expr(value=cst.Name(_STAND_IN))], leading_lines=rest.leading_lines
    )
    head = AddImportsVisitor(context).transform_module(
        module.with_changes(body=[*body[:split], stand_in])
    )
    for position, statement in enumerate(head.body):
        if m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.Name(_STAND_IN))])):
            moved = rest.with_changes(leading_lines=statement.leading_lines)
            return module.with_changes(body=[*head.body[:position], moved, *body[split + 1 :]])
    msg = "AddImportsVisitor dropped the rest of the module"
    raise RuntimeError(msg)

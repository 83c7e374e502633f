"""Applying the imports scheduled with ``AddImportsVisitor.add_needed_import``.

Everything the codemod needs comes from one module (``from progresstree import
a, b as c``), and deciding where such a line goes needs only the statements
that open the module.  For that case the edit is made here, on the module's
top-level statements, with the same outcome as libcst's ``AddImportsVisitor``:

* the imports considered are the single-import lines that open the module,
  after a docstring or ``__strict__`` flag;
* names the module already imports there (or gets from ``*``) are not added
  again;
* the others are merged, sorted, at the front of the first ``from <module>
  import ...`` line among them, or else go on a new line after those imports
  (so after ``from __future__`` and the docstring), followed by a blank line.

``AddImportsVisitor`` builds two matcher-decoratable visitors per module (each
scans the ~4000 visitor methods of libcst for matcher decorators) and walks
the tree; on a file the codemod edits that costs several parses.  Any other
request (plain ``import x``, relative or ``__future__`` imports, several
modules) is still handed to ``AddImportsVisitor``, on the head of the module
only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem
from libcst.helpers import get_absolute_module_from_package_for_import

from progresstree_codemods.sections import local_modules, section, sort_key

FIRST_PARTY_KEY = "progresstree_codemods.known_first_party"
MODULE_NAME = "progresstree"

_FIRST_KEPT_FIRST = m.SimpleStatementLine(
    body=[m.Assign(targets=[m.AssignTarget(target=m.Name("__strict__"))])]
) | m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])
"""A first statement that imports never go before (as in ``AddImportsVisitor``)."""
_IMPORT_LINE = m.SimpleStatementLine(body=[m.ImportFrom() | m.Import()])


def add_imports(context: CodemodContext, module: cst.Module) -> cst.Module:
    """Apply the imports scheduled with ``AddImportsVisitor.add_needed_import``."""
    items: Sequence[ImportItem] = context.scratch.get(AddImportsVisitor.CONTEXT_KEY) or ()
    if not items:
        return module
    source = _single_source(items)
    if source is None:
        return _add_with_libcst(context, module)
    return _add_from_imports(context, module, source, items)


def _single_source(items: Sequence[ImportItem]) -> str | None:
    """The module all ``items`` import names from, if they are all plain ``from`` imports."""
    sources = {item.module_name for item in items}
    if len(sources) != 1:
        return None
    (source,) = sources
    if source in ("", "__future__"):
        return None
    if any(item.obj_name is None or item.relative for item in items):
        return None
    return source


def _add_from_imports(
    context: CodemodContext, module: cst.Module, source: str, items: Sequence[ImportItem]
) -> cst.Module:
    body = list(module.body)
    start = 1 if body and m.matches(body[0], _FIRST_KEPT_FIRST) else 0
    end = start
    while end < len(body) and m.matches(body[end], _IMPORT_LINE):
        end += 1
    opening: list[tuple[int, cst.ImportFrom]] = []
    for position in range(start, end):
        statement = body[position]
        if isinstance(statement, cst.SimpleStatementLine):
            small = statement.body[0]
            if isinstance(small, cst.ImportFrom) and (
                get_absolute_module_from_package_for_import(context.full_package_name, small)
                == source
            ):
                opening.append((position, small))

    plain = {item.obj_name for item in items if item.alias is None and item.obj_name}
    aliased = [
        (item.obj_name, item.alias) for item in items if item.alias is not None and item.obj_name
    ]
    for _, node in opening:
        if isinstance(node.names, cst.ImportStar):
            plain = set()
            continue
        for alias in node.names:
            if alias.asname is None:
                plain.discard(alias.evaluated_name)
            elif (pair := (alias.evaluated_name, alias.evaluated_alias)) in aliased:
                aliased.remove(pair)
    if not plain and not aliased:
        return module

    for position, node in opening:
        if isinstance(node.names, cst.ImportStar):
            continue
        names = [
            *(cst.ImportAlias(name=cst.Name(name)) for name in sorted(plain)),
            *(
                cst.ImportAlias(name=cst.Name(name), asname=cst.AsName(name=cst.Name(alias)))
                for name, alias in sorted(aliased)
            ),
            *node.names,
        ]
        statement = body[position]
        body[position] = statement.with_changes(body=[node.with_changes(names=names)])
        return module.with_changes(body=body)

    entries = sorted([*aliased, *((name, None) for name in plain)])
    listed = ", ".join(name if alias is None else f"{name} as {alias}" for name, alias in entries)
    line = cst.parse_statement(f"from {source} import {listed}", config=module.config_for_parsing)
    assert isinstance(line, cst.SimpleStatementLine)
    return module.with_changes(body=_place(list(body), start, end, line, _first_party(context)))


def _first_party(context: CodemodContext) -> set[str]:
    names = set(context.scratch.get(FIRST_PARTY_KEY) or ())
    if context.filename:
        names |= local_modules(os.path.dirname(os.path.abspath(context.filename)))
    names.discard(MODULE_NAME)
    return names


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return count


def _place(
    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement],
    start: int,
    end: int,
    line: cst.SimpleStatementLine,
    first_party: set[str],
) -> list[cst.SimpleStatementLine | cst.BaseCompoundStatement]:
    """``body`` with ``line`` among the imports ``body[start:end]``, where isort puts it."""
    key = sort_key(line, first_party)
    position = start
    for index in range(start, end):
        if sort_key(body[index], first_party) <= key:
            position = index + 1
    previous = body[position - 1] if position > start else None
    following = body[position] if position < end else None
    ours = key[0]
    if previous is not None:
        same = section(previous, first_party) == ours
        line = line.with_changes(leading_lines=() if same else (cst.EmptyLine(),))
        if (
            not same
            and isinstance(following, cst.SimpleStatementLine)
            and section(following, first_party) == ours
        ):
            # The new line now opens the section: the blank line above it is enough.
            lines = following.leading_lines
            following = following.with_changes(leading_lines=lines[_blank_prefix(lines) :])
    elif following is not None and isinstance(following, cst.SimpleStatementLine):
        # First import of the block: it takes over the blank lines above the old first one.
        lines = following.leading_lines
        blank = _blank_prefix(lines)
        line = line.with_changes(leading_lines=lines[:blank])
        separator = (cst.EmptyLine(),) if section(following, first_party) != ours else ()
        following = following.with_changes(leading_lines=(*separator, *lines[blank:]))
    if following is not None and isinstance(following, cst.SimpleStatementLine):
        if section(following, first_party) != ours and not _blank_prefix(following.leading_lines):
            following = following.with_changes(
                leading_lines=(cst.EmptyLine(), *following.leading_lines)
            )
        return [*body[:position], line, following, *body[position + 1 :]]
    rest = body[end:]
    if rest:
        first = _after_blank_line(rest[0])
        assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        rest[0] = first
    return [*body[:end], line, *rest]


def _after_blank_line(statement: cst.BaseStatement) -> cst.BaseStatement:
    """``statement`` with a blank line before it (before its comments, if any)."""
    if not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return statement
    lines = statement.leading_lines
    if not lines:
        return statement.with_changes(leading_lines=(cst.EmptyLine(),))
    if lines[0].comment is None:
        return statement
    return statement.with_changes(leading_lines=(cst.EmptyLine(), *lines))


_STAND_IN = "__progresstree_codemod_rest_of_module__"
_OPENING = (
    m.SimpleStatementLine(body=[m.AtLeastN(m.Import() | m.ImportFrom(), n=1)])
    | m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())])
    | m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name("__strict__"))])])
)


def _add_with_libcst(context: CodemodContext, module: cst.Module) -> cst.Module:
    """``AddImportsVisitor`` run on the opening statements plus a stand-in for the rest.

    ``AddImportsVisitor`` looks only at the imports that open a module, yet it
    walks the whole tree; the stand-in's leading lines (the blank line the
    visitor may add) go back onto the real statement.
    """
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

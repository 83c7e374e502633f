"""Small constructors for the code the codemod inserts.

New nodes are built with libcst's defaults for whitespace and newlines, so
they take the indentation and line endings of the module they land in.
Existing nodes are moved, never re-rendered, so their bytes survive.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def string(value: str) -> cst.SimpleString:
    """A double-quoted Python string literal for ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    if escaped.isprintable():
        return cst.SimpleString(f'"{escaped}"')
    return cst.SimpleString(repr(value))


def name(value: str) -> cst.Name:
    return cst.Name(value)


def dotted(*parts: str) -> cst.BaseExpression:
    """``a.b.c`` from ``("a", "b", "c")``."""
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def arg(value: cst.BaseExpression, keyword: str | None = None) -> cst.Arg:
    if keyword is None:
        return cst.Arg(value=value)
    return cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        ),
    )


WRAP_WIDTH = 70
"""Generated calls longer than this get one argument per line, like black and ruff do."""

_RENDERER = cst.Module(body=[])


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        indent=True,
        last_line=cst.SimpleWhitespace(indent),
    )


def call(func: cst.BaseExpression, *args: cst.Arg) -> cst.Call:
    """``func(args)`` on one line (for calls nested in other generated calls)."""
    return cst.Call(func=func, args=args)


def wrapped_call(func: cst.BaseExpression, *args: cst.Arg, indent: str) -> cst.Call:
    """``func(args)``; one argument per line when the call would be long."""
    node = cst.Call(func=func, args=args)
    if not args or len(_RENDERER.code_for_node(node)) <= WRAP_WIDTH:
        return node
    wrapped = [
        a.with_changes(comma=cst.Comma(whitespace_after=_line_break(indent))) for a in args[:-1]
    ]
    wrapped.append(args[-1].with_changes(comma=cst.Comma(whitespace_after=_line_break(""))))
    return node.with_changes(whitespace_before_args=_line_break(indent), args=wrapped)


def statement(expression: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[cst.Expr(value=expression)])


def as_statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """The statements of a block; a one-line suite becomes one statement line."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=suite.body)]
    return []


def with_block(
    manager: cst.BaseExpression,
    body: Sequence[cst.BaseStatement],
    *,
    as_name: str | None = None,
) -> cst.With:
    """``with manager [as as_name]:`` around ``body``.

    The comments and blank lines above the first statement move above the
    ``with`` so they keep describing what follows them.
    """
    statements = list(body)
    leading: Sequence[cst.EmptyLine] = ()
    if statements:
        first = statements[0]
        if isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            leading = first.leading_lines
            statements[0] = first.with_changes(leading_lines=())
    item = cst.WithItem(
        item=manager,
        asname=cst.AsName(name=cst.Name(as_name)) if as_name is not None else None,
    )
    return cst.With(items=[item], body=cst.IndentedBlock(body=statements), leading_lines=leading)


def wrap_suite(
    suite: cst.BaseSuite, manager: cst.BaseExpression, as_name: str | None = None
) -> cst.IndentedBlock:
    """Put the whole of a block inside a ``with``, keeping the block's header and footer."""
    inner = with_block(manager, as_statements(suite), as_name=as_name)
    if isinstance(suite, cst.IndentedBlock):
        return suite.with_changes(body=[inner])
    if isinstance(suite, cst.SimpleStatementSuite):
        return cst.IndentedBlock(header=suite.trailing_whitespace, body=[inner])
    return cst.IndentedBlock(body=[inner])


def dotted_call(function: str, attribute: str) -> cst.Attribute:
    """``function().attribute`` (e.g. ``get_progress_context().block_execution``)."""
    return cst.Attribute(value=cst.Call(func=cst.Name(function)), attr=cst.Name(attribute))

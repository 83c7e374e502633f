"""Rewriting the ``process`` method of block processors.

The body (after its docstring) runs inside ``block_execution`` and each of its
top-level loops iterates through ``track_progress`` so the block's level
counts items.  With ``--style decorators`` the method gets ``@tracks("block",
...)`` and the loops report to the current level.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from progresstree_codemods import analysis
from progresstree_codemods import builders as b
from progresstree_codemods.edits import EditSession

_MESSAGE_SOURCE_LIMIT = 40


def _label(
    session: EditSession,
    variable: str,
    attribute: str,
    read: set[str],
    default: str,
) -> cst.BaseExpression:
    if attribute in read:
        return b.dotted(variable, attribute)
    return b.call(
        b.name(session.api.name("safe_label")),
        b.arg(b.name(variable)),
        b.arg(b.string(attribute)),
        b.arg(b.string(default), "default"),
    )


def _message(module: cst.Module, loop: cst.For) -> str:
    source = " ".join(module.code_for_node(loop.iter).split())
    if len(source) > _MESSAGE_SOURCE_LIMIT:
        source = "items"
    return f"Processing {source}"


def _track_loops(
    statements: Sequence[cst.BaseStatement],
    session: EditSession,
    module: cst.Module,
    op: str | None,
) -> list[cst.BaseStatement]:
    """Top-level loops iterate through ``track_progress``; nothing else changes."""
    result: list[cst.BaseStatement] = []
    for statement in statements:
        if isinstance(statement, cst.For):
            args = [b.arg(statement.iter)]
            if op is not None:
                args.append(b.arg(b.name(op)))
                args.append(b.arg(b.string(_message(module, statement))))
            else:
                args.append(b.arg(b.string(_message(module, statement)), "message"))
            tracked = session.call(b.name(session.api.name("track_progress")), *args)
            session.record("track_progress")
            result.append(statement.with_changes(iter=tracked))
        else:
            result.append(statement)
    return result


def instrument_process(
    func: cst.FunctionDef, session: EditSession, module: cst.Module, class_name: str
) -> cst.FunctionDef | None:
    """The instrumented ``process`` method, or None when it has no block parameter."""
    data = analysis.data_parameters(func)
    if not data:
        return None
    block = data[0]
    docstring, rest = analysis.split_docstring(b.as_statements(func.body))
    if session.decorators:
        decorator = cst.Decorator(
            decorator=session.call(
                b.name(session.api.name("tracks")),
                b.arg(b.string("block")),
                b.arg(b.string(f"{block}.id"), "id_from"),
                b.arg(b.string(f"{block}.name"), "name_from"),
            )
        )
        session.record("@tracks")
        body = [*docstring, *_track_loops(rest, session, module, None)]
        return func.with_changes(
            decorators=[*func.decorators, decorator],
            body=_replace_body(func.body, body),
        )
    read = analysis.leading_reads(rest, block).attributes
    taken = analysis.names_in(func)
    op = analysis.fresh_name(("op", "progress_op"), taken)
    manager = session.call(
        b.dotted_call(session.api.name("get_progress_context"), "block_execution"),
        b.arg(_label(session, block, "id", read, "block")),
        b.arg(_label(session, block, "name", read, class_name)),
        b.arg(_label(session, block, "type", read, class_name), "block_type"),
    )
    session.record("block_execution")
    wrapped = b.with_block(manager, _track_loops(rest, session, module, op), as_name=op)
    return func.with_changes(body=_replace_body(func.body, [*docstring, wrapped]))


def _replace_body(suite: cst.BaseSuite, body: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    if isinstance(suite, cst.IndentedBlock):
        return suite.with_changes(body=body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return cst.IndentedBlock(header=suite.trailing_whitespace, body=body)
    return cst.IndentedBlock(body=body)

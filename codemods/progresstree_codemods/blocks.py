"""Rewriting the ``process`` method of block processors.

The body (after its docstring) runs inside ``block_execution`` and each of its
top-level processing loops iterates through ``track_progress`` so the block's
level counts items.  Both styles write the same code here, so they build the
same tree (see :func:`instrument_process`).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from progresstree_codemods import analysis
from progresstree_codemods import builders as b
from progresstree_codemods.edits import EditSession, inserted_counts
from progresstree_codemods.work import is_processing_loop

_PASS_THROUGH = frozenset(
    {"enumerate", "sorted", "reversed", "list", "tuple", "set", "zip", "iter"}
)
_VIEWS = frozenset({"items", "values", "keys", "copy"})
_VERBS = ("get_", "load_", "read_", "list_", "iter_", "fetch_", "find_", "all_")


def _noun(expression: cst.BaseExpression) -> str | None:
    """What a loop goes over, in words: ``self._audio_files`` -> ``audio files``."""
    node = expression
    while True:
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Name) and func.value in _PASS_THROUGH and node.args:
                node = node.args[0].value  # enumerate(xs), sorted(xs), zip(xs, ...)
            elif isinstance(func, cst.Attribute) and func.attr.value in _VIEWS:
                node = func.value  # inputs.items()
            elif isinstance(func, cst.Attribute):
                return _words(func.attr.value)  # self.load_frames()
            elif isinstance(func, cst.Name) and func.value != "range":
                return _words(func.value)
            else:
                return None
        elif isinstance(node, cst.Subscript):
            index = node.slice[0].slice if len(node.slice) == 1 else None
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                key = index.value.evaluated_value
                return _words(key) if isinstance(key, str) else None
            node = node.value
        elif isinstance(node, cst.Attribute):
            return _words(node.attr.value)
        elif isinstance(node, cst.Name):
            return _words(node.value)
        else:
            return None


def _words(identifier: str) -> str | None:
    name = identifier.strip("_")
    for verb in _VERBS:
        if name.startswith(verb) and len(name) > len(verb):
            name = name[len(verb) :]
            break
    words = name.replace("_", " ").strip()
    return words if words and words.replace(" ", "").isidentifier() else None


def message_for(loop: cst.For) -> str:
    """A message a person would write: ``Processing inputs`` for ``inputs.items()``."""
    noun = _noun(loop.iter)
    return f"Processing {noun}" if noun else "Processing items"


_ENUMERATE = m.Call(func=m.Name("enumerate"), args=[m.Arg(keyword=None, star=""), m.ZeroOrMore()])


def _track_loops(
    statements: Sequence[cst.BaseStatement],
    session: EditSession,
    op: str | None,
) -> list[cst.BaseStatement]:
    """Top-level processing loops iterate through ``track_progress``; nothing else changes.

    ``enumerate(xs)`` becomes ``enumerate(track_progress(xs, ...))`` so the
    total is the length of ``xs`` (an enumerate object has none).
    """
    result: list[cst.BaseStatement] = []
    for statement in statements:
        if not isinstance(statement, cst.For) or not is_processing_loop(statement):
            result.append(statement)
            continue
        iterable = statement.iter
        enumerated = isinstance(iterable, cst.Call) and m.matches(iterable, _ENUMERATE)
        sequence = (
            iterable.args[0].value if isinstance(iterable, cst.Call) and enumerated else iterable
        )
        args = [b.arg(sequence)]
        if op is not None:
            args.append(b.arg(b.name(op)))
            args.append(b.arg(b.string(message_for(statement))))
        else:
            args.append(b.arg(b.string(message_for(statement)), "message"))
        tracked: cst.BaseExpression = session.call(
            b.name(session.api.name("track_progress")), *args
        )
        if isinstance(iterable, cst.Call) and enumerated:
            first, *others = iterable.args
            tracked = iterable.with_changes(args=[first.with_changes(value=tracked), *others])
        session.record("track_progress")
        result.append(statement.with_changes(iter=tracked))
    return result


def _labels(
    session: EditSession, block: str, used: set[str], class_name: str
) -> tuple[cst.BaseExpression, cst.BaseExpression, cst.BaseExpression]:
    """Id, name and type of the block: what ``process`` itself reads, else safe fallbacks."""
    config = session.config
    id_attribute = _first(config.id_attributes, used)
    name_attribute = _first(config.name_attributes, used)
    type_attribute = _first(config.type_attributes, used)

    def safe(attributes: Sequence[str], default: str) -> cst.BaseExpression:
        args = [b.arg(b.name(block)), *(b.arg(b.string(a)) for a in attributes)]
        args.append(b.arg(b.string(default), "default"))
        return b.call(b.name(session.api.name("safe_label")), *args)

    id_source = id_attribute or name_attribute
    level_id = b.dotted(block, id_source) if id_source else safe(config.id_attributes, "block")
    level_name = (
        b.dotted(block, name_attribute)
        if name_attribute
        else safe(config.name_attributes, class_name)
    )
    level_type = b.dotted(block, type_attribute) if type_attribute else b.string(class_name)
    return level_id, level_name, level_type


def _first(candidates: Sequence[str], available: set[str]) -> str | None:
    return next((c for c in candidates if c in available), None)


def instrument_process(
    func: cst.FunctionDef, session: EditSession, module: cst.Module, class_name: str
) -> cst.FunctionDef | None:
    """The instrumented ``process`` method, or None when it has no block parameter.

    Both styles give the same tree: a ``block_execution`` operation, or a
    ``block`` level inside a running one.  A generator is the exception: a
    ``with`` around its body would leave the block current in the consumer
    between items, so it gets ``@tracks("block", ...)``, whose level is
    current only while the generator itself runs.
    """
    data = analysis.data_parameters(func)
    if not data:
        return None
    block = data[0]
    docstring, rest = analysis.split_docstring(b.as_statements(func.body))
    used = analysis.used_attributes(rest, block)
    if analysis.is_generator(func):
        config = session.config
        id_path = _first(config.id_attributes, used) or config.id_attributes[0]
        name_path = _first(config.name_attributes, used) or config.name_attributes[0]
        decorator = cst.Decorator(
            decorator=session.call(
                b.name(session.api.name("tracks")),
                b.arg(b.string("block")),
                b.arg(b.string(f"{block}.{id_path}"), "id_from"),
                b.arg(b.string(f"{block}.{name_path}"), "name_from"),
                b.arg(
                    cst.Dict([cst.DictElement(b.string("block_type"), b.string(class_name))]),
                    "metadata",
                ),
            )
        )
        session.record("@tracks")
        body = [*docstring, *_track_loops(rest, session, None)]
        return func.with_changes(
            decorators=[*func.decorators, decorator],
            body=_replace_body(func.body, body),
        )
    taken = analysis.names_in(func)
    op = analysis.fresh_name(("op", "progress_op"), taken)
    level_id, level_name, level_type = _labels(session, block, used, class_name)
    manager = session.call(
        b.dotted_call(session.api.name("get_progress_context"), "block_execution"),
        b.arg(level_id),
        b.arg(level_name),
        b.arg(level_type, "block_type"),
    )
    session.record("block_execution")
    before = inserted_counts(session.context)["track_progress"]
    body = _track_loops(rest, session, op)
    counted = inserted_counts(session.context)["track_progress"] > before
    wrapped = b.with_block(manager, body, as_name=op if counted else None)
    return func.with_changes(body=_replace_body(func.body, [*docstring, wrapped]))


def _replace_body(suite: cst.BaseSuite, body: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    if isinstance(suite, cst.IndentedBlock):
        return suite.with_changes(body=body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return cst.IndentedBlock(header=suite.trailing_whitespace, body=body)
    return cst.IndentedBlock(body=body)

"""Rewriting the methods of setlist services.

In the method that processes a setlist, the loop over songs is wrapped in a
``setlist_processing`` operation and each song runs in its own ``song``
level; loops over actions (or any configured loop variable) in every method
run each item in a level of its type.  With ``--style decorators`` the loops
iterate over ``track_progress(..., level=...)`` instead and the setlist method
gets ``@tracks.operation``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import libcst as cst
import libcst.matchers as m

from progresstree_codemods import analysis
from progresstree_codemods import builders as b
from progresstree_codemods.edits import EditSession
from progresstree_codemods.loops import LoopTarget, iterates_tracked, loop_target
from progresstree_codemods.targets import child_blocks

_CONTEXT_METHODS = frozenset({"song", "action", "block", "subprocess"})


class _LoopIndex:
    """Where each loop sits (the statements before it) and which loop is the songs loop."""

    def __init__(self, session: EditSession, body: cst.BaseSuite) -> None:
        self.session = session
        self.preceding: dict[cst.For, list[cst.BaseStatement]] = {}
        self.song_loop: cst.For | None = None
        self.tracked = 0
        self._walk(body)

    def _walk(self, suite: cst.BaseSuite) -> None:
        if not isinstance(suite, cst.IndentedBlock):
            return
        for position, statement in enumerate(suite.body):
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(statement, cst.For):
                self.preceding[statement] = list(suite.body[:position])
                target = loop_target(statement, self.session.config)
                if target is not None:
                    self.tracked += 1
                    if self.song_loop is None and target.level_type == "song":
                        self.song_loop = statement
            for block in child_blocks(statement):
                self._walk(block)


def _first(candidates: Sequence[str], available: Collection[str]) -> str | None:
    for candidate in candidates:
        if candidate in available:
            return candidate
    return None


class _LoopRewriter(analysis.OwnScopeOnly, cst.CSTTransformer):
    """Instruments the loops of one method (not those of nested functions)."""

    def __init__(
        self,
        session: EditSession,
        index: _LoopIndex,
        *,
        progress: Callable[[], cst.BaseExpression],
        setlist_id: str | None,
        parameters: Collection[str],
        taken: set[str],
    ) -> None:
        super().__init__()
        self.session = session
        self.index = index
        self.progress = progress
        self.setlist_id = setlist_id
        self.parameters = parameters
        self.taken = taken
        self.changed = False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def leave_For(
        self, original_node: cst.For, updated_node: cst.For
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        target = loop_target(original_node, self.session.config)
        if target is None or iterates_tracked(original_node):
            return updated_node
        self.changed = True
        if self.session.decorators:
            return self._track_loop(original_node, updated_node, target)
        if original_node is self.index.song_loop and self.setlist_id is not None:
            return self._setlist_loop(original_node, updated_node, target)
        return self._level_loop(original_node, updated_node, target)

    # -- context style -------------------------------------------------

    def safe_label_call(self, variable: str, attributes: Sequence[str], default: str) -> cst.Call:
        args = [b.arg(b.name(variable)), *(b.arg(b.string(a)) for a in attributes)]
        args.append(b.arg(b.string(default), "default"))
        return b.call(b.name(self.session.api.name("safe_label")), *args)

    def _labels(
        self, original: cst.For, target: LoopTarget
    ) -> tuple[cst.BaseExpression, cst.BaseExpression]:
        """Id and name: attributes the loop body itself reads, else ``safe_label``."""
        config = self.session.config
        used = analysis.used_attributes(b.as_statements(original.body), target.variable)
        id_attribute = _first(config.id_attributes, used)
        name_attribute = _first(config.name_attributes, used)
        level_id: cst.BaseExpression
        if id_attribute is not None:
            level_id = b.dotted(target.variable, id_attribute)
        elif target.index is not None:
            level_id = b.name(target.index)
        elif name_attribute is not None:
            level_id = b.dotted(target.variable, name_attribute)
        else:
            level_id = self.safe_label_call(
                target.variable, config.id_attributes, target.level_type
            )
        level_name: cst.BaseExpression
        if name_attribute is not None:
            level_name = b.dotted(target.variable, name_attribute)
        else:
            level_name = self.safe_label_call(
                target.variable, config.name_attributes, target.level_type
            )
        return level_id, level_name

    def level_call(
        self, owner: cst.BaseExpression, level_type: str, labels: Sequence[cst.BaseExpression]
    ) -> cst.Call:
        args = [b.arg(label) for label in labels]
        if level_type in _CONTEXT_METHODS:
            return self.session.call(cst.Attribute(value=owner, attr=b.name(level_type)), *args)
        return self.session.call(
            cst.Attribute(value=owner, attr=b.name("level")), b.arg(b.string(level_type)), *args
        )

    def _level_loop(self, original: cst.For, updated: cst.For, target: LoopTarget) -> cst.For:
        manager = self.level_call(
            self.progress(), target.level_type, self._labels(original, target)
        )
        self.session.record(f"{target.level_type} level")
        return updated.with_changes(body=b.wrap_suite(updated.body, manager))

    def setlist_name(
        self, preceding: Sequence[cst.BaseStatement], sequence: cst.BaseExpression
    ) -> cst.BaseExpression:
        """``setlist.name`` when already read, else a ``safe_label`` or a plain ``"Setlist"``.

        Never an f-string of the setlist id: formatting an object runs its
        ``__str__``/``__repr__``, which may raise where the original would not.
        """
        fallback: cst.BaseExpression = b.string("Setlist")
        source = sequence
        if isinstance(sequence, cst.Name):
            assigned = analysis.last_assigned_value(preceding, sequence.value)
            source = assigned if assigned is not None else sequence
        candidate = "setlist"
        root = source
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Name) and root is not source:
            candidate = root.value
        if not analysis.is_bound(preceding, candidate, self.parameters):
            return fallback
        config = self.session.config
        reads = analysis.completed_reads(preceding, candidate)
        attribute = _first(config.name_attributes, reads.attributes)
        if attribute is not None:
            return b.dotted(candidate, attribute)
        args = [b.arg(b.name(candidate)), *(b.arg(b.string(a)) for a in config.name_attributes)]
        args.append(b.arg(fallback, "default"))
        return b.call(b.name(self.session.api.name("safe_label")), *args)

    def _setlist_loop(self, original: cst.For, updated: cst.For, target: LoopTarget) -> cst.With:
        preceding = self.index.preceding.get(original, [])
        op = analysis.fresh_name(("op", "progress_op"), self.taken)
        self.taken.add(op)
        song_ctx = analysis.fresh_name(("song_ctx", "progress_song_ctx"), self.taken)
        self.taken.add(song_ctx)
        setlist_id: cst.BaseExpression = (
            b.name(self.setlist_id)
            if self.setlist_id and self.setlist_id in self.parameters
            else b.string("setlist")
        )
        operation = self.session.call(
            cst.Attribute(value=self.progress(), attr=b.name("setlist_processing")),
            b.arg(setlist_id),
            b.arg(self.setlist_name(preceding, target.sequence)),
        )
        song = self.level_call(b.name(op), "song", self._labels(original, target))
        loop = updated.with_changes(body=b.wrap_suite(updated.body, song, as_name=song_ctx))
        self.session.record("setlist_processing")
        self.session.record("song level")
        wrapper = b.with_block(operation, [loop], as_name=op)
        if not isinstance(target.sequence, cst.Name):
            return wrapper
        sequence = target.sequence.value
        if analysis.len_is_safe(preceding, sequence, self.parameters):
            size = b.call(b.name("len"), b.arg(b.name(sequence)))
        else:
            size = b.call(b.name(self.session.api.name("safe_len")), b.arg(b.name(sequence)))
        set_total = b.statement(self.session.call(b.dotted(op, "set_total"), b.arg(size)))
        inner = wrapper.body
        return wrapper.with_changes(body=inner.with_changes(body=[set_total, *inner.body]))

    # -- decorator style -----------------------------------------------

    def _track_loop(self, original: cst.For, updated: cst.For, target: LoopTarget) -> cst.For:
        config = self.session.config
        args = [b.arg(target.sequence), b.arg(b.string(target.level_type), "level")]
        if target.single_item:
            read = {
                node.attr.value
                for node in m.findall(
                    original.body, m.Attribute(value=m.Name(target.variable), attr=m.Name())
                )
                if isinstance(node, cst.Attribute)
            }
            id_attribute = _first(config.id_attributes, read)
            name_attribute = _first(config.name_attributes, read)
            if id_attribute is not None:
                args.append(b.arg(b.string(id_attribute), "id_from"))
            if name_attribute is not None:
                args.append(b.arg(b.string(name_attribute), "name_from"))
        tracked = self.session.call(b.name(self.session.api.name("track_progress")), *args)
        self.session.record(f"track_progress(level={target.level_type!r})")
        iterable = updated.iter
        if target.enumerated and isinstance(iterable, cst.Call):
            first, *rest = iterable.args
            return updated.with_changes(
                iter=iterable.with_changes(args=[first.with_changes(value=tracked), *rest])
            )
        return updated.with_changes(iter=tracked)


def instrument_loops(
    func: cst.FunctionDef,
    session: EditSession,
    *,
    progress: Callable[[], cst.BaseExpression],
    setlist_method: bool,
) -> tuple[cst.FunctionDef, bool]:
    """Instrument the loops of a service method; (new function, songs loop found)."""
    index = _LoopIndex(session, func.body)
    if not index.tracked:
        return func, False
    data = analysis.data_parameters(func)
    rewriter = _LoopRewriter(
        session,
        index,
        progress=progress,
        setlist_id=(data[0] if data else "") if setlist_method else None,
        parameters=analysis.all_parameter_names(func),
        taken=analysis.names_in(func),
    )
    body = func.body.visit(rewriter)
    if not rewriter.changed or not isinstance(body, cst.BaseSuite):
        return func, False
    return func.with_changes(body=body), setlist_method and index.song_loop is not None


def _song_assignment(statement: cst.BaseStatement, session: EditSession) -> str | None:
    """``song = queue.pop(0)``: the song variable a statement binds, else None."""
    if not m.matches(
        statement, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])
    ):
        return None
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    assert isinstance(small, cst.Assign)
    target = small.targets[0].target
    assert isinstance(target, cst.Name)
    return target.value if session.config.level_for(target.value) == "song" else None


def _while_loops(suite: cst.BaseSuite) -> list[tuple[cst.While, list[cst.BaseStatement]]]:
    """Every ``while`` of a block (outside nested functions), with the statements before it."""
    found: list[tuple[cst.While, list[cst.BaseStatement]]] = []
    if not isinstance(suite, cst.IndentedBlock):
        return found
    for position, statement in enumerate(suite.body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(statement, cst.While):
            found.append((statement, list(suite.body[:position])))
        for block in child_blocks(statement):
            found.extend(_while_loops(block))
    return found


class _ReplaceWhile(cst.CSTTransformer):
    def __init__(self, old: cst.While, new: cst.BaseStatement) -> None:
        super().__init__()
        self.old, self.new = old, new

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> cst.BaseStatement:
        return self.new if original_node is self.old else updated_node


def instrument_while_songs(
    func: cst.FunctionDef,
    session: EditSession,
    *,
    progress: Callable[[], cst.BaseExpression],
) -> cst.FunctionDef | None:
    """Songs taken one by one in a ``while`` loop (``song = queue.pop(0)``).

    The ``while`` runs inside the ``setlist_processing`` operation and the rest
    of its body, after the song is taken, inside the song's level.  None when
    no ``while`` of the method binds a song variable at the top of its body.
    """
    for loop, preceding in _while_loops(func.body):
        body = b.as_statements(loop.body)
        found = [
            (position, variable)
            for position, statement in enumerate(body)
            if (variable := _song_assignment(statement, session)) is not None
        ]
        if not found:
            continue
        position, variable = found[0]
        data = analysis.data_parameters(func)
        parameters = analysis.all_parameter_names(func)
        taken = analysis.names_in(func)
        rewriter = _LoopRewriter(
            session,
            _LoopIndex(session, cst.IndentedBlock(body=[])),
            progress=progress,
            setlist_id=data[0] if data else "",
            parameters=parameters,
            taken=taken,
        )
        op = analysis.fresh_name(("op", "progress_op"), taken)
        song_ctx = analysis.fresh_name(("song_ctx", "progress_song_ctx"), taken)
        rest = body[position + 1 :]
        used = analysis.used_attributes(rest, variable)
        config = session.config
        id_attribute = _first(config.id_attributes, used) or _first(config.name_attributes, used)
        name_attribute = _first(config.name_attributes, used)
        level_id = (
            b.dotted(variable, id_attribute)
            if id_attribute
            else rewriter.safe_label_call(variable, config.id_attributes, "song")
        )
        level_name = (
            b.dotted(variable, name_attribute)
            if name_attribute
            else rewriter.safe_label_call(variable, config.name_attributes, "song")
        )
        song = rewriter.level_call(b.name(op), "song", [level_id, level_name])
        new_body = [*body[: position + 1], b.with_block(song, rest, as_name=song_ctx)]
        setlist_id: cst.BaseExpression = b.name(data[0]) if data else b.string("setlist")
        operation = session.call(
            cst.Attribute(value=progress(), attr=b.name("setlist_processing")),
            b.arg(setlist_id),
            b.arg(rewriter.setlist_name(preceding, b.name("songs"))),
        )
        new_loop = loop.with_changes(body=loop.body.with_changes(body=new_body))
        wrapper = b.with_block(operation, [new_loop], as_name=op)
        session.record("setlist_processing")
        session.record("song level")
        result = func.visit(_ReplaceWhile(loop, wrapper))
        assert isinstance(result, cst.FunctionDef)
        return result
    return None

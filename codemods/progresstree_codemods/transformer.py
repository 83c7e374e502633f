"""The transformation shared by every command: find target classes, edit methods.

Commands differ only in which kinds of classes they edit (setlist services,
block processors, or both); this module holds the visitor they all run.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import re
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import Codemod, CodemodContext, SkipFile, VisitorBasedCodemodCommand

from progresstree_codemods import analysis
from progresstree_codemods import builders as b
from progresstree_codemods.api import ApiNames
from progresstree_codemods.blocks import instrument_process
from progresstree_codemods.config import CodemodConfig, add_config_args, resolve_config
from progresstree_codemods.edits import EditSession, inserted_counts
from progresstree_codemods.imports import FIRST_PARTY_KEY, add_imports
from progresstree_codemods.loops import iter_loops, loop_target
from progresstree_codemods.setlist import instrument_loops, instrument_while_songs
from progresstree_codemods.targets import BLOCK, SETLIST, TargetIndex

SOURCE_KEY = "progresstree_codemods.source"
"""``context.scratch`` key of the module's source text, when the caller has it at hand."""
NOTHING_TO_DO = "no setlist service or block processor to instrument"
_UNDECORATED: set[type[VisitorBasedCodemodCommand]] = set()


@dataclasses.dataclass
class _ClassState:
    kind: str | None
    name: str
    may_set_attribute: bool
    """False when ``self._progress = ...`` could fail (``__slots__``, generated ``__init__``)."""
    has_progress: bool
    uses_self_progress: bool = False


def _defines(cls: cst.ClassDef, names: set[str]) -> bool:
    if not isinstance(cls.body, cst.IndentedBlock):
        return False
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value in names:
            return True
        if m.matches(
            statement,
            m.SimpleStatementLine(
                body=[
                    m.Assign(
                        targets=[m.AssignTarget(target=m.Name(m.MatchIfTrue(names.__contains__)))]
                    )
                    | m.AnnAssign(target=m.Name(m.MatchIfTrue(names.__contains__)))
                ]
            ),
        ):
            return True
    return False


_SETS_PROGRESS = m.SimpleStatementLine(
    body=[
        m.ZeroOrMore(),
        m.Assign(targets=[m.AssignTarget(target=m.Attribute(attr=m.Name("_progress")))]),
        m.ZeroOrMore(),
    ]
)


def _progress_assigned(cls: cst.ClassDef) -> bool:
    """Whether ``__init__`` (or the class body) already sets ``_progress``."""
    if _defines(cls, {"_progress"}):
        return True
    for statement in b.as_statements(cls.body):
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            return any(m.matches(s, _SETS_PROGRESS) for s in b.as_statements(statement.body))
    return False


def _has_mapped_loop(func: cst.FunctionDef, config: CodemodConfig) -> bool:
    return any(loop_target(loop, config) is not None for loop in iter_loops(func.body))


class InstrumentTransformer(VisitorBasedCodemodCommand):
    """Base of the commands; subclasses choose the kinds of classes they edit."""

    DESCRIPTION = "Instrument setlist services and block processors with progresstree."
    KINDS: frozenset[str] = frozenset({SETLIST, BLOCK})

    def __init__(
        self,
        context: CodemodContext,
        style: str | None = None,
        setlist_suffix: Sequence[str] | None = None,
        setlist_method: Sequence[str] | None = None,
        block_base: Sequence[str] | None = None,
        block_method: Sequence[str] | None = None,
        level: Sequence[tuple[str, str]] | None = None,
        config: str | None = None,
        settings: CodemodConfig | None = None,
    ) -> None:
        cls = type(self)
        if cls in _UNDECORATED:
            # libcst's matcher-decorator discovery walks the ~4000 visitor methods
            # with dir() on every instance, which costs more than parsing a small
            # file; a class without matcher decorators needs it only once.
            Codemod.__init__(self, context)
            cst.CSTTransformer.__init__(self)
            self._extra_visit_funcs = {}
            self._extra_leave_funcs = {}
            self._matchers = {}
        else:
            super().__init__(context)
            if not (self._extra_visit_funcs or self._extra_leave_funcs or self._matchers):
                _UNDECORATED.add(cls)
        self.config = settings or resolve_config(
            style=style,
            setlist_suffix=setlist_suffix,
            setlist_method=setlist_method,
            block_base=block_base,
            block_method=block_method,
            level=level,
            config=config,
        )
        self._targets: TargetIndex | None = None
        self._tree: cst.Module | None = None
        self._code: str | None = None
        self._session: EditSession | None = None
        self._classes: list[_ClassState] = []
        self._left_alone: collections.Counter[str] = collections.Counter()

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        add_config_args(arg_parser)

    # -- entry point ---------------------------------------------------

    def transform_module(self, tree: cst.Module) -> cst.Module:
        targets = TargetIndex(tree, self.config)
        if SETLIST not in self.KINDS:
            targets.setlist_names.clear()
        if BLOCK not in self.KINDS:
            targets.block_names.clear()
        if not targets:
            raise SkipFile(NOTHING_TO_DO)
        self._targets = targets
        self._tree = tree
        self._code = None
        inserted_counts(self.context)
        # The visitor needs no metadata wrapper (and its deep copy of the tree):
        # positions are computed only when a warning needs a line number.
        result = add_imports(self.context, tree.visit(self))
        if not sum(inserted_counts(self.context).values()):
            reasons = ", ".join(f"{n} {r}" for r, n in sorted(self._left_alone.items()))
            raise SkipFile(f"nothing to instrument ({reasons})" if reasons else NOTHING_TO_DO)
        return result

    def visit_Module(self, node: cst.Module) -> None:
        self.context.scratch[FIRST_PARTY_KEY] = self.config.known_first_party
        api = ApiNames(node, self.context)
        self._session = EditSession(
            self.config, api, self.context, self.warn, indent=node.default_indent
        )

    @property
    def session(self) -> EditSession:
        if self._session is None:
            msg = f"{type(self).__name__}.session used outside transform_module()"
            raise RuntimeError(msg)
        return self._session

    # -- classes -------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        kind = self._targets.kind(node) if self._targets is not None else None
        may_set = not _defines(node, {"__slots__"}) and (
            not node.decorators or _defines(node, {"__init__"})
        )
        self._classes.append(_ClassState(kind, node.name.value, may_set, _progress_assigned(node)))

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        state = self._classes.pop()
        if state.uses_self_progress and not state.has_progress:
            return self._add_progress_attribute(updated_node)
        return updated_node

    def _add_progress_attribute(self, cls: cst.ClassDef) -> cst.ClassDef:
        body = list(b.as_statements(cls.body))
        factory = self.session.api.name("get_progress_context")
        for position, statement in enumerate(body):
            if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
                body[position] = _append_to_init(statement, factory)
                self.session.record("__init__ assignment")
                break
        else:
            init = cst.parse_statement(
                "def __init__(self, *args, **kwargs):\n"
                "    super().__init__(*args, **kwargs)\n"
                f"    self._progress = {factory}()\n"
            )
            position = next(
                (i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)), len(body)
            )
            if position < len(body):
                first = body[position]
                if isinstance(first, cst.FunctionDef):
                    lines = list(first.leading_lines)
                    blank = 0
                    while blank < len(lines) and lines[blank].comment is None:
                        blank += 1
                    init = init.with_changes(leading_lines=lines[:blank])
                    body[position] = first.with_changes(
                        leading_lines=[cst.EmptyLine(indent=False), *lines[blank:]]
                    )
            else:
                init = init.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
            body.insert(position, init)
            self.session.record("__init__ method")
        if isinstance(cls.body, cst.IndentedBlock):
            return cls.with_changes(body=cls.body.with_changes(body=body))
        return cls.with_changes(body=cst.IndentedBlock(body=body))

    # -- methods -------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        # Imports, assignments and docstrings of modules and class bodies are
        # never edited: not walking their expressions saves a good part of
        # the walk on files with targets.
        return False

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if not self._classes or self._classes[-1].kind is None:
            return updated_node
        state = self._classes[-1]
        config = self.config
        name = original_node.name.value
        if state.kind == BLOCK:
            if name not in config.block_methods:
                return updated_node
            if not self._may_edit(original_node, state):
                return updated_node
            module = self._tree if self._tree is not None else cst.Module(body=[])
            result = instrument_process(updated_node, self.session, module, state.name)
            if result is None:
                self._leave_alone(original_node, state, "it takes no block parameter")
                return updated_node
            return result
        if name.startswith("__") and name.endswith("__"):
            return updated_node
        setlist_method = name in config.setlist_methods
        if not setlist_method and not _has_mapped_loop(original_node, config):
            return updated_node
        if not self._may_edit(original_node, state):
            return updated_node
        return self._instrument_service_method(updated_node, state, setlist_method)

    def _instrument_service_method(
        self, func: cst.FunctionDef, state: _ClassState, setlist_method: bool
    ) -> cst.FunctionDef:
        session = self.session
        parameters = analysis.parameter_names(func)
        instance_method = (
            bool(parameters)
            and not analysis.is_static(func)
            and not any(analysis.decorator_name(d) == "classmethod" for d in func.decorators)
        )
        via_self = instance_method and state.may_set_attribute and not session.decorators

        def progress() -> cst.BaseExpression:
            """Where context-style levels are opened from (imports only when used)."""
            if via_self:
                return b.dotted(parameters[0], "_progress")
            return session.call(b.name(session.api.name("get_progress_context")))

        result, songs_loop = instrument_loops(
            func, session, progress=progress, setlist_method=setlist_method
        )
        if setlist_method and not songs_loop:
            in_while = None
            if not session.decorators:
                in_while = instrument_while_songs(result, session, progress=progress)
            if in_while is not None:
                result = in_while
            elif session.decorators and m.findall(func.body, m.While()):
                result = self._add_operation_decorator(result)
                self.warn(
                    f"{self._where(func, state)}: songs are taken in a while loop; "
                    "the method is an operation but songs get no levels in decorator style"
                )
            elif m.findall(func.body, m.While()):
                self.warn(
                    f"{self._where(func, state)}: songs are taken in a while loop; "
                    "no setlist operation or song levels added (wrap the loop in "
                    "setlist_processing by hand)"
                )
            else:
                self.warn(f"{self._where(func, state)}: no loop over songs found")
        if result is func:
            return func
        if via_self:
            state.uses_self_progress = True
        if session.decorators and songs_loop:
            result = self._add_operation_decorator(result)
        return result

    def _add_operation_decorator(self, func: cst.FunctionDef) -> cst.FunctionDef:
        session = self.session
        data = analysis.data_parameters(func)
        args = [b.arg(b.string("setlist_processing"))]
        if data:
            args.append(b.arg(b.string(data[0]), "id_from"))
        tracks = cst.Attribute(value=b.name(session.api.name("tracks")), attr=b.name("operation"))
        decorator = cst.Decorator(decorator=session.call(tracks, *args))
        session.record("@tracks.operation")
        return func.with_changes(decorators=[*func.decorators, decorator])

    def _may_edit(self, func: cst.FunctionDef, state: _ClassState) -> bool:
        if analysis.is_abstract(func):
            self._leave_alone(func, state, "abstract method")
            return False
        if analysis.is_stub_body(func):
            self._leave_alone(func, state, "stub body")
            return False
        if analysis.uses_progress_api(func, self.session.api.existing()):
            self._leave_alone(func, state, "already instrumented")
            return False
        idiom = analysis.progress_idiom(func, self.config.progress_idioms)
        if idiom is not None:
            self._leave_alone(func, state, "already instrumented", f" (uses {idiom})")
            return False
        return True

    def _where(self, func: cst.FunctionDef, state: _ClassState) -> str:
        """``line N: Class.method`` for warnings.

        The line is found in the rendered module (rendering is cheap) rather
        than through libcst's position metadata, which costs more than parsing
        the file again.
        """
        if self._code is None and self._tree is not None:
            source = self.context.scratch.get(SOURCE_KEY)
            self._code = source if isinstance(source, str) else self._tree.code
        line = _line_of(self._code or "", state.name, func) if self._code else None
        prefix = f"line {line}: " if line is not None else ""
        return f"{prefix}{state.name}.{func.name.value}"

    def _leave_alone(
        self, func: cst.FunctionDef, state: _ClassState, reason: str, detail: str = ""
    ) -> None:
        self._left_alone[reason] += 1
        self.warn(f"{self._where(func, state)} left alone: {reason}{detail}")


def _line_of(code: str, class_name: str, func: cst.FunctionDef) -> int | None:
    """Line of the ``def`` of ``func`` in class ``class_name`` of ``code``."""
    owner = re.search(rf"^[ \t]*class[ \t]+{re.escape(class_name)}\b", code, re.MULTILINE)
    if owner is None:
        return None
    keyword = r"async[ \t]+def" if func.asynchronous is not None else "def"
    pattern = rf"^[ \t]*{keyword}[ \t]+{re.escape(func.name.value)}\b"
    found = re.compile(pattern, re.MULTILINE).search(code, owner.end())
    if found is None:
        return None
    return code.count("\n", 0, found.start()) + 1


def _append_to_init(init: cst.FunctionDef, factory: str) -> cst.FunctionDef:
    """``self._progress = factory()`` as the last statement of ``__init__``."""
    parameters = analysis.parameter_names(init)
    owner = parameters[0] if parameters else "self"
    assignment = cst.parse_statement(f"{owner}._progress = {factory}()\n")
    statements = b.as_statements(init.body)
    if statements and m.matches(statements[-1], m.SimpleStatementLine(body=[m.Return(value=None)])):
        statements.insert(len(statements) - 1, assignment)
    else:
        statements.append(assignment)
    if isinstance(init.body, cst.IndentedBlock):
        return init.with_changes(body=init.body.with_changes(body=statements))
    return init.with_changes(body=cst.IndentedBlock(body=statements))

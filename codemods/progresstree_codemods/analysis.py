"""Read-only questions about legacy code, answered on the concrete syntax tree.

The codemod promises never to introduce a new way to fail.  That promise rests
on the questions answered here: which attributes of a variable the legacy code
already reads on every pass through a block (so reading them a moment earlier
cannot raise where the original would not), whether ``len()`` of a name is
known to work, and which functions must be left alone (stubs, abstract
methods, code that already reports progress).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Collection, Iterable, Sequence

import libcst as cst
import libcst.matchers as m

_ABSTRACT_DECORATORS = frozenset({"abstractmethod", "abstractproperty", "overload"})
_SAFE_LEN_FACTORIES = frozenset({"list", "tuple", "sorted", "dict", "set", "frozenset"})
_SIZED_DISPLAYS = (cst.List, cst.Tuple, cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp)

# Names that mark a function as already reporting progress through progresstree.
# The application's own idioms are configured (``CodemodConfig.progress_idioms``).
PROGRESS_API_NAMES = frozenset(
    {
        "get_progress_context",
        "get_progress_store",
        "track_progress",
        "tracks",
        "current_level",
        "safe_label",
        "safe_len",
    }
)
_IDIOM_STRING_LIMIT = 64


class OwnScopeOnly:
    """Visitor mixin: do not descend into nested functions and classes.

    Their bodies run at another time (or never), so what they read, bind or
    call says nothing about the code being analysed.
    """

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def is_docstring(statement: cst.BaseStatement) -> bool:
    return m.matches(
        statement,
        m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]),
    )


def split_docstring(
    body: Sequence[cst.BaseStatement],
) -> tuple[list[cst.BaseStatement], list[cst.BaseStatement]]:
    """(docstring statements, the rest) of a function body."""
    if body and is_docstring(body[0]):
        return [body[0]], list(body[1:])
    return [], list(body)


_STUB_SMALL = (
    m.Pass()
    | m.Expr(value=m.Ellipsis())
    | m.Raise(exc=m.Name("NotImplementedError") | m.Call(func=m.Name("NotImplementedError")))
)


def is_stub_body(func: cst.FunctionDef) -> bool:
    """True for bodies made only of a docstring, ``pass``, ``...`` or NotImplementedError."""
    body = func.body
    if isinstance(body, cst.SimpleStatementSuite):
        return all(m.matches(s, _STUB_SMALL) for s in body.body)
    if not isinstance(body, cst.IndentedBlock):
        return False
    _, rest = split_docstring(body.body)
    for statement in rest:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        if not all(m.matches(s, _STUB_SMALL) for s in statement.body):
            return False
    return True


def decorator_name(decorator: cst.Decorator) -> str:
    """Last dotted component of a decorator (``abc.abstractmethod`` -> ``abstractmethod``)."""
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return ""


def is_abstract(func: cst.FunctionDef) -> bool:
    return any(decorator_name(d) in _ABSTRACT_DECORATORS for d in func.decorators)


class _FunctionFacts(cst.CSTVisitor):
    """One pass over a function: every name spelled, the names it binds, ``._progress`` use."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.local: set[str] = set()
        self.strings: set[str] = set()
        self.called: set[str] = set()
        self.progress_attribute = False

    def _bind(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.local.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "_progress":
            self.progress_attribute = True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if len(node.value) <= _IDIOM_STRING_LIMIT:
            value = node.evaluated_value
            if isinstance(value, str):
                self.strings.add(value)

    def visit_Call(self, node: cst.Call) -> None:
        dotted = dotted_name(node.func)
        if dotted is not None:
            self.called.add(dotted)

    def visit_Param(self, node: cst.Param) -> None:
        self.local.add(node.name.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)


@functools.lru_cache(maxsize=64)
def _facts(func: cst.FunctionDef) -> _FunctionFacts:
    facts = _FunctionFacts()
    func.visit(facts)
    return facts


def uses_progress_api(func: cst.FunctionDef, extra_names: Iterable[str] = ()) -> bool:
    """Whether ``func`` already reports progress (progresstree or reference helpers).

    A parameter or local variable that merely shares a name with the API
    (``def play(self, tracks)``) does not count.
    """
    facts = _facts(func)
    if facts.progress_attribute:
        return True
    api = PROGRESS_API_NAMES.union(extra_names)
    return bool((facts.names & api) - facts.local)


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def progress_idiom(func: cst.FunctionDef, patterns: Sequence[str]) -> str | None:
    """The first sign that ``func`` reports progress its own way, or None.

    ``patterns`` (fnmatch) are checked against identifiers, short string
    literals and dotted call names (see ``CodemodConfig.progress_idioms``).
    """
    facts = _facts(func)
    for pattern in patterns:
        for found in (facts.names, facts.strings, facts.called):
            matched = fnmatch.filter(sorted(found), pattern)
            if matched:
                return matched[0]
    return None


def names_in(func: cst.FunctionDef) -> set[str]:
    """Every identifier spelled inside ``func`` (to pick names that collide with none)."""
    return set(_facts(func).names)


def fresh_name(preferred: Sequence[str], taken: Collection[str]) -> str:
    """The first of ``preferred`` not in ``taken``, else the last one with a number."""
    for name in preferred:
        if name not in taken:
            return name
    index = 2
    while f"{preferred[-1]}_{index}" in taken:
        index += 1
    return f"{preferred[-1]}_{index}"


class _UnconditionalReads(cst.CSTVisitor):
    """Collect ``var.attr`` loads that are evaluated whenever their statement runs.

    Sub-expressions that may be skipped (the right side of ``and``/``or``, the
    branches of ``x if c else y``, lambdas, comprehensions) are not entered.
    """

    def __init__(self, variable: str) -> None:
        self.variable = variable
        self.attributes: set[str] = set()
        self.calls: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if isinstance(node.value, cst.Name) and node.value.value == self.variable:
            self.attributes.add(node.attr.value)
        return True

    def visit_Call(self, node: cst.Call) -> bool:
        if len(node.args) == 1 and isinstance(node.func, cst.Name):
            argument = node.args[0]
            if m.matches(argument, m.Arg(value=m.Name(self.variable), keyword=None, star="")):
                self.calls.add(node.func.value)
        return True

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> bool:
        node.left.visit(self)
        return False

    def visit_IfExp(self, node: cst.IfExp) -> bool:
        node.test.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return False

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return False

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return False

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        # ``song.id = x`` stores; only subscripts/attributes *inside* the target load.
        return not isinstance(node.target, cst.Attribute)


class _JumpFinder(OwnScopeOnly, cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Return(self, node: cst.Return) -> None:
        self.found = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self.found = True

    def visit_Continue(self, node: cst.Continue) -> None:
        self.found = True

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True


@functools.lru_cache(maxsize=256)
def _may_jump(node: cst.CSTNode) -> bool:
    finder = _JumpFinder()
    node.visit(finder)
    return finder.found


class _StoreFinder(cst.CSTVisitor):
    def __init__(self, variable: str) -> None:
        self.variable = variable
        self.found = False

    def _check(self, target: cst.CSTNode) -> None:
        """Names in binding position only: ``x[song.id] = ...`` does not rebind ``song``."""
        if isinstance(target, cst.Name):
            if target.value == self.variable:
                self.found = True
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._check(element.value)
        elif isinstance(target, cst.StarredElement):
            self._check(target.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._check(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._check(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._check(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._check(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._check(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._check(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == self.variable:
            self.found = True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if node.name.value == self.variable:
            self.found = True
        return False


@functools.lru_cache(maxsize=1024)
def stores(node: cst.CSTNode, variable: str) -> bool:
    """Whether ``node`` (re)binds ``variable`` anywhere."""
    finder = _StoreFinder(variable)
    node.visit(finder)
    return finder.found


def _headers(statement: cst.BaseStatement) -> list[cst.CSTNode]:
    """The parts of a statement that run every time the statement itself runs."""
    if isinstance(statement, cst.SimpleStatementLine):
        return list(statement.body)
    if isinstance(statement, (cst.If, cst.While)):
        return [statement.test]
    if isinstance(statement, cst.For):
        return [statement.iter]
    if isinstance(statement, cst.With):
        return [item.item for item in statement.items]
    if isinstance(statement, cst.Match):
        return [statement.subject]
    return []


class Reads:
    """What a straight run of statements is known to evaluate on a variable."""

    def __init__(self) -> None:
        self.attributes: set[str] = set()
        self.calls: set[str] = set()


_LEAVING_OR_BINDING = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def leading_reads(statements: Sequence[cst.BaseStatement], variable: str) -> Reads:
    """Reads of ``variable`` that happen on *every* run of ``statements``.

    Scanning stops at the first statement that may leave the block early
    (``return``, ``raise``, ``continue``, ``break``) or that rebinds the
    variable, since what follows may then not run, or may see another object.
    """
    reads = Reads()
    for statement in statements:
        collector = _UnconditionalReads(variable)
        for part in _headers(statement):
            part.visit(collector)
        reads.attributes |= collector.attributes
        reads.calls |= collector.calls
        if isinstance(statement, cst.SimpleStatementLine) and not any(
            isinstance(small, _LEAVING_OR_BINDING) for small in statement.body
        ):
            if stores(statement, variable):
                break
            continue
        if _may_jump(statement) or stores(statement, variable):
            break
    return reads


class _AnywhereReads(OwnScopeOnly, _UnconditionalReads):
    """``var.attr`` loads anywhere in a block, and whether the code guards ``var``.

    Branches count (a method that reads ``block.name`` in one branch shows
    that blocks have names), but not code that expects the read may fail: a
    ``try`` with handlers, ``hasattr``/``getattr`` on the variable, or a test
    of the variable itself (``if song``, ``song is None``, ``song and ...``).
    """

    def __init__(self, variable: str) -> None:
        super().__init__(variable)
        self.guarded = False

    def _is_variable(self, node: cst.BaseExpression) -> bool:
        while isinstance(node, cst.UnaryOperation):
            node = node.expression
        if isinstance(node, cst.Comparison):
            node = node.left
        return isinstance(node, cst.Name) and node.value == self.variable

    def visit_If(self, node: cst.If) -> bool:
        if self._is_variable(node.test):
            self.guarded = True
        return True

    def visit_While(self, node: cst.While) -> bool:
        if self._is_variable(node.test):
            self.guarded = True
        return True

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> bool:
        if self._is_variable(node.left) or self._is_variable(node.right):
            self.guarded = True
        return super().visit_BooleanOperation(node)

    def visit_IfExp(self, node: cst.IfExp) -> bool:
        if self._is_variable(node.test):
            self.guarded = True
        return super().visit_IfExp(node)

    def visit_Call(self, node: cst.Call) -> bool:
        if (
            isinstance(node.func, cst.Name)
            and node.func.value in {"hasattr", "getattr"}
            and node.args
            and self._is_variable(node.args[0].value)
        ):
            self.guarded = True
        return super().visit_Call(node)

    def visit_Try(self, node: cst.Try) -> bool:
        if not node.handlers:
            node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        if node.finalbody is not None:
            node.finalbody.visit(self)
        return False


def used_attributes(statements: Sequence[cst.BaseStatement], variable: str) -> set[str]:
    """Attributes of ``variable`` the code itself reads in ``statements``.

    Empty when the code guards the variable or rebinds it (the reads may then
    concern another object, or be expected to fail).
    """
    collector = _AnywhereReads(variable)
    for statement in statements:
        if stores(statement, variable):
            return set()
        statement.visit(collector)
    return set() if collector.guarded else collector.attributes


def completed_reads(statements: Sequence[cst.BaseStatement], variable: str) -> Reads:
    """Reads of ``variable`` that have certainly happened once ``statements`` finished.

    A rebinding of the variable forgets what was read before it.
    """
    reads = Reads()
    for statement in statements:
        if stores(statement, variable):
            reads = Reads()
            if not _is_plain_assignment_to(statement, variable):
                continue
        collector = _UnconditionalReads(variable)
        for part in _headers(statement):
            part.visit(collector)
        reads.attributes |= collector.attributes
        reads.calls |= collector.calls
    return reads


def _is_plain_assignment_to(statement: cst.BaseStatement, variable: str) -> bool:
    return m.matches(
        statement,
        m.SimpleStatementLine(
            body=[
                m.Assign(targets=[m.AssignTarget(target=m.Name(variable))])
                | m.AnnAssign(target=m.Name(variable), value=m.DoNotCare())
            ]
        ),
    )


def last_assigned_value(
    statements: Sequence[cst.BaseStatement], variable: str
) -> cst.BaseExpression | None:
    """The value of the last plain ``variable = value`` among ``statements``.

    None when the variable is not bound by a plain assignment there, or when a
    later statement may rebind it in another way.
    """
    value: cst.BaseExpression | None = None
    for statement in statements:
        if _is_plain_assignment_to(statement, variable) and isinstance(
            statement, cst.SimpleStatementLine
        ):
            small = statement.body[0]
            if isinstance(small, (cst.Assign, cst.AnnAssign)):
                value = small.value
        elif stores(statement, variable):
            value = None
    return value


def is_bound(
    statements: Sequence[cst.BaseStatement], variable: str, parameters: Collection[str]
) -> bool:
    """Whether ``variable`` is surely bound after ``statements`` ran."""
    return variable in parameters or last_assigned_value(statements, variable) is not None


def len_is_safe(
    statements: Sequence[cst.BaseStatement], variable: str, parameters: Collection[str]
) -> bool:
    """Whether ``len(variable)`` is known to work after ``statements`` ran.

    True when the code already evaluated ``len(variable)`` on the same object,
    or when the variable was built by a list/tuple/dict/set display,
    comprehension or a call to the builtin ``list``/``sorted``/... constructors.
    """
    if "len" in completed_reads(statements, variable).calls:
        return True
    value = last_assigned_value(statements, variable)
    if value is None:
        return False
    if isinstance(value, _SIZED_DISPLAYS):
        return True
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in _SAFE_LEN_FACTORIES
        and value.func.value not in parameters
    )


def parameter_names(func: cst.FunctionDef) -> list[str]:
    """Positional-or-keyword parameter names, in order (``self``/``cls`` included)."""
    params = func.params
    return [p.name.value for p in (*params.posonly_params, *params.params)]


def all_parameter_names(func: cst.FunctionDef) -> set[str]:
    params = func.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    if isinstance(params.star_arg, cst.Param):
        names.add(params.star_arg.name.value)
    if params.star_kwarg is not None:
        names.add(params.star_kwarg.name.value)
    return names


class _YieldFinder(OwnScopeOnly, cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found = True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def is_generator(func: cst.FunctionDef) -> bool:
    """Whether ``func`` yields (a generator or an async generator)."""
    finder = _YieldFinder()
    func.body.visit(finder)
    return finder.found


def is_static(func: cst.FunctionDef) -> bool:
    return any(decorator_name(d) == "staticmethod" for d in func.decorators)


def data_parameters(func: cst.FunctionDef) -> list[str]:
    """Parameters after ``self``/``cls`` (all of them for a staticmethod)."""
    names = parameter_names(func)
    return names if is_static(func) else names[1:]

"""Recognising the loops the codemod instruments, from their target variables.

``for song in songs``, ``for i, action in enumerate(actions)`` and
``for name, hook in hooks.items()`` all name the item they iterate over; the
configured loop-variable patterns map that name to a level type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst
import libcst.matchers as m

from progresstree_codemods.config import CodemodConfig
from progresstree_codemods.targets import child_blocks
from progresstree_codemods.work import is_processing_loop

_ENUMERATE = m.Call(
    func=m.Name("enumerate"),
    args=[m.Arg(keyword=None, star=""), m.ZeroOrMore(m.Arg(star=""))],
)


@dataclasses.dataclass(frozen=True)
class LoopTarget:
    """An instrumentable loop: which variable, which level, over which sequence."""

    variable: str
    level_type: str
    index: str | None
    """The counter of ``for i, item in enumerate(...)`` (a safe id), else None."""
    sequence: cst.BaseExpression
    """What the items come from: the loop's iterable, or enumerate's first argument."""
    enumerated: bool
    single_item: bool
    """True when the loop variable is the whole item (paths like ``"id"`` apply)."""


def _names(target: cst.BaseExpression) -> list[str] | None:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names = []
        for element in target.elements:
            if not isinstance(element, cst.Element) or not isinstance(element.value, cst.Name):
                return None
            names.append(element.value.value)
        return names
    return None


def loop_target(loop: cst.For, config: CodemodConfig) -> LoopTarget | None:
    """The instrumentable loop variable of ``loop``, or None when there is none.

    Only processing loops count (see :mod:`progresstree_codemods.work`).
    """
    target = _named_target(loop, config)
    if target is None or not is_processing_loop(loop):
        return None
    return target


def _named_target(loop: cst.For, config: CodemodConfig) -> LoopTarget | None:
    """The loop variable that names a configured level (cheap: names only)."""
    names = _names(loop.target)
    if not names:
        return None
    if isinstance(loop.target, cst.Name):
        variable = names[0]
        level = config.level_for(variable)
        if level is None:
            return None
        return LoopTarget(variable, level, None, loop.iter, False, True)
    if len(names) == 2 and m.matches(loop.iter, _ENUMERATE) and isinstance(loop.iter, cst.Call):
        index, variable = names
        level = config.level_for(variable)
        if level is None:
            return None
        return LoopTarget(variable, level, index, loop.iter.args[0].value, True, True)
    for variable in names:
        level = config.level_for(variable)
        if level is not None:
            return LoopTarget(variable, level, None, loop.iter, False, False)
    return None


def iterates_tracked(loop: cst.For) -> bool:
    """Whether the loop already goes through ``track_progress`` (directly or enumerated)."""
    tracked = m.Call(func=m.Name("track_progress") | m.Attribute(attr=m.Name("track_progress")))
    return m.matches(loop.iter, tracked) or bool(m.findall(loop.iter, tracked))


def iter_loops(suite: cst.BaseSuite) -> Iterator[cst.For]:
    """Every ``for`` statement in a block, outside nested functions and classes.

    Loops are statements, so walking statements (not expressions) finds them all
    at a fraction of the cost of a full visit.
    """
    if not isinstance(suite, cst.IndentedBlock):
        return
    for statement in suite.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(statement, cst.For):
            yield statement
        for block in child_blocks(statement):
            yield from iter_loops(block)

"""Finding the classes the codemod edits, cheaply, before any metadata is computed.

Most files of a large tree contain neither a setlist service nor a block
processor.  Walking only statements (not expressions) answers that question
in a fraction of the parse time, so such files cost little more than parsing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from progresstree_codemods.config import CodemodConfig

SETLIST = "setlist"
BLOCK = "block"


def child_blocks(statement: cst.BaseStatement) -> list[cst.BaseSuite]:
    """The blocks nested directly in a compound statement (none for functions)."""
    if isinstance(statement, cst.Match):
        return [case.body for case in statement.cases]
    if isinstance(statement, (cst.If, cst.While, cst.For, cst.With, cst.ClassDef)):
        blocks = [statement.body]
        orelse = getattr(statement, "orelse", None)
        while orelse is not None:
            blocks.append(orelse.body)
            orelse = getattr(orelse, "orelse", None)
        return blocks
    if isinstance(statement, (cst.Try, cst.TryStar)):
        blocks = [statement.body, *(h.body for h in statement.handlers)]
        if statement.orelse is not None:
            blocks.append(statement.orelse.body)
        if statement.finalbody is not None:
            blocks.append(statement.finalbody.body)
        return blocks
    return []


def iter_classes(statements: Sequence[cst.BaseStatement]) -> Iterator[cst.ClassDef]:
    """Every class defined outside function bodies, in source order."""
    for statement in statements:
        if isinstance(statement, cst.ClassDef):
            yield statement
        for block in child_blocks(statement):
            if isinstance(block, cst.IndentedBlock):
                yield from iter_classes(block.body)


def base_names(cls: cst.ClassDef) -> list[str]:
    """Last component of each base (``pkg.BlockProcessor`` -> ``BlockProcessor``)."""
    names = []
    for base in cls.bases:
        if base.keyword is not None or base.star:
            continue
        value = base.value
        if isinstance(value, cst.Subscript):
            value = value.value
        if isinstance(value, cst.Attribute):
            names.append(value.attr.value)
        elif isinstance(value, cst.Name):
            names.append(value.value)
    return names


class TargetIndex:
    """Which class names of a module are setlist services or block processors."""

    def __init__(self, module: cst.Module, config: CodemodConfig) -> None:
        self.config = config
        classes = list(iter_classes(module.body))
        self.block_names: set[str] = set()
        roots = set(config.block_base_classes)
        changed = True
        while changed:
            changed = False
            for cls in classes:
                name = cls.name.value
                if name in self.block_names:
                    continue
                if roots.intersection(base_names(cls)) or self.block_names.intersection(
                    base_names(cls)
                ):
                    self.block_names.add(name)
                    changed = True
        self.setlist_names = {
            cls.name.value for cls in classes if config.is_setlist_class(cls.name.value)
        }

    def __bool__(self) -> bool:
        return bool(self.block_names or self.setlist_names)

    def kind(self, cls: cst.ClassDef) -> str | None:
        name = cls.name.value
        if name in self.setlist_names:
            return SETLIST
        if name in self.block_names:
            return BLOCK
        return None

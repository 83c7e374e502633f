"""Shared helper of the codemod tests (imported by name: tests have no packages)."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig


def transform(source: str, **settings: object) -> str:
    """``source`` after InstrumentCommand; the source itself when the file is skipped."""
    config = CodemodConfig(**settings)  # type: ignore[arg-type]
    command = InstrumentCommand(CodemodContext(), settings=config)
    try:
        return command.transform_module(cst.parse_module(source)).code
    except SkipFile:
        return source

"""Helpers for the codemod tests: hermetic settings and running a command on text."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
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


@pytest.fixture
def codemod():
    """Run the codemod on dedented source text."""

    def run(source: str, **settings: object) -> str:
        return transform(textwrap.dedent(source), **settings)

    return run

"""Builders of small, finished or half-finished trees for the render tests."""

from __future__ import annotations

import pytest
from rich.console import Console, RenderableType

import progresstree
from progresstree.context import LevelHandle


def text_of(renderable: RenderableType, width: int = 120) -> str:
    """What ``renderable`` looks like on a plain console of ``width`` columns."""
    console = Console(record=True, width=width, color_system=None, file=_Null())
    console.print(renderable)
    return console.export_text()


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def fail_inside(parent: LevelHandle, message: str) -> None:
    """An action whose block raises ``ValueError(message)``, caught outside."""
    try:
        with parent.action("a1", "analyse") as action, action.block("b1", "Pitch"):
            raise ValueError(message)
    except ValueError:
        pass


@pytest.fixture
def progress() -> progresstree.ProgressContext:
    """A context bound to a fresh private store."""
    return progresstree.get_progress_context(progresstree.ProgressEventStore())

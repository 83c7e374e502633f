"""Showing progress: a live rich tree, plain lines, or JSON lines.

Every output is a store listener, so it works on any store (the global one,
a private one, an aggregator's): ::

    import progresstree.render

    with progresstree.render.live():          # a live tree on the terminal
        run_the_job()

    with progresstree.render.plain():          # readable lines, for logs
        run_the_job()

    with progresstree.render.json_lines():     # one JSON object per event
        run_the_job()

``render_state(state)`` turns one operation into a rich renderable (what the
live view draws), for use in your own rich layouts. rich is imported by this
package only; ``import progresstree`` does not load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO, TypeVar

from ..listeners import Listener
from ..store import ProgressEventStore, get_progress_store
from ._format import fmt_duration
from .jsonl import JsonLinesListener, event_record, folded_record, level_record
from .live import LiveRenderer, live
from .plain import PlainListener
from .tree import TreeOptions, render_bar, render_state, render_states

__all__ = [
    "JsonLinesListener",
    "LiveRenderer",
    "PlainListener",
    "TreeOptions",
    "event_record",
    "folded_record",
    "fmt_duration",
    "json_lines",
    "level_record",
    "listening",
    "live",
    "plain",
    "render_bar",
    "render_state",
    "render_states",
]

_L = TypeVar("_L", bound=Listener)


@contextmanager
def listening(
    listener: _L, store: ProgressEventStore | None = None, *, min_interval: float = 0.1
) -> Iterator[_L]:
    """Attach ``listener`` (throttled) to ``store`` for the duration of the block."""
    target = store if store is not None else get_progress_store()
    target.add_callback(listener, min_interval=min_interval)
    try:
        yield listener
    finally:
        target.remove_callback(listener)


def plain(
    store: ProgressEventStore | None = None,
    stream: TextIO | None = None,
    *,
    max_depth: int = 2,
    min_interval: float = 0.1,
    short_levels: int | None = 10,
) -> AbstractContextManager[PlainListener]:
    """Plain lines on ``stream`` (stdout) while the block runs."""
    listener = PlainListener(stream, max_depth=max_depth, short_levels=short_levels)
    return listening(listener, store, min_interval=min_interval)


def json_lines(
    store: ProgressEventStore | None = None,
    stream: TextIO | None = None,
    *,
    level_events: bool = True,
    min_interval: float = 0.1,
    short_levels: int | None = 10,
) -> AbstractContextManager[JsonLinesListener]:
    """JSON lines on ``stream`` (stdout) while the block runs."""
    listener = JsonLinesListener(stream, level_events=level_events, short_levels=short_levels)
    return listening(listener, store, min_interval=min_interval)

"""Text from elsewhere reaches the terminal without control characters."""

from __future__ import annotations

import io
import re

import hypothesis.strategies as st
from hypothesis import given, settings
from rich.console import Console

import progresstree
from progresstree import ProgressEventStore
from progresstree.render import PlainListener
from progresstree.render.tree import TreeOptions, render_state

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _state(store: ProgressEventStore, text: str) -> progresstree.ProgressState:
    progress = progresstree.get_progress_context(store)
    with progress.operation("job", text) as op:
        with op.song(1, text) as song:
            song.update(message=text)
        try:
            with op.song(2, "breaks"):
                raise ValueError(text)
        except ValueError:
            pass
    state = store.get_operation(op.operation_id)
    assert state is not None
    return state


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_plain_lines_and_tree_cells_never_carry_controls(text: str) -> None:
    store = ProgressEventStore()
    listener = PlainListener(io.StringIO(), max_depth=5)
    store.add_callback(listener)
    state = _state(store, text)
    written = listener.stream.getvalue()  # type: ignore[union-attr]
    assert not CONTROLS.findall(written.replace("\n", ""))
    assert written.count("\n") == len(written.splitlines())  # no line was split or forged
    buffer = io.StringIO()
    console = Console(file=buffer, width=300, color_system=None)
    console.print(render_state(state, TreeOptions(collapse=False, spinner_frame=0)))
    assert not CONTROLS.findall(buffer.getvalue().replace("\n", ""))


def test_local_names_keep_their_printable_characters() -> None:
    store = ProgressEventStore()
    listener = PlainListener(io.StringIO())
    store.add_callback(listener)
    _state(store, "Ünïcödé 日本 a\tb\x1b[31mred")
    written = listener.stream.getvalue()  # type: ignore[union-attr]
    assert "Ünïcödé 日本 a b\ufffd[31mred" in written


def test_unicode_line_separators_do_not_split_a_plain_line() -> None:
    store = ProgressEventStore()
    listener = PlainListener(io.StringIO(), max_depth=5)
    store.add_callback(listener)
    _state(store, "one\u2028two\u2029three")
    written = listener.stream.getvalue()  # type: ignore[union-attr]
    assert "one two three" in written
    assert written.count("\n") == len(written.splitlines())

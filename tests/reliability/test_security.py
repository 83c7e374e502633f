"""Hostile data: metadata, exceptions and ids chosen to break serialisation or the tree.

Path expressions and the codemod's file handling have their own tests
(``tests/instrument/test_paths.py``, ``tests/codemods``); this file covers
what reaches the store.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import progresstree
from progresstree import ProgressEventStore, tracks

from ._consistency import check_store


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")

    def __str__(self) -> str:
        raise RuntimeError("str exploded")


class BadKey:
    def __hash__(self) -> int:
        return 1

    def __str__(self) -> str:
        raise ValueError("no str")

    def __repr__(self) -> str:
        raise ValueError("no repr")


class BadMessage(Exception):
    def __str__(self) -> str:
        raise RuntimeError("message exploded")


class StrSubclass(str):
    def __str__(self) -> str:
        raise RuntimeError("subclass str exploded")


def strict_json(data: Any) -> str:
    return json.dumps(data, allow_nan=False)


def one_level(store: ProgressEventStore, **metadata: Any) -> Any:
    progress = progresstree.get_progress_context(store)
    with progress.operation("job") as op, op.song("s", "S") as song:
        song.update(**metadata)
    return op.state


def test_raising_repr_in_metadata_is_contained(store: ProgressEventStore):
    state = one_level(store, bad=BadRepr(), listed=[BadRepr()], nested={"k": BadRepr()})
    data = state.to_dict()
    strict_json(data)
    metadata = data["levels"]["s"]["metadata"]
    assert "BadRepr" in metadata["bad"]
    assert "BadRepr" in metadata["listed"][0]


def test_raising_key_and_string_subclass_are_contained(store: ProgressEventStore):
    state = one_level(store, mapping={BadKey(): 1}, text=StrSubclass("hello"))
    data = state.to_dict()
    strict_json(data)
    assert data["levels"]["s"]["metadata"]["text"] == "hello"


def test_exception_whose_str_raises_still_fails_the_level(store: ProgressEventStore):
    progress = progresstree.get_progress_context(store)
    error = BadMessage()
    with pytest.raises(BadMessage) as caught:
        with progress.operation("job") as op, op.song("s", "S"):
            raise error
    assert caught.value is error
    song = op.state.levels["s"]
    assert (song.status.value, song.error) == ("failed", "BadMessage")
    strict_json(op.state.to_dict())


def test_non_finite_numbers_stay_strict_json(store: ProgressEventStore):
    state = one_level(store, nan=float("nan"), inf=float("inf"), pair=(float("-inf"), 1))
    strict_json(state.to_dict())


def test_cyclic_metadata_serialises(store: ProgressEventStore):
    loop: list[Any] = [1]
    loop.append(loop)
    table: dict[str, Any] = {"a": 1}
    table["self"] = table
    state = one_level(store, loop=loop, table=table)
    strict_json(state.to_dict())


def test_very_deep_metadata_serialises(store: ProgressEventStore):
    deep: list[Any] = []
    node = deep
    for _ in range(50_000):
        child: list[Any] = []
        node.append(child)
        node = child
    state = one_level(store, deep=deep)
    text = strict_json(state.to_dict())
    assert len(text) < 1_000_000


def test_metadata_mutated_while_serialising(store: ProgressEventStore):
    """A work thread keeps changing a metadata dict while another thread serialises."""
    live: dict[str, int] = {}
    state = one_level(store, live=live)
    stop = threading.Event()

    def mutate() -> None:
        n = 0
        while not stop.is_set():
            live[f"k{n % 500}"] = n
            if n % 3 == 0:
                live.pop(f"k{(n * 7) % 500}", None)
            n += 1

    thread = threading.Thread(target=mutate)
    thread.start()
    try:
        for _ in range(300):
            strict_json(state.to_dict())
    finally:
        stop.set()
        thread.join()


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.builds(BadRepr)
    | st.builds(object),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.text(max_size=3) | st.integers() | st.builds(BadKey), inner, max_size=3
        )
        | st.sets(st.integers(), max_size=3)
        | st.frozensets(st.text(max_size=2), max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(values=st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), JSONISH, max_size=4))
def test_any_metadata_gives_strict_json(values: dict[str, Any]) -> None:
    store = ProgressEventStore()
    reserved = {"current", "total", "message", "increment"}
    state = one_level(store, **{k: v for k, v in values.items() if k not in reserved})
    strict_json(state.to_dict())
    strict_json(state.levels["s"].to_dict())


@settings(max_examples=150, deadline=None)
@given(ids=st.lists(st.sampled_from(["a", "a:b", "b", "a#2", "a:b#2", "#2", ":", ""]), max_size=8))
def test_crafted_ids_never_overwrite_a_level(ids: list[str]) -> None:
    """Ids made to look like nested or suffixed ids still get a level each."""
    store = ProgressEventStore()
    progress = progresstree.get_progress_context(store)
    opened = 0
    with progress.operation("job") as op:
        for level_id in ids:
            with op.level("x", level_id, "root"):
                opened += 1
            with op.level("x", "a", "parent") as parent, parent.level("x", level_id, "child"):
                opened += 2
        for level_id in ids:
            if store.add_level(op.operation_id, level_id, "x", "compat") is not None:
                opened += 1
    assert len(op.state.levels) == opened
    check_store(store)


def test_dunder_paths_are_refused_at_decoration():
    """Dunder attributes are refused: a path can read data, not interpreter internals."""
    for path in ("song.__class__", "song.__class__.__init__.__globals__", "__import__"):
        with pytest.raises(ValueError, match=r"song|__import__"):

            @tracks("song", id_from=path)
            def process(song: Any) -> None:
                pass


def test_subscript_with_a_dunder_key_is_only_a_key_lookup(store: ProgressEventStore):
    progress = progresstree.get_progress_context(store)

    @tracks("song", id_from="song['__class__']")
    def process(song: dict[str, str]) -> str:
        return song["__class__"]

    with progress.operation("job") as op:
        assert process({"__class__": "plain"}) == "plain"
    assert "plain" in op.state.levels


def test_path_never_calls_what_it_reaches(store: ProgressEventStore):
    """A path that lands on a method reads it; it is never called."""
    calls: list[int] = []

    class Song:
        def ident(self) -> str:
            calls.append(1)
            return "called"

    progress = progresstree.get_progress_context(store)

    @tracks("song", name_from="song.ident")
    def process(song: Song) -> int:
        return 7

    with progress.operation("job") as op:
        assert process(Song()) == 7
    assert calls == []
    (level,) = op.state.levels.values()
    assert "called" not in level.name

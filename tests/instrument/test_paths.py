"""Path expressions: parsed once, never evaluated, every error reported."""

from __future__ import annotations

import contextlib
import string
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from progresstree.instrument import PathError, parse_path

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda n: not (n.startswith("__") and n.endswith("__"))
)
KEYS = st.one_of(
    st.integers(-5, 5),
    st.text(alphabet=string.ascii_letters + string.digits + " -_:", max_size=8),
)
STEPS = st.lists(st.one_of(NAMES.map(lambda n: (True, n)), KEYS.map(lambda k: (False, k))))


def _render(root: str, steps: list[tuple[bool, object]]) -> str:
    text = root
    for is_attribute, key in steps:
        text += f".{key}" if is_attribute else f"[{key!r}]"
    return text


@given(NAMES, STEPS)
def test_rendered_paths_parse_back_to_their_steps(root: str, steps: list[tuple[bool, object]]):
    path = parse_path(_render(root, steps))
    assert path.root == root
    assert list(path.steps) == steps


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_path_error(text: str):
    with contextlib.suppress(PathError):
        parse_path(text)


def test_path_error_is_a_value_error():
    assert issubclass(PathError, ValueError)


def test_attribute_key_and_index_steps_resolve():
    song = SimpleNamespace(meta={"tags": ["a", "b"]})
    assert parse_path("song.meta['tags'][1]").resolve(song) == "b"


def test_double_quoted_keys_and_negative_indexes_resolve():
    assert parse_path('items["k"][-1]').resolve({"k": [1, 2, 3]}) == 3


def test_item_path_starts_with_an_attribute():
    assert parse_path("id", rooted=False).resolve(SimpleNamespace(id=7)) == 7


def test_item_path_may_start_with_a_subscript():
    assert parse_path("['id']", rooted=False).resolve({"id": 7}) == 7


def test_lookup_errors_propagate_from_resolve():
    with pytest.raises(AttributeError):
        parse_path("song.missing").resolve(SimpleNamespace())


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".id",
        "song.",
        "song..id",
        "song[",
        "song[]",
        "song[0",
        "song['id]",
        "song[id]",
        "song[-]",
        "song['a\\'b']",
        "song id",
        " song",
        "song.id ",
        "len(items)",
        "items[0](x)",
        "1song",
        "song.1",
        "song-1",
        "song+1",
        "song['a']x",
        "__import__('os').system('x')",
        "song.__class__.__init__",
        "song.__dict__",
        "__builtins__",
        "lambda: 0",
        "song if 1 else 2",
        "song[1:2]",
        "song.*",
    ],
)
def test_malformed_or_hostile_paths_are_refused(text: str):
    with pytest.raises(PathError):
        parse_path(text)


def test_hostile_path_never_runs_code(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []
    monkeypatch.setattr("os.system", lambda cmd: calls.append(cmd))
    with pytest.raises(PathError):
        parse_path("__import__('os').system('x')")
    assert calls == []


def test_non_string_path_is_refused():
    with pytest.raises(PathError, match="must be a string"):
        parse_path(3)


def test_error_names_the_path_and_position():
    with pytest.raises(PathError, match=r"'song\.\.id' is invalid at position 5"):
        parse_path("song..id")


def test_dunder_is_named_in_the_error():
    with pytest.raises(PathError, match="dunder name '__class__'"):
        parse_path("song.__class__")


def test_single_underscore_names_are_allowed():
    assert parse_path("song._id").resolve(SimpleNamespace(_id=1)) == 1

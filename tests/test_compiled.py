"""The compiled build and the pure one: which runs, and that they agree.

``make test`` runs the whole suite twice: on the editable (pure) install and
on the compiled wheel. It sets ``PROGRESSTREE_EXPECT_BUILD`` to ``pure`` or
``compiled`` so that a run can never silently test the other build.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import progresstree
from progresstree import ProgressEventStore, ProgressLevel, get_progress_context

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

SCENARIO = Path(__file__).with_name("build_scenario.py")
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# The modules the compiled wheel compiles (pyproject.toml, hooks.custom).
COMPILED_MODULES = [
    path.removesuffix(".py").replace("/", ".")
    for path in tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]["hooks"]["custom"]["modules"]
]
HOT_PATH: tuple[ModuleType, ...] = tuple(importlib.import_module(m) for m in COMPILED_MODULES)


def _is_source(module: ModuleType) -> bool:
    return str(module.__file__).endswith(".py")


def _run(code_or_path: str | Path, *, pure: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PROGRESSTREE_PURE"}
    if pure:
        env["PROGRESSTREE_PURE"] = "1"
    args = [str(code_or_path)] if isinstance(code_or_path, Path) else ["-c", code_or_path]
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_the_expected_build_runs() -> None:
    expected = os.environ.get("PROGRESSTREE_EXPECT_BUILD")
    assert expected in (None, "pure", "compiled"), expected
    if expected is not None:
        assert progresstree.compiled is (expected == "compiled")
    # Never half of each: every hot-path module comes from the same build.
    assert {_is_source(m) for m in HOT_PATH} == {not progresstree.compiled}


def test_counting_skips_the_lock_only_where_it_is_one_run_of_c() -> None:
    """The unlocked increment (see ``_lifecycle.increment``) is the compiled build's alone."""
    from progresstree import _lifecycle

    assert _lifecycle.ATOMIC_COUNTING is progresstree.compiled


def test_compiled_flag_is_a_bool_and_exported() -> None:
    assert type(progresstree.compiled) is bool
    assert "compiled" in progresstree.__all__


def test_pure_env_loads_every_module_from_source() -> None:
    code = (
        "import importlib, json, progresstree\n"
        f"mods = [importlib.import_module(m) for m in {COMPILED_MODULES!r}]\n"
        "print(json.dumps([progresstree.compiled, [m.__file__ for m in mods]]))\n"
    )
    flag, files = json.loads(_run(code, pure=True))
    assert flag is False
    assert all(name.endswith(".py") for name in files), files


def test_pure_and_default_builds_behave_the_same() -> None:
    pure = json.loads(_run(SCENARIO, pure=True))
    default = json.loads(_run(SCENARIO, pure=False))
    assert pure["compiled"] is False
    assert default["compiled"] is progresstree.compiled
    assert pure["report"] == default["report"]
    # The scenario did reach the library's own checks.
    assert pure["report"]["bad_input"]["level current str"] == [
        "TypeError",
        "current must be a number, got '1' of type str",
    ]


# -- the library's messages, not mypyc's, in whichever build runs -------------

_NOT_NUMBERS = st.one_of(
    st.text(max_size=5),
    st.binary(max_size=3),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
)
_NOT_TEXT = st.one_of(st.integers(), st.floats(allow_nan=False), st.binary(max_size=3))


@given(value=_NOT_NUMBERS)
def test_amounts_are_checked_by_the_library(value: object) -> None:
    progress = get_progress_context(ProgressEventStore())
    with progress.operation("job") as op, op.song("s", "S") as song:
        with pytest.raises(TypeError, match=r"^current must be a number, got "):
            song.update(current=value)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^total must be a number, got "):
            op.song(1, "x", total=value)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^amount must be a number, got "):
            song.advance(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^total must be a number, got "):
            ProgressLevel("l", "t", total=value)  # type: ignore[arg-type]
        assert song.current == 0


@given(value=_NOT_TEXT)
def test_messages_are_checked_by_the_library(value: object) -> None:
    store = ProgressEventStore()
    state = store.start_operation("job")
    store.add_level(state.operation_id, "a", "t", "A")
    match = r"^message must be a string or None, got "
    with pytest.raises(TypeError, match=match):
        store.update_level(state.operation_id, "a", message=value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=match):
        store.complete_level(state.operation_id, "a", message=value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=match):
        ProgressLevel("l", "t").start(value)  # type: ignore[arg-type]
    level = state.get_level("a")
    assert level is not None
    assert level.message is None
    assert not level.is_finished


@pytest.mark.parametrize("value", ["3", 2.0, None, True])
def test_max_history_is_checked_by_the_library(value: object) -> None:
    with pytest.raises(TypeError, match=r"^max_history must be an int, got "):
        ProgressEventStore(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["1", None, [0.5]])
def test_listener_interval_is_checked_by_the_library(value: object) -> None:
    with pytest.raises(TypeError, match=r"^min_interval must be a number, got "):
        ProgressEventStore().add_callback(print, value)  # type: ignore[arg-type]


def test_ids_and_names_are_still_converted_to_str() -> None:
    store = ProgressEventStore()
    state = store.start_operation(5, 6, 7)  # type: ignore[arg-type]
    assert (state.operation_type, state.name, state.operation_id) == ("5", "6", "7")
    assert store.get_state(7) is state  # type: ignore[arg-type]
    level = store.add_level(7, 1, 2, 3)  # type: ignore[arg-type]
    assert level is not None
    assert (level.level_id, level.level_type, level.name) == ("1", "2", "3")
    with get_progress_context(store).operation("job") as op, op.song(1, 2.5) as song:  # type: ignore[arg-type]
        assert song.name == "2.5"
        assert song.level_id == "1"
    assert op.level_id is None


# -- subclassing from Python ---------------------------------------------------


def test_python_subclasses_of_records_store_and_context_override_methods() -> None:
    class HalfLevel(ProgressLevel):
        def fraction(self) -> float:
            return 0.5

    class CountingStore(ProgressEventStore):
        def __init__(self) -> None:
            super().__init__(max_history=5)
            self.lookups = 0

        def get_operation(self, operation_id: object) -> progresstree.ProgressState | None:
            self.lookups += 1
            return super().get_operation(operation_id)

    class NamedContext(progresstree.ProgressContext):
        def song(self, song_id: object, name: object, total: object = 0, **metadata: object):  # type: ignore[no-untyped-def, override]
            return super().song(song_id, f"song {name}", total, **metadata)

    store = CountingStore()
    progress = NamedContext(store)
    with progress.operation("job") as op:
        with progress.song(1, "one") as song:
            assert song.name == "song one"
        assert progress.get_operation(op.operation_id) is op.state
    assert store.lookups == 1
    level = HalfLevel("a", "song", total=4)
    level.update(current=1, message="one")  # a compiled method on a Python subclass
    assert (level.percentage, level.fraction(), level.message) == (25.0, 0.5, "one")

    class NamedState(progresstree.ProgressState):
        def label(self) -> str:
            return f"{self.operation_type}/{self.name}"

    state = NamedState("op", "job", "Job", total=2)
    state.start()
    assert state.label() == "job/Job"
    assert state.get_overall_progress()["total"] == 2


def test_handles_subclass_in_python_only_in_the_pure_build() -> None:
    class MyLevel(progresstree.LevelContext):
        pass

    class MyOperation(progresstree.OperationContext):
        pass

    store = ProgressEventStore()
    if progresstree.compiled:
        # Compiled handles are a trait and its implementations: not extensible.
        with pytest.raises(TypeError, match="interpreted classes cannot inherit"):
            MyOperation(store, "job")
        with get_progress_context(store).operation("job") as op:
            with pytest.raises(TypeError, match="interpreted classes cannot inherit"):
                MyLevel(op, "song", 1, "one")
        return
    with MyOperation(store, "job") as op, MyLevel(op, "song", 1, "one") as level:
        level.increment()
    assert op.state.levels["1"].current == 1

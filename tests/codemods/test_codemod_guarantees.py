# ruff: noqa: E501 (source snippets are kept on one line to show their exact bytes)
"""The guarantees of the codemod: bytes kept, idempotence, skips, compiling output, safety."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from tests_codemod_support import transform

from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
LEGACY = HERE.parents[1] / "docs" / "examples" / "legacy"
SOURCES = sorted([*FIXTURES.glob("*.py"), *LEGACY.glob("*.py")])
STYLES = ("context", "decorators")


def _run(source: bytes, style: str = "context") -> tuple[bytes, list[str]]:
    context = CodemodContext()
    command = InstrumentCommand(context, settings=CodemodConfig(style=style))
    module = cst.parse_module(source)
    try:
        return command.transform_module(module).bytes, context.warnings
    except SkipFile:
        return source, context.warnings


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_second_run_changes_nothing(path: Path, style: str) -> None:
    once, _ = _run(path.read_bytes(), style)
    twice, _ = _run(once, style)
    assert twice == once


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_output_compiles(path: Path, style: str) -> None:
    output, _ = _run(path.read_bytes(), style)
    compile(output, str(path), "exec", dont_inherit=True)


def test_untouched_regions_are_kept_byte_for_byte() -> None:
    source = (FIXTURES / "mixed_module.py").read_text(encoding="utf-8")
    output, _ = _run(source.encode("utf-8"))
    text = output.decode("utf-8")
    kept = [
        "import os ;  import sys   # two imports, odd spacing\n\n"
        "CONSTANT  =  {'a' :1,\n    \"b\":  [2,3 ,],  # trailing comma\n}\n",
        "def helper( x ,y = 2 ) :\n    # a comment inside an untouched function\n"
        "    return  x+y  # é, ü, 日本\n",
        "class Unrelated  ( object ) :\n    '''Untouched class.'''\n\n"
        "    def process_setlist(self, setlist_id, songs):\n"
        "        for song in songs:   # same names, not a service\n            pass\n",
        "class SetlistService :\n    '''Service with odd formatting around the edited method.'''\n\n"
        "    attribute  =  'kept'     # trailing comment\n",
        "    def untouched(self) :\n        return  ( 1 ,\n                  2 )\n",
        "        # before the loop\n",
        "            for song in songs:    # header comment\n"
        "                # first body comment\n",
        "                    play(song.id, song.name)  # trailing\n\n"
        "                # a blank line above is kept\n        # after the loop\n"
        "        return None\n\n\ndef tail( ) :  return  'end'\n",
    ]
    for fragment in kept:
        assert fragment in text
    assert text.startswith(source.split("from __future__")[0])


def test_crlf_line_endings_are_kept_and_used_for_new_lines() -> None:
    source = (
        "class SetlistService:\r\n"
        "    def run(self, hooks):  # comment\r\n"
        "        for hook in hooks:\r\n"
        "            hook(hook.id, hook.name)\r\n"
    )
    output, _ = _run(source.encode())
    assert b"\n" not in output.replace(b"\r\n", b"")
    assert b"    def run(self, hooks):  # comment\r\n" in output
    assert b"            with self._progress.action(hook.id, hook.name):\r\n" in output


def test_declared_encoding_is_kept() -> None:
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\nclass SetlistService:\n    def run(self, hooks):\n        for hook in hooks:\n            hook()\n"
    output, _ = _run(source.encode("latin-1"))
    assert output.startswith("# -*- coding: latin-1 -*-\n# caf\xe9\n".encode("latin-1"))
    assert "get_progress_context" in output.decode("latin-1")


def test_tab_indentation_is_followed() -> None:
    source = "class SetlistService:\n\tdef run(self, hooks):\n\t\tfor hook in hooks:\n\t\t\thook(hook.id, hook.name)\n"
    output, _ = _run(source.encode())
    assert b"\t\t\twith self._progress.action(hook.id, hook.name):\n\t\t\t\thook(" in output


class TestLeftAlone(CodemodTest):
    TRANSFORM = InstrumentCommand

    def _skipped(self, source: str, warning: str) -> None:
        self.assertCodemod(
            source,
            source,
            settings=CodemodConfig(),
            expected_skip=True,
            expected_warnings=[warning],
        )

    def test_abstract_method(self) -> None:
        self._skipped(
            """
            class Base(BlockProcessor):
                @abc.abstractmethod
                def process(self, block, inputs, metadata=None):
                    return inputs
            """,
            "line 3: Base.process left alone: abstract method",
        )

    def test_stub_bodies(self) -> None:
        for body in ("pass", "...", "raise NotImplementedError", "raise NotImplementedError('x')"):
            self._skipped(
                f"""
                class Base(BlockProcessor):
                    def process(self, block, inputs, metadata=None):
                        '''Subclasses do the work.'''
                        {body}
                """,
                "line 2: Base.process left alone: stub body",
            )

    def test_function_using_progresstree(self) -> None:
        self._skipped(
            """
            from progresstree import current_level as here

            class Gain(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    here().update(message="gain")
                    return inputs
            """,
            "line 4: Gain.process left alone: already instrumented",
        )

    def test_function_using_reference_helpers(self) -> None:
        self._skipped(
            """
            class Gain(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    tracker = get_progress_tracker(metadata)
                    return inputs
            """,
            "line 2: Gain.process left alone: already instrumented (uses get_progress_tracker)",
        )

    def test_method_using_the_reference_progress_attribute(self) -> None:
        self._skipped(
            """
            class SetlistService:
                def process_setlist(self, setlist_id, songs):
                    with self._progress.setlist_processing(setlist_id, "x") as op:
                        for song in songs:
                            play(song)
            """,
            "line 2: SetlistService.process_setlist left alone: already instrumented",
        )

    def test_decorated_with_tracks(self) -> None:
        self._skipped(
            """
            class Gain(BlockProcessor):
                @tracks("block")
                def process(self, block, inputs, metadata=None):
                    return inputs
            """,
            "line 3: Gain.process left alone: already instrumented",
        )


@pytest.mark.parametrize(
    "body",
    [
        # read only on one branch
        "if song:\n    play(song.id, song.name)",
        # read after a statement that may skip the rest of the body
        "if song is None:\n    continue\nplay(song.id, song.name)",
        # read on another object bound to the same name
        "song = normalise(song)\nplay(song.id, song.name)",
        # read inside a lambda / comprehension / short-circuit operand
        "f = lambda: song.id\nnames = [song.name for _ in ()]\nok = song and song.name\nplay(song)",
        # read inside a try block whose handler may swallow the error
        "try:\n    play(song.id, song.name)\nexcept AttributeError:\n    pass",
    ],
)
def test_attributes_not_surely_read_come_from_safe_label(body: str) -> None:
    source = (
        "class SetlistService:\n"
        "    def process_setlist(self, setlist_id, songs):\n"
        "        for song in songs:\n" + textwrap.indent(body, " " * 12) + "\n"
    )
    output = transform(source)
    assert 'safe_label(song, "id", default="song")' in output
    assert 'safe_label(song, "name", "title", default="song")' in output


def test_len_of_a_parameter_goes_through_safe_len() -> None:
    source = (
        "class SetlistService:\n"
        "    def process_setlist(self, setlist_id, songs):\n"
        "        for song in songs:\n            play(song)\n"
    )
    assert "op.set_total(safe_len(songs))" in transform(source)


def test_loop_over_an_expression_sets_no_total() -> None:
    source = (
        "class SetlistService:\n"
        "    def process_setlist(self, setlist_id):\n"
        "        for song in self.repo.songs(setlist_id):\n            play(song)\n"
    )
    assert "set_total" not in transform(source)


def test_setlist_method_without_a_songs_loop_is_reported() -> None:
    source = (
        "class SetlistService:\n"
        "    def process_setlist(self, setlist_id):\n"
        "        return self.repo.get(setlist_id)\n"
    )
    context = CodemodContext()
    command = InstrumentCommand(context, settings=CodemodConfig())
    with pytest.raises(SkipFile):
        command.transform_module(cst.parse_module(source))
    assert context.warnings == ["line 2: SetlistService.process_setlist: no loop over songs found"]


def test_dataclass_service_without_init_gets_no_init() -> None:
    source = (
        "@dataclass\n"
        "class SetlistService:\n"
        "    runner: object\n\n"
        "    def run(self, hooks):\n"
        "        for hook in hooks:\n"
        "            hook(hook.id, hook.name)\n"
    )
    output = transform(source)
    assert "def __init__" not in output
    assert "with get_progress_context().action(hook.id, hook.name):" in output

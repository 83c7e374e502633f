"""What a reviewer of the diff expects: existing idioms respected, only real work
instrumented, labels and messages a person would write, same tree from both styles."""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import keyword
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.codemod import CodemodContext, SkipFile
from tests_codemod_support import transform

import progresstree
from progresstree_codemods.cli import EXIT_OK, EXIT_WOULD_CHANGE, main
from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig, config_from_mapping

APP = Path(__file__).parent / "fixtures" / "app"
_counter = itertools.count()


def _warnings(source: str, **options: Any) -> list[str]:
    context = CodemodContext()
    command = InstrumentCommand(context, settings=CodemodConfig(**options))
    with contextlib.suppress(SkipFile):
        command.transform_module(cst.parse_module(textwrap.dedent(source)))
    return list(context.warnings)


def _load(source: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / f"instrumented_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- existing instrumentation -------------------------------------------------

IDIOMS = {
    "tracker from metadata": (
        'progress_tracker = metadata.get("progress_tracker")\n'
        "for item in inputs:\n    emit(item)\n",
        "progress_tracker",
    ),
    "tracker key only": (
        'tracker = (metadata or {}).get("progress_tracker")\n'
        "for item in inputs:\n    emit(item)\n    tracker and tracker.advance()\n",
        "progress_tracker",
    ),
    "helper": (
        "tracker = get_progress_tracker(metadata)\nfor item in inputs:\n    emit(item)\n",
        "get_progress_tracker",
    ),
    "update call": (
        "for i, item in enumerate(inputs):\n"
        "    emit(item)\n"
        "    self.tracker.update(i, len(inputs))\n",
        "self.tracker.update",
    ),
    "scope": (
        'with progress_scope(self.t, "x", total=3):\n    for item in inputs:\n        emit(item)\n',
        "progress_scope",
    ),
}


@pytest.mark.parametrize(("body", "idiom"), IDIOMS.values(), ids=IDIOMS.keys())
def test_code_reporting_progress_its_own_way_is_left_alone(body: str, idiom: str) -> None:
    source = (
        "class Gain(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n" + textwrap.indent(body, " " * 8)
    )
    assert transform(source) == source
    assert _warnings(source) == [
        f"line 2: Gain.process left alone: already instrumented (uses {idiom})"
    ]


def test_progress_idioms_are_configurable() -> None:
    source = (
        "class Gain(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        "        for item in inputs:\n"
        "            self.reporter.tick(emit(item))\n"
    )
    assert "block_execution" in transform(source)
    custom = config_from_mapping({"progress-idioms": ["*.reporter.tick"]}, source="pyproject")
    assert transform(source, progress_idioms=custom.progress_idioms) == source
    no_idioms = (
        "class Gain(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        "        tracker = get_progress_tracker(metadata)\n"
        "        for item in inputs:\n"
        "            emit(item, tracker)\n"
    )
    assert "block_execution" in transform(no_idioms, progress_idioms=())


# -- processing loops ---------------------------------------------------------

NOT_WORK = {
    "validation": (
        "for song in songs:\n    if not isinstance(song, Song):\n        raise TypeError(song)\n"
    ),
    "validation by method": (
        "for song in songs:\n    if not self.is_valid(song):\n        raise ValueError(song.id)\n"
    ),
    "search": (
        "for song in songs:\n"
        "    if song.name == name:\n"
        "        found = self.load(song)\n"
        "        break\n"
    ),
    "ui dict": "for song in songs:\n    options[song.id] = song.name\n",
    "ui list of dicts": (
        'for song in songs:\n    options.append({"label": song.name, "value": str(song.id)})\n'
    ),
    "reorder": "for position, song in enumerate(songs):\n    song.position = position\n",
    "logging only": "for song in songs:\n    log.info('song %s', song.name)\n",
}
WORK = {
    "call on the item": "for song in songs:\n    self.render(song)\n",
    "method of the item": "for song in songs:\n    song.render()\n",
    "inside append": "for song in songs:\n    results.append(self.render(song))\n",
    "in a branch": "for song in songs:\n    if song.enabled:\n        self.render(song)\n",
    "nested loop": "for song in songs:\n    for action in actions:\n        action.run(song)\n",
}


@pytest.mark.parametrize("loop", NOT_WORK.values(), ids=NOT_WORK.keys())
def test_loops_that_do_no_work_are_not_instrumented(loop: str) -> None:
    source = "class SetlistService:\n    def scan(self, songs, name):\n" + textwrap.indent(
        loop, " " * 8
    )
    assert transform(source) == source


@pytest.mark.parametrize("loop", WORK.values(), ids=WORK.keys())
def test_loops_that_call_work_on_their_item_are_instrumented(loop: str) -> None:
    source = "class SetlistService:\n    def scan(self, songs, actions):\n" + textwrap.indent(
        loop, " " * 8
    )
    assert "with self._progress." in transform(source)


def test_block_loops_follow_the_same_rule() -> None:
    source = (
        "class Export(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        "        for name, value in inputs.items():\n"
        "            if value is None:\n"
        "                raise ValueError(name)\n"
        "        for name, value in inputs.items():\n"
        "            self.write(name, value)\n"
    )
    output = transform(source)
    assert output.count("track_progress(") == 1
    assert 'for name, value in track_progress(inputs.items(), op, "Processing inputs"):' in output


# -- labels and messages ------------------------------------------------------


def test_block_labels_come_from_attributes_the_method_reads() -> None:
    source = (
        "class Export(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        "        for item in inputs:\n"
        "            self.write(item)\n"
        "        if not inputs:\n"
        "            raise ProcessingError(block_id=block.id, block_name=block.name)\n"
        '        log.info("%s done", block.type)\n'
    )
    output = transform(source)
    assert "block.id,\n            block.name,\n            block_type=block.type," in output
    assert "safe_label" not in output


def test_safe_label_only_for_labels_the_code_never_reads() -> None:
    source = (
        "class Export(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        "        return self.write(block.settings, inputs)\n"
    )
    output = transform(source)
    assert 'safe_label(block, "id", default="block")' in output
    assert 'safe_label(block, "name", "title", default="Export")' in output
    assert 'block_type="Export"' in output


@pytest.mark.parametrize(
    ("iterable", "message"),
    [
        ("inputs.items()", "Processing inputs"),
        ("self._audio_files", "Processing audio files"),
        ('block.settings["paths"]', "Processing paths"),
        ("enumerate(self.load_frames())", "Processing frames"),
        ("sorted(inputs, key=len)", "Processing inputs"),
        ("zip(a, b)", "Processing a"),
        ("range(4)", "Processing items"),
        ("[1, 2]", "Processing items"),
    ],
)
def test_messages_read_like_a_person_wrote_them(iterable: str, message: str) -> None:
    source = (
        "class Export(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        f"        for x in {iterable}:\n"
        "            self.write(x)\n"
    )
    assert f'op, "{message}")' in transform(source)


@given(
    st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True).filter(
        lambda name: not keyword.iskeyword(name)  # `self.as` is not Python
    )
)
@settings(max_examples=50, deadline=None)
def test_messages_never_show_code(name: str) -> None:
    source = (
        "class Export(BlockProcessor):\n"
        "    def process(self, block, inputs, metadata=None):\n"
        f"        for x in self.{name}.items():\n"
        "            self.write(x)\n"
    )
    output = transform(source)
    found = re.search(r'"(Processing [^"]*)"', output)
    assert found is not None, output
    message = found.group(1)
    assert not set("().[]'\"") & set(message)


class _Explosive:
    """A setlist id whose text forms raise."""

    def __str__(self) -> str:
        raise RuntimeError("str")

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __format__(self, spec: str) -> str:
        raise RuntimeError("format")

    def __hash__(self) -> int:
        return 1


def test_setlist_name_is_not_formatted_from_the_id(tmp_path: Path) -> None:
    source = (
        "class SetlistService:\n"
        "    def process_setlist(self, setlist, songs):\n"
        "        done = []\n"
        "        for song in songs:\n"
        "            done.append(self.play(song))\n"
        "        return done\n"
        "\n"
        "    def play(self, song):\n"
        "        return song * 2\n"
    )
    output = transform(source)
    assert 'f"Setlist' not in output
    module = _load(output, tmp_path)
    assert module.SetlistService().process_setlist(_Explosive(), [1, 2]) == [2, 4]
    state = progresstree.get_progress_store().get_history()[-1]
    assert (state.operation_type, state.name, state.status) == (
        "setlist_processing",
        "Setlist",
        "completed",
    )


# -- runtime: totals, generators, both styles ---------------------------------

BLOCKS = """
class BlockProcessor:
    pass


class Scale(BlockProcessor):
    def process(self, block, inputs, metadata=None):
        out = []
        for index, value in enumerate(inputs):
            out.append(self.scale(index, value))
        return out

    def scale(self, index, value):
        return index * value


class Frames(BlockProcessor):
    def process(self, block, inputs, metadata=None):
        for value in inputs:
            yield self.scale(value)

    def scale(self, value):
        return value * 10


class Block:
    id = "b1"
    name = "Scale"
    type = "Scale"
"""


@pytest.fixture(params=["context", "decorators"])
def blocks(request: pytest.FixtureRequest, tmp_path: Path) -> ModuleType:
    return _load(transform(BLOCKS, style=request.param), tmp_path)


def test_enumerated_loop_counts_against_the_length_of_the_sequence(blocks: ModuleType) -> None:
    assert blocks.Scale().process(blocks.Block(), [1, 2, 3]) == [0, 2, 6]
    state = progresstree.get_progress_store().get_history()[-1]
    assert (state.operation_type, state.total, state.current) == ("block_execution", 3, 3)


def test_generator_block_does_not_leak_its_level_into_the_consumer(blocks: ModuleType) -> None:
    context = progresstree.get_progress_context()
    seen = []
    with context.song("s1", "Song"):
        outer = progresstree.current_level()
        for value in blocks.Frames().process(blocks.Block(), [1, 2]):
            seen.append((value, progresstree.current_level() is outer))
    assert seen == [(10, True), (20, True)]
    state = progresstree.get_progress_store().get_history()[-1]
    levels = [level for level in state.levels.values() if level.level_type == "block"]
    assert len(levels) == 1
    assert levels[0].status == "completed"
    assert progresstree.current_level() is None


def test_both_styles_open_the_same_operation_type(tmp_path: Path) -> None:
    kinds = []
    for style in ("context", "decorators"):
        module = _load(transform(BLOCKS, style=style), tmp_path)
        module.Scale().process(module.Block(), [1])
        kinds.append(progresstree.get_progress_store().get_history()[-1].operation_type)
    assert kinds == ["block_execution", "block_execution"]


# -- songs in a while loop ----------------------------------------------------

WHILE_SERVICE = (
    "class SetlistService:\n"
    "    def process_setlist(self, setlist_id):\n"
    "        queue = list(self.songs(setlist_id))\n"
    "        played = []\n"
    "        while queue:\n"
    "            song = queue.pop(0)\n"
    "            played.append(self.play(song))\n"
    "        return played\n"
    "\n"
    "    def songs(self, setlist_id):\n"
    "        return [3, 4]\n"
    "\n"
    "    def play(self, song):\n"
    "        return song + 1\n"
)


def test_songs_taken_in_a_while_loop_get_the_operation_and_song_levels(tmp_path: Path) -> None:
    output = transform(WHILE_SERVICE)
    assert "with self._progress.setlist_processing(setlist_id, " in output
    assert "            song = queue.pop(0)\n                with op.song(" in output
    module = _load(output, tmp_path)
    assert module.SetlistService().process_setlist("live") == [4, 5]
    state = progresstree.get_progress_store().get_history()[-1]
    assert state.operation_type == "setlist_processing"
    assert [level.level_type for level in state.levels.values()] == ["song", "song"]


def test_songs_in_a_while_loop_get_a_warning_in_decorator_style() -> None:
    output = transform(WHILE_SERVICE, style="decorators")
    assert '@tracks.operation("setlist_processing", id_from="setlist_id")' in output
    assert _warnings(WHILE_SERVICE, style="decorators") == [
        "line 2: SetlistService.process_setlist: songs are taken in a while loop; "
        "the method is an operation but songs get no levels in decorator style"
    ]


def test_a_while_loop_without_a_song_variable_is_reported() -> None:
    source = WHILE_SERVICE.replace("song = queue.pop(0)", "item = queue.pop(0)").replace(
        "self.play(song)", "self.play(item)"
    )
    assert transform(source) == source
    warnings = _warnings(source)
    assert warnings == [
        "line 2: SetlistService.process_setlist: songs are taken in a while loop; no setlist "
        "operation or song levels added (wrap the loop in setlist_processing by hand)"
    ]


# -- a corpus in the shape of a real application ------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(APP, root / "app")
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n", encoding="utf-8")
    return root


def test_application_corpus_diff_is_what_a_reviewer_expects(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(app / "app"), "--check", "-v", "-j", "1"]) == EXIT_WOULD_CHANGE
    err = capsys.readouterr().err
    assert (
        "DetectOnsetsBlockProcessor.process left alone: "
        "already instrumented (uses get_progress_tracker)" in err
    )
    assert (
        "SeparatorBlockProcessor.process left alone: already instrumented (uses progress_tracker)"
        in err
    )
    assert "skipped: " + str(app / "app" / "ui" / "block_panel.py") in err
    assert main([str(app / "app"), "-j", "2"]) == EXIT_OK
    capsys.readouterr()
    export = (app / "app" / "blocks" / "export_clips.py").read_text()
    assert "block.id,\n            block.name,\n            block_type=block.type," in export
    assert export.count("track_progress(") == 1
    assert 'enumerate(track_progress(events, op, "Processing events"))' in export
    assert (
        "import logging\nimport os\n\nfrom progresstree import get_progress_context, "
        "track_progress\n\nfrom app.processing" in export
    )
    service = (app / "app" / "services" / "setlist_processing_service.py").read_text()
    assert service.count("with self._progress.action(") == 1
    assert "with self._progress.setlist_processing(" in service
    assert "action.order = order" in service and "with op.song(song.id, song.name)" in service
    stream = (app / "app" / "blocks" / "stream_frames.py").read_text()
    assert '@tracks(\n        "block",' in stream
    for path in (app / "app").rglob("*.py"):
        compile(path.read_bytes(), str(path), "exec")
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run(
        [
            str(ruff),
            "check",
            "--isolated",
            "--select",
            "I",
            "--config",
            "lint.isort.known-first-party = ['app']",
            str(app / "app"),
        ],
        capture_output=True,
        text=True,
        cwd=app,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert main([str(app / "app"), "--check"]) == EXIT_OK

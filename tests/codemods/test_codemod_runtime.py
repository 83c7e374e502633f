"""The rewritten example modules run like the originals, plus a progress tree."""

from __future__ import annotations

import importlib.util
import itertools
import shutil
from pathlib import Path
from types import ModuleType

import pytest

import progresstree
from progresstree_codemods import runner
from progresstree_codemods.config import CodemodConfig

LEGACY = Path(__file__).parents[2] / "docs" / "examples" / "legacy"
_counter = itertools.count()


def _load(path: Path) -> ModuleType:
    name = f"_codemod_runtime_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _modules(directory: Path) -> tuple[ModuleType, ModuleType, ModuleType]:
    return (
        _load(directory / "setlist_service.py"),
        _load(directory / "blocks.py"),
        _load(directory / "demo_data.py"),
    )


@pytest.fixture(scope="module", params=["context", "decorators"])
def instrumented(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp(request.param) / "legacy"
    shutil.copytree(LEGACY, directory)
    summary = runner.run([str(directory)], CodemodConfig(style=request.param), jobs=1)
    assert [r.path for r in summary.by_status("failed")] == []
    assert {Path(r.path).name for r in summary.by_status("changed")} == {
        "setlist_service.py",
        "blocks.py",
    }
    return directory


def _children(state: progresstree.ProgressState, parent: str | None, level_type: str) -> list:
    return [
        (full_id, level)
        for full_id, level in state.levels.items()
        if level.parent_id == parent and level.level_type == level_type
    ]


def _run(directory: Path, *, failing: bool = False) -> dict:
    service_module, blocks, data = _modules(directory)
    repository, executor = data.sample(blocks, failing=failing)
    return service_module.SetlistService(repository, executor).process_setlist("live")


def test_results_are_those_of_the_original(instrumented: Path) -> None:
    assert _run(instrumented) == _run(LEGACY)


def test_tree_is_setlist_song_action_block(instrumented: Path) -> None:
    _run(instrumented)
    history = progresstree.get_progress_store().get_history()
    assert len(history) == 1
    state = history[0]
    assert state.operation_type == "setlist_processing"
    assert state.status == "completed"
    songs = _children(state, None, "song")
    assert [level.name for _, level in songs] == ["Intro", "Ballad", "Finale"]
    for song_id, song in songs:
        assert song.status == "completed"
        actions = _children(state, song_id, "action")
        assert [level.name for _, level in actions] == ["load", "gain"]
        for action_id, action in actions:
            assert action.status == "completed"
            blocks = _children(state, action_id, "block")
            assert len(blocks) == 1
            assert blocks[0][1].status == "completed"


def test_failing_song_is_marked_failed_and_the_error_propagates(instrumented: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot decode 'finale\.mp3'"):
        _run(instrumented, failing=True)
    state = progresstree.get_progress_store().get_history()[-1]
    assert state.status == "failed"
    songs = {level.name: level for _, level in _children(state, None, "song")}
    assert songs["Intro"].status == "completed"
    assert songs["Ballad"].status == "completed"
    assert songs["Finale"].status == "failed"
    assert "cannot decode" in (songs["Finale"].error or "")


def test_original_modules_raise_the_same_error() -> None:
    with pytest.raises(ValueError, match=r"cannot decode 'finale\.mp3'"):
        _run(LEGACY, failing=True)


def test_items_without_labels_do_not_break_the_rewritten_loop(tmp_path: Path) -> None:
    source = tmp_path / "service.py"
    source.write_text(
        "class SetlistService:\n"
        "    def process_setlist(self, setlist_id, songs):\n"
        "        played = []\n"
        "        for song in songs:\n"
        "            played.append(self.render(song))\n"
        "        return played\n"
        "\n"
        "    def render(self, song):\n"
        "        return song\n"
        "\n"
        "    def run_hooks(self, hooks):\n"
        "        return [hook() for hook in hooks] and [hook() for hook in hooks]\n"
        "\n"
        "    def run_actions(self, actions):\n"
        "        for action in actions:\n"
        "            action()\n",
        encoding="utf-8",
    )
    runner.run([str(source)], CodemodConfig(), jobs=1)
    module = _load(source)
    service = module.SetlistService()
    songs = (s for s in [1, None, object()])  # no len(), no id, no name
    assert len(service.process_setlist("x", songs)) == 3
    calls: list[int] = []
    service.run_actions([lambda: calls.append(1), lambda: calls.append(2)])
    assert calls == [1, 2]
    state = progresstree.get_progress_store().get_history()[0]
    assert len(_children(state, None, "song")) == 3

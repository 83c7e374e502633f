"""A small in-memory setlist, repository and block executor for the example modules.

Run ``python demo_data.py`` in this directory (before or after the codemod):
it processes the sample setlist, and prints the progress tree once the
modules have been instrumented.
"""

from dataclasses import dataclass, field


@dataclass
class Block:
    id: str
    name: str
    type: str
    settings: dict = field(default_factory=dict)


@dataclass
class Action:
    name: str
    blocks: list


@dataclass
class Song:
    id: str
    name: str
    path: str


@dataclass
class Setlist:
    id: str
    name: str
    songs: list


class Repository:
    def __init__(self, setlists, actions):
        self._setlists = {s.id: s for s in setlists}
        self._actions = actions

    def get_setlist(self, setlist_id):
        return self._setlists[setlist_id]

    def actions_for(self, song):
        return list(self._actions)


class Executor:
    """Runs a block with the processor registered for its type."""

    def __init__(self, processors):
        self._processors = processors

    def run(self, block, inputs):
        # dict() also drains blocks that yield their outputs as (name, value) pairs.
        return dict(self._processors[block.type].process(block, inputs))


def sample(blocks_module, *, failing=False):
    """(repository, executor) for a setlist of three songs; with ``failing`` the last one breaks."""
    songs = [
        Song("s1", "Intro", "intro.wav"),
        Song("s2", "Ballad", "ballad.wav"),
        Song("s3", "Finale", "finale.mp3" if failing else "finale.wav"),
    ]
    actions = [
        Action("load", [Block("b1", "Load", "LoadAudio")]),
        Action("gain", [Block("b2", "Gain", "Gain", {"gain": 2.0})]),
    ]
    repository = Repository([Setlist("live", "Live set", songs)], actions)
    executor = Executor(
        {
            "LoadAudio": blocks_module.LoadAudioBlock(),
            "Gain": blocks_module.GainBlock(),
            "Slice": blocks_module.SliceBlock(),
        }
    )
    return repository, executor


def _print_tree():
    try:
        from progresstree import get_progress_store
    except ImportError:
        return
    for state in get_progress_store().get_history():
        print(f"{state.operation_type} {state.name!r}: {state.status}")
        for full_id, level in state.levels.items():
            depth = full_id.count(":") + 1
            print(f"{'  ' * depth}{level.level_type} {level.name!r}: {level.status}")


if __name__ == "__main__":
    import blocks
    import setlist_service

    repository, executor = sample(blocks)
    service = setlist_service.SetlistService(repository, executor)
    print(service.process_setlist("live"))
    _print_tree()

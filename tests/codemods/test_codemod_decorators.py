# ruff: noqa: E501 (expected outputs are generated code at its real width)
"""``--style decorators``: before/after pairs."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.config import CodemodConfig

DECORATORS = CodemodConfig(style="decorators")


class TestDecoratorStyle(CodemodTest):
    TRANSFORM = InstrumentCommand

    def test_setlist_method_becomes_an_operation_and_loops_track_levels(self) -> None:
        before = """
            class SetlistService:
                def process_setlist(self, setlist_id):
                    songs = self.repo.songs(setlist_id)
                    for i, song in enumerate(songs):
                        print(song.id, song.title)
                        for action in song.actions:
                            action.run()

                def run_hooks(self, hooks):
                    for name, hook in hooks.items():
                        hook()
        """
        after = """
            from progresstree import track_progress, tracks

            class SetlistService:
                @tracks.operation("setlist_processing", id_from="setlist_id")
                def process_setlist(self, setlist_id):
                    songs = self.repo.songs(setlist_id)
                    for i, song in enumerate(track_progress(songs, level="song", id_from="id", name_from="title")):
                        print(song.id, song.title)
                        for action in track_progress(song.actions, level="action"):
                            action.run()

                def run_hooks(self, hooks):
                    for name, hook in track_progress(hooks.items(), level="action"):
                        hook()
        """
        self.assertCodemod(before, after, settings=DECORATORS)

    def test_block_process_gets_tracks_and_counting_loops(self) -> None:
        before = '''
            from progresstree import ProgressStatus


            class LoadAudio(BlockProcessor):
                @cached
                def process(self, blk, inputs, metadata=None):
                    """Decode every input."""
                    outputs = {}
                    for name, item in inputs.items():
                        outputs[name] = decode(item)
                    return outputs
        '''
        after = '''
            from progresstree import track_progress, tracks, ProgressStatus


            class LoadAudio(BlockProcessor):
                @cached
                @tracks("block", id_from="blk.id", name_from="blk.name")
                def process(self, blk, inputs, metadata=None):
                    """Decode every input."""
                    outputs = {}
                    for name, item in track_progress(inputs.items(), message="Processing inputs.items()"):
                        outputs[name] = decode(item)
                    return outputs
        '''
        self.assertCodemod(before, after, settings=DECORATORS)

    def test_no_init_is_added_in_decorator_style(self) -> None:
        before = """
            class SetlistService:
                def __init__(self):
                    self.x = 1

                def run(self, actions):
                    for action in actions:
                        action()
        """
        after = """
            from progresstree import track_progress

            class SetlistService:
                def __init__(self):
                    self.x = 1

                def run(self, actions):
                    for action in track_progress(actions, level="action"):
                        action()
        """
        self.assertCodemod(before, after, settings=DECORATORS)

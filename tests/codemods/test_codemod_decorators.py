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
                        play(song.id, song.title)
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
                        play(song.id, song.title)
                        for action in track_progress(song.actions, level="action"):
                            action.run()

                def run_hooks(self, hooks):
                    for name, hook in track_progress(hooks.items(), level="action"):
                        hook()
        """
        self.assertCodemod(before, after, settings=DECORATORS)

    def test_block_process_is_written_as_in_context_style(self) -> None:
        """A decorator cannot open ``block_execution`` at the top and ``block`` inside a level."""
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
            from progresstree import get_progress_context, safe_label, track_progress, ProgressStatus


            class LoadAudio(BlockProcessor):
                @cached
                def process(self, blk, inputs, metadata=None):
                    """Decode every input."""
                    with get_progress_context().block_execution(
                        safe_label(blk, "id", default="block"),
                        safe_label(blk, "name", "title", default="LoadAudio"),
                        block_type="LoadAudio",
                    ) as op:
                        outputs = {}
                        for name, item in track_progress(inputs.items(), op, "Processing inputs"):
                            outputs[name] = decode(item)
                        return outputs
        '''
        self.assertCodemod(before, after, settings=DECORATORS)
        self.assertCodemod(before, after, settings=CodemodConfig())

    def test_generator_process_gets_tracks_in_both_styles(self) -> None:
        before = """
            class Splitter(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    for index, chunk in enumerate(inputs["chunks"]):
                        yield block.name, cut(chunk)
        """
        after = """
            from progresstree import track_progress, tracks

            class Splitter(BlockProcessor):
                @tracks(
                    "block",
                    id_from="block.id",
                    name_from="block.name",
                    metadata={"block_type": "Splitter"},
                )
                def process(self, block, inputs, metadata=None):
                    for index, chunk in enumerate(track_progress(inputs["chunks"], message="Processing chunks")):
                        yield block.name, cut(chunk)
        """
        self.assertCodemod(before, after, settings=DECORATORS)
        self.assertCodemod(before, after, settings=CodemodConfig())

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

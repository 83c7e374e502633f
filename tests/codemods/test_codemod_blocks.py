# ruff: noqa: E501 (expected outputs are generated code at its real width)
"""Block processors, context style: before/after pairs."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from progresstree_codemods.commands.instrument_block_processors import (
    InstrumentBlockProcessorsCommand,
)
from progresstree_codemods.config import CodemodConfig

DEFAULT = CodemodConfig()


class TestBlockProcessors(CodemodTest):
    TRANSFORM = InstrumentBlockProcessorsCommand

    def test_body_wrapped_after_docstring_and_loops_tracked(self) -> None:
        before = '''
            class LoadAudio(BlockProcessor):
                """Loads audio."""

                def process(self, block: Block, inputs, metadata=None):
                    """Decode every input."""
                    # decode
                    outputs = {}
                    for name, item in inputs.items():
                        outputs[name] = decode(item)
                    for extra in self.extras:
                        outputs[extra] = None
                    return outputs
        '''
        after = '''
            from progresstree import get_progress_context, safe_label, track_progress

            class LoadAudio(BlockProcessor):
                """Loads audio."""

                def process(self, block: Block, inputs, metadata=None):
                    """Decode every input."""
                    # decode
                    with get_progress_context().block_execution(
                        safe_label(block, "id", default="block"),
                        safe_label(block, "name", "title", default="LoadAudio"),
                        block_type="LoadAudio",
                    ) as op:
                        outputs = {}
                        for name, item in track_progress(inputs.items(), op, "Processing inputs"):
                            outputs[name] = decode(item)
                        for extra in self.extras:
                            outputs[extra] = None
                        return outputs
        '''
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_block_attributes_used_when_already_read(self) -> None:
        before = """
            class Gain(pkg.BlockProcessor):
                def process(self, blk, inputs, metadata=None):
                    log.info("block %s (%s) %s", blk.name, blk.type, blk.id)
                    return inputs
        """
        after = """
            from progresstree import get_progress_context

            class Gain(pkg.BlockProcessor):
                def process(self, blk, inputs, metadata=None):
                    with get_progress_context().block_execution(
                        blk.id,
                        blk.name,
                        block_type=blk.type,
                    ):
                        log.info("block %s (%s) %s", blk.name, blk.type, blk.id)
                        return inputs
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_subclass_of_a_subclass_in_the_same_module(self) -> None:
        before = """
            class AudioBlock(BlockProcessor):
                pass


            class Normalize(AudioBlock):
                def process(self, block, inputs, metadata=None): return inputs


            class Unrelated:
                def process(self, block, inputs, metadata=None):
                    return inputs
        """
        after = """
            from progresstree import get_progress_context, safe_label

            class AudioBlock(BlockProcessor):
                pass


            class Normalize(AudioBlock):
                def process(self, block, inputs, metadata=None):
                    with get_progress_context().block_execution(
                        safe_label(block, "id", default="block"),
                        safe_label(block, "name", "title", default="Normalize"),
                        block_type="Normalize",
                    ):
                        return inputs


            class Unrelated:
                def process(self, block, inputs, metadata=None):
                    return inputs
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_names_bound_to_something_else_get_private_aliases(self) -> None:
        before = """
            from legacy.helpers import track_progress


            def safe_label(x):
                return x


            class LoadAudio(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    for item in inputs:
                        consume(item)
        """
        after = """
            from legacy.helpers import track_progress
            from progresstree import get_progress_context, safe_label as _progresstree_safe_label, track_progress as _progresstree_track_progress


            def safe_label(x):
                return x


            class LoadAudio(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    with get_progress_context().block_execution(
                        _progresstree_safe_label(block, "id", default="block"),
                        _progresstree_safe_label(block, "name", "title", default="LoadAudio"),
                        block_type="LoadAudio",
                    ) as op:
                        for item in _progresstree_track_progress(inputs, op, "Processing inputs"):
                            consume(item)
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_configured_base_and_method_names(self) -> None:
        before = """
            class Mixer(Node):
                def run(self, block, inputs):
                    return mix(block.id, inputs)

                def process(self, block, inputs):
                    return inputs
        """
        after = """
            from progresstree import get_progress_context, safe_label

            class Mixer(Node):
                def run(self, block, inputs):
                    with get_progress_context().block_execution(
                        block.id,
                        safe_label(block, "name", "title", default="Mixer"),
                        block_type="Mixer",
                    ):
                        return mix(block.id, inputs)

                def process(self, block, inputs):
                    return inputs
        """
        config = CodemodConfig(block_base_classes=("Node",), block_methods=("run",))
        self.assertCodemod(before, after, settings=config)

    def test_existing_progresstree_import_is_extended(self) -> None:
        before = """
            from progresstree import ProgressStatus  # status names


            class Gain(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    return {k: v * block.gain for k, v in inputs.items()}
        """
        after = """
            from progresstree import get_progress_context, safe_label, ProgressStatus  # status names


            class Gain(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    with get_progress_context().block_execution(
                        safe_label(block, "id", default="block"),
                        safe_label(block, "name", "title", default="Gain"),
                        block_type="Gain",
                    ):
                        return {k: v * block.gain for k, v in inputs.items()}
        """
        self.assertCodemod(before, after, settings=DEFAULT)

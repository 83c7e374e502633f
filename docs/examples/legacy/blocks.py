"""Processing blocks: each turns named inputs into named outputs.

Legacy code written before progresstree.
"""

from abc import ABC, abstractmethod


class BlockProcessor(ABC):
    """Base class of every processing block."""

    @abstractmethod
    def process(self, block, inputs, metadata=None):
        """Return the outputs of ``block`` for ``inputs``."""


class AudioBlockProcessor(BlockProcessor):
    """Shared settings of the audio blocks."""

    sample_rate = 44100


class LoadAudioBlock(AudioBlockProcessor):
    def process(self, block, inputs, metadata=None):
        """Decode every input file."""
        outputs = {}
        for name, path in inputs.items():
            if not path.endswith(".wav"):
                raise ValueError(f"cannot decode {path!r}")
            outputs[name] = f"pcm({path})"
        return outputs


class GainBlock(BlockProcessor):
    def process(self, block, inputs, metadata=None):
        gain = block.settings.get("gain", 1.0)
        return {name: f"{value}*{gain}" for name, value in inputs.items()}


class NotImplementedYetBlock(BlockProcessor):
    def process(self, block, inputs, metadata=None):
        raise NotImplementedError

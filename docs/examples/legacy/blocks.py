"""Processing blocks: each turns named inputs into named outputs.

Legacy code written before progresstree.
"""

import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class BlockProcessor(ABC):
    """Base class of every processing block."""

    @abstractmethod
    def process(self, block, inputs, metadata=None):
        """Return the outputs of ``block`` for ``inputs``."""


class AudioBlockProcessor(BlockProcessor):
    """Shared settings and helpers of the audio blocks."""

    sample_rate = 44100

    def _decode(self, path):
        if not path.endswith(".wav"):
            raise ValueError(f"cannot decode {path!r}")
        return f"pcm({path})"


class LoadAudioBlock(AudioBlockProcessor):
    def process(self, block, inputs, metadata=None):
        """Decode every input file."""
        for name, path in inputs.items():
            if not isinstance(path, str):
                raise TypeError(f"{block.name}: input {name!r} is not a path")
        outputs = {}
        for name, path in inputs.items():
            outputs[name] = self._decode(path)
        log.debug("%s (%s) decoded %d files", block.name, block.type, len(outputs))
        return outputs


class GainBlock(BlockProcessor):
    def process(self, block, inputs, metadata=None):
        gain = block.settings.get("gain", 1.0)
        return {name: f"{value}*{gain}" for name, value in inputs.items()}


class NormalizeBlock(AudioBlockProcessor):
    """Reports progress through the tracker the executor puts in ``metadata``."""

    def process(self, block, inputs, metadata=None):
        progress_tracker = (metadata or {}).get("progress_tracker")
        outputs = {}
        for done, (name, pcm) in enumerate(inputs.items(), 1):
            outputs[name] = f"normalized({pcm})"
            if progress_tracker is not None:
                progress_tracker.update(done, len(inputs))
        return outputs


class SliceBlock(AudioBlockProcessor):
    """Yields slices as soon as each is cut, so the caller can stream them."""

    def process(self, block, inputs, metadata=None):
        size = block.settings.get("slice", 2)
        for name, pcm in inputs.items():
            yield name, self._cut(pcm, size)

    def _cut(self, pcm, size):
        return [pcm[start : start + size] for start in range(0, len(pcm), size)]


class NotImplementedYetBlock(BlockProcessor):
    def process(self, block, inputs, metadata=None):
        raise NotImplementedError

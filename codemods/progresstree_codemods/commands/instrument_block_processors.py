"""``instrument_block_processors.InstrumentBlockProcessorsCommand``."""

from __future__ import annotations

from progresstree_codemods import transformer
from progresstree_codemods.targets import BLOCK


class InstrumentBlockProcessorsCommand(transformer.InstrumentTransformer):
    """Instrument block processors only: block_execution and track_progress."""

    DESCRIPTION = (
        "Wrap the process() body of BlockProcessor subclasses in block_execution and "
        "count the items of its top-level loops with track_progress."
    )
    KINDS = frozenset({BLOCK})

"""``instrument.InstrumentCommand``: setlist services and block processors in one pass."""

from __future__ import annotations

from progresstree_codemods import transformer
from progresstree_codemods.targets import BLOCK, SETLIST


class InstrumentCommand(transformer.InstrumentTransformer):
    """Instrument every setlist service and block processor of a module."""

    DESCRIPTION = (
        "Add progresstree tracking to setlist services (setlist, song and action levels) "
        "and block processors (block_execution and track_progress)."
    )
    KINDS = frozenset({SETLIST, BLOCK})

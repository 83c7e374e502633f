"""``instrument_setlist_services.InstrumentSetlistServicesCommand``."""

from __future__ import annotations

from progresstree_codemods import transformer
from progresstree_codemods.targets import SETLIST


class InstrumentSetlistServicesCommand(transformer.InstrumentTransformer):
    """Instrument setlist services only: setlist operation, song and action levels."""

    DESCRIPTION = (
        "Wrap the songs loop of setlist services in setlist_processing/song levels and "
        "their action loops in action levels."
    )
    KINDS = frozenset({SETLIST})

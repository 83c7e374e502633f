"""The ``progresstree`` logger, imported lazily.

``logging`` costs several milliseconds to import and is only needed when a
listener fails or a store call names an unknown id, so it is loaded then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

__all__ = ["logger"]


def logger() -> logging.Logger:
    """The library's logger (``logging.getLogger("progresstree")``)."""
    import logging

    return logging.getLogger("progresstree")

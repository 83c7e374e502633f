"""``progresstree demo``: a sample setlist processed with live nested progress.

Six songs, four actions each, two blocks per action, two subprocesses per
block, every one doing small real signal work; the fourth song is mixed too
hot and fails in its limiter, to show how an error is captured. The run is
shown as a live tree on a terminal, as plain lines otherwise (``--plain``),
or as JSON lines (``--json``), and ends with a summary table built from the
store's history.
"""

from __future__ import annotations

from .cli import main

__all__ = ["main"]

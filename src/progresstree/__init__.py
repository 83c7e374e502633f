"""progresstree: hierarchical progress tracking.

Operations hold trees of levels (setlist -> song -> action -> block ->
subprocess, or any type you name) in a thread-safe in-memory store with
listeners, history, overall percentage and ETA. Levels open through context
managers, the ``@tracks`` decorator or ``track_progress`` over an iterable,
and nest by following the running code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._compiled import install_pure_finder, is_compiled

install_pure_finder()

# ruff: noqa: E402  (the finder must be in place before the modules below load)
from . import context as _context
from .concurrency import carry
from .context import (
    LevelContext,
    LevelHandle,
    OperationContext,
    ProgressContext,
    current_level,
    get_progress_context,
)
from .errors import LevelEndedError, OperationCancelled, PathWarning, ProgressError
from .models import ProgressEvent, ProgressLevel, ProgressState, ProgressStatus
from .safe import safe_label, safe_len
from .store import (
    ProgressEventStore,
    ProgressStore,
    get_progress_store,
    reset_progress_store,
)

__version__ = "0.1.0"

#: True when the mypyc-compiled hot path runs (see ``PROGRESSTREE_PURE``).
compiled: bool = is_compiled(_context)

if TYPE_CHECKING:
    from ._threads import ThreadPoolExecutor, instrument_threads, uninstrument_threads
    from .instrument.proxies import track_progress
    from .instrument.tracks import tracks
    from .process_pool import ProcessPoolExecutor
    from .propagation import attach, current_token

# Public names whose modules are slow to import (wrapt pulls in asyncio and
# importlib.metadata; concurrent.futures pulls in logging): loaded on first
# access, so ``import progresstree`` stays light.
_LAZY = {
    "ProcessPoolExecutor": ".process_pool",
    "ThreadPoolExecutor": "._threads",
    "instrument_threads": "._threads",
    "uninstrument_threads": "._threads",
    "attach": ".propagation",
    "current_token": ".propagation",
    "track_progress": ".instrument",
    "tracks": ".instrument",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        msg = f"module 'progresstree' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "LevelContext",
    "LevelEndedError",
    "LevelHandle",
    "OperationCancelled",
    "OperationContext",
    "PathWarning",
    "ProcessPoolExecutor",
    "ProgressContext",
    "ProgressError",
    "ProgressEvent",
    "ProgressEventStore",
    "ProgressLevel",
    "ProgressState",
    "ProgressStatus",
    "ProgressStore",
    "ThreadPoolExecutor",
    "attach",
    "carry",
    "compiled",
    "current_level",
    "current_token",
    "get_progress_context",
    "get_progress_store",
    "instrument_threads",
    "reset_progress_store",
    "safe_label",
    "safe_len",
    "track_progress",
    "tracks",
    "uninstrument_threads",
]

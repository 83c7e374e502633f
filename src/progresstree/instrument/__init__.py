"""Instrumentation: levels that appear by themselves around calls and loops.

``@tracks("song", id_from="song.id")`` opens a level around each call of a
function; ``track_progress(items)`` reports a loop's progress. Both follow
the current level, so decorated code nests without passing handles around.
"""

from __future__ import annotations

from .paths import Path, PathError, parse_path
from .proxies import AsyncTrackedIterable, TrackedIterable, track_progress
from .tracks import tracks

__all__ = [
    "AsyncTrackedIterable",
    "Path",
    "PathError",
    "TrackedIterable",
    "parse_path",
    "track_progress",
    "tracks",
]

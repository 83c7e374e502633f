"""JSON-lines output: one JSON object per event, for machines.

Every store event the (throttled) listener receives becomes one line with
``"scope": "operation"``; its level fields describe the level named by the
state's ``last_level_id`` (or the operation when there is none). Because
throttling coalesces updates, a level may start and end between two of
them; with ``level_events=True`` (the default) each level's start and end is
also written as its own line, ``"scope": "level"``, so a consumer sees the
lifecycle of every level. The schema is documented in ``docs/rendering.md``.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

from .._json import json_safe
from ..models import ProgressLevel, ProgressState
from ._transitions import TransitionTracker

__all__ = ["JsonLinesListener", "event_record", "level_record"]

_TERMINAL = frozenset({"completed", "failed", "cancelled"})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _base(
    event: str, scope: str, state: ProgressState, overall: dict[str, Any], stamp: str
) -> dict[str, Any]:
    return {
        "event": event,
        "scope": scope,
        "timestamp": stamp,
        "operation_id": state.operation_id,
        "operation_type": state.operation_type,
        "operation_name": state.name,
        "operation_status": state.status.value,
        "operation_error": state.error,
        "overall_percentage": overall["percentage"],
        "eta_seconds": overall["eta_seconds"],
    }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _level_fields(level: ProgressLevel) -> dict[str, Any]:
    return {
        "level_id": level.level_id,
        "level_type": level.level_type,
        "parent_id": level.parent_id,
        "name": level.name,
        "status": level.status.value,
        "current": level.current,
        "total": level.total,
        "percentage": level.percentage,
        "message": level.message,
        "error": level.error,
        "started_at": _iso(level.started_at),
        "completed_at": _iso(level.completed_at),
        "elapsed_seconds": level.get_elapsed_seconds(),
    }


def event_record(
    event: str, state: ProgressState, overall: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The object written for one store event (``scope == "operation"``).

    ``overall`` is ``state.get_overall_progress()`` when the caller has it.
    """
    if overall is None:
        overall = state.get_overall_progress()
    record = _base(event, "operation", state, overall, _now())
    level_id = state.last_level_id
    level = None if level_id is None else state.levels.get(level_id)
    if level is not None:
        record.update(_level_fields(level))
        return record
    record.update(
        {
            "level_id": None,
            "level_type": None,
            "parent_id": None,
            "name": state.name,
            "status": state.status.value,
            "current": state.current,
            "total": overall["total"],
            "percentage": overall["percentage"],
            "message": state.message,
            "error": state.error,
            "started_at": _iso(state.started_at),
            "completed_at": _iso(state.completed_at),
            "elapsed_seconds": state.get_elapsed_seconds(),
        }
    )
    return record


def level_record(
    event: str,
    state: ProgressState,
    level: ProgressLevel,
    overall: dict[str, Any] | None = None,
    stamp: str | None = None,
) -> dict[str, Any]:
    """The object written for one level's start or end (``scope == "level"``).

    A flush writing many records passes the operation's ``overall`` progress
    and ``stamp`` once instead of recomputing them per record.
    """
    if overall is None:
        overall = state.get_overall_progress()
    record = _base(event, "level", state, overall, stamp or _now())
    record.update(_level_fields(level))
    return record


def _line(record: dict[str, Any]) -> str:
    """One record as a line; an odd value (a non-str level type) goes through json_safe.

    Every field is a str, a number or None already, so the plain (cached)
    encoder is tried first: walking each record with ``json_safe``, or
    passing ``default=``, cost more than the encoding itself.
    """
    try:
        return json.dumps(record) + "\n"
    except (TypeError, ValueError):
        return json.dumps(json_safe(record)) + "\n"


class JsonLinesListener:
    """A store listener writing one JSON object per line to ``stream``."""

    def __init__(self, stream: TextIO | None = None, *, level_events: bool = True) -> None:
        self.stream = stream
        self.level_events = level_events
        self._lock = threading.Lock()
        self._tracker = TransitionTracker()

    def __call__(self, event: str, state: ProgressState) -> None:
        """Store listener: write this event's lines and flush."""
        with self._lock:
            records = self.records(event, state)
            out = self.stream or sys.stdout
            out.write("".join([_line(r) for r in records]))
            out.flush()

    def records(self, event: str, state: ProgressState) -> list[dict[str, Any]]:
        """The objects for one event (without writing them).

        The overall progress is computed once per call, and the level lines
        come from a change cursor: a flush costs the levels that changed.
        """
        overall = state.get_overall_progress()
        stamp = _now()
        records: list[dict[str, Any]] = []
        if event == "started":
            records.append(event_record(event, state, overall))
        if self.level_events:
            for change in self._tracker.changes(state):
                level = change.level
                kind = level.status.value if change.kind == "ended" else "started"
                if kind not in _TERMINAL and change.kind == "ended":
                    kind = "cancelled"
                records.append(level_record(kind, state, level, overall, stamp))
        if event != "started":
            records.append(event_record(event, state, overall))
        if event in _TERMINAL:
            self._tracker.forget(state.operation_id)
        return records

"""JSON-lines output: one JSON object per event, for machines.

Every store event the (throttled) listener receives becomes one line with
``"scope": "operation"``; its level fields describe the level named by the
state's ``last_level_id`` (or the operation when there is none). Because
throttling coalesces updates, a level may start and end between two of
them; with ``level_events=True`` (the default) each level's start and end is
also written as its own line, ``"scope": "level"``, so a consumer sees the
lifecycle of every level (short ones counted past a bound, below). The
schema is documented in ``docs/rendering.md``.

Encoding a line costs several times an empty level, so of the levels that
start and complete between two flushes only the first ``short_levels`` get
their own lines; the others are counted in one ``"scope": "levels"`` line
per flush (per level type). Levels seen running at a flush, and failed or
cancelled levels, always get theirs; ``short_levels=None`` writes every one.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

from .._clock import to_wall
from .._json import json_safe
from ..models import ProgressLevel, ProgressState
from ._transitions import TransitionTracker, check_short_levels

__all__ = ["JsonLinesListener", "event_record", "folded_record", "level_record"]

_TERMINAL = frozenset({"completed", "failed", "cancelled"})


_UTC = timezone.utc
_OFFSET = to_wall(0.0)  # epoch seconds minus this process's monotonic reading


def _iso(reading: float | None) -> str | None:
    """A monotonic reading as ISO 8601 UTC, as ``started_at.isoformat()`` gives it.

    Formatted straight from the reading: a level line writes two of them,
    and the ``started_at`` property (a function-level import, a call) cost
    as much again as the formatting.
    """
    if reading is None:
        return None
    return datetime.fromtimestamp(reading + _OFFSET, _UTC).isoformat()


def _base(
    event: str, scope: str, state: ProgressState, overall: dict[str, Any], stamp: str
) -> dict[str, Any]:
    record = {"event": event, "scope": scope}
    record.update(_operation_fields(state, overall, stamp))
    return record


def _operation_fields(state: ProgressState, overall: dict[str, Any], stamp: str) -> dict[str, Any]:
    """The fields every line repeats: when, and the operation at that moment."""
    return {
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


def _level_fields(state: ProgressState, level: ProgressLevel) -> dict[str, Any]:
    return {
        "level_id": level.level_id,
        "level_type": level.level_type,
        "parent_id": level.parent_id,
        "name": level.name,
        "status": level.status.value,
        "current": level.current,
        "total": level.total,
        "percentage": state.level_percentage(level),
        "message": level.message,
        "error": level.error,
        "started_at": _iso(level.started_monotonic),
        "completed_at": _iso(level.completed_monotonic),
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
        record.update(_level_fields(state, level))
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
            "started_at": _iso(state.started_monotonic),
            "completed_at": _iso(state.completed_monotonic),
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
    record.update(_level_fields(state, level))
    return record


_NO_LEVEL: dict[str, Any] = dict.fromkeys(
    (
        "level_id",
        "level_type",
        "parent_id",
        "name",
        "status",
        "current",
        "total",
        "percentage",
        "message",
        "error",
        "started_at",
        "completed_at",
        "elapsed_seconds",
    )
)


def folded_record(
    state: ProgressState,
    folded: dict[str, int],
    overall: dict[str, Any] | None = None,
    stamp: str | None = None,
) -> dict[str, Any]:
    """The object counting the short levels a flush did not write one by one.

    ``{"event": "completed", "scope": "levels", "count": 8123,
    "by_type": {"action": 8000, "song": 123}, ...}`` with the operation's
    fields, as on every line.
    """
    if overall is None:
        overall = state.get_overall_progress()
    record = _base("completed", "levels", state, overall, stamp or _now())
    record.update(_NO_LEVEL)  # every line carries every field of the schema
    record["status"] = "completed"
    by_type = {str(kind): count for kind, count in folded.items()}
    record["count"] = sum(by_type.values())
    record["by_type"] = by_type
    return record


def _encode(record: dict[str, Any]) -> str:
    """One record as JSON; an odd value (a non-str level type) goes through json_safe.

    Every field is a str, a number or None already, so the plain (cached)
    encoder is tried first: walking each record with ``json_safe``, or
    passing ``default=``, cost more than the encoding itself.
    """
    try:
        return json.dumps(record)
    except (TypeError, ValueError):
        return json.dumps(json_safe(record))


# One step of a flush: the operation's line, a level's ("started" or its
# end, level) or the count of short levels (level type -> count).
_Step = tuple[str, Any]


class JsonLinesListener:
    """A store listener writing one JSON object per line to ``stream``.

    ``level_events``: also write each level's start and end (``"scope":
    "level"``). ``short_levels``: of the levels that started and completed
    since the previous write, how many get their own lines (the others are
    counted in one ``"scope": "levels"`` line); None writes every one.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        level_events: bool = True,
        short_levels: int | None = 10,
    ) -> None:
        self.stream = stream
        self.level_events = level_events
        self.short_levels = check_short_levels(short_levels)
        self._lock = threading.Lock()
        self._tracker = TransitionTracker()

    def __call__(self, event: str, state: ProgressState) -> None:
        """Store listener: write this event's lines and flush."""
        with self._lock:
            text = self._text(event, state)
            out = self.stream or sys.stdout
            out.write(text)
            out.flush()

    def records(self, event: str, state: ProgressState) -> list[dict[str, Any]]:
        """The objects for one event (without writing them).

        The overall progress is computed once per call, and the level lines
        come from a change cursor: a flush costs the levels that changed.
        """
        overall = state.get_overall_progress()
        stamp = _now()
        records: list[dict[str, Any]] = []
        for what, item in self._steps(event, state):
            if what == "level":
                records.append(level_record(item[0], state, item[1], overall, stamp))
            elif what == "levels":
                records.append(folded_record(state, item, overall, stamp))
            else:
                records.append(event_record(event, state, overall))
        return records

    def _text(self, event: str, state: ProgressState) -> str:
        """The lines of ``records()``, encoded for less than a record each.

        The operation's fields are the same on every level line of a flush
        and are encoded once; a level that started and ended since the last
        flush writes the same fields on both of its lines, encoded once.
        """
        overall = state.get_overall_progress()
        stamp = _now()
        head = ""
        bodies: dict[int, str] = {}
        lines: list[str] = []
        for what, item in self._steps(event, state):
            if what != "level":
                record = (
                    folded_record(state, item, overall, stamp)
                    if what == "levels"
                    else event_record(event, state, overall)
                )
                lines.append(_encode(record))
                continue
            if not head:
                head = _encode(_operation_fields(state, overall, stamp))[1:-1]
            kind, level = item
            body = bodies.get(id(level))
            if body is None:
                body = bodies[id(level)] = _encode(_level_fields(state, level))[1:]
            lines.append(f'{{"event": "{kind}", "scope": "level", {head}, {body}')
        lines.append("")
        return "\n".join(lines)

    def _steps(self, event: str, state: ProgressState) -> list[_Step]:
        """What one event writes, in order (see ``_Step``)."""
        steps: list[_Step] = []
        if event == "started":
            steps.append(("operation", None))
        if self.level_events:
            look = self._tracker.changes(state, brief=self.short_levels)
            for change in look.transitions:
                level = change.level
                kind = level.status.value if change.kind == "ended" else "started"
                if kind not in _TERMINAL and change.kind == "ended":
                    kind = "cancelled"
                steps.append(("level", (kind, level)))
            if look.folded:
                steps.append(("levels", look.folded))
        if event != "started":
            steps.append(("operation", None))
        if event in _TERMINAL:
            self._tracker.forget(state.operation_id)
        return steps

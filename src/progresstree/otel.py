"""Exporting progress trees as OpenTelemetry spans (extra ``progresstree[otel]``).

``store.add_callback(SpanExportListener())``: each operation becomes a root
span (``progress.level_type = "operation"``) and each level a child span of
its parent level's span, named after the level, started and ended at the
level's own times. Counters and metadata are span attributes
(``progress.current``, ``progress.total``, ``progress.percentage``,
``progress.metadata.<key>``); a failed level or operation gets an
``exception`` event and status ERROR.

Like the relays, the listener reads a change cursor (``_changes.py``): each
event costs the levels that are new or still open, so a deep, finished tree
costs nothing per event.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from . import _clock
from ._changes import ChangeCursor
from ._json import json_safe
from .models import FAILED, ProgressLevel, ProgressState, metadata_of

__all__ = ["SpanExportListener"]

_PRIMITIVES = (str, bool, int, float)


def _ns(value: float | None) -> int | None:
    return None if value is None else int(_clock.to_wall(value) * 1e9)


def _attribute(value: Any) -> Any:
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return str(json_safe(value))


def _record_failure(span: Span, error: str | None, details: dict[str, Any] | None) -> None:
    kind = (details or {}).get("exception_type") or "Error"
    message = error or kind
    attributes = {"exception.type": str(kind), "exception.message": message}
    stack = (details or {}).get("traceback")
    if stack:
        attributes["exception.stacktrace"] = str(stack)
    span.add_event("exception", attributes)
    span.set_status(Status(StatusCode.ERROR, message))


def _fingerprint(level: ProgressLevel) -> tuple[Any, ...]:
    return (level.current, level.total, level.message, level.status)


class _OpSpans:
    __slots__ = ("cursor", "open", "root", "spans", "state")

    def __init__(self, state: ProgressState, root: Span) -> None:
        self.state = state
        self.root = root
        self.cursor = ChangeCursor(_fingerprint)
        self.open: dict[str, Span] = {}  # spans of levels still open
        self.spans: dict[str, Span] = {}  # every level's span, for parent links


class SpanExportListener:
    """A store listener that mirrors operations and levels as OTel spans."""

    def __init__(self, tracer_provider: Any = None) -> None:
        provider = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
        self._tracer = provider.get_tracer("progresstree")
        self._ops: dict[str, _OpSpans] = {}
        self._lock = threading.Lock()

    def __call__(self, event: str, state: ProgressState) -> None:
        with self._lock:
            ops = self._ops.get(state.operation_id)
            if ops is None or ops.state is not state:
                if state.is_finished and event == "updated":
                    return
                ops = self._ops[state.operation_id] = _OpSpans(state, self._root_span(state))
            self._sync_levels(ops)
            if state.is_finished:
                self._end_operation(ops)

    def _root_span(self, state: ProgressState) -> Span:
        attributes = {
            "progress.level_type": "operation",
            "progress.operation_id": state.operation_id,
            "progress.operation_type": state.operation_type,
        }
        for key, value in state.metadata.items():
            attributes[f"progress.metadata.{key}"] = _attribute(value)
        return self._tracer.start_span(
            state.name or state.operation_type,
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            attributes=attributes,
            start_time=_ns(state.started_monotonic),
        )

    def _sync_levels(self, ops: _OpSpans) -> None:
        found = ops.cursor.poll(ops.state)
        for level in (*found.changed, *found.ended):
            span = ops.open.get(level.level_id)
            if span is not None:
                self._refresh(ops, span, level)
        for level in found.new:
            parent = ops.root
            if level.parent_id is not None:
                parent = ops.spans.get(level.parent_id, parent)
            span = self._tracer.start_span(
                level.name or level.level_id,
                context=trace.set_span_in_context(parent),
                attributes={
                    "progress.level_type": level.level_type,
                    "progress.level_id": level.level_id,
                },
                start_time=_ns(level.started_monotonic),
            )
            ops.spans[level.level_id] = span
            ops.open[level.level_id] = span
            self._refresh(ops, span, level)

    def _refresh(self, ops: _OpSpans, span: Span, level: ProgressLevel) -> None:
        span.set_attribute("progress.current", level.current)
        span.set_attribute("progress.total", level.total)
        span.set_attribute("progress.percentage", ops.state.level_percentage(level))
        span.set_attribute("progress.status", level.status.value)
        if level.message is not None:
            span.set_attribute("progress.message", level.message)
        for key, value in (metadata_of(level) or {}).items():
            span.set_attribute(f"progress.metadata.{key}", _attribute(value))
        if level.is_finished:
            ops.open.pop(level.level_id, None)
            if level.status is FAILED:
                _record_failure(span, level.error, level.error_details)
            span.end(end_time=_ns(level.completed_monotonic))

    def _end_operation(self, ops: _OpSpans) -> None:
        state = ops.state
        for span in ops.open.values():  # still open: end with the operation
            span.end(end_time=_ns(state.completed_monotonic))
        ops.open.clear()
        root = ops.root
        root.set_attribute("progress.status", state.status.value)
        progress = state.get_overall_progress()
        root.set_attribute("progress.percentage", progress["percentage"])
        root.set_attribute("progress.total", progress["total"])
        if state.status is FAILED:
            _record_failure(root, state.error, state.error_details)
        root.end(end_time=_ns(state.completed_monotonic))
        self._ops.pop(state.operation_id, None)

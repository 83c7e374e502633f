"""SpanExportListener: levels as OpenTelemetry spans (in-memory exporter)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from progresstree import get_progress_context
from progresstree.otel import SpanExportListener


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    progress = get_progress_context()
    listener = SpanExportListener(tracer_provider=provider)
    progress.store.add_callback(listener)
    yield memory
    progress.store.remove_callback(listener)


def _by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def test_operation_is_root_span_and_levels_are_children(exporter: InMemorySpanExporter) -> None:
    progress = get_progress_context()
    with progress.setlist_processing("s1", "Setlist") as op:
        with op.song("s", "Song", total=2) as song:
            with song.action("a", "Action", gain=3):
                pass
            song.update(current=2)
    spans = _by_name(exporter.get_finished_spans())
    root, song_span, action = spans["Setlist"], spans["Song"], spans["Action"]
    assert root.parent is None
    assert root.attributes["progress.level_type"] == "operation"  # type: ignore[index]
    assert song_span.parent.span_id == root.context.span_id  # type: ignore[union-attr]
    assert action.parent.span_id == song_span.context.span_id  # type: ignore[union-attr]
    assert {s.context.trace_id for s in spans.values()} == {root.context.trace_id}  # type: ignore[union-attr]
    attributes = song_span.attributes
    assert attributes["progress.level_type"] == "song"  # type: ignore[index]
    assert attributes["progress.level_id"] == "s"  # type: ignore[index]
    assert attributes["progress.current"] == 2  # type: ignore[index]
    assert attributes["progress.total"] == 2  # type: ignore[index]
    assert attributes["progress.percentage"] == 100.0  # type: ignore[index]
    assert action.attributes["progress.metadata.gain"] == 3  # type: ignore[index]
    assert action.start_time >= song_span.start_time  # type: ignore[operator]
    assert action.end_time <= song_span.end_time  # type: ignore[operator]


def test_failure_records_exception_event_and_error_status(
    exporter: InMemorySpanExporter,
) -> None:
    progress = get_progress_context()
    with pytest.raises(ValueError), progress.operation("job", "Job") as op:
        with op.song("s", "Bad song"):
            raise ValueError("broken input")
    spans = _by_name(exporter.get_finished_spans())
    for name in ("Bad song", "Job"):
        span = spans[name]
        assert span.status.status_code is StatusCode.ERROR
        event = next(e for e in span.events if e.name == "exception")
        assert event.attributes["exception.type"] == "ValueError"  # type: ignore[index]
        assert event.attributes["exception.message"] == "broken input"  # type: ignore[index]


def test_levels_opened_and_closed_between_events_still_get_spans(
    exporter: InMemorySpanExporter,
) -> None:
    progress = get_progress_context()
    with progress.operation("job", "Job") as op:
        for index in range(20):
            with op.song(index, f"song {index}"):
                pass
    names = {span.name for span in exporter.get_finished_spans()}
    assert {f"song {index}" for index in range(20)} <= names


def test_non_primitive_metadata_becomes_text(exporter: InMemorySpanExporter) -> None:
    progress = get_progress_context()
    with progress.operation("job", "Job") as op, op.song("s", "Song", info={"k": [1, 2]}):
        pass
    song = _by_name(exporter.get_finished_spans())["Song"]
    assert song.attributes["progress.metadata.info"] == "{'k': [1, 2]}"  # type: ignore[index]

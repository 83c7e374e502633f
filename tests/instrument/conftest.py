"""Instrumentation tests report to the process-wide store, fresh per test."""

from __future__ import annotations

import pytest

import progresstree


@pytest.fixture
def store() -> progresstree.ProgressEventStore:
    """The (freshly reset) process-wide store, where ``@tracks`` operations go."""
    return progresstree.reset_progress_store()


@pytest.fixture
def progress(store: progresstree.ProgressEventStore) -> progresstree.ProgressContext:
    """A context bound to that store."""
    return progresstree.get_progress_context(store)

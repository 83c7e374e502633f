"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import progresstree


@pytest.fixture(autouse=True)
def fresh_global_store() -> Iterator[progresstree.ProgressEventStore]:
    """Every test starts with an empty process-wide store."""
    store = progresstree.reset_progress_store()
    yield store
    progresstree.reset_progress_store()


@pytest.fixture
def store() -> progresstree.ProgressEventStore:
    """A private store, for tests that must not touch the global one."""
    return progresstree.ProgressEventStore()


@pytest.fixture
def progress(store: progresstree.ProgressEventStore) -> progresstree.ProgressContext:
    """A context bound to the private store."""
    return progresstree.get_progress_context(store)

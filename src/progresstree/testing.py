"""Helpers for testing code instrumented with progresstree.

``RecordingListener`` keeps every event with a snapshot of the operation at
that moment; ``assert_tree`` checks the shape and statuses of a tree with a
readable diff.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import ProgressLevel, ProgressState

__all__ = ["RecordedEvent", "RecordingListener", "assert_tree", "tree_of"]


@dataclass(frozen=True)
class RecordedEvent:
    """One event as a listener saw it."""

    event_type: str
    operation_id: str
    status: str
    last_level_id: str | None
    percentage: float
    snapshot: dict[str, Any] = field(repr=False)


class RecordingListener:
    """A listener that records events; add it with ``store.add_callback``."""

    def __init__(self, *, snapshots: bool = False) -> None:
        self.events: list[RecordedEvent] = []
        self._snapshots = snapshots
        self._lock = threading.Lock()

    def __call__(self, event_type: str, state: ProgressState) -> None:
        event = RecordedEvent(
            event_type,
            state.operation_id,
            state.status.value,
            state.last_level_id,
            state.get_overall_progress()["percentage"],
            state.to_dict() if self._snapshots else {},
        )
        with self._lock:
            self.events.append(event)

    def types(self, operation_id: str | None = None) -> list[str]:
        """The event types seen, in order (optionally for one operation)."""
        return [
            e.event_type
            for e in list(self.events)
            if operation_id is None or e.operation_id == operation_id
        ]

    def clear(self) -> None:
        """Forget the recorded events."""
        with self._lock:
            self.events.clear()


def _node(level: ProgressLevel) -> dict[str, Any]:
    return {
        "type": level.level_type,
        "status": level.status.value,
        "children": {
            child.level_id.rsplit(":", 1)[-1]: _node(child) for child in level.children.values()
        },
    }


def tree_of(state: ProgressState) -> dict[str, Any]:
    """The tree as nested dicts keyed by each level's own (last) id part."""
    levels = state.levels
    return {
        root_id: _node(levels[root_id])
        for root_id in list(state.root_level_ids)
        if root_id in levels
    }


def _compare(actual: Mapping[str, Any], expected: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    for key, want in expected.items():
        where = f"{path}/{key}" if path else key
        node = actual.get(key)
        if node is None:
            problems.append(f"missing level {where!r} (have {sorted(actual)})")
            continue
        if isinstance(want, str):
            want = {"status": want}  # noqa: PLW2901 - normalising the shorthand
        elif isinstance(want, tuple):
            want = {"status": want[0], "children": want[1]}  # noqa: PLW2901
        for attribute in ("type", "status"):
            if attribute in want and node[attribute] != want[attribute]:
                problems.append(
                    f"{where}: {attribute} is {node[attribute]!r}, expected {want[attribute]!r}"
                )
        if "children" in want:
            problems.extend(_compare(node["children"], want["children"], where))
    return problems


def assert_tree(state: ProgressState, expected: Mapping[str, Any], *, exact: bool = False) -> None:
    """Check levels by id path: ``{"s1": ("completed", {"a0": "failed"})}``.

    A value is a status string, a ``(status, children)`` tuple, or a dict
    with any of ``type``, ``status``, ``children``. With ``exact=True`` the
    root ids must match exactly too.
    """
    actual = tree_of(state)
    problems = _compare(actual, expected, "")
    if exact and set(actual) != set(expected):
        problems.append(f"root ids are {sorted(actual)}, expected {sorted(expected)}")
    if problems:
        raise AssertionError("progress tree differs:\n  " + "\n  ".join(problems))

"""Duplicate level ids: ``x``, ``x#2``, ``x#3`` ... in O(1) per claim.

A repeated id gets the first free ``#n`` suffix. Probing from ``#2`` every
time made the k-th repeat of an id cost k lookups (a loop re-entering the
same id 40,000 times spent seconds per level). A counter per base id (the
full id, so per parent) remembers the last suffix handed out, and the next
repeat starts after it. Each attempt is still one atomic ``setdefault``: two
threads racing on a stale counter both probe on and never overwrite each
other; the counter only saves probes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["claim_suffixed", "free_suffixed"]


def claim_suffixed(
    levels: dict[str, Any], counters: dict[str, int], full_id: str, level: Any
) -> str:
    """Insert ``level`` under the first free ``full_id#n`` (n >= 2); its id."""
    n = counters.get(full_id, 1)
    while True:
        n += 1
        candidate = f"{full_id}#{n}"
        if levels.setdefault(candidate, level) is level:
            counters[full_id] = n
            return candidate


def free_suffixed(levels: dict[str, Any], counters: dict[str, int], full_id: str) -> str:
    """The id ``claim_suffixed`` would pick now, without claiming it."""
    n = counters.get(full_id, 1) + 1
    while f"{full_id}#{n}" in levels:
        n += 1
    counters[full_id] = n - 1
    return f"{full_id}#{n}"

"""One monotonic clock for the whole library.

Levels record ``time.perf_counter()`` only (a float, smaller than a big int):
it is cheap and never jumps.
Wall-clock datetimes are derived from it on demand, with an offset measured
once at import, so the hot path never calls ``datetime.now()``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "datetime_to_monotonic",
    "from_wall",
    "monotonic",
    "monotonic_to_datetime",
    "to_wall",
]

# Final: compiled code then calls it directly, without a module-dict lookup.
monotonic: Final = time.perf_counter
_WALL_OFFSET = time.time() - time.perf_counter()


def monotonic_to_datetime(seconds: float) -> datetime:
    """The UTC wall-clock time of a monotonic reading."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds + _WALL_OFFSET, tz=timezone.utc)


def datetime_to_monotonic(value: datetime) -> float:
    """The monotonic reading that corresponds to a wall-clock time."""
    from datetime import timezone

    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp() - _WALL_OFFSET


def to_wall(seconds: float) -> float:
    """A monotonic reading as Unix time (seconds), for records sent elsewhere."""
    return seconds + _WALL_OFFSET


def from_wall(seconds: float) -> float:
    """Unix time (seconds) from another process as a reading of this clock."""
    return seconds - _WALL_OFFSET

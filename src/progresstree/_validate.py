"""Argument checks shared by the models, the store and the handles.

They run before anything is changed, so a rejected call leaves the store as
it was. Public parameters they check are annotated ``object``: in the
compiled build, mypyc checks annotated types before the body runs, and its
generic message would replace the ones raised here.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = [
    "INT_LIMIT",
    "LIMIT",
    "SMALL",
    "check_amount",
    "check_increment",
    "check_text",
    "check_update",
]

# The largest amount accepted: the largest float. A bigger int would make
# ``current / total`` raise OverflowError in every percentage and snapshot.
LIMIT: Final = 1.7976931348623157e308
# The same bound for ints, as an int (an int compared with a float is slow).
INT_LIMIT = int(LIMIT)
# Ints up to this need no further check: CPython compares such one-digit
# ints on its fastest path, and the check runs on every level.
SMALL: Final = 2**30 - 1


def check_amount(argument: str, value: object) -> int | float:
    """Return ``value`` if it is a finite, non-negative number, else raise."""
    if type(value) is int and 0 <= value <= SMALL:  # fast path for the common case
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{argument} must be a number, got {value!r} of type {type(value).__name__}"
        raise TypeError(msg)
    if (isinstance(value, float) and not math.isfinite(value)) or value > LIMIT:
        shown = value if isinstance(value, float) else f"an int of {value.bit_length()} bits"
        msg = f"{argument} must be a finite number, got {shown}"
        raise ValueError(msg)
    if value < 0:
        msg = f"{argument} must be >= 0, got {value!r}"
        raise ValueError(msg)
    return value


def check_text(argument: str, value: object) -> str | None:
    """Return ``value`` if it is a string or None, else raise ``TypeError``."""
    if value is None or isinstance(value, str):
        return value
    msg = f"{argument} must be a string or None, got {value!r} of type {type(value).__name__}"
    raise TypeError(msg)


def check_update(
    current: object, total: object, message: object, increment: object
) -> tuple[int | float | None, int | float | None, str | None, int | float]:
    """Check the arguments of an ``update`` call and return them typed.

    ``increment`` is checked by type only (``check_increment`` checks the
    sum); a falsy one means no increment and comes back as 0.
    """
    if current is not None:
        current = check_amount("current", current)
    if total is not None:
        total = check_amount("total", total)
    text = check_text("message", message)
    if not increment:
        return current, total, text, 0
    if isinstance(increment, bool) or not isinstance(increment, (int, float)):
        msg = f"increment must be a number, got {increment!r}"
        raise TypeError(msg)
    return current, total, text, increment


def check_increment(base: int | float, increment: int | float) -> None:
    """Refuse an increment that would make ``current`` negative."""
    check_amount("current", base + increment)

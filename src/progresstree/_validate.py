"""Argument checks shared by the models, the store and the handles.

They run before anything is changed, so a rejected call leaves the store as
it was.
"""

from __future__ import annotations

import math

__all__ = ["check_amount", "check_text"]


def check_amount(argument: str, value: object) -> int | float:
    """Return ``value`` if it is a finite, non-negative number, else raise."""
    if type(value) is int:  # fast path for the common case
        if value < 0:
            msg = f"{argument} must be >= 0, got {value!r}"
            raise ValueError(msg)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{argument} must be a number, got {value!r} of type {type(value).__name__}"
        raise TypeError(msg)
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"{argument} must be a finite number, got {value!r}"
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

"""Turning values read by path expressions into level fields, without raising."""

from __future__ import annotations

import math

from .._json import safe_repr

__all__ = ["as_label", "as_total", "describe_failure", "short_text"]

_MAX_TEXT = 80


def describe_failure(exc: BaseException) -> str:
    """``"KeyError: 'id'"``: what is noted in a level's ``path_errors``."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def as_total(value: object) -> tuple[int | float, str]:
    """A total from a number or a sized value; ``(0, problem)`` when unusable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value >= 0 and math.isfinite(value):
            return value, ""
        return 0, f"total must be a finite number >= 0, got {value!r}"
    try:
        size = len(value)  # type: ignore[arg-type]
    except Exception:
        return 0, f"total must be a number or have a length, got {type(value).__name__}"
    return size, ""


def as_label(value: object) -> tuple[str | None, str]:
    """``(str(value), "")``, or ``(None, problem)`` when ``str`` raises."""
    if type(value) is str:
        return value, ""
    try:
        return str(value), ""
    except Exception as exc:
        return None, describe_failure(exc)


def short_text(value: object) -> str:
    """``str(value)`` cut to a label's length (a short repr if ``str`` fails)."""
    try:
        text = value if type(value) is str else str(value)
    except Exception:
        text = safe_repr(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."

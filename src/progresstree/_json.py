"""Turn arbitrary metadata into plain JSON data without ever raising.

User metadata can hold anything (paths, numpy scalars, objects whose
``__repr__`` is broken). ``to_dict()`` must stay JSON-serialisable and must
not let a user's faulty ``__repr__`` escape into the tracked work.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe", "safe_repr"]

_MAX_DEPTH = 32


def safe_repr(value: object) -> str:
    """``repr(value)``, or a placeholder naming the type when repr raises."""
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


def json_safe(value: Any, _depth: int = 0) -> Any:
    """A JSON-serialisable copy of ``value``; unknown types become ``repr``."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(float(value))
    if _depth >= _MAX_DEPTH:
        return safe_repr(value)
    if isinstance(value, dict):
        return {_key(k): json_safe(v, _depth + 1) for k, v in list(value.items())}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, _depth + 1) for v in list(value)]
    return safe_repr(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return str.__str__(key)
    try:
        return str(key)
    except Exception:
        return safe_repr(key)

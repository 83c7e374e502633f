"""Helpers that never raise, for code that must not gain a new way to fail.

The codemod inserts calls to these where the legacy code does not already
evaluate an id, a name or a length itself.
"""

from __future__ import annotations

from ._json import safe_repr

__all__ = ["safe_label", "safe_len"]

_MAX_LABEL = 80


def safe_label(obj: object, *attributes: str, default: str = "") -> str:
    """The first non-None attribute of ``obj`` among ``attributes``, as text.

    Falls back to ``default`` (or a short ``repr`` of ``obj`` when default is
    empty and no attributes were named). Never raises.
    """
    for attribute in attributes:
        try:
            value = getattr(obj, attribute, None)
        except Exception:
            continue
        if value is not None:
            try:
                return str(value)
            except Exception:
                return safe_repr(value)[:_MAX_LABEL]
    if default or attributes:
        return default
    text = safe_repr(obj)
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 3] + "..."


def safe_len(obj: object) -> int | None:
    """``len(obj)``, or None when it has no usable length. Never raises."""
    try:
        size = len(obj)  # type: ignore[arg-type]
    except Exception:
        return None
    return size if isinstance(size, int) and size >= 0 else None

"""Checking change records that arrive from other processes before applying any.

Records (see ``_relay``) cross process and machine boundaries, and whoever
can write to a Redis stream can write anything. A batch is therefore
decoded with a size and nesting cap (:func:`loads`) and checked whole
(:func:`check_batch`) before the replica changes the store: every field has
the type, range and length the store itself would accept, ids are strings,
and numbers are finite and bounded. A batch with one bad record is refused
as a whole, so nothing is ever half applied.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from ._json import safe_repr

__all__ = [
    "MAX_DEPTH",
    "MAX_ENTRY_CHARS",
    "MAX_ID",
    "MAX_RECORDS",
    "MAX_TEXT",
    "RecordError",
    "check_batch",
    "loads",
]

MAX_ENTRY_CHARS = 1 << 20  # one encoded batch (one stream entry)
MAX_DEPTH = 40  # nesting of a batch: 4 levels of record structure + metadata
MAX_RECORDS = 10_000  # records in one batch
MAX_ID = 1024  # characters of an operation, level or parent id
MAX_TEXT = 4096  # characters kept of a name, type, message or error
MAX_AMOUNT = 10**18  # current and total: beyond every real count, still a float
_MAX_WALL = 1e11  # epoch seconds (the year 5138)
_STATUSES = frozenset({"pending", "running", "completed", "failed", "cancelled"})
_OP_FIELDS = 15
_LEVEL_FIELDS = 13


class RecordError(ValueError):
    """A batch of records that is refused; the message says why."""


def _refuse(what: str, value: object) -> NoReturn:
    shown = safe_repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    msg = f"bad {what}: {shown}"
    raise RecordError(msg) from None


# -- decoding ----------------------------------------------------------------------

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _nesting_ok(text: str, limit: int) -> bool:
    """True when ``text`` nests brackets at most ``limit`` deep (no recursion).

    Strings are removed first (they may hold brackets), then every pass
    removes the innermost ``[]`` / ``{}`` pairs: ``limit`` passes empty any
    well-formed text that is not deeper.
    """
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(limit):
        if not brackets:
            return True
        shorter = brackets.replace("[]", "").replace("{}", "")
        if len(shorter) == len(brackets):
            return False  # unbalanced: json.loads would refuse it anyway
        brackets = shorter
    return not brackets


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _refuse("number", text)
    return value


def _no_constant(text: str) -> Any:
    _refuse("number", text)


def loads(text: object) -> Any:
    """Decode one encoded batch, refusing what is too large, too deep or not JSON.

    Never raises anything but :class:`RecordError` (no ``RecursionError``, no
    infinite or NaN numbers).
    """
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_ENTRY_CHARS:
            _refuse("size", f"{len(text)} bytes")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            _refuse("encoding", exc.reason)
    if not isinstance(text, str):
        _refuse("batch type", type(text).__name__)
    if len(text) > MAX_ENTRY_CHARS:
        _refuse("size", f"{len(text)} characters")
    if not _nesting_ok(text, MAX_DEPTH):
        _refuse("nesting", f"deeper than {MAX_DEPTH} or unbalanced")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecordError:
        raise
    except (ValueError, RecursionError) as exc:
        _refuse("JSON", str(exc))


# -- fields ------------------------------------------------------------------------


def _ident(what: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        _refuse(what, value)
    if isinstance(value, int) and not -MAX_AMOUNT <= value <= MAX_AMOUNT:
        _refuse(what, value)
    text = str(value)
    if not text or len(text) > MAX_ID:
        _refuse(what, value)
    return text


def _parent(value: object) -> str | None:
    return None if value is None else _ident("parent id", value)


def _text(what: str, value: object) -> str:
    if not isinstance(value, str):
        _refuse(what, value)
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _optional_text(what: str, value: object) -> str | None:
    return None if value is None else _text(what, value)


def _amount(what: str, value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _refuse(what, value)
    if not 0 <= value <= MAX_AMOUNT:  # also False for NaN
        _refuse(what, value)
    return value


def _wall(what: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _refuse(what, value)
    if not 0 <= value <= _MAX_WALL:
        _refuse(what, value)
    return float(value)


def _status(value: object) -> str:
    if not isinstance(value, str) or value not in _STATUSES:
        _refuse("status", value)
    return value


def _mapping(what: str, value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        _refuse(what, value)
    return value or None


def _instance(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        _refuse("instance", value)
    if isinstance(value, str) and len(value) > MAX_ID:
        _refuse("instance", value)
    return value


# -- records -----------------------------------------------------------------------


def _op(entry: list[Any]) -> list[Any]:
    if len(entry) != _OP_FIELDS:
        _refuse("operation record length", len(entry))
    (_, op_id, op_type, name, status, started, completed, error, details) = entry[:9]
    total, current, message, metadata, mirror, instance = entry[9:]
    if not isinstance(mirror, bool):
        _refuse("mirror flag", mirror)
    return [
        "op",
        _ident("operation id", op_id),
        _text("operation type", op_type),
        _text("name", name),
        _status(status),
        _wall("start time", started),
        _wall("end time", completed),
        _optional_text("error", error),
        _mapping("error details", details),
        _amount("total", total),
        _amount("current", current),
        _optional_text("message", message),
        _mapping("metadata", metadata),
        mirror,
        _instance(instance),
    ]


def _level(record: object) -> list[Any]:
    if not isinstance(record, list) or len(record) != _LEVEL_FIELDS:
        _refuse("level record", record)
    (level_id, level_type, name, status, current, total, message) = record[:7]
    started, completed, error, details, parent, metadata = record[7:]
    level_id = _ident("level id", level_id)
    parent = _parent(parent)
    if parent == level_id:
        _refuse("parent id (the level itself)", parent)
    return [
        level_id,
        _text("level type", level_type),
        _text("name", name),
        _status(status),
        _amount("current", current),
        _amount("total", total),
        _optional_text("message", message),
        _wall("start time", started),
        _wall("end time", completed),
        _optional_text("error", error),
        _mapping("error details", details),
        parent,
        _mapping("metadata", metadata),
    ]


def check_batch(entries: object) -> list[list[Any]]:
    """Checked, normalised copies of every record in ``entries``.

    Raises :class:`RecordError` naming the first bad field; then no record of
    the batch may be applied.
    """
    if not isinstance(entries, list):
        _refuse("batch", type(entries).__name__)
    if len(entries) > MAX_RECORDS:
        _refuse("batch length", len(entries))
    out: list[list[Any]] = []
    for entry in entries:
        if not isinstance(entry, list) or not entry:
            _refuse("record", entry)
        kind = entry[0]
        if kind == "op":
            out.append(_op(entry))
        elif kind == "lv":
            if len(entry) != 4:
                _refuse("level entry length", len(entry))
            op_id = _ident("operation id", entry[1])
            out.append(["lv", op_id, _level(entry[2]), _instance(entry[3])])
        else:
            _refuse("record kind", kind)
    return out

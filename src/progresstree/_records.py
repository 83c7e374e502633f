"""Checking change records that arrive from other processes before applying any.

Records (see ``_relay``) cross process and machine boundaries, and whoever
can write to a Redis stream can write anything. A batch is therefore
decoded with a size and nesting cap (:func:`loads`) and checked whole
(:func:`check_batch`) before the replica changes the store: every field has
the type, range and length the store itself would accept, ids are strings,
and numbers are finite and bounded. A batch with one bad record is refused
as a whole, so nothing is ever half applied. A run record (``lr``, many
finished levels in columns) is checked over its columns and expanded into
ordinary level records here, so the replica only ever applies those.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from typing import Any, NoReturn

from ._json import safe_repr

__all__ = [
    "MAX_DEPTH",
    "MAX_ENTRY_BYTES",
    "MAX_ID",
    "MAX_LEVELS",
    "MAX_RECORDS",
    "MAX_RUN",
    "MAX_TEXT",
    "RecordError",
    "check_batch",
    "loads",
]

MAX_ENTRY_BYTES = 1 << 20  # one encoded batch (one stream entry), UTF-8
MAX_DEPTH = 40  # nesting of a batch: 4 levels of record structure + metadata
MAX_RECORDS = 10_000  # records in one batch
MAX_RUN = 1_000  # levels in one run record (a relay sends at most 500)
MAX_LEVELS = 100_000  # levels in one batch, runs expanded
MAX_ID = 1024  # characters of an operation, level or parent id
MAX_TEXT = 4096  # characters kept of a name, type, message or error
MAX_AMOUNT = 10**18  # current and total: beyond every real count, still a float
_MAX_WALL = 1e11  # epoch seconds (the year 5138)
_NUMBERS = frozenset({int, float})
_STATUSES = frozenset({"pending", "running", "completed", "failed", "cancelled"})
_OP_FIELDS = 15
_LEVEL_FIELDS = 13
_RUN_FIELDS = 14
_TERMINAL = frozenset({"completed", "failed", "cancelled"})


class RecordError(ValueError):
    """A batch of records that is refused; the message says why."""


def _refuse(what: str, value: object) -> NoReturn:
    shown = safe_repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    msg = f"bad {what}: {shown}"
    raise RecordError(msg) from None


# -- decoding ----------------------------------------------------------------------

_ESCAPES = re.compile(rb"\\.", re.DOTALL)
_OTHER_BYTES = bytes(b for b in range(256) if b not in b'[]{}"')
_STRINGS = re.compile(rb'"[^"]*"')


def _nesting_ok(data: bytes, limit: int) -> bool:
    """True when ``data`` nests brackets at most ``limit`` deep (no recursion).

    Escapes, then everything but brackets and quotes, then strings (which
    may hold brackets) are removed, all in C; then every pass removes the
    innermost ``[]`` / ``{}`` pairs: ``limit`` passes empty any well-formed
    text that is not deeper.
    """
    skeleton = _ESCAPES.sub(b"", data).translate(None, _OTHER_BYTES)
    # ``""`` is a string without brackets, or two strings meeting: either
    # way it can go; only strings holding brackets are left to the regex.
    brackets = skeleton.replace(b'""', b"")
    if b'"' in brackets:
        brackets = _STRINGS.sub(b"", brackets)
    for _ in range(limit):
        if not brackets:
            return True
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
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


def loads(data: object) -> Any:
    """Decode one encoded batch, refusing what is too large, too deep or not JSON.

    Never raises anything but :class:`RecordError` (no ``RecursionError``, no
    infinite or NaN numbers).
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if not isinstance(data, (bytes, bytearray)):
        _refuse("batch type", type(data).__name__)
    data = bytes(data)
    if len(data) > MAX_ENTRY_BYTES:
        _refuse("size", f"{len(data)} bytes")
    if not _nesting_ok(data, MAX_DEPTH):
        _refuse("nesting", f"deeper than {MAX_DEPTH} or unbalanced")
    try:
        text = data.decode("utf-8")
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


def _plain_level(record: list[Any]) -> bool:
    """True for a level record that needs no change (what a relay sends)."""
    (level_id, level_type, name, status, current, total, message) = record[:7]
    started, completed, error, details, parent, metadata = record[7:]
    return (
        type(level_id) is str
        and 0 < len(level_id) <= MAX_ID
        and type(level_type) is str
        and len(level_type) <= MAX_TEXT
        and type(name) is str
        and len(name) <= MAX_TEXT
        and type(status) is str
        and status in _STATUSES
        and type(current) in _NUMBERS
        and 0 <= current <= MAX_AMOUNT
        and type(total) in _NUMBERS
        and 0 <= total <= MAX_AMOUNT
        and (message is None or (type(message) is str and len(message) <= MAX_TEXT))
        and (started is None or (type(started) is float and 0 <= started <= _MAX_WALL))
        and (completed is None or (type(completed) is float and 0 <= completed <= _MAX_WALL))
        and error is None
        and details is None
        and (parent is None or (type(parent) is str and 0 < len(parent) <= MAX_ID))
        and parent != level_id
        and (metadata is None or _plain_mapping(metadata))
    )


def _plain_mapping(value: object) -> bool:
    return type(value) is dict and bool(value) and all(type(key) is str for key in value)


def _level(record: object) -> list[Any]:
    if not isinstance(record, list) or len(record) != _LEVEL_FIELDS:
        _refuse("level record", record)
    if _plain_level(record):
        return record
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


def _readings(what: str, value: object, count: int, offset: float) -> list[float]:
    """A run's packed readings as epoch seconds, each finite and in range."""
    if not isinstance(value, str) or len(value) > (count * 8 + 2) // 3 * 4:
        _refuse(what, value)
    try:
        packed = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        _refuse(what, value)
    if len(packed) != count * 8:
        _refuse(what, value)
    readings = struct.unpack(f"<{count}d", packed)
    # Checked over the column in C: a NaN or an infinity makes the sum
    # non-finite (the readings are bounded, so the sum of finite ones is not).
    if not math.isfinite(sum(readings)) or max(map(abs, readings)) > _MAX_WALL:
        _refuse(what, value)
    walls = [reading + offset for reading in readings]
    if min(walls) < 0 or max(walls) > _MAX_WALL:
        _refuse(what, value)
    return walls


def _run(entry: list[Any]) -> list[list[Any]]:
    """A run record (``_relay.run_record``) checked and expanded into level records."""
    if len(entry) != _RUN_FIELDS:
        _refuse("run record length", len(entry))
    (_, op_id, instance, parent, level_type, status, current, total, message) = entry[:9]
    offset, ids, names, starts, ends = entry[9:]
    op_id = _ident("operation id", op_id)
    instance = _instance(instance)
    parent = _parent(parent)
    level_type = _text("level type", level_type)
    if _status(status) not in _TERMINAL:
        _refuse("run status", status)
    current = _amount("current", current)
    total = _amount("total", total)
    message = _optional_text("message", message)
    if isinstance(offset, bool) or not isinstance(offset, (int, float)):
        _refuse("time offset", offset)
    if not -_MAX_WALL <= offset <= _MAX_WALL:
        _refuse("time offset", offset)
    if not isinstance(ids, str) or not isinstance(names, str):
        _refuse("run columns", ids if not isinstance(ids, str) else names)
    id_list = ids.split("\n")
    count = len(id_list)
    if count > MAX_RUN:
        _refuse("run length", count)
    if min(map(len, id_list)) == 0 or max(map(len, id_list)) > MAX_ID:
        _refuse("level id", ids)
    if parent is not None and parent in id_list:
        _refuse("parent id (the level itself)", parent)
    name_list = names.split("\n")
    if len(name_list) != count:
        _refuse("run names", len(name_list))
    if max(map(len, name_list)) > MAX_TEXT:
        name_list = [_text("name", name) for name in name_list]
    started = _readings("start times", starts, count, float(offset))
    completed = _readings("end times", ends, count, float(offset))
    return [
        [
            "lv",
            op_id,
            [
                level_id,
                level_type,
                name,
                status,
                current,
                total,
                message,
                start,
                end,
                None,  # error: a run carries none
                None,  # error details
                parent,
                None,  # metadata
            ],
            instance,
        ]
        for level_id, name, start, end in zip(id_list, name_list, started, completed, strict=True)
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
            _, op_id, record, instance = entry
            if type(op_id) is not str or not 0 < len(op_id) <= MAX_ID:
                op_id = _ident("operation id", op_id)
            if type(instance) is not int:
                instance = _instance(instance)
            out.append(["lv", op_id, _level(record), instance])
        elif kind == "lr":
            out += _run(entry)
            if len(out) > MAX_LEVELS:
                _refuse("levels in one batch", len(out))
        else:
            _refuse("record kind", kind)
    return out

"""Path expressions: ``"song.id"``, ``"song['id']"``, ``"items[0].name"``.

A path names where a level's id, name or total comes from. It is parsed once,
when ``@tracks`` decorates a function or ``track_progress`` is called, by the
small parser below; nothing is ever handed to ``eval``, so a path can only
read attributes and subscripts, never call anything.

Grammar (no whitespace outside quotes)::

    path    := NAME step*            (rooted: NAME is a parameter)
    path    := (NAME | index) step*  (item paths: NAME is an attribute)
    step    := "." NAME | index
    index   := "[" INTEGER "]" | "[" QUOTED "]"
    QUOTED  := '...' or "..." without backslashes or the quote inside

Attribute names of the ``__dunder__`` form are refused: they reach the
interpreter's internals (``song.__class__.__init__.__globals__``), which an
id or a name never needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Path", "PathError", "parse_path"]

_DIGITS = "0123456789"


class PathError(ValueError):
    """A malformed path expression (raised at decoration time)."""


class Path:
    """A parsed path: an optional root name and the steps taken from it.

    ``steps`` holds ``(is_attribute, key)`` pairs; :meth:`resolve` applies
    them to a value and lets the lookup error (``AttributeError``,
    ``KeyError``, ``IndexError``, ``TypeError``) propagate to the caller.
    """

    __slots__ = ("resolve", "root", "steps", "text")

    root: str | None
    steps: tuple[tuple[bool, str | int], ...]
    text: str
    resolve: Callable[[Any], Any]

    def __init__(self, text: str, root: str | None, steps: tuple[tuple[bool, str | int], ...]):
        self.text = text
        self.root = root
        self.steps = steps
        self.resolve = _compile(steps)

    def __repr__(self) -> str:
        return f"Path({self.text!r})"


def _compile(steps: tuple[tuple[bool, str | int], ...]) -> Callable[[Any], Any]:
    """A resolver specialised for the common short paths (decided once)."""
    if not steps:
        return _identity
    if len(steps) == 1:
        is_attribute, key = steps[0]
        if is_attribute:
            name = str(key)
            return lambda value: getattr(value, name)
        return lambda value: value[key]

    def resolve(value: Any) -> Any:
        for is_attribute, key in steps:
            value = getattr(value, key) if is_attribute else value[key]  # type: ignore[arg-type]
        return value

    return resolve


def _identity(value: Any) -> Any:
    return value


def _fail(text: str, position: int, reason: str) -> PathError:
    return PathError(
        f"path expression {text!r} is invalid at position {position}: {reason}; "
        "expected a name followed by '.attribute', '[0]' or \"['key']\" steps, "
        "e.g. 'song.id', \"song['id']\", 'items[0].name'"
    )


def _is_name_start(char: str) -> bool:
    return char == "_" or char.isalpha()


def _read_name(text: str, start: int) -> tuple[str, int]:
    end = start
    while end < len(text) and (text[end] == "_" or text[end].isalnum()):
        end += 1
    name = text[start:end]
    if not name or not _is_name_start(name[0]) or not name.isidentifier():
        raise _fail(text, start, "expected a name")
    if name.startswith("__") and name.endswith("__"):
        raise _fail(text, start, f"dunder name {name!r} is not allowed")
    return name, end


def _read_index(text: str, start: int) -> tuple[str | int, int]:
    """Read ``[...]`` starting at the opening bracket."""
    position = start + 1
    if position >= len(text):
        raise _fail(text, position, "unclosed '['")
    quote = text[position]
    if quote in "'\"":
        close = text.find(quote, position + 1)
        if close < 0:
            raise _fail(text, position, "unterminated string")
        key: str | int = text[position + 1 : close]
        if "\\" in str(key):
            raise _fail(text, position, "backslashes are not allowed in keys")
        position = close + 1
    else:
        end = position + 1 if text[position] == "-" else position
        while end < len(text) and text[end] in _DIGITS:
            end += 1
        digits = text[position:end]
        if digits in ("", "-"):
            raise _fail(text, position, "expected an integer or a quoted key")
        key = int(digits)
        position = end
    if position >= len(text) or text[position] != "]":
        raise _fail(text, position, "expected ']'")
    return key, position + 1


def parse_path(text: object, *, rooted: bool = True) -> Path:
    """Parse ``text``; ``rooted`` paths start with a parameter name.

    Item paths (``rooted=False``, used by ``track_progress``) start at the
    item itself: ``"id"`` reads ``item.id`` and ``"['id']"`` reads
    ``item['id']``.
    """
    if not isinstance(text, str):
        msg = f"path expression must be a string, got {text!r} of type {type(text).__name__}"
        raise PathError(msg)
    if not text:
        raise _fail(text, 0, "empty path")
    steps: list[tuple[bool, str | int]] = []
    root: str | None = None
    position = 0
    if rooted or text[0] != "[":
        name, position = _read_name(text, 0)
        if rooted:
            root = name
        else:
            steps.append((True, name))
    while position < len(text):
        char = text[position]
        if char == ".":
            name, position = _read_name(text, position + 1)
            steps.append((True, name))
        elif char == "[":
            key, position = _read_index(text, position)
            steps.append((False, key))
        else:
            raise _fail(text, position, f"unexpected character {char!r}")
    return Path(text, root, tuple(steps))

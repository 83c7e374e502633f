"""Making text from elsewhere safe to print on a terminal.

Names, messages and errors can come from another machine (a Redis stream) or
from data the tracked code did not write. Printed raw, an ESC or C1 byte
starts a terminal control sequence: it can retitle the window, clear the
screen, move the cursor or fake earlier output lines. :func:`printable`
replaces every control character (C0, DEL, C1), the Unicode line and
paragraph separators and the bidi overrides with one character each, so a
string keeps its length and rich styles spanning it stay where they were.
"""

from __future__ import annotations

__all__ = ["printable"]

_REPLACEMENT = "\ufffd"
# White space that breaks lines (U+2028/U+2029 too: ``str.splitlines`` and
# many log tools split on them) prints as a plain space.
_SPACES = "\t\n\r\x0b\x0c\u2028\u2029"
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _table() -> dict[int, str]:
    table = {code: _REPLACEMENT for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
    table.update({ord(char): " " for char in _SPACES})
    table.update({ord(char): _REPLACEMENT for char in _BIDI})
    return table


_TABLE = _table()


def printable(text: str) -> str:
    """``text`` with terminal controls replaced (white space by a space).

    Each character is replaced by exactly one, so lengths never change.
    """
    if text.isprintable():  # no control or format character: the common case
        return text
    return text.translate(_TABLE)

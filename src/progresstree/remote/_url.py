"""Which Redis URLs are accepted, and how they are shown without their secrets.

A URL may carry a password (``redis://user:secret@host`` or
``?password=secret``). Every URL this package prints, logs, puts in an
exception or keeps in an attribute goes through :func:`redact` first.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["check_url", "describe", "redact"]

_SCHEMES = ("redis", "rediss", "unix")
_QUERY_SECRET = re.compile(r"(?i)([?&](?:password|username)=)[^&#]*")


def redact(url: str) -> str:
    """``url`` with its user information and password query values replaced by ``***``.

    Works on malformed URLs too (plain string operations, never raises).
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        rest, scheme = url, ""
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    netloc, tail = rest[:end], rest[end:]
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    tail = _QUERY_SECRET.sub(r"\1***", tail)
    return f"{scheme}{sep}{netloc}{tail}"


def describe(url: str) -> str:
    """Where ``url`` points, for messages: ``host:port`` or the socket path."""
    try:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return parts.path or "?"
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    except ValueError:
        return redact(url)


def check_url(url: object) -> str:
    """``url`` when it is a ``redis://``, ``rediss://`` or ``unix://`` URL; else raise.

    The message names the URL with its secrets redacted.
    """
    if not isinstance(url, str):
        msg = f"Redis URL must be a str, got {type(url).__name__}"
        raise TypeError(msg)
    try:
        parts = urlsplit(url)
        valid = parts.scheme in _SCHEMES and bool(parts.netloc or parts.path)
        if valid and parts.scheme != "unix":
            _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        valid = False
    if not valid:
        msg = (
            f"unsupported Redis URL {redact(url)!r}: "
            "expected redis://HOST[:PORT][/DB], rediss://... or unix://PATH"
        )
        raise ValueError(msg)
    return url

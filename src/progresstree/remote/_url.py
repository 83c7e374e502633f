"""Which Redis URLs are accepted (checked before any connection is tried)."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["check_url"]

_SCHEMES = ("redis", "rediss", "unix")


def check_url(url: object) -> str:
    """``url`` when it is a ``redis://``, ``rediss://`` or ``unix://`` URL; else raise."""
    if not isinstance(url, str):
        msg = f"Redis URL must be a str, got {url!r}"
        raise TypeError(msg)
    try:
        parts = urlsplit(url)
        valid = parts.scheme in _SCHEMES and bool(parts.netloc or parts.path)
        if valid and parts.scheme != "unix":
            _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        valid = False
    if not valid:
        msg = f"unsupported Redis URL {url!r}: expected redis://HOST[:PORT][/DB], rediss://... or unix://PATH"
        raise ValueError(msg)
    return url

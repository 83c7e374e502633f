"""Carrying the current level to another process: tokens and ``attach``.

``current_token()`` names the current operation and level in a short
printable string (in the spirit of W3C ``traceparent``) that survives
pickling, JSON and environment variables. Another process enters
``with attach(token):`` and the levels it opens there become children of
that level once its events are merged into the store that owns the level
(by a process-pool relay, a Redis aggregator, ...).

Locally, ``attach`` needs a parent to open children under. When the
operation is active in this process's store, the real level is used. When it
is not (the usual case in a worker), a *mirror* operation with the same id is
opened here, holding a *proxy* level with the token's level id; relays know
mirrors and proxies (``mirror_of``) and never send them as real data, so the
merged tree keeps the parent's own operation and level. A mirror is marked
``metadata["orphaned"] = True`` because, seen from this process alone, its
levels have no known parent; the store that merges them marks an operation
orphaned only when it does not own it either (unknown or already ended).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import threading
from dataclasses import dataclass, field
from types import TracebackType

from . import _lifecycle
from ._attached import AttachedHandle
from .context import LevelHandle, current_level
from .models import ProgressLevel, ProgressState
from .store import ProgressEventStore, get_progress_store

__all__ = [
    "attach",
    "current_token",
    "mirror_of",
    "parse_token",
    "release_mirror",
    "retain_mirror",
]

_PREFIX = "pt1-"
_PROXY_TYPE = "attached"


@dataclass
class Mirror:
    """Bookkeeping of a mirror operation: proxy level ids and open attaches."""

    proxies: set[str] = field(default_factory=set)
    users: int = 0


_mirror_lock = threading.Lock()


def mirror_of(state: ProgressState) -> Mirror | None:
    """The mirror record of ``state``, or None for an ordinary operation."""
    info = state._mirror  # noqa: SLF001  # the slot is kept for this module
    return info if isinstance(info, Mirror) else None


@functools.lru_cache(maxsize=1024)
def make_token(operation_id: str, operation_type: str, level_id: str | None) -> str:
    """The token naming ``level_id`` (None: the operation itself)."""
    raw = json.dumps([operation_id, operation_type, level_id], separators=(",", ":"))
    return _PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def current_token() -> str | None:
    """A token naming the current operation and level, or None outside any level."""
    handle = current_level()
    if handle is None:
        return None
    state = handle.state
    return make_token(state.operation_id, state.operation_type, handle.level_id)


def parse_token(token: object) -> tuple[str, str, str | None]:
    """``(operation_id, operation_type, level_id)`` of a token; raises on bad input."""
    if not isinstance(token, str):
        msg = f"token must be a str from current_token() or None, got {token!r}"
        raise TypeError(msg)
    return _parse(token)


@functools.lru_cache(maxsize=1024)
def _parse(token: str) -> tuple[str, str, str | None]:
    if not token.startswith(_PREFIX):
        msg = f"malformed progress token {token!r}: it must start with {_PREFIX!r}"
        raise ValueError(msg)
    body = token[len(_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        value = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and value[0]
        and isinstance(value[1], str)
        and (value[2] is None or isinstance(value[2], str))
    ):
        return value[0], value[1], value[2]
    msg = f"malformed progress token {token!r}: not produced by current_token()"
    raise ValueError(msg)


class attach:
    """Make the level named by ``token`` the current level inside the block.

    The token is checked here, at once; ``attach(None)`` does nothing.
    """

    __slots__ = ("_handle", "_mirror", "_parsed", "_store")

    def __init__(self, token: str | None, *, store: ProgressEventStore | None = None) -> None:
        self._parsed = None if token is None else parse_token(token)
        self._store = store
        self._handle: AttachedHandle | None = None
        self._mirror: ProgressState | None = None

    def __enter__(self) -> LevelHandle | None:
        if self._parsed is None:
            return None
        store = self._store if self._store is not None else get_progress_store()
        op_id, op_type, level_id = self._parsed
        state, mirrored = _retain(store, op_id, op_type)
        level: ProgressLevel | None = None
        if mirrored:
            self._mirror = state
            if level_id is not None:
                level = _proxy_in(store, state, level_id)
        elif level_id is not None:
            level = state.levels.get(level_id)
            if level is None or level.is_finished:
                # Still recorded, under the right parent id, by a relay.
                level = _detached_proxy(level_id)
        handle = self._handle = AttachedHandle(store, state, level)
        _lifecycle.activate(handle)
        return handle

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        handle = self._handle
        if handle is None:
            return
        self._handle = None
        _lifecycle.release(handle)
        state = self._mirror
        if state is None:
            return
        self._mirror = None
        release_mirror(handle.store, state)


def _retain(store: ProgressEventStore, op_id: str, op_type: str) -> tuple[ProgressState, bool]:
    """``(state, True)``: one more user of the mirror ``op_id`` (opened when
    missing); ``(state, False)``: ``op_id`` is an ordinary operation of ``store``."""
    with _mirror_lock:
        state = store.get_state(op_id)
        if state is None:
            state = _lifecycle.begin_operation(store, op_type, "", op_id, {"orphaned": True})
            info = state._mirror = Mirror()  # noqa: SLF001  # see mirror_of
        else:
            found = mirror_of(state)
            if found is None:
                return state, False
            info = found
        info.users += 1
    return state, True


def retain_mirror(token: str, store: ProgressEventStore) -> ProgressState | None:
    """Keep the mirror operation of ``token`` open until :func:`release_mirror`.

    Opens the mirror when missing; successive ``attach(token)`` blocks then
    share it instead of opening and ending one each. None when the token's
    operation is an ordinary operation of ``store``.
    """
    op_id, op_type, _ = parse_token(token)
    state, mirrored = _retain(store, op_id, op_type)
    return state if mirrored else None


def release_mirror(store: ProgressEventStore, state: ProgressState) -> None:
    """Drop one hold on the mirror ``state``; the last one ends it."""
    with _mirror_lock:
        info = mirror_of(state)
        if info is None:
            return
        info.users -= 1
        last = info.users <= 0
    if last:
        store.complete_operation(state.operation_id)


def _detached_proxy(level_id: str) -> ProgressLevel:
    return _lifecycle.running_level(level_id, _PROXY_TYPE)


def _proxy_in(store: ProgressEventStore, state: ProgressState, level_id: str) -> ProgressLevel:
    """The proxy level ``level_id`` of a mirror operation, inserted when missing."""
    with _lifecycle.store_lock(store):
        level = state.levels.get(level_id)
        if level is None or level.is_finished:
            level = _detached_proxy(level_id)
            if level_id not in state.levels:
                _lifecycle.add_level(state, level, None)
        info = mirror_of(state)
        if info is not None:
            info.proxies.add(level_id)
    return level

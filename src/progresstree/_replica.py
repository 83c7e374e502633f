"""Applying change records from other processes to a store, idempotently.

A :class:`Replica` owns no data: it inserts and updates ``ProgressState`` /
``ProgressLevel`` objects of an ordinary :class:`ProgressEventStore` under
the store's lock and emits the usual events, so every listener, renderer and
query works on merged trees unchanged.

Rules (SPEC 10):

* Records are keyed by ``(source, operation, level id)``: the same record
  applied twice changes nothing, a newer one updates the level in place, an
  ended level never reopens.
* A remote level whose id is already taken by another source's (or a local)
  level gets the ``#2`` suffix, as locally; its descendants follow.
* A child whose parent has not arrived yet hangs under a pending placeholder
  that the parent's own record later fills in.
* Levels of an operation this store does not have active go into an
  operation with that id marked ``metadata["orphaned"] = True``; an operation
  in history is never reopened, and a level record for an operation that
  ended here is refused unless its sender declared itself a mirror of it.
* Batches are checked whole first (``_records.check_batch``): a bad one is
  refused and nothing of it applied. A record naming an absent parent its
  id does not extend, or one that would close a parent cycle, is refused
  alone.

The merge state (who owns which level id, renamed ids, open levels) is kept
per operation and dropped once the operation has ended, whoever ended it, so
a long-running hub holds state for its running operations only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _clock, _lifecycle
from ._lifecycle import Events
from ._records import RecordError, check_batch
from .models import PENDING, ProgressEvent, ProgressLevel, ProgressState, ProgressStatus
from .store import ProgressEventStore

__all__ = ["Replica"]

_PLACEHOLDER = "\x00placeholder"
_TERMINAL = frozenset({"completed", "failed", "cancelled"})
_ENDED_KEPT = 4096  # ended remote operation ids remembered, so none reopens


def _mono(value: float | None) -> float | None:
    return None if value is None else _clock.from_wall(value)


def _check_parent(state: ProgressState, level_id: str, parent_id: str | None) -> None:
    """Refuse an unknown parent its id does not name, or a parent cycle.

    A parent that has not arrived yet is awaited (placeholder) only when the
    level's id extends it (``parent:child``, as levels opened in a block
    are); and a level never hangs under one of its own descendants.
    """
    levels = state.levels
    if parent_id is not None and parent_id not in levels:
        if not level_id.startswith(parent_id + ":"):
            msg = f"level {level_id!r} names an unknown parent {parent_id!r}"
            raise RecordError(msg)
        head = parent_id.rpartition(":")[0]  # where its placeholder would hang
        parent_id = head if head in levels else None
    seen: set[str] = set()
    while parent_id is not None and parent_id not in seen:
        if parent_id == level_id:
            msg = f"level {level_id!r} would be its own ancestor"
            raise RecordError(msg)
        seen.add(parent_id)
        parent = levels.get(parent_id)
        parent_id = None if parent is None else parent.parent_id


class Replica:
    """Merges relayed records into ``store``."""

    def __init__(self, store: ProgressEventStore) -> None:
        self.store = store
        # Everything below is keyed by operation id first, so that pruning an
        # ended operation costs its own entries only.
        self._owner: dict[str, dict[str, str]] = {}  # op -> level id -> source
        self._remap: dict[str, dict[str, dict[str, str]]] = {}  # op -> source -> ids
        self._open: dict[str, dict[str, set[str]]] = {}  # op -> source -> level ids
        self._remote_ops: set[str] = set()  # remote operations still running
        self._ended: dict[str, None] = {}  # recently ended remote ones (ordered)
        self._orphans: dict[str, set[str]] = {}
        self._types: dict[str, str] = {}
        self._states: dict[str, ProgressState] = {}  # operations with merge state

    @property
    def tracked_operations(self) -> int:
        """How many operations the replica holds merge state for."""
        return len(self._states)

    def _prune(self) -> None:
        """Forget the merge state of every operation that has ended."""
        for op_id, state in list(self._states.items()):
            if state.is_finished or self.store.get_state(op_id) is not state:
                self._forget(op_id)

    def _forget(self, op_id: str) -> None:
        for table in (self._owner, self._remap, self._open, self._orphans, self._types):
            table.pop(op_id, None)
        self._states.pop(op_id, None)
        if op_id in self._remote_ops:
            self._remote_ops.discard(op_id)
            self._ended[op_id] = None
            if len(self._ended) > _ENDED_KEPT:
                del self._ended[next(iter(self._ended))]

    # -- entry point ------------------------------------------------------------

    def apply(self, source: str, entries: list[list[Any]]) -> str | None:
        """Apply one batch of records sent by ``source``.

        Ownership is tracked per ``source#instance`` (see ``_relay``).
        Returns None, or why the batch (nothing applied) or a record of it
        was refused.
        """
        try:
            entries = check_batch(entries)
        except RecordError as exc:
            return str(exc)
        refused: str | None = None
        events: Events = []
        touched: set[int] = set()
        store = self.store
        with _lifecycle.store_lock(store):
            self._prune()  # after the batch was checked
            for entry in entries:
                try:
                    if entry[0] == "op":
                        self._apply_op(f"{source}#{entry[14]}", entry, events)
                    elif entry[0] == "lv":
                        sender = f"{source}#{entry[3]}"
                        state = self._target(sender, entry[1], events)
                        self._apply_level(sender, state, entry[2])
                        if id(state) not in touched:
                            touched.add(id(state))
                            events.append((ProgressEvent.UPDATED, state))
                except (IndexError, KeyError, TypeError, ValueError) as exc:
                    refused = refused or str(exc)  # a refused record never stops the others
        _lifecycle.emit(store, events)
        return refused

    # -- operations -------------------------------------------------------------

    def _history_has(self, op_id: str) -> bool:
        return _lifecycle.in_history(self.store, op_id)

    def _has_ended(self, op_id: str) -> bool:
        """True when ``op_id`` ended here (remote, recently ended, or in history)."""
        return op_id in self._remote_ops or op_id in self._ended or self._history_has(op_id)

    def _new_state(
        self, op_id: str, op_type: str, name: str, metadata: dict[str, Any] | None
    ) -> ProgressState:
        state = ProgressState(op_id, op_type, name, metadata=metadata)
        state.start()
        _lifecycle.register(self.store, state)
        self._states[op_id] = state
        return state

    def _target(
        self,
        source: str,
        op_id: str,
        events: Events,
        mirror: bool = False,
    ) -> ProgressState:
        """The active operation ``op_id``, an orphan one created when needed."""
        state = _lifecycle.active(self.store, op_id)
        if state is None:
            if not mirror and self._has_ended(op_id):
                msg = f"level of ended operation {op_id!r}"
                raise RecordError(msg)
            op_type = self._types.get(op_id, "unknown")
            state = self._new_state(op_id, op_type, "", {"orphaned": True})
            self._orphans[op_id] = set()
            events.append((ProgressEvent.STARTED, state))
        users = self._orphans.get(op_id)
        if users is not None:
            users.add(source)
        return state

    def _apply_op(self, source: str, entry: list[Any], events: Events) -> None:
        (_, op_id, op_type, name, status, started, completed) = entry[:7]
        error, details, total, current, message, metadata, mirror = entry[7:14]
        self._types.setdefault(op_id, op_type)
        store = self.store
        terminal = status in _TERMINAL
        if mirror:
            if not terminal:
                self._target(source, op_id, events, mirror=True)
                return
            users = self._orphans.get(op_id)
            live = _lifecycle.active(store, op_id)
            if users is not None and live is not None:
                users.discard(source)
                if not users:
                    self._end(live, ProgressStatus.COMPLETED, None, None, None, events)
            return
        state = _lifecycle.active(store, op_id)
        if state is None:
            if self._has_ended(op_id):
                return  # ended here already: never reopened
            state = self._new_state(op_id, op_type, name, metadata)
            self._remote_ops.add(op_id)
            events.append((ProgressEvent.STARTED, state))
        elif op_id not in self._remote_ops:
            return  # this store's own operation: only its owner changes it
        state.name = name
        state.current = current
        state.message = message
        state.metadata.clear()
        state.metadata.update(metadata or {})
        _lifecycle.write_record(state, _mono(started), None, total=total)
        if terminal:
            self._end(state, ProgressStatus(status), error, details, _mono(completed), events)
        elif (ProgressEvent.STARTED, state) not in events:
            events.append((ProgressEvent.UPDATED, state))

    def _end(
        self,
        state: ProgressState,
        status: ProgressStatus,
        error: str | None,
        details: dict[str, Any] | None,
        when: float | None,
        events: Events,
    ) -> None:
        _lifecycle.end_remote_operation(self.store, state, status, error, details, when, events)
        self._forget(state.operation_id)

    # -- levels -------------------------------------------------------------------

    def _map_id(self, source: str, state: ProgressState, level_id: str, parent: str | None) -> str:
        op_id = state.operation_id
        self._states.setdefault(op_id, state)
        remap = self._remap.setdefault(op_id, {}).setdefault(source, {})
        mapped = remap.get(level_id)
        if mapped is not None:
            return mapped
        candidate = level_id
        if parent is not None:
            new_parent = remap.get(parent, parent)
            if new_parent != parent and level_id.startswith(parent + ":"):
                candidate = new_parent + level_id[len(parent) :]
        owner = self._owner.get(op_id, {}).get(candidate)
        if candidate in state.levels and owner not in (source, _PLACEHOLDER):
            candidate = _lifecycle.free_id(state, candidate)
        if candidate != level_id:
            remap[level_id] = candidate
        return candidate

    def _apply_level(self, source: str, state: ProgressState, record: list[Any]) -> None:
        (level_id, level_type, name, status, current, total, message) = record[:7]
        started, completed, error, details, parent, metadata = record[7:13]
        op_id = state.operation_id
        full_id = self._map_id(source, state, str(level_id), parent)
        if parent is not None:
            parent = self._remap[op_id][source].get(parent, parent)
        level = state.levels.get(full_id)
        owners = self._owner.setdefault(op_id, {})
        owner = owners.get(full_id)
        if level is None:
            _check_parent(state, full_id, parent)
            level = ProgressLevel(full_id, level_type, name)
            self._link(state, level, parent)
            if level.level_id != full_id:
                # A local level (entered without the lock) took the id meanwhile.
                self._remap[op_id][source][str(level_id)] = level.level_id
                full_id = level.level_id
        elif owner == _PLACEHOLDER:
            if level.parent_id != parent:
                _check_parent(state, full_id, parent)
                self._unlink(state, level)
                self._link(state, level, parent)
        elif level.is_finished:
            return  # ended levels never reopen; a stale or repeated record
        owners[full_id] = source
        level.level_type = level_type
        level.name = name
        level.current = current
        level.total = total
        level.message = message
        level.error = error
        level.error_details = details
        opened = self._open.setdefault(op_id, {}).setdefault(source, set())
        if status in _TERMINAL:
            ended = _mono(completed) or _clock.monotonic()
            opened.discard(full_id)
        else:
            ended = None
            opened.add(full_id)
        _lifecycle.write_record(
            level, _mono(started), ended, status=ProgressStatus(status), metadata=metadata
        )
        state.last_level_id = full_id

    def _link(self, state: ProgressState, level: ProgressLevel, parent_id: str | None) -> None:
        parent = None
        if parent_id is not None:
            parent = state.levels.get(parent_id)
            if parent is None:
                parent = self._placeholder(state, parent_id)
        _lifecycle.add_level(state, level, parent)

    def _unlink(self, state: ProgressState, level: ProgressLevel) -> None:
        _lifecycle.unlink_level(state, level)

    def _placeholder(self, state: ProgressState, level_id: str) -> ProgressLevel:
        """A pending stand-in for a parent whose record has not arrived yet."""
        head = level_id.rpartition(":")[0]
        level = ProgressLevel(level_id, "unknown", "", status=PENDING)
        self._owner.setdefault(state.operation_id, {})[level_id] = _PLACEHOLDER
        self._link(state, level, head if head in state.levels else None)
        return level

    # -- faults ----------------------------------------------------------------------

    def fail_open(self, sources: list[str], error: str, details: dict[str, Any]) -> None:
        """Fail every level still open that one of ``sources`` sent (a dead sender)."""
        store = self.store
        events: Events = []
        with _lifecycle.store_lock(store):
            now = _clock.monotonic()
            prefixes = tuple(f"{source}#" for source in sources)
            for op_id, level_id in sorted(self._open_of(prefixes)):
                state = _lifecycle.active(store, op_id)
                level = None if state is None else state.levels.get(level_id)
                if state is None or level is None or level.is_finished:
                    continue
                _lifecycle.close_open(level, ProgressStatus.FAILED, error, details, now, True)
                state.last_level_id = level_id
                if (ProgressEvent.UPDATED, state) not in events:
                    events.append((ProgressEvent.UPDATED, state))
        _lifecycle.emit(store, events)

    def _open_of(self, prefixes: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        """``(operation, level id)`` of the open levels sent by these sources (dropped)."""
        for op_id, by_source in self._open.items():
            for source in [s for s in by_source if s.startswith(prefixes)]:
                for level_id in by_source.pop(source):
                    yield op_id, level_id

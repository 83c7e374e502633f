"""What ``@tracks`` decides once per decorated function: the call plan.

A :class:`CallPlan` knows the level type, where id / name / total come from
and the static metadata. Per call it only reads the arguments its paths are
rooted at and builds an unentered level handle; entering and leaving it (and
so the exit rules) stay with the core's ``LevelContext`` / ``OperationContext``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from .._lifecycle import current_handle, current_parent
from ..context import LevelContext, LevelHandle, OperationContext
from ..errors import PathWarning
from ..store import get_progress_store
from ._args import MISSING, ArgGetter, make_getter
from ._values import as_label, as_total, describe_failure
from .paths import Path, PathError, parse_path

__all__ = ["CallPlan", "Describe"]

# The current level if children can open below it (its operation runs).
_parent = current_parent

# (level_id, name, total, metadata) of one call.
Describe = tuple[object, str, "int | float", "dict[str, Any] | None"]
_Source = tuple[Callable[[Any, tuple[Any, ...], dict[str, Any]], Any], ...]


class CallPlan:
    """The per-function part of ``@tracks``, built at decoration time."""

    __slots__ = (
        "_id_get",
        "_name_get",
        "_simple",
        "_static",
        "_total_get",
        "_warned",
        "direct",
        "level_type",
        "operation",
        "qualname",
    )

    def __init__(
        self,
        func: Callable[..., Any],
        level_type: str,
        paths: dict[str, str | None],
        operation: bool,
        static_metadata: dict[str, Any],
    ) -> None:
        self.level_type = level_type
        self.operation = operation
        self.qualname = str(getattr(func, "__qualname__", None) or getattr(func, "__name__", func))
        self._static = dict(static_metadata) if static_metadata else None
        parameters = _parameters(func, self.qualname)
        getters = {
            argument: _source(parameters, self.qualname, argument, text)
            for argument, text in paths.items()
            if text is not None
        }
        self._id_get = getters.get("id_from")
        self._name_get = getters.get("name_from")
        self._total_get = getters.get("total_from")
        self._simple = not getters
        self._warned = False
        # No paths, no metadata, not an operation: a call needs nothing but the parent.
        self.direct = self._simple and self._static is None and not operation

    def describe(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Describe:
        """Id, name, total and metadata of one call (path failures noted, never raised)."""
        metadata = dict(self._static) if self._static is not None else None
        if self._simple:
            return None, self.qualname, 0, metadata
        bound = 0 if instance is None else 1
        failures: dict[str, str] = {}
        level_id = _read(self._id_get, bound, instance, args, kwargs, "id_from", failures)
        name_value = _read(self._name_get, bound, instance, args, kwargs, "name_from", failures)
        total_value = _read(self._total_get, bound, instance, args, kwargs, "total_from", failures)
        # Labels never break the call: a value whose str() raises is noted.
        if level_id is not None:
            level_id, problem = as_label(level_id)
            if problem:
                failures["id_from"] = problem
        name = self.qualname
        if name_value is not None:
            text, problem = as_label(name_value)
            if text is not None:
                name = text
            else:
                failures["name_from"] = problem
        total: int | float = 0
        if total_value is not None:
            total, problem = as_total(total_value)
            if problem:
                failures["total_from"] = problem
        if failures:
            metadata = metadata if metadata is not None else {}
            metadata["path_errors"] = failures
            if not self._warned:
                self._warned = True
                self._warn(failures)
        return level_id, name, total, metadata

    def _warn(self, failures: dict[str, str]) -> None:
        """Say once per decorated function that a path failed (a likely typo)."""
        problems = "; ".join(f"{argument}: {text}" for argument, text in failures.items())
        msg = (
            f"@tracks on {self.qualname!r}: {problems}. The call ran with a generated "
            "id or name; later failures are only noted in metadata['path_errors']."
        )
        warnings.warn(msg, PathWarning, stacklevel=5)

    def handle(self, described: Describe) -> LevelHandle:
        """An unentered handle under the current level (or a new operation)."""
        level_id, name, total, metadata = described
        if not self.operation:
            parent = _parent()
            if parent is not None:
                return LevelContext(parent, self.level_type, level_id, name, total, metadata)
        current = current_handle()
        store = get_progress_store() if current is None else current.store
        if level_id is not None:
            metadata = metadata if metadata is not None else {}
            metadata["level_id"] = level_id
        return OperationContext(store, self.level_type, name, None, metadata, total)

    def open(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LevelHandle:
        """``handle(describe(...))`` in one step (the plain-function hot path)."""
        if self.direct:
            parent = _parent()
            if parent is not None:
                return LevelContext(parent, self.level_type, None, self.qualname, 0, None)
        return self.handle(self.describe(instance, args, kwargs))

    def enter(self, described: Describe) -> LevelHandle:
        """Open and enter the level (used inside a generator's private context)."""
        handle = self.handle(described)
        handle.__enter__()
        return handle


def _parameters(func: Callable[..., Any], qualname: str) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError) as exc:
        msg = f"@tracks cannot read the signature of {qualname!r}: {exc}"
        raise ValueError(msg) from exc


def _source(
    parameters: list[inspect.Parameter], qualname: str, argument: str, text: str
) -> _Source:
    """Two getters (unbound, bound) for one path expression."""
    try:
        path = parse_path(text, rooted=True)
    except PathError as exc:
        msg = f"@tracks on {qualname!r}: {argument}={text!r}: {exc}"
        raise ValueError(msg) from None
    names = [p.name for p in parameters]
    if path.root not in names:
        msg = (
            f"@tracks on {qualname!r}: {argument}={text!r} is rooted at {path.root!r}, "
            f"which is not a parameter; parameters are {names}"
        )
        raise ValueError(msg)
    root = str(path.root)
    return tuple(_compose(make_getter(parameters, root, offset), path) for offset in (0, 1))


def _compose(getter: ArgGetter, path: Path) -> ArgGetter:
    resolve = path.resolve
    if not path.steps:
        return getter

    def get(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        value = getter(instance, args, kwargs)
        return value if value is MISSING else resolve(value)

    return get


def _read(
    source: _Source | None,
    bound: int,
    instance: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    argument: str,
    failures: dict[str, str],
) -> Any:
    if source is None:
        return None
    try:
        value = source[bound](instance, args, kwargs)
    except Exception as exc:
        failures[argument] = describe_failure(exc)
        return None
    if value is MISSING:
        failures[argument] = "argument not passed"
        return None
    return value

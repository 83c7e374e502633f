"""``@tracks``: a level around every call of a function, built on wrapt.

``wrapt.FunctionWrapper`` keeps the signature, name, docstring,
``__wrapped__`` and ``inspect`` results of the function and hands the wrapper
``instance`` separately, which is how methods and classmethods are told from
plain functions without guessing. Everything that can be decided once (the
kind of function, where ids and names come from, the parameter positions) is
decided here, at decoration time; the per-call wrappers only do what that
call needs.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import wrapt

from .._lifecycle import current_parent
from ..context import LevelContext
from ._drivers import drive_async_generator, drive_generator
from ._plan import CallPlan

__all__ = ["tracks"]

_F = TypeVar("_F")
_Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def _sync_wrapper(plan: CallPlan) -> _Wrapper:
    open_level = plan.open

    def call_in_level(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        with open_level(instance, args, kwargs):
            return wrapped(*args, **kwargs)

    return call_in_level


class _PlainFunctionWrapper(wrapt.FunctionWrapper[..., Any]):
    """The wrapper of a plain synchronous function, with its direct call sped up.

    wrapt's own call of a wrapper that is not bound looks up ``__self__`` on
    the wrapped function first (for wrapped bound methods); a plain function
    has none, so every call raised and cleared an ``AttributeError``, about
    half of wrapt's cost per call. A direct call opens the level here
    instead, with the same outcome (``instance`` is None either way). Calls
    through an instance or a class still go through wrapt's bound wrapper
    and ``call_in_level``.
    """

    def __init__(self, wrapped: Callable[..., Any], wrapper: _Wrapper, plan: CallPlan) -> None:
        super().__init__(wrapped, wrapper)
        self._self_open = plan.open
        # (level type, name) when a call needs nothing but the current parent.
        self._self_direct = (plan.level_type, plan.qualname) if plan.direct else None

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        # ``self`` is positional-only: the function may take a keyword ``self``.
        direct = self._self_direct
        if direct is not None:
            # The plan's own fast path, one Python call shorter.
            parent = current_parent()
            if parent is not None:
                with LevelContext(parent, direct[0], None, direct[1], 0, None):
                    return self.__wrapped__(*args, **kwargs)
        with self._self_open(None, args, kwargs):
            return self.__wrapped__(*args, **kwargs)


def _coroutine_wrapper(plan: CallPlan) -> _Wrapper:
    open_level = plan.open

    async def await_in_level(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        with open_level(instance, args, kwargs):
            return await wrapped(*args, **kwargs)

    return await_in_level


def _generator_wrapper(plan: CallPlan) -> _Wrapper:
    describe = plan.describe

    def generate_in_level(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        return drive_generator(plan, describe(instance, args, kwargs), wrapped(*args, **kwargs))

    return generate_in_level


def _async_generator_wrapper(plan: CallPlan) -> _Wrapper:
    describe = plan.describe

    def agenerate_in_level(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        described = describe(instance, args, kwargs)
        return drive_async_generator(plan, described, wrapped(*args, **kwargs))

    return agenerate_in_level


def _wrapper_for(func: Callable[..., Any], plan: CallPlan) -> _Wrapper:
    if inspect.isasyncgenfunction(func):
        return _async_generator_wrapper(plan)
    if inspect.iscoroutinefunction(func):
        return _coroutine_wrapper(plan)
    if inspect.isgeneratorfunction(func):
        return _generator_wrapper(plan)
    return _sync_wrapper(plan)


def _called_directly(original: object, func: Callable[..., Any]) -> bool:
    """A plain synchronous function defined outside a class body.

    Those are called directly, where :class:`_PlainFunctionWrapper` saves
    time. A function defined in a class body (``Class.name`` qualified name)
    is a method, called through binding, where the stock wrapper is cheaper:
    wrapt binds a subclass with an extra attribute lookup.
    """
    if original is not func or not inspect.isfunction(func):
        return False
    if inspect.iscoroutinefunction(func) or inspect.isgeneratorfunction(func):
        return False
    if inspect.isasyncgenfunction(func):
        return False
    owner = func.__qualname__.rpartition(".")[0]
    return not owner or owner.endswith("<locals>")


class _Tracks:
    """The ``tracks`` decorator factory (``tracks.operation`` forces an operation)."""

    __slots__ = ()

    def __call__(
        self,
        level_type: str,
        *,
        id_from: str | None = None,
        name_from: str | None = None,
        total_from: str | None = None,
        operation: bool = False,
        metadata: Mapping[str, Any] | None = None,
        **unknown: Any,
    ) -> Callable[[_F], _F]:
        """Open a ``level_type`` level around each call of the decorated function.

        The level is a child of the current level; with none (or with
        ``operation=True``) the call starts an operation of type
        ``level_type``. ``id_from`` / ``name_from`` / ``total_from`` are path
        expressions rooted at a parameter (``"song.id"``); ``metadata`` is
        copied into every level's metadata. Any other keyword raises
        ``TypeError`` (a misspelt ``idfrom=`` must not pass silently).
        """
        if unknown:
            raise TypeError(_unknown_message(level_type, unknown))
        if metadata is not None and not isinstance(metadata, Mapping):
            msg = f"tracks: metadata must be a mapping or None, got {metadata!r}"
            raise TypeError(msg)
        static_metadata = dict(metadata) if metadata else {}
        if not isinstance(level_type, str) or not level_type:
            hint = " (write @tracks('song'), not bare @tracks)" if callable(level_type) else ""
            msg = f"tracks: level_type must be a non-empty string, got {level_type!r}{hint}"
            raise TypeError(msg)
        if not isinstance(operation, bool):
            msg = f"tracks: operation must be True or False, got {operation!r}"
            raise TypeError(msg)
        paths = {"id_from": id_from, "name_from": name_from, "total_from": total_from}

        def decorate(target: _F) -> _F:
            original: Any = target
            func: Any = original
            if isinstance(original, (classmethod, staticmethod)):
                func = original.__func__
            if not callable(func):
                msg = f"@tracks({level_type!r}) needs a function, got {target!r}"
                raise TypeError(msg)
            plan = CallPlan(func, level_type, paths, operation, static_metadata)
            call_wrapper = _wrapper_for(func, plan)
            wrapper: Any
            if _called_directly(original, func):
                wrapper = _PlainFunctionWrapper(func, call_wrapper, plan)
            else:
                wrapper = wrapt.FunctionWrapper(original, call_wrapper)
            return wrapper  # type: ignore[no-any-return]

        return decorate

    def operation(
        self,
        level_type: str,
        *,
        id_from: str | None = None,
        name_from: str | None = None,
        total_from: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        **unknown: Any,
    ) -> Callable[[_F], _F]:
        """``tracks(level_type, operation=True, ...)``: each call is its own operation."""
        return self(
            level_type,
            id_from=id_from,
            name_from=name_from,
            total_from=total_from,
            operation=True,
            metadata=metadata,
            **unknown,
        )

    def __repr__(self) -> str:
        return "progresstree.tracks"


tracks = _Tracks()

_KEYWORDS = ("id_from", "name_from", "total_from", "operation", "metadata")


def _unknown_message(level_type: object, unknown: dict[str, Any]) -> str:
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, _KEYWORDS, n=1)
        hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    return (
        f"tracks({level_type!r}): unknown keyword {', '.join(hints)}; the keywords are "
        f"{', '.join(_KEYWORDS)}; constant metadata goes in metadata={{...}}"
    )

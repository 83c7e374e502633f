"""Reading a call's arguments by parameter name, decided at decoration time.

``@tracks`` needs the value of the parameter a path is rooted at on every
call. Binding the call with ``inspect.Signature.bind`` would cost microseconds
each time; instead the parameter's position and kind are looked up once and
turned into a tiny getter over wrapt's ``(instance, args, kwargs)``.

wrapt hands methods and classmethods their ``self`` / ``cls`` as
``instance`` and leaves it out of ``args``; plain functions and
staticmethods get ``instance=None``. So each getter comes in two versions,
one per case, picked per call by a single ``is None`` test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["MISSING", "ArgGetter", "make_getter"]

MISSING: Any = object()
ArgGetter = Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]

_P = inspect.Parameter


def make_getter(parameters: list[inspect.Parameter], name: str, offset: int) -> ArgGetter:
    """A getter for parameter ``name`` when ``offset`` leading ones come as ``instance``.

    The getter returns :data:`MISSING` when the call did not pass the argument
    and it has no default (the call itself then fails with ``TypeError``).
    """
    index = next(i for i, p in enumerate(parameters) if p.name == name)
    parameter = parameters[index]
    if index < offset:
        return lambda instance, args, kwargs: instance
    position = index - offset
    default = MISSING if parameter.default is _P.empty else parameter.default
    kind = parameter.kind
    if kind is _P.VAR_POSITIONAL:
        return lambda instance, args, kwargs: args[position:]
    if kind is _P.VAR_KEYWORD:
        named = frozenset(p.name for p in parameters if p.kind is not _P.VAR_KEYWORD)
        return lambda instance, args, kwargs: {
            key: value for key, value in kwargs.items() if key not in named
        }
    if kind is _P.KEYWORD_ONLY:
        return lambda instance, args, kwargs: kwargs.get(name, default)
    if kind is _P.POSITIONAL_ONLY:
        return lambda instance, args, kwargs: args[position] if len(args) > position else default
    return lambda instance, args, kwargs: (
        args[position] if len(args) > position else kwargs.get(name, default)
    )

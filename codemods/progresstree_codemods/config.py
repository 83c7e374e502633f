"""Settings of the codemod: defaults, ``[tool.progresstree.codemod]`` and CLI flags.

Legacy code bases name their services and loop variables in their own way, so
every name the codemod matches on is configurable.  Settings are resolved in
three layers, each overriding the previous one: built-in defaults, the target
project's ``pyproject.toml``, command-line flags.  The resolved value is a
frozen, picklable dataclass so it can travel to libcst's worker processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import functools
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    try:
        import tomli as tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:
        tomllib = None

STYLES = ("context", "decorators")

DEFAULT_LOOP_LEVELS: tuple[tuple[str, str], ...] = (
    ("song", "song"),
    ("*_song", "song"),
    ("action", "action"),
    ("action_*", "action"),
    ("*_action", "action"),
    ("hook", "action"),
    ("*_hook", "action"),
)


DEFAULT_PROGRESS_IDIOMS: tuple[str, ...] = (
    "get_progress_tracker",
    "progress_tracker",
    "ProgressTracker",
    "IncrementalProgress",
    "progress_scope",
    "yield_progress",
    "report_progress",
    "*.report_progress",
    "*tracker.update",
    "*tracker.advance",
    "*tracker.increment",
    "*tracker.set_progress",
    "*tracker.start",
    "*tracker.complete",
)
"""Signs that a function already reports progress its own way.

Each pattern (fnmatch) is checked against every identifier the function
spells, every short string literal in it (``metadata.get("progress_tracker")``)
and every dotted name it calls (``tracker.update``).
"""


class ConfigError(ValueError):
    """A setting has a value the codemod cannot use."""


@dataclasses.dataclass(frozen=True)
class CodemodConfig:
    """Everything the transformation needs to know about the target project."""

    style: str = "context"
    setlist_class_suffixes: tuple[str, ...] = ("SetlistService", "SetlistProcessingService")
    setlist_methods: tuple[str, ...] = ("process_setlist",)
    block_base_classes: tuple[str, ...] = ("BlockProcessor",)
    block_methods: tuple[str, ...] = ("process",)
    loop_levels: tuple[tuple[str, str], ...] = DEFAULT_LOOP_LEVELS
    id_attributes: tuple[str, ...] = ("id",)
    name_attributes: tuple[str, ...] = ("name", "title")
    type_attributes: tuple[str, ...] = ("type", "block_type", "kind")
    progress_idioms: tuple[str, ...] = DEFAULT_PROGRESS_IDIOMS
    known_first_party: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            msg = f"style must be one of {', '.join(STYLES)}, got {self.style!r}"
            raise ConfigError(msg)
        for pattern, level_type in self.loop_levels:
            if not pattern or not level_type.isidentifier():
                msg = (
                    f"loop-levels entry {pattern!r} = {level_type!r} needs a non-empty "
                    "variable pattern and a level type that is a Python identifier"
                )
                raise ConfigError(msg)

    def level_for(self, variable: str) -> str | None:
        """Level type for a loop variable name, or None when it is not tracked."""
        for pattern, level_type in self.loop_levels:
            if fnmatch.fnmatchcase(variable, pattern):
                return level_type
        return None

    def is_setlist_class(self, class_name: str) -> bool:
        return class_name.endswith(self.setlist_class_suffixes)


# pyproject key -> (dataclass field, kind)
_KEYS: dict[str, tuple[str, str]] = {
    "style": ("style", "str"),
    "setlist-class-suffixes": ("setlist_class_suffixes", "list"),
    "setlist-methods": ("setlist_methods", "list"),
    "block-base-classes": ("block_base_classes", "list"),
    "block-methods": ("block_methods", "list"),
    "loop-levels": ("loop_levels", "table"),
    "id-attributes": ("id_attributes", "list"),
    "name-attributes": ("name_attributes", "list"),
    "type-attributes": ("type_attributes", "list"),
    "progress-idioms": ("progress_idioms", "list"),
    "known-first-party": ("known_first_party", "list"),
}


def _coerce(key: str, kind: str, value: object, source: str) -> object:
    if kind == "str":
        if not isinstance(value, str):
            msg = f"{source}: {key} must be a string, got {value!r}"
            raise ConfigError(msg)
        return value
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            msg = f"{source}: {key} must be a list of non-empty strings, got {value!r}"
            raise ConfigError(msg)
        return tuple(value)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        msg = f"{source}: {key} must be a table of pattern = level type strings, got {value!r}"
        raise ConfigError(msg)
    return tuple((str(k), str(v)) for k, v in value.items())


def config_from_mapping(
    table: Mapping[str, Any], *, source: str, base: CodemodConfig | None = None
) -> CodemodConfig:
    """Apply a ``[tool.progresstree.codemod]`` table on top of ``base``."""
    changes: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KEYS:
            msg = f"{source}: unknown setting {raw_key!r}; valid settings: {', '.join(_KEYS)}"
            raise ConfigError(msg)
        field, kind = _KEYS[key]
        changes[field] = _coerce(key, kind, value, source)
    return dataclasses.replace(base or CodemodConfig(), **changes)


def find_pyproject(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start``."""
    path = Path(start).resolve()
    if path.is_file():
        path = path.parent
    for directory in (path, *path.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=32)
def load_pyproject(path: Path) -> CodemodConfig:
    """Settings from one ``pyproject.toml`` (defaults when it has no table)."""
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        msg = f"reading {path} needs Python >= 3.11 or the 'tomli' package"
        raise ConfigError(msg)
    try:
        with path.open("rb") as fp:
            data = tomllib.load(fp)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"cannot read {path}: {exc}"
        raise ConfigError(msg) from exc
    table = data.get("tool", {}).get("progresstree", {}).get("codemod", {})
    if not isinstance(table, dict):
        msg = f"{path}: [tool.progresstree.codemod] must be a table, got {table!r}"
        raise ConfigError(msg)
    return config_from_mapping(table, source=str(path))


def parse_level_flag(value: str) -> tuple[str, str]:
    """``--level PATTERN=TYPE`` -> (pattern, type)."""
    pattern, sep, level_type = value.partition("=")
    if not sep or not pattern or not level_type.isidentifier():
        msg = f"--level expects PATTERN=LEVEL_TYPE (e.g. 'track=song'), got {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return pattern, level_type


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``progresstree codemod`` and ``python -m libcst.tool codemod``."""
    parser.add_argument(
        "--style",
        choices=STYLES,
        default=None,
        help="'context' wraps code in with-blocks (default); 'decorators' uses @tracks "
        "and track_progress(..., level=...)",
    )
    parser.add_argument(
        "--setlist-suffix",
        action="append",
        default=None,
        metavar="SUFFIX",
        help="class-name suffix of setlist services (repeatable; replaces the defaults)",
    )
    parser.add_argument(
        "--setlist-method",
        action="append",
        default=None,
        metavar="NAME",
        help="method holding the loop over songs (repeatable; default process_setlist)",
    )
    parser.add_argument(
        "--block-base",
        action="append",
        default=None,
        metavar="NAME",
        help="base class of block processors (repeatable; default BlockProcessor)",
    )
    parser.add_argument(
        "--block-method",
        action="append",
        default=None,
        metavar="NAME",
        help="method of block processors to wrap (repeatable; default process)",
    )
    parser.add_argument(
        "--level",
        action="append",
        default=None,
        type=parse_level_flag,
        metavar="PATTERN=TYPE",
        help="map loop variables matching PATTERN (fnmatch) to a level type; "
        "checked before the configured mapping",
    )
    parser.add_argument(
        "--config",
        default=None,
        metavar="PYPROJECT",
        help="pyproject.toml to read [tool.progresstree.codemod] from "
        "(default: the nearest one above the current directory)",
    )


def resolve_config(
    *,
    style: str | None = None,
    setlist_suffix: Sequence[str] | None = None,
    setlist_method: Sequence[str] | None = None,
    block_base: Sequence[str] | None = None,
    block_method: Sequence[str] | None = None,
    level: Iterable[tuple[str, str]] | None = None,
    config: str | None = None,
    search_from: str | os.PathLike[str] | None = None,
) -> CodemodConfig:
    """Defaults, then the project's pyproject.toml, then explicit flags."""
    pyproject: Path | None
    if config is not None:
        pyproject = Path(config)
        if not pyproject.is_file():
            msg = f"--config: {config!r} is not a file"
            raise ConfigError(msg)
    else:
        pyproject = find_pyproject(search_from if search_from is not None else os.getcwd())
    base = load_pyproject(pyproject.resolve()) if pyproject is not None else CodemodConfig()
    changes: dict[str, Any] = {}
    if style is not None:
        changes["style"] = style
    if setlist_suffix:
        changes["setlist_class_suffixes"] = tuple(setlist_suffix)
    if setlist_method:
        changes["setlist_methods"] = tuple(setlist_method)
    if block_base:
        changes["block_base_classes"] = tuple(block_base)
    if block_method:
        changes["block_methods"] = tuple(block_method)
    if level:
        changes["loop_levels"] = (*tuple(level), *base.loop_levels)
    return dataclasses.replace(base, **changes)

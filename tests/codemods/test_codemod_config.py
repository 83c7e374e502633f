"""Settings: defaults, pyproject tables, flags, and the errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from progresstree_codemods.config import (
    CodemodConfig,
    ConfigError,
    config_from_mapping,
    resolve_config,
)


def test_default_loop_variables_map_to_song_and_action() -> None:
    config = CodemodConfig()
    assert config.level_for("song") == "song"
    assert config.level_for("live_song") == "song"
    assert config.level_for("action_item") == "action"
    assert config.level_for("hook") == "action"
    assert config.level_for("item") is None


def test_setlist_classes_are_matched_by_suffix() -> None:
    config = CodemodConfig()
    assert config.is_setlist_class("LiveSetlistService")
    assert config.is_setlist_class("SetlistProcessingService")
    assert not config.is_setlist_class("SetlistServiceFactory")


def test_unknown_setting_is_named_with_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'sytle'; valid settings: style, "):
        config_from_mapping({"sytle": "context"}, source="pyproject.toml")


def test_bad_style_names_the_value() -> None:
    with pytest.raises(ConfigError, match=r"style must be one of context, decorators, got 'x'"):
        CodemodConfig(style="x")


def test_level_type_must_be_an_identifier() -> None:
    with pytest.raises(ConfigError, match=r"'track' = 'a song'"):
        config_from_mapping({"loop-levels": {"track": "a song"}}, source="p")


def test_flags_override_pyproject_and_level_flags_come_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.progresstree.codemod]\nstyle = "decorators"\nblock-methods = ["run"]\n'
        '[tool.progresstree.codemod.loop-levels]\ntrack = "song"\n',
        encoding="utf-8",
    )
    config = resolve_config(
        style="context", level=[("track", "action")], search_from=tmp_path / "src" / "x.py"
    )
    assert config.style == "context"
    assert config.block_methods == ("run",)
    assert config.level_for("track") == "action"
    assert config.level_for("song") is None  # the table replaced the defaults


def test_settings_survive_pickling_for_worker_processes() -> None:
    import pickle

    config = CodemodConfig(style="decorators", loop_levels=(("stem", "stem"),))
    assert pickle.loads(pickle.dumps(config)) == config

"""``progresstree codemod``: modes, parallel runs, exit statuses, summary, bad files."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from progresstree_codemods.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXIT_WOULD_CHANGE, main

REPO = Path(__file__).parents[2]
LEGACY = REPO / "docs" / "examples" / "legacy"

SERVICE = (
    "class SetlistService:\n"
    "    def run(self, hooks):\n"
    "        for hook in hooks:\n"
    "            hook(hook.id, hook.name)\n"
)
PLAIN = "def helper():\n    return 1\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(LEGACY, root / "app")
    (root / "app" / "plain.py").write_text(PLAIN, encoding="utf-8")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_default_run_rewrites_files_and_prints_a_summary(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tree), "-j", "1"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "4 files: 2 changed, 2 skipped, 0 failed" in err
    assert "inserted: 1 @tracks, 1 __init__ assignment, 2 action level, 2 block_execution" in err
    assert "1 setlist_processing, 1 song level, 2 track_progress" in err
    assert "NormalizeBlock.process left alone: already instrumented (uses progress_tracker)" in err
    assert "left alone: stub body" in err
    assert "self._progress.setlist_processing" in (tree / "app" / "setlist_service.py").read_text()


def test_second_run_changes_nothing(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(tree), "-j", "1"])
    before = _snapshot(tree)
    capsys.readouterr()
    assert main([str(tree), "--check"]) == EXIT_OK
    assert "0 would change" in capsys.readouterr().err
    assert _snapshot(tree) == before


def test_diff_prints_a_unified_diff_and_writes_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(tree)
    monkeypatch.chdir(tree)
    assert main([str(tree), "--diff"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert "--- a/app/blocks.py\n+++ b/app/blocks.py\n" in out
    assert "+        with get_progress_context().block_execution(" in out
    assert "+from progresstree import get_progress_context, safe_label" in out
    assert "2 would change" in err
    assert _snapshot(tree) == before


def test_check_exits_1_when_a_file_would_change(tree: Path) -> None:
    before = _snapshot(tree)
    assert main([str(tree), "--check"]) == EXIT_WOULD_CHANGE
    assert _snapshot(tree) == before


def test_parallel_run_gives_the_same_files_as_a_serial_one(tmp_path: Path, tree: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(tree, other)
    for index in range(6):
        (tree / f"service_{index}.py").write_text(SERVICE, encoding="utf-8")
        (other / f"service_{index}.py").write_text(SERVICE, encoding="utf-8")
    assert main([str(tree), "-j", "2"]) == EXIT_OK
    assert main([str(other), "-j", "1"]) == EXIT_OK
    assert _snapshot(tree) == _snapshot(other)
    assert "with self._progress.action(hook.id, hook.name):" in (tree / "service_5.py").read_text()


def test_unparsable_file_is_reported_and_the_others_proceed(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tree / "app" / "broken.py"
    broken.write_bytes(b"class SetlistService(:\n    pass\n")
    assert main([str(tree), "-j", "2"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert f"failed: {broken}: cannot parse:" in err
    assert "2 changed" in err
    assert broken.read_bytes() == b"class SetlistService(:\n    pass\n"


def test_read_only_file_is_reported_and_left_untouched(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = tree / "app" / "setlist_service.py"
    content = service.read_bytes()
    service.chmod(0o444)
    try:
        assert main([str(tree), "-j", "1"]) == EXIT_FAILED
        err = capsys.readouterr().err
        assert f"failed: {service}: cannot write:" in err
        assert "read-only" in err
        assert service.read_bytes() == content
        assert "block_execution" in (tree / "app" / "blocks.py").read_text()
    finally:
        service.chmod(0o644)


def test_symlink_to_a_file_outside_the_tree_is_skipped(
    tmp_path: Path, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(SERVICE, encoding="utf-8")
    link = tree / "app" / "linked.py"
    link.symlink_to(outside)
    assert main([str(tree), "-j", "1"]) == EXIT_OK
    err = capsys.readouterr().err
    assert f"skipped: {link}: symlink to a file outside the tree ({outside})" in err
    assert outside.read_text() == SERVICE
    assert link.is_symlink()


def test_symlink_inside_the_tree_is_edited_once_through_its_target(tree: Path) -> None:
    target = tree / "app" / "service.py"
    target.write_text(SERVICE, encoding="utf-8")
    link = tree / "app" / "zz_alias.py"
    link.symlink_to(target)
    assert main([str(tree), "-j", "1"]) == EXIT_OK
    assert link.is_symlink()
    assert target.read_text().count("get_progress_context()") == 1


def test_writes_are_atomic_replacements_keeping_the_mode(tree: Path) -> None:
    service = tree / "app" / "setlist_service.py"
    service.chmod(0o640)
    inode = service.stat().st_ino
    assert main([str(service)]) == EXIT_OK
    assert service.stat().st_ino != inode  # replaced, not rewritten in place
    assert stat.S_IMODE(service.stat().st_mode) == 0o640
    assert [p.name for p in service.parent.iterdir() if p.name.startswith(".")] == []


def test_missing_path_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.py")]) == EXIT_FAILED
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["-j", "0", "x.py"], ["--style", "fancy", "x.py"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_USAGE
    capsys.readouterr()


def test_settings_come_from_the_projects_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.progresstree.codemod]\n"
        'setlist-class-suffixes = ["Runner"]\n'
        'style = "decorators"\n'
        "[tool.progresstree.codemod.loop-levels]\n"
        'track = "song"\n',
        encoding="utf-8",
    )
    module = tmp_path / "jobs.py"
    module.write_text(
        "class NightlyRunner:\n    def go(self, tracks):\n        for track in tracks:\n"
        "            track.play()\n",
        encoding="utf-8",
    )
    assert main([str(tmp_path)]) == EXIT_OK
    assert 'for track in track_progress(tracks, level="song"):' in module.read_text()


def test_bad_pyproject_setting_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.progresstree.codemod]\nsetlist_methods = 3\n", encoding="utf-8"
    )
    (tmp_path / "a.py").write_text(PLAIN, encoding="utf-8")
    assert main([str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "setlist-methods must be a list of non-empty strings, got 3" in err


def test_level_flag_maps_more_loop_variables(tmp_path: Path) -> None:
    module = tmp_path / "svc.py"
    module.write_text(
        "class SetlistService:\n    def go(self, stems):\n        for stem in stems:\n"
        "            stem.render(stem.id, stem.name)\n",
        encoding="utf-8",
    )
    settings = tmp_path / "settings.toml"
    settings.write_text("[tool.other]\n", encoding="utf-8")
    assert main([str(module), "--level", "stem=subprocess", "--config", str(settings)]) == EXIT_OK
    assert "with self._progress.subprocess(stem.id, stem.name):" in module.read_text()


def test_module_entry_point_and_libcst_runner(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": ""}
    first = tmp_path / "a.py"
    second = tmp_path / "b.py"
    first.write_text(SERVICE, encoding="utf-8")
    second.write_text(SERVICE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "progresstree_codemods", str(first), "--check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == EXIT_WOULD_CHANGE, done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "libcst.tool",
            "codemod",
            "--no-format",
            "--hide-progress",
            "instrument.InstrumentCommand",
            str(second),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "with self._progress.action(hook.id, hook.name):" in second.read_text()


def test_files_without_targets_are_listed_only_when_verbose(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tree / "app" / "plain.py"
    main([str(tree), "--check"])
    assert f"skipped: {plain}" not in capsys.readouterr().err
    main([str(tree), "--check", "--verbose"])
    err = capsys.readouterr().err
    assert f"skipped: {plain}: no setlist service or block processor to instrument" in err
    assert "warning: line 76: NotImplementedYetBlock.process left alone: stub body" in err


def test_progresstree_codemod_command(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("progresstree")
    if not script.exists():
        pytest.skip("the progresstree console script is not installed")
    module = tmp_path / "svc.py"
    module.write_text(SERVICE, encoding="utf-8")
    done = subprocess.run(
        [str(script), "codemod", str(module), "--diff"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert "+            with self._progress.action(hook.id, hook.name):" in done.stdout
    assert "1 would change" in done.stderr
    assert module.read_text() == SERVICE


def test_generated_files_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = tmp_path / "gen.py"
    source = "# " + "@" + "generated by a tool\n" + SERVICE
    module.write_text(source, encoding="utf-8")
    assert main([str(module)]) == EXIT_OK
    assert "skipped: " + str(module) + ": generated file" in capsys.readouterr().err
    assert module.read_text() == source

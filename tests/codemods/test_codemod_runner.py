"""The runner: diffs that apply, modes that never write, crashes kept to one file."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests_codemod_support import transform

from progresstree_codemods.cli import EXIT_FAILED, EXIT_OK, EXIT_WOULD_CHANGE, main

REPO = Path(__file__).parents[2]
LEGACY = REPO / "docs" / "examples" / "legacy"

SERVICE = (
    "class SetlistService:\n"
    "    def run(self, hooks, song):\n"
    "        for hook in hooks:\n"
    "            hook.fire(song)\n"
)


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Content, inode and modification time of every file (a rewrite changes one)."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small repository: the legacy examples, a CRLF file and one without a final newline."""
    root = tmp_path / "project"
    shutil.copytree(LEGACY, root / "app")
    (root / "app" / "crlf_service.py").write_bytes(SERVICE.replace("\n", "\r\n").encode())
    (root / "app" / "no_newline.py").write_bytes(SERVICE.rstrip("\n").encode())
    (root / "app" / "tail.py").write_bytes((SERVICE + "\n\ndef after():\n    return 1").encode())
    return root


def _diff(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main([str(root / "app"), "--diff", "-j", "2"]) == EXIT_OK
    return capsys.readouterr().out


def _expected(root: Path) -> dict[str, bytes]:
    expected = {}
    for path in sorted((root / "app").glob("*.py")):
        source = path.read_bytes()
        expected[path.name] = transform(source.decode()).encode()
    return expected


def test_diff_applies_with_git_apply(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    expected = _expected(project)
    diff = _diff(project, capsys)
    assert "--- a/app/no_newline.py\n+++ b/app/no_newline.py\n" in diff
    assert "\\ No newline at end of file\n" in diff
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    patch_file = project.parent / "codemod.diff"
    patch_file.write_text(diff, encoding="utf-8")
    subprocess.run(["git", "apply", "--check", str(patch_file)], cwd=project, check=True)
    subprocess.run(["git", "apply", str(patch_file)], cwd=project, check=True)
    after = {p.name: p.read_bytes() for p in sorted((project / "app").glob("*.py"))}
    assert after == expected


def test_diff_applies_with_patch_p1_from_a_subdirectory_run(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    expected = _expected(project)
    diff = _diff(project, capsys)
    done = subprocess.run(
        ["patch", "-p1", "--dry-run", "--batch"],
        input=diff.encode(),
        cwd=project,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    subprocess.run(
        ["patch", "-p1", "--batch", "--quiet"], input=diff.encode(), cwd=project, check=True
    )
    after = {p.name: p.read_bytes() for p in sorted((project / "app").glob("*.py"))}
    assert after == expected
    assert [p.name for p in (project / "app").iterdir() if p.suffix in {".orig", ".rej"}] == []


def test_diff_of_a_file_outside_the_working_directory_uses_its_repository_root(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project / ".git").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    diff = _diff(project, capsys)
    assert "--- a/app/blocks.py\n+++ b/app/blocks.py\n" in diff
    assert "/.." not in diff and "a/.." not in diff


CR_ONLY = SERVICE.replace("\n", "\r").encode()


@pytest.mark.parametrize("mode", [[], ["--check"], ["--diff"]])
def test_a_file_libcst_cannot_reproduce_is_never_written(
    tmp_path: Path, mode: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    lossy = tmp_path / "cr_only.py"
    lossy.write_bytes(CR_ONLY)
    good = tmp_path / "good.py"
    good.write_text(SERVICE, encoding="utf-8")
    before = _snapshot(tmp_path)
    assert main([str(tmp_path), "-j", "1", *mode]) == EXIT_FAILED
    out, err = capsys.readouterr()
    assert f"failed: {lossy}: not edited: libcst cannot reproduce it byte for byte" in err
    assert "carriage-return-only line ends" in err
    after = _snapshot(tmp_path)
    assert after[lossy.name] == before[lossy.name]
    if mode:
        assert after == before
        assert "cr_only" not in out
    else:
        assert "self._progress.action(" in good.read_text()


def test_form_feeds_are_kept_in_write_mode_and_untouched_in_check_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "paged.py"
    source = "import os\n\x0c\n\n" + SERVICE + "\x0c\n\ndef later():\n    return os.sep\n"
    module.write_bytes(source.encode())
    before = _snapshot(tmp_path)
    assert main([str(module), "--check"]) == EXIT_WOULD_CHANGE
    assert _snapshot(tmp_path) == before
    assert main([str(module)]) == EXIT_OK
    written = module.read_bytes()
    assert written == transform(source).encode()
    assert written.count(b"\x0c\n") == 2


@pytest.mark.parametrize("mode", [["--check"], ["--diff"]])
def test_check_and_diff_never_touch_a_read_only_file(
    tmp_path: Path, mode: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "svc.py"
    module.write_text(SERVICE, encoding="utf-8")
    module.chmod(0o444)
    before = _snapshot(tmp_path)
    try:
        status = main([str(module), *mode])
        assert status == (EXIT_WOULD_CHANGE if mode == ["--check"] else EXIT_OK)
        err = capsys.readouterr().err
        assert "read-only" in err
        assert _snapshot(tmp_path) == before
        assert stat.S_IMODE(module.stat().st_mode) == 0o444
    finally:
        module.chmod(0o644)


def test_write_mode_writes_the_instrumented_result_atomically(tmp_path: Path) -> None:
    module = tmp_path / "svc.py"
    module.write_text(SERVICE, encoding="utf-8")
    inode = module.stat().st_ino
    assert main([str(module), "-j", "1"]) == EXIT_OK
    assert module.read_text() == transform(SERVICE)
    assert module.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["svc.py"]


def test_a_file_that_crashes_the_parser_fails_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A deeply nested expression overflows the native parser's stack at once
    # (a 400 KB ``1+1+...`` line does the same after a minute and a half).
    crash = tmp_path / "b_crash.py"
    crash.write_text("class SetlistService:\n    pass\n\nx = " + "-" * 100_000 + "1\n")
    services = [tmp_path / f"{name}_svc.py" for name in ("a", "c", "d")]
    for service in services:
        service.write_text(SERVICE, encoding="utf-8")
    crash_bytes = crash.read_bytes()
    for jobs in ("1", "2"):
        status = main([str(tmp_path), "-j", jobs, "--check"])
        assert status == EXIT_FAILED
        err = capsys.readouterr().err
        assert f"failed: {crash}: the parser crashed on this file (worker killed by SIGSEGV)" in err
        assert "4 files: 3 would change, 0 skipped, 1 failed" in err
        assert "BrokenProcessPool" not in err
    assert main([str(tmp_path), "-j", "1"]) == EXIT_FAILED
    assert all("self._progress.action(" in s.read_text() for s in services)
    assert crash.read_bytes() == crash_bytes


def test_cli_starts_quickly(tmp_path: Path) -> None:
    module = tmp_path / "plain.py"
    module.write_text("x = 1\n", encoding="utf-8")
    script = Path(sys.executable).with_name("progresstree")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "progresstree"]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(
            [*command, "codemod", "--help"], capture_output=True, check=False, env=os.environ
        )
        best = min(best, time.perf_counter() - start)
        assert done.returncode == EXIT_OK
    assert best <= 0.3
    done = subprocess.run(
        [*command, "codemod", str(module), "--check"], capture_output=True, check=False
    )
    assert done.returncode == EXIT_OK, done.stderr

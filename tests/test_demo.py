"""``progresstree demo``: the outputs, the summary, and Ctrl-C."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from typing import Any

import pytest

import progresstree
from progresstree.demo import main
from progresstree.demo.setlist import build_setlist

FAST = ["--songs", "2", "--speed", "25"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE"):
        env.pop(name, None)
    env["TERM"] = "xterm-256color"
    return env


def _demo(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "progresstree", "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        **kwargs,
    )


def test_default_setlist_has_the_documented_shape() -> None:
    setlist = build_setlist(6)
    assert len(setlist.songs) == 6
    for song in setlist.songs:
        assert len(song.actions) == 4
        assert all(len(action.blocks) == 2 for action in song.actions)
        assert all(len(block.steps) == 2 for a in song.actions for block in a.blocks)
    assert sum(song.gain > 1 for song in setlist.songs) == 1  # one song fails


def test_main_runs_in_process_and_records_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--plain", "--songs", "1", "--speed", "50"]) == 0
    (state,) = progresstree.get_progress_store().get_history("setlist_processing")
    song = state.levels[state.root_level_ids[0]]
    assert song.status is progresstree.ProgressStatus.FAILED  # the only song is the hot one
    assert "Setlist summary" in capsys.readouterr().out


def test_bad_arguments_exit_with_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["--songs", "0"])
    assert info.value.code == 2


def test_piped_output_is_plain_with_no_control_codes() -> None:
    proc = _demo(*FAST)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "\x1b" not in out
    assert "start Friday night setlist" in out
    assert "FAILED song Blue Hour" in out
    assert "clipping" in out
    assert "Setlist summary" in out


def test_json_lines_parse_and_cover_the_lifecycle() -> None:
    proc = _demo("--json", *FAST)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    operation = [r for r in records if r["scope"] == "operation"]
    assert operation[0]["event"] == "started"
    assert operation[-1]["event"] == "completed"
    assert {"started", "updated", "completed", "failed"} <= {r["event"] for r in records}
    songs = {r["name"]: r for r in records if r["level_type"] == "song" and r["completed_at"]}
    assert songs["Opening Drone"]["status"] == "completed"
    assert songs["Blue Hour"]["status"] == "failed"
    assert "clipping" in songs["Blue Hour"]["error"]
    assert "Setlist summary" in err  # the table goes to stderr, stdout stays JSON
    overall = [r["overall_percentage"] for r in operation]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(overall))  # never goes back


def test_live_tree_under_a_pseudo_terminal() -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "progresstree", "demo", "--songs", "2", "--speed", "3"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(),
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=10) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[" in screen  # drawn in place, in colour
    for expected in ("Friday night setlist", "├─", "└─", "━", "synthesise", "Setlist summary"):
        assert expected in screen
    assert "✗ Blue Hour" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)


def test_ctrl_c_cancels_levels_prints_summary_and_exits_130() -> None:
    proc = _demo("--json", "--songs", "3", "--speed", "0.5")
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the operation has started
    assert json.loads(first)["event"] == "started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    records = [json.loads(line) for line in [first, *rest.splitlines()]]
    assert records[-1]["event"] == "cancelled"
    assert records[-1]["operation_status"] == "cancelled"
    cancelled = {r["level_type"] for r in records if r["event"] == "cancelled"}
    assert {"song", "action", "block", "subprocess"} <= cancelled
    assert "cancelled" in err
    assert "not started" in err  # songs never reached are listed too


def test_summary_prints_names_and_errors_literally() -> None:
    """Markup and control characters in a song's name or error reach the table as plain text."""
    from rich.console import Console

    from progresstree.demo.summary import summary_table

    store = progresstree.ProgressEventStore()
    hostile = "[bold]Loud[/bold]\x1b]0;pwned\x07\x1b[2J"
    with pytest.raises(RuntimeError):
        with progresstree.get_progress_context(store).setlist_processing("s", hostile) as op:
            with op.song("1", hostile):
                raise RuntimeError("bad\x1b[31m [red]error[/red]")
    state = store.get_history()[-1]
    console = Console(width=200, force_terminal=False, color_system=None)
    with console.capture() as captured:
        console.print(summary_table(state, planned=1))
    text = captured.get()
    assert "\x1b" not in text and "\x07" not in text
    assert "[bold]Loud[/bold]" in text
    assert "[red]error[/red]" in text

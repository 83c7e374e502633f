"""Functions run in worker processes (importable by spawn and forkserver)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from progresstree import get_progress_context


def process_song(song_id: int, actions: int = 3, steps: int = 5) -> int:
    """A song's actions, each counting to ``steps``."""
    progress = get_progress_context()
    for action in range(actions):
        with progress.action(f"a{action}", f"action {action}", total=steps) as act:
            for _ in range(steps):
                act.increment()
    return song_id * 10


def slow_action(seconds: float) -> str:
    """An action that stays open for a while, reporting once."""
    with get_progress_context().action("slow", "slow action", total=2) as act:
        act.update(current=1, message="half way")
        time.sleep(seconds)
        act.update(current=2)
    return "done"


def raise_key_error(name: str) -> None:
    """An action that fails with a KeyError."""
    with get_progress_context().action("bad", "bad action"):
        raise KeyError(name)


def die_in_action(code: int, delay: float) -> None:
    """An action during which the worker process exits abruptly."""
    with get_progress_context().action("dying", "dying action", total=4) as act:
        act.update(current=1)
        time.sleep(delay)
        os._exit(code)


def plain_square(x: int) -> int:
    """Work that reports nothing."""
    return x * x


def pid_and_token() -> tuple[int, str | None]:
    """The worker's pid and the token current in it."""
    from progresstree import current_token

    return os.getpid(), current_token()


def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll ``predicate()`` until it is true (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def pid_and_token_of(_: object) -> tuple[int, str | None]:
    """``pid_and_token`` for ``map``."""
    return pid_and_token()


def publish_songs(url: str, token: str | None, songs: list[int], stream: str) -> None:
    """A separate process: songs under ``token``, published to Redis."""
    from progresstree import attach
    from progresstree.remote import publish

    progress = get_progress_context()
    with publish(url, stream=stream), attach(token):
        for song in songs:
            with progress.song(song, f"song {song}"):
                process_song(song, actions=2, steps=3)


def tagged_song(song_id: int) -> str:
    """A pure function: identical calls under two levels must be two tasks."""
    with get_progress_context().action("t", f"tagged {song_id}"):
        pass
    return f"song {song_id}"


def song_total(results: list[int]) -> int:
    """A delayed reduction over songs' results."""
    return sum(results)

"""The demo's setlist and the service that processes it.

Songs have actions, actions have processing blocks, blocks have steps that
run as subprocesses over chunks of a synthesised signal. The service is
instrumented the three ways the library offers, each where it reads best:
an explicit ``with`` for the setlist and the blocks, ``@tracks`` on the
song and step methods, and ``track_progress`` over the action and chunk
loops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .. import current_level, get_progress_context, track_progress, tracks
from ..store import ProgressEventStore
from .signals import CHUNK, RATE, WORK, ClippingError, synthesise

__all__ = ["Action", "Block", "Setlist", "SetlistService", "Song", "Step", "build_setlist"]

_TITLES = [
    "Opening Drone",
    "Blue Hour",
    "Static Bloom",
    "Broken Ceiling",
    "Night Bus",
    "Last Light",
]
# action -> blocks -> (block type, steps)
_PLAN: list[tuple[str, list[tuple[str, str, list[str]]]]] = [
    (
        "synthesise",
        [
            ("Oscillator", "generator", ["mix", "envelope"]),
            ("Shaper", "effect", ["envelope", "loudness"]),
        ],
    ),
    (
        "analyse",
        [
            ("Pitch", "analysis", ["pitch", "loudness"]),
            ("Loudness", "analysis", ["loudness", "checksum"]),
        ],
    ),
    (
        "master",
        [
            ("Compressor", "dynamics", ["compress", "loudness"]),
            ("Limiter", "dynamics", ["compress", "limit"]),
        ],
    ),
    (
        "export",
        [
            ("Encoder", "output", ["encode", "checksum"]),
            ("Verifier", "output", ["checksum", "pitch"]),
        ],
    ),
]
_SECONDS_PER_CHUNK = 0.013


def _describe(step: Step) -> str:
    return f"{step.chunks} chunks of {CHUNK} samples at {RATE} Hz"


@dataclass(frozen=True)
class Step:
    """One subprocess of a block: ``chunks`` rounds of one kind of work."""

    id: str
    name: str
    chunks: int


@dataclass(frozen=True)
class Block:
    """A processing block of an action."""

    id: str
    name: str
    kind: str
    steps: list[Step]


@dataclass(frozen=True)
class Action:
    """One action run on a song."""

    id: str
    name: str
    blocks: list[Block]


@dataclass(frozen=True)
class Song:
    """A song: a tone (``freq``, ``gain``) and the actions to run on it."""

    id: str
    name: str
    freq: float
    gain: float
    actions: list[Action] = field(default_factory=list)


@dataclass(frozen=True)
class Setlist:
    """What the demo processes."""

    id: str
    name: str
    songs: list[Song]


def build_setlist(songs: int) -> Setlist:
    """``songs`` songs; the fourth (or the last, with fewer) is mixed too hot."""
    hot = min(3, songs - 1)
    result = []
    for index in range(songs):
        title = _TITLES[index] if index < len(_TITLES) else f"Encore {index - len(_TITLES) + 1}"
        chunks = 6 + (index % 3) * 2
        actions = [
            Action(
                f"a{a}",
                action,
                [
                    Block(
                        f"b{b}",
                        block,
                        kind,
                        [Step(f"{work}-{s}", work, chunks) for s, work in enumerate(steps)],
                    )
                    for b, (block, kind, steps) in enumerate(blocks)
                ],
            )
            for a, (action, blocks) in enumerate(_PLAN)
        ]
        freq = 110.0 * 2 ** (index * 5 / 12)
        gain = 1.5 if index == hot else 0.7
        result.append(Song(f"song-{index + 1}", title, freq, gain, actions))
    return Setlist("demo", "Friday night setlist", result)


class SetlistService:
    """Processes a setlist, reporting progress to ``store``.

    ``speed`` divides the time each chunk of work is paced to, so tests can
    run the whole setlist in a fraction of a second.
    """

    def __init__(self, store: ProgressEventStore, speed: float = 1.0) -> None:
        self._progress = get_progress_context(store)
        self._chunk_seconds = _SECONDS_PER_CHUNK / speed

    def process_setlist(self, setlist: Setlist) -> None:
        """All songs; a song that fails is recorded and the setlist goes on."""
        with self._progress.setlist_processing(setlist.id, setlist.name) as op:
            op.set_total(len(setlist.songs))
            for song in setlist.songs:
                try:
                    self.process_song(song)
                except ClippingError:
                    continue  # the song's level holds the error

    @tracks("song", id_from="song.id", name_from="song.name")
    def process_song(self, song: Song) -> None:
        """Every action of one song, each in its own ``action`` level."""
        actions = track_progress(song.actions, level="action", id_from="id", name_from="name")
        for action in actions:
            self.run_action(song, action)

    def run_action(self, song: Song, action: Action) -> None:
        """The blocks of one action, each an explicit ``with`` block."""
        level = current_level()  # the action's level, opened by track_progress
        if level is not None:
            level.set_total(len(action.blocks))  # keeps the percentage monotonic
        for block in action.blocks:
            with self._progress.block_execution(block.id, block.name, block_type=block.kind) as blk:
                blk.set_total(len(block.steps))
                for step in block.steps:
                    self.run_step(song, step)

    @tracks("subprocess", id_from="step.id", name_from="step.name")
    def run_step(self, song: Song, step: Step) -> None:
        """One subprocess: its chunks of signal work, paced, counted per chunk."""
        work = WORK[step.name]
        started = time.perf_counter()
        for chunk in track_progress(range(step.chunks), message=_describe(step)):
            samples = synthesise(song.freq, chunk, song.gain)
            work(samples, song.freq)
            self._pace(started, chunk + 1)

    def _pace(self, started: float, done: int) -> None:
        delay = started + done * self._chunk_seconds - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

"""Small, real signal work for the demo, with the standard library only.

Each step of the demo synthesises a short chunk of a song's tone and does
something audio-like with it (shape, analyse, compress, limit, encode). The
numbers are real; they are just small enough that the progress, not the
arithmetic, is what a viewer watches.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable

__all__ = ["CHUNK", "RATE", "ClippingError", "Work", "WORK", "synthesise"]

RATE = 8000
CHUNK = 256
_CEILING_DBFS = -1.0

Work = Callable[[list[float], float], float]


class ClippingError(ValueError):
    """A chunk's peak went above the limiter's ceiling."""


def synthesise(freq: float, chunk: int, gain: float) -> list[float]:
    """``CHUNK`` samples of a tone with three partials, swelling chunk by chunk."""
    start = chunk * CHUNK
    gain *= min(1.0, 0.6 + 0.05 * chunk)
    two_pi_f = 2.0 * math.pi * freq / RATE
    return [
        gain
        * (
            0.6 * math.sin(two_pi_f * n)
            + 0.25 * math.sin(2 * two_pi_f * n)
            + 0.15 * math.sin(3 * two_pi_f * n)
        )
        for n in range(start, start + CHUNK)
    ]


def _envelope(samples: list[float], _freq: float) -> float:
    size = len(samples)
    shaped = [s * min(1.0, i / 32) * min(1.0, (size - i) / 64) for i, s in enumerate(samples)]
    return sum(abs(s) for s in shaped) / size


def _goertzel(samples: list[float], freq: float) -> float:
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / RATE)
    prev = prev2 = 0.0
    for sample in samples:
        prev, prev2 = sample + coeff * prev - prev2, prev
    return prev2 * prev2 + prev * prev - coeff * prev * prev2


def _pitch(samples: list[float], freq: float) -> float:
    candidates = [freq * ratio for ratio in (0.5, 0.94, 1.0, 1.06, 2.0)]
    return max(candidates, key=lambda f: _goertzel(samples, f))


def _loudness(samples: list[float], _freq: float) -> float:
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return 20.0 * math.log10(max(rms, 1e-9))


def _peak_dbfs(samples: list[float]) -> float:
    peak = max((abs(s) for s in samples), default=0.0)
    return 20.0 * math.log10(max(peak, 1e-9))


def _compress(samples: list[float], _freq: float) -> float:
    threshold, ratio = 0.5, 4.0
    out = [
        math.copysign(threshold + (abs(s) - threshold) / ratio, s) if abs(s) > threshold else s
        for s in samples
    ]
    return _peak_dbfs(out)


def _limit(samples: list[float], _freq: float) -> float:
    peak = _peak_dbfs(samples)
    if peak > _CEILING_DBFS:
        msg = f"clipping: peak {peak:+.1f} dBFS above the {_CEILING_DBFS:.1f} dBFS ceiling"
        raise ClippingError(msg)
    return peak


def _encode(samples: list[float], _freq: float) -> float:
    frames = struct.pack(
        f"<{len(samples)}h", *(int(max(-1.0, min(1.0, s)) * 32767) for s in samples)
    )
    return float(len(frames))


def _checksum(samples: list[float], _freq: float) -> float:
    return float(zlib.crc32(struct.pack(f"<{len(samples)}d", *samples)))


WORK: dict[str, Work] = {
    "envelope": _envelope,
    "pitch": _pitch,
    "loudness": _loudness,
    "compress": _compress,
    "limit": _limit,
    "encode": _encode,
    "checksum": _checksum,
    "mix": lambda samples, _freq: sum(samples) / len(samples),
}

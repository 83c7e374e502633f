"""Numbers for humans: durations, amounts, rates and ETAs of levels.

Shared by the rich tree and the plain-line output so both tell the same
story; nothing here imports rich.
"""

from __future__ import annotations

from ..models import ProgressLevel, ProgressStatus, progress

__all__ = [
    "clip",
    "fmt_amount",
    "fmt_duration",
    "fmt_rate",
    "level_counts",
    "level_eta",
    "level_fraction",
    "level_rate",
]


CLIP = 200  # characters of a name, message or error a screen can use


def clip(text: str | None, limit: int = CLIP) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), ``""`` for None.

    A name or message may be megabytes long; cutting it first keeps rich
    from measuring and wrapping all of it on every frame.
    """
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def fmt_duration(seconds: float | None) -> str:
    """``"4.2s"``, ``"3m07s"``, ``"1h02m"``; ``""`` when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_amount(value: float) -> str:
    """Whole numbers without a decimal point, others with one decimal."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def fmt_rate(rate: float | None) -> str:
    """Items per second, short enough for a narrow column."""
    if rate is None:
        return ""
    if rate >= 100:
        return f"{rate:.0f}/s"
    if rate >= 10:
        return f"{rate:.1f}/s"
    return f"{rate:.2f}/s"


def level_counts(level: ProgressLevel) -> tuple[float, float]:
    """``(done, total)`` as shown in the count column.

    A level that counts its own units shows ``current/total``; a level whose
    work is its children (no ``current`` of its own) shows completed children
    over the larger of its declared total and its number of children.
    """
    children = level.children
    if children and not level.current:
        kids = list(children.values())
        done = sum(1 for child in kids if child.status is ProgressStatus.COMPLETED)
        return float(done), float(max(level.total, len(kids)))
    return float(level.current), float(level.total)


def level_fraction(level: ProgressLevel, memo: dict[int, float] | None = None) -> float | None:
    """How far the level has gone in [0, 1], or None when it cannot tell.

    The level's own ``percentage`` (one number per level, everywhere); None
    only for a running level with neither a total nor children, which draws
    as an indeterminate bar. ``memo`` is shared across the rows of one tree,
    so every subtree is summed once.
    """
    if level.status is ProgressStatus.RUNNING and not level.total and not level.children:
        return None
    return progress(level, memo)


def level_rate(level: ProgressLevel) -> float | None:
    """Items (or finished children) per second; None until it means something."""
    done, _ = level_counts(level)
    elapsed = level.get_elapsed_seconds()
    if done <= 0 or elapsed < 0.2:
        return None
    return done / elapsed


def level_eta(level: ProgressLevel, memo: dict[int, float] | None = None) -> float | None:
    """Seconds left for a running level, extrapolated from its fraction."""
    if level.status is not ProgressStatus.RUNNING:
        return None
    fraction = level_fraction(level, memo)
    if fraction is None or fraction <= 0.0 or fraction >= 1.0:
        return None
    return level.get_elapsed_seconds() * (1.0 - fraction) / fraction

"""How was a ``for`` loop left: ``break``/``return``, or an exception?

``track_progress(..., level=...)`` keeps one level open per item while the
loop body runs. When the body leaves the loop early, Python closes the
abandoned iterator (``GeneratorExit``) in the middle of leaving, and the
iterator cannot see why: an exception in flight is parked by the
interpreter while the iterator is finalised, so ``sys.exc_info()`` shows
nothing. What happens *next* in the loop's frame tells it:

* after ``break`` / ``return`` the frame simply runs its next instruction;
* after an exception caught in the same frame, the next instruction enters
  the handler (``PUSH_EXC_INFO`` on 3.11+; on 3.10 the exception is already
  handled when the first handler instruction runs), and one instruction
  later ``sys.exc_info()`` is that very exception;
* an exception not caught there leaves the frame, and arrives in the
  calling frame as a trace ``exception`` event carrying the exception.

So, on this rare path only (never per item), a one-shot trace function is
set on the loop's frame, waits for the first of those signs, reports it and
removes itself. Nothing is traced when another trace function (a debugger,
coverage) is installed on the thread: :func:`watch` returns False and the
caller falls back to leaving the level to its parent.
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["watch"]

_PUSH_EXC_INFO = dis.opmap.get("PUSH_EXC_INFO")  # None before 3.11
_Verdict = Callable[[BaseException | None], None]
_Tracer = Callable[[FrameType, str, Any], Any]


class _Watch:
    """One pending verdict: which frame to look at, and whom to tell."""

    __slots__ = ("before", "decide", "entering", "frame", "outer")

    def __init__(self, frame: FrameType, decide: _Verdict) -> None:
        self.frame = frame
        self.decide = decide
        current = _handled()
        # Called from the iterator's GeneratorExit handler: what the loop's
        # frame was handling is that exception's context.
        self.before = current.__context__ if isinstance(current, GeneratorExit) else current
        self.entering = False
        self.outer: FrameType | None = None

    def finish(self, exc: BaseException | None) -> None:
        for frame in (self.frame, self.outer):
            if frame is not None:
                frame.f_trace = None
                frame.f_trace_opcodes = False
        sys.settrace(None)
        self.decide(exc)

    def on_global(self, frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        # New frames called meanwhile are not traced.
        return None

    def on_loop_frame(self, frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        if frame is not self.frame:
            return None
        if event == "opcode":
            if self.entering:
                self.finish(_handled())
                return None
            if _PUSH_EXC_INFO is not None and frame.f_code.co_code[frame.f_lasti] == _PUSH_EXC_INFO:
                self.entering = True  # the handler's first instruction: look after it
                return self.on_loop_frame
            found = _handled()
            # 3.10: entering a handler already made the exception the handled one.
            self.finish(found if found is not None and found is not self.before else None)
            return None
        if event == "return":
            # Left without running another instruction: an exception propagates.
            outer = self.outer = frame.f_back
            if outer is None:
                self.finish(None)
            else:
                outer.f_trace = self.on_outer_frame
            return None
        return self.on_loop_frame

    def on_outer_frame(self, frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        if frame is not self.outer:
            return None
        if event == "exception":
            self.finish(arg[1])
        else:
            self.finish(None)
        return None


def _handled() -> BaseException | None:
    return sys.exc_info()[1]


def watch(frame: FrameType | None, decide: _Verdict) -> bool:
    """Call ``decide(exc)`` once ``frame`` shows how the loop was left.

    ``exc`` is the exception leaving the loop, or None after ``break`` /
    ``return`` / an explicit ``close()``. False (and no call) when the
    thread already has a trace function or there is no frame to watch.
    """
    if frame is None or sys.gettrace() is not None:
        return False
    pending = _Watch(frame, decide)
    frame.f_trace = pending.on_loop_frame
    frame.f_trace_opcodes = True
    sys.settrace(pending.on_global)
    return True

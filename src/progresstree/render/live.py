"""The live console view: a store listener driving a ``rich.live.Live``.

The listener runs on the tracked code's thread, so it does the least
possible: it remembers which operations changed and marks the view dirty.
Formatting happens on rich's own refresh thread, which asks for a fresh
renderable a few times per second.
"""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console, RenderableType
from rich.live import Live

from ..models import ProgressState
from ..store import ProgressEventStore, get_progress_store
from .tree import TreeOptions, render_states

__all__ = ["LiveRenderer", "live"]

_TERMINAL = frozenset({"completed", "failed", "cancelled"})


class LiveRenderer:
    """A live tree of the operations of ``store`` (the global one by default).

    Use it as a context manager (or ``start()`` / ``stop()``). Operations
    active when it starts are shown at once; finished ones stay on screen,
    the ``keep_finished`` most recent of them. ``min_interval`` throttles the
    listener; ``refresh_per_second`` paces redrawing.
    """

    def __init__(
        self,
        store: ProgressEventStore | None = None,
        *,
        console: Console | None = None,
        refresh_per_second: float = 8.0,
        min_interval: float = 0.1,
        keep_finished: int = 3,
        transient: bool = False,
        options: TreeOptions | None = None,
    ) -> None:
        self.store = store if store is not None else get_progress_store()
        self.options = options or TreeOptions()
        self.keep_finished = keep_finished
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._states: dict[str, ProgressState] = {}
        self._finished: list[str] = []
        self._dirty = True
        self._live = Live(
            console=console,
            refresh_per_second=refresh_per_second,
            transient=transient,
            get_renderable=self.renderable,
        )

    @property
    def console(self) -> Console:
        """The console drawn on (print through it to keep the view intact)."""
        return self._live.console

    @property
    def dirty(self) -> bool:
        """True when an event arrived since the last redraw."""
        return self._dirty

    def __call__(self, event: str, state: ProgressState) -> None:
        """Store listener: remember the state, nothing else."""
        op_id = state.operation_id
        with self._lock:
            self._states[op_id] = state
            if event in _TERMINAL and op_id not in self._finished:
                self._finished.append(op_id)
                while len(self._finished) > self.keep_finished:
                    self._states.pop(self._finished.pop(0), None)
            self._dirty = True

    def states(self) -> list[ProgressState]:
        """The operations on screen, in the order they first appeared."""
        with self._lock:
            return list(self._states.values())

    def renderable(self) -> RenderableType:
        """What the screen shows now (called by rich's refresh thread)."""
        self._dirty = False
        return render_states(self.states(), self.options)

    def start(self) -> LiveRenderer:
        """Show the view and start listening."""
        for state in self.store.get_all_active():
            self("started", state)
        self.store.add_callback(self, min_interval=self.min_interval)
        self._live.start(refresh=True)
        return self

    def stop(self) -> None:
        """Stop listening and leave the final picture on screen."""
        self.store.remove_callback(self)
        self._live.refresh()
        self._live.stop()

    def __enter__(self) -> LiveRenderer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ``with progresstree.render.live(): ...`` reads better than the class name;
# the arguments are the class's own, so this is simply another name for it.
live = LiveRenderer

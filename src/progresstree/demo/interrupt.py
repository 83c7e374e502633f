"""Ctrl-C as a clean cancellation.

The first SIGINT asks the store to cancel the running operations: the
tracked code stops at its next progress update, every open level ends
``cancelled`` and the summary still prints. A second SIGINT interrupts at
once. The signal handler only sets an event: it may run while the main
thread holds the store's lock, so the cancellation request itself is made
from a helper thread.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

from ..store import ProgressEventStore

__all__ = ["CancelOnInterrupt"]


class CancelOnInterrupt:
    """Context manager turning the first Ctrl-C into ``request_cancel``."""

    def __init__(self, store: ProgressEventStore) -> None:
        self.store = store
        self.requested = threading.Event()
        self._done = threading.Event()
        self._previous: object = None
        self._installed = False
        self._thread = threading.Thread(
            target=self._cancel_when_asked, name="progresstree-demo-cancel", daemon=True
        )

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested.is_set():
            raise KeyboardInterrupt
        self.requested.set()

    def _cancel_when_asked(self) -> None:
        while not self._done.is_set():
            if self.requested.wait(0.05):
                # Repeated: an operation may start after the request.
                for state in self.store.get_all_active():
                    self.store.request_cancel(state.operation_id)
                self._done.wait(0.05)

    def __enter__(self) -> CancelOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
        self._thread.join(1.0)

"""Exceptions raised by progresstree.

Everything the library raises on purpose derives from :class:`ProgressError`,
except :class:`OperationCancelled`: it is a ``BaseException`` on purpose (like
``asyncio.CancelledError``) so that a broad ``except Exception`` in user code
does not swallow a cancellation request.
"""

from __future__ import annotations

__all__ = ["LevelEndedError", "OperationCancelled", "PathWarning", "ProgressError"]


class ProgressError(Exception):
    """Base class of the errors progresstree raises."""


class LevelEndedError(ProgressError, RuntimeError):
    """A level handle was used after its level ended."""


class PathWarning(UserWarning):
    """A path expression (``id_from=...``) failed on a call; shown once per function.

    The call still runs: the level falls back to a generated id or the
    function's name, and the failure is kept in ``metadata["path_errors"]``.
    Turn it into an error while testing with
    ``warnings.simplefilter("error", progresstree.PathWarning)``.
    """


class OperationCancelled(BaseException):
    """Raised inside tracked work after :meth:`request_cancel` was called."""

    def __init__(self, operation_id: str, message: str | None = None) -> None:
        self.operation_id = operation_id
        super().__init__(message or f"operation {operation_id!r} was cancelled")

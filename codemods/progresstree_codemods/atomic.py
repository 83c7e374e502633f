"""Replacing a file's content so that readers see the old bytes or the new, never half.

The new content goes to a temporary file in the same directory, is flushed to
disk, takes the original's permission bits, then ``os.replace`` swaps it in.
A read-only file is refused even when the process could override its mode
(as root can): read-only is the owner's way of saying "do not edit".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


class NotWritableError(PermissionError):
    """The file is read-only; it was left as it was."""


def check_writable(path: str) -> str:
    """The real path to write to; raises NotWritableError for read-only files."""
    target = os.path.realpath(path)
    mode = os.stat(target).st_mode
    if not mode & _WRITE_BITS or not os.access(target, os.W_OK):
        msg = f"{path} is read-only (mode {stat.filemode(mode)})"
        raise NotWritableError(msg)
    return target


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (through symlinks) in one atomic step."""
    target = check_writable(path)
    directory, base = os.path.split(target)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{base}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        shutil.copymode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

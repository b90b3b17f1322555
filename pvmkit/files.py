"""Input files of the commands, read only when they are regular files: a FIFO given as an input blocked the reader
forever (found in review), a directory or device is no input either, and a path with a NUL byte raised ValueError
where callers expect OSError."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal, overload


@overload
def read_input(path: Path, text: Literal[False] = False) -> bytes: ...
@overload
def read_input(path: Path, text: Literal[True]) -> str: ...
def read_input(path: Path, text: bool = False) -> bytes | str:
    """The file's bytes (or text: UnicodeDecodeError when it is not UTF-8). OSError, with a strerror that says why,
    when it is missing, unreadable or not a regular file. Opened without blocking and checked once open, so a FIFO
    put in its place after a check cannot block the read either."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except ValueError:
        raise OSError(errno.EINVAL, "the path contains a NUL byte") from None
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise OSError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)")
        data = f.read()
    return data.decode() if text else data

"""Input files of the commands, read only when they are regular files: a FIFO given as an input blocked the reader
forever (found in review), a directory or device is no input either, and a path with a NUL byte raised ValueError
where callers expect OSError."""

from __future__ import annotations

import errno
import stat
from pathlib import Path
from typing import Literal, overload


@overload
def read_input(path: Path, text: Literal[False] = False) -> bytes: ...
@overload
def read_input(path: Path, text: Literal[True]) -> str: ...
def read_input(path: Path, text: bool = False) -> bytes | str:
    """The file's bytes (or text: UnicodeDecodeError when it is not UTF-8). OSError, with a strerror that says why,
    when it is missing, unreadable or not a regular file."""
    try:
        mode = path.stat().st_mode
    except ValueError:
        raise OSError(errno.EINVAL, "the path contains a NUL byte") from None
    if stat.S_ISDIR(mode):
        raise OSError(errno.EISDIR, "is a directory")
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)")
    return path.read_text() if text else path.read_bytes()

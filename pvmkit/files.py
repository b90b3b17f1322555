"""Input files of the commands, read only when they are regular files: a FIFO given as an input blocked the reader
forever (found in review), a directory or device is no input either, and a path with a NUL byte raised ValueError
where callers expect OSError."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal, overload


def cache_root() -> Path:
    """Where pvmkit keeps what it installs, builds and compiles: `$PVMKIT_CACHE`, else `~/.cache/pvmkit`."""
    env = os.environ.get("PVMKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "pvmkit"


INPUT_LIMIT = 256 << 20
"""The largest input file read (blobs, ELF objects, assembly, JSON): found in review, a 3 GB file took 3 GB to be told
its magic bytes were wrong, and a process without that much memory a MemoryError traceback. The largest program the
JIT compiles is 2^19 instructions, and pallet-revive's code limit is far smaller."""


@overload
def read_input(path: Path, text: Literal[False] = False, limit: int | None = INPUT_LIMIT) -> bytes: ...
@overload
def read_input(path: Path, text: Literal[True], limit: int | None = INPUT_LIMIT) -> str: ...
def read_input(path: Path, text: bool = False, limit: int | None = INPUT_LIMIT) -> bytes | str:
    """The file's bytes (or text: UnicodeDecodeError when it is not UTF-8; a byte-order mark is dropped). OSError,
    with a strerror that says why, when it is missing, unreadable, not a regular file or over `limit` bytes
    (INPUT_LIMIT unless given). Opened without blocking and checked once open, so a FIFO put in its place after a
    check cannot block the read either."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except ValueError:
        raise OSError(errno.EINVAL, "the path contains a NUL byte") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise OSError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)")
        if limit is not None and info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes")
        data = f.read() if limit is None else f.read(limit + 1)
        if limit is not None and len(data) > limit:  # (grown since the check)
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes")
    return data.decode("utf-8-sig") if text else data

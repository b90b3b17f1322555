"""An on-disk cache of compiled native code, so a program is compiled once per machine.

Opt-in (`PVMKIT_JIT_CACHE=1`, or a folder in `PVMKIT_JIT_CACHE_DIR`): loaded code runs natively.
Entries are keyed by the blob's hash, the module configuration and a hash of the compiler's own
sources (any change to the code generator invalidates everything), and each carries an HMAC under
a key only this user can read (`jit.key` in pvmkit's cache folder, made on first use), verified
before anything else is read: someone who can write the cache folder but not read the key cannot
make pvmkit run code of their choosing (found in review: a plain checksum over public inputs let
them). An entry that fails any check is ignored and recompiled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import marshal
import os
import stat
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ...files import cache_root, read_input

if TYPE_CHECKING:  # (load() imports it: the compiler takes ~20 ms to import, and `auto` may never compile)
    from .compiler import JitProgram

FORMAT = 5  # 4: JitProgram.copies and loops; 5: JitProgram.shortcuts
MAX_ENTRY_BYTES = 512 << 20  # (a program of the most instructions the JIT compiles, 2^19, needs ~100 MB)


_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def enabled() -> bool:
    """PVMKIT_JIT_CACHE=1/true/yes/on turns it on, 0/false/no/off off (also with a folder set); unset, a folder in
    PVMKIT_JIT_CACHE_DIR turns it on. Anything else leaves it off, with a warning: this cache runs what it loads
    natively (found in review: "false" turned it on). Off too where the compiler's sources cannot be read."""
    value = os.environ.get("PVMKIT_JIT_CACHE", "").strip().lower()
    if value in _OFF:
        return False
    if value and value not in _ON:
        _warn_once(value)
        return False
    return (value in _ON or bool(os.environ.get("PVMKIT_JIT_CACHE_DIR"))) and compiler_version() is not None


@cache
def _warn_once(value: str) -> None:
    warnings.warn(f"PVMKIT_JIT_CACHE={value!r} is neither on (1, true, yes, on) nor off (0, false, no, off): the "
                  "on-disk JIT cache stays off", stacklevel=3)  # fmt: skip


def folder() -> Path:
    custom = os.environ.get("PVMKIT_JIT_CACHE_DIR")
    if custom:
        return Path(custom)
    return cache_root() / "jit"


@cache
def compiler_version() -> str | None:
    """Hash of the modules whose behaviour determines the native code: every module of this package (the compiler,
    its emitters, the encoder, and the code's contract with the instance, the space and the signal handler: r13, the
    context, the jump table, the fault stub), whatever they are split into, and the decoder and memory map above.
    None where they cannot be read (an install of .pyc files only: found in review), which leaves the cache off, or
    where they changed since this package was imported (see unchanged)."""
    h = hashlib.sha256(FORMAT.to_bytes(4, "little"))
    try:
        for path in sources():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return None
    return h.hexdigest() if unchanged() else None


def sources() -> list[Path]:
    here = Path(__file__).parent
    return [*sorted(here.glob("*.py")), *(here.parent / name for name in ("program.py", "isa.py", "semantics.py",
                                                                        "memory.py", "shortcuts.py"))]  # fmt: skip


def _stats() -> tuple:
    try:
        return tuple((p, (st := p.stat()).st_mtime_ns, st.st_size, st.st_ino) for p in sources())
    except OSError:
        return ()


# The sources as this process imported them (the package imports this module first): hashing them later, at the first
# compile, would file what an old process compiles under the new sources' key after an upgrade in place (found in
# review: a new process then ran the old code generator's output).
_IMPORTED = _stats()


def unchanged() -> bool:
    """Whether the sources on disk are still those this process imported (else the cache is neither read nor
    written: what the process runs is not what the key says)."""
    return bool(_IMPORTED) and _stats() == _IMPORTED


def _key_path() -> Path:
    return cache_root() / "jit.key"


@cache
def _secret(path: Path) -> bytes | None:
    """The 32-byte key at `path`, made (0600, whole or not at all) when there is none; None (the cache stays off) when
    it cannot be made or read, or others may read or replace it: not a regular file of this user's, or open to
    others."""
    if not path.exists():
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"jit.key.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(os.urandom(32))
                os.link(tmp, path)  # (fails if another process made one meanwhile: then that one is the key)
            finally:
                tmp.unlink(missing_ok=True)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # (a FIFO there must not hang us)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not (stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077
                and st.st_size == 32):  # fmt: skip
            return None
        secret = os.read(fd, 33)
    except OSError:
        return None
    finally:
        os.close(fd)
    return secret if len(secret) == 32 else None


@cache
def _warn_no_key(path: Path) -> None:
    with contextlib.suppress(Warning):  # (warnings as errors: a cache problem costs speed, never the compile)
        warnings.warn(f"the on-disk JIT cache is off: its key {path} cannot be made or read, or others may read it "
                      "(it must be this user's own 32-byte file, mode 0600)", stacklevel=4)  # fmt: skip


def seal(entry_key: str, payload: bytes) -> bytes | None:
    """The MAC an entry's payload carries (None: no key, no cache, said once: found in review, it went off silently)."""
    path = _key_path()
    secret = _secret(path)
    if secret is None:
        _warn_no_key(path)
        return None
    return hmac.new(secret, entry_key.encode() + payload, hashlib.sha256).digest()


def key(blob_bytes: bytes, config_repr: str) -> str:
    version = (compiler_version() or "").encode()  # (asked for only when enabled(): the sources were read)
    return hashlib.sha256(b"%s|%s|%s" % (blob_bytes, config_repr.encode(), version)).hexdigest()


def load(entry_key: str) -> JitProgram | None:
    from .compiler import JitProgram

    path = folder() / f"{entry_key}.bin"
    if not unchanged():
        return None
    try:  # a regular file of a sane size only: a FIFO, /dev/zero or a huge sparse file hung or failed each run, as
        raw = read_input(path, limit=MAX_ENTRY_BYTES)  # nothing replaced them (found in review)
    except (OSError, MemoryError):
        return None
    digest, payload = raw[:32], raw[32:]
    expected = seal(entry_key, payload)
    if expected is None or not hmac.compare_digest(expected, digest):
        return None
    try:
        fields = marshal.loads(payload)
        code, entry, bad_target, charged, uncharged, table, native, fault, inline_end, copies, loops, shortcuts = fields
        # (Every native offset lies inside the code, before the native jump table that ends it: an entry that passes
        # the checksum is still only data.)
        ok = (isinstance(code, bytes) and isinstance(table, list | tuple) and len(code) % 8 == 0
              and all(t is None or isinstance(t, int) for t in table))
        end = len(code) - 8 * (len(table) + 1) if ok else 0  # (JitProgram.table_at)
        ok = (ok and isinstance(entry, int) and isinstance(bad_target, int)
              and isinstance(native, int) and 0 <= entry < end and 0 <= bad_target < end
              and isinstance(fault, int) and 0 <= fault < end
              and isinstance(shortcuts, int) and -1 <= shortcuts < end
              and isinstance(inline_end, int) and 0 <= inline_end <= end
              and isinstance(charged, dict) and isinstance(uncharged, dict)
              and all(isinstance(k, int) and isinstance(v, int) and 0 <= v < end
                      for d in (charged, uncharged) for k, v in d.items())
              and isinstance(copies, list | tuple)
              and all(isinstance(u, tuple) and len(u) == 4 and all(isinstance(v, int) for v in u[:3])
                      and 0 <= u[0] < end and u[2] >= 0 and isinstance(u[3], tuple)
                      and all(isinstance(d, tuple) and len(d) == 2 and 0 <= d[0] < 13 and isinstance(d[1], int)
                              for d in u[3]) for u in copies)
              and all(a[0] <= b[0] for a, b in itertools.pairwise(copies))  # (an instruction may emit nothing)
              and isinstance(loops, dict)
              and all(isinstance(k, int) and isinstance(v, tuple) and len(v) == 2 and all(isinstance(o, int) for o in v)
                      and 0 <= v[0] <= v[1] <= end for k, v in loops.items()))  # fmt: skip
    except (ValueError, TypeError, EOFError):
        return None
    if not ok:
        return None
    return JitProgram(code, entry, bad_target, charged, uncharged, list(table), native, fault, inline_end,
                      [tuple(u) for u in copies], loops, shortcuts)  # fmt: skip


def store(entry_key: str, program: JitProgram) -> None:
    payload = marshal.dumps(
        (program.code, program.entry, program.bad_target, program.charged, program.uncharged, program.jump_table,
         program.native_instructions, program.fault, program.inline_end, program.copies, program.loops,
         program.shortcuts)
    )  # fmt: skip
    digest = seal(entry_key, payload)
    if digest is None or len(payload) + 32 > MAX_ENTRY_BYTES or not unchanged():
        return
    target = folder()
    try:
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / f"{entry_key}.{os.getpid()}.{threading.get_ident()}.tmp"  # (one per thread: found in review)
        tmp.write_bytes(digest + payload)
        os.replace(tmp, target / f"{entry_key}.bin")
    except OSError:  # a cache that cannot be written is only slower; what it began goes (found in review: a full
        with contextlib.suppress(OSError, UnboundLocalError):  # disk left one partial file per run)
            tmp.unlink(missing_ok=True)

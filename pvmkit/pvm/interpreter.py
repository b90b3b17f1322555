"""The portable PVM backend: basic blocks compiled to Python functions, run by a small dispatcher.

Each basic block (from an entry pc up to its terminator) becomes one generated Python function that
keeps guest registers in local variables, charges the block's gas on entry (polkavm's Sync
semantics), does memory accesses with inline range checks against the standard memory map, and
returns the next block's pc (or a negative interrupt code). A block that jumps to its own start
becomes a `while True` loop, so tight loops never leave the function. Functions are compiled
lazily, once per module, and shared by all its instances.

Block functions take `(r, lo, st, mem)`: `r` is the register file plus interrupt slots (see
`_G`..`_WP`), `lo`/`st` the low (ro+rw) and stack buffers, `mem` the memory object for slow paths.
"""

from __future__ import annotations

import enum
import struct
import threading
import weakref
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from . import semantics as sem
from . import tier0
from .blob import Export, ProgramBlob
from .isa import BRANCHES, INVALID, KIND, MEMORY_BASE, MEMORY_OFFSET, REG_INDEX, REG_NAMES, WRITES_FIRST, Kind
from .memory import LOW_BASE, DynamicMemory, GuestFault, MemoryMap, StandardMemory
from .program import BLOCK_CACHE_LIMIT, RETURN_TO_HOST, Instruction
from .shortcuts import Shortcuts

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
NUM_REGS = 13

# Slots after the 13 registers in the register list `r` shared with generated code.
_G, _PC, _ARG, _RESUME, _WP = 13, 14, 15, 16, 17
# Instance._next's second half for a pc the host set (prepare_call, set_next_program_counter): charged like a jump, and
# run() first checks that an instruction starts there, else traps charging nothing, as polkavm's run() does when
# resolve_arbitrary_jump finds no block (found in review: pvmkit charged its implicit trap's 1 gas). Truthy: charged.
HOST_ENTRY = 2
# Negative return codes of block functions.
_FINISHED, _TRAP, _ECALLI, _OOG, _SEGFAULT, _CONTINUE = -1, -2, -3, -4, -5, -7

BlockFn = Callable[[list, bytearray | None, bytearray | None, object], int]
OnEcalli = Callable[[int, "MutableSequence[int]", int], int]
"""Instance.serve's host-call handler: (ecalli number, registers, gas left) -> gas to go on with."""


class InterruptKind(enum.Enum):
    """Why run() returned (polkavm's InterruptKind): the guest returned to the host, trapped, made a host call, ran
    out of gas (resumable at its block), touched memory it may not (its page in `Interrupt.address`), or stepped."""

    FINISHED = "finished"
    TRAP = "trap"
    ECALLI = "ecalli"
    NOT_ENOUGH_GAS = "not_enough_gas"
    SEGFAULT = "segfault"
    STEP = "step"


class Interrupt(NamedTuple):
    """Why `run()` returned. `pc` is the instruction that caused it (for FINISHED: the returning jump).

    A NamedTuple rather than a dataclass: one is built per host call, and this is several times cheaper.
    """

    kind: InterruptKind
    pc: int | None = None
    ecalli: int | None = None
    address: int | None = None
    is_write_protected: bool = False

    def __str__(self) -> str:
        where = f" at pc {self.pc}" if self.pc is not None else ""
        if self.kind is InterruptKind.ECALLI:
            return f"ecalli {self.ecalli}{where}"
        if self.kind is InterruptKind.SEGFAULT:
            page = f" on page {self.address:#x}" if self.address is not None else ""
            return f"segfault{page}{where}"
        return f"{self.kind.value}{where}"


@dataclass(frozen=True)
class ModuleConfig:
    """How a module runs. Defaults are pallet-revive's: 4 KiB pages, standard memory, Sync gas."""

    page_size: int = 0x1000
    dynamic_paging: bool = False
    step_tracing: bool = False
    aux_data_size: int = 0
    max_segment_instructions: int = 2000
    compile_after: int = 16
    """Runs of a block in tier 0 (pvm/tier0.py, no compilation) before it is compiled to Python; 0 or 1: at once."""
    jit_after: int = 10
    """With backend 'auto' on a JIT-capable machine, a module (but one within `jit_at_once`) first runs in the
    interpreter and is JIT-compiled once its instances have interpreted this many instructions per byte of its code
    (about what compiling it costs; a block compiled to Python counts COMPILED_WEIGHT per instruction); 'jit'
    compiles at once."""
    jit_at_once: int = 0
    """With backend 'auto': a module of at most this many bytes of code is JIT-compiled when first instantiated,
    not interpreted first. revive.chain.Chain's default configuration (whose backend is the interpreter unless given
    'auto') and Env (backend 'auto') use CONTRACT_JIT_AT_ONCE (128 KiB) for contracts."""
    max_memory: int = 256 << 20
    """Host bytes one instance may hold for guest memory (ro/rw data and heap, stack, aux data): a module that
    needs more is refused with a ModuleError, and a Latest64 sbrk past it fails (returns 0) as one past the heap's
    end does; dynamic-paging pages count against it too. Guest memory is plain host memory here, so this keeps a
    hostile size from exhausting the host (a crosscheck instance holds two memories, each within it)."""
    backend: str = "interpreter"
    """'interpreter', 'jit', 'auto' (JIT where supported) or 'crosscheck' (both in lockstep, compared at every
    interrupt); the PVMKIT_BACKEND environment variable overrides."""

    def __post_init__(self) -> None:
        # (found in review: max_segment_instructions=0 failed with IndexError at run() on the interpreter only, and
        # aux_data_size=-1 was taken as 0)
        for name, low in (("aux_data_size", 0), ("max_segment_instructions", 1), ("compile_after", 0),
                          ("jit_after", 0), ("jit_at_once", 0), ("max_memory", 0), ("page_size", 1)):  # fmt: skip
            value = getattr(self, name)
            if value.__class__ is not int or not low <= value <= 1 << 62:
                raise ModuleError(f"ModuleConfig.{name} must be an int of at least {low}, not {value!r}")


BACKENDS = ("auto", "interpreter", "jit", "crosscheck")


def requested_backend(config: ModuleConfig) -> str:
    """The backend asked for: PVMKIT_BACKEND if set, else the configuration's."""
    import os

    return os.environ.get("PVMKIT_BACKEND") or config.backend


# The most instructions the JIT compiles: its compiler holds ~800 bytes per instruction of a program made of one-byte
# blocks (found in review: 1 GiB for a 1 MB blob), ~200 per instruction of a contract (ERC-20 has 6,000).
JIT_MAX_INSTRUCTIONS = 1 << 19
# Module.jit_budget of a tiered module whose compile or memory the JIT could not have (no address space, say): it
# stays interpreted for good.
JIT_NEVER = 1 << 62


def count_instructions(bitmask: bytes) -> int:
    """Instruction starts in a code bitmask (its set bits; bits past the code are never set in a parsed blob)."""
    return int.from_bytes(bitmask, "little").bit_count()


def resolve_backend(config: ModuleConfig) -> str:
    """The backend a module actually uses: 'jit' or 'interpreter'."""
    choice = requested_backend(config)
    if choice not in BACKENDS:
        named = "PVMKIT_BACKEND=" if choice != config.backend else ""  # (found in review: the variable went unnamed)
        raise ModuleError(f"unknown backend {named}{choice!r} (choose one of {', '.join(BACKENDS)})")
    if config.step_tracing:
        return "interpreter"  # stepping is an interpreter feature
    if choice in ("jit", "crosscheck"):
        from .jit import check_supported

        try:
            check_supported()
        except RuntimeError as e:
            raise ModuleError(str(e)) from None
        return choice
    if choice == "auto" and not config.dynamic_paging:
        from .jit import is_supported

        return "jit" if is_supported(reserve=False) else "interpreter"
    return "interpreter"


class Trap(Exception):
    """Instance.call's guest did not return to the host (wasmtime-py's Trap): `interrupt` says how it stopped (a trap,
    a segfault and its page, out of gas, a host call with no handler) and where, `instruction` the one at that pc."""

    def __init__(self, interrupt: Interrupt, export: str | int, instruction: str | None) -> None:
        self.interrupt, self.kind, self.pc, self.instruction = interrupt, interrupt.kind, interrupt.pc, instruction
        at = f": {instruction}" if instruction else ""
        unanswered = " with no handler (pass on_ecalli)" if interrupt.kind is InterruptKind.ECALLI else ""
        super().__init__(f"{export!r} did not return: {interrupt}{unanswered}{at}")


class ModuleError(ValueError):
    """A program cannot be loaded (unsupported ISA, impossible memory map)."""


_STRUCTS = {
    (2, False): "H", (2, True): "h", (4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q",
}  # fmt: skip


def _runtime_namespace() -> dict[str, object]:
    ns: dict[str, object] = dict(sem.RUNTIME)
    for (size, signed), fmt in _STRUCTS.items():
        st = struct.Struct("<" + fmt)
        ns[f"_ld{size}{'s' if signed else 'u'}"] = st.unpack_from
        if not signed:
            ns[f"_st{size}"] = st.pack_into
    ns["_ld1s"] = struct.Struct("<b").unpack_from
    ns["GuestFault"] = GuestFault
    return ns


class _EntryCache(dict):
    """pc → compiled block function; a miss compiles (so the dispatcher's hot path is one subscript). Emptied when
    full (BLOCK_CACHE_LIMIT)."""

    def __init__(self, compile_fn: Callable[[int], BlockFn]) -> None:
        super().__init__()
        self._compile = compile_fn

    def __missing__(self, pc: int) -> BlockFn:
        fn = self._compile(pc)
        if len(self) >= BLOCK_CACHE_LIMIT:
            self.clear()
        self[pc] = fn
        return fn


def _check_fields(blob: ProgramBlob) -> None:
    """What ProgramBlob.parse guarantees, for a ProgramBlob built in Python (found in review: a short bitmask, a
    negative stack size or str code failed deep inside with IndexError, ValueError or an mprotect error)."""
    for name in ("code", "bitmask", "ro_data", "rw_data"):
        if not isinstance(getattr(blob, name), (bytes, bytearray)):
            raise ModuleError(f"ProgramBlob.{name} must be bytes, not {type(getattr(blob, name)).__name__}")
    if len(blob.bitmask) < (len(blob.code) + 7) // 8:
        raise ModuleError(f"ProgramBlob.bitmask has {len(blob.bitmask)} bytes; {len(blob.code)} bytes of code need "
                          f"{(len(blob.code) + 7) // 8}")  # fmt: skip
    for name in ("ro_data_size", "rw_data_size", "stack_size"):
        value = getattr(blob, name)
        if type(value) is not int or not 0 <= value <= M32:
            raise ModuleError(f"ProgramBlob.{name} must be an int in 0..2^32-1, not {value!r}")
    if blob.jump_table and not 0 <= min(blob.jump_table) <= max(blob.jump_table) <= M32:
        raise ModuleError("ProgramBlob.jump_table entries must be code offsets in 0..2^32-1")
    for export in blob.exports:
        if not 0 <= export.pc <= M32:
            raise ModuleError(f"export {export.name!r} is at pc {export.pc}, outside 0..2^32-1")


class Module:
    """A loaded program: decoded code, memory map and the cache of compiled blocks."""

    def __init__(self, blob: ProgramBlob | bytes, config: ModuleConfig | None = None) -> None:
        """`blob` parsed, or a .polkavm file's bytes (as polkavm's Module::new and wasmtime's Module take them)."""
        if isinstance(blob, bytes | bytearray | memoryview):  # (found in review: an AttributeError on `.isa`)
            blob = ProgramBlob.parse(bytes(blob))
        elif not isinstance(blob, ProgramBlob):
            raise TypeError(f"Module takes a ProgramBlob or a blob's bytes, not {type(blob).__name__}")
        self.blob = blob
        self.config = config or ModuleConfig()
        if not blob.isa.is_64_bit:
            raise ModuleError(f"{blob.isa.name} (32-bit) programs are not supported; pvmkit runs 64-bit PVM only")
        _check_fields(blob)
        for name, data, size in (("read-only", blob.ro_data, blob.ro_data_size), ("read-write", blob.rw_data,
                                                                                    blob.rw_data_size)):  # fmt: skip
            if len(data) > size:  # (ProgramBlob.parse refuses these; a ProgramBlob built in Python may not)
                raise ModuleError(f"the {name} data payload ({len(data)} bytes) exceeds its declared size ({size})")
        self.code = blob.code_view()
        try:
            self.memory_map = MemoryMap.build(
                page_size=self.config.page_size,
                ro_data_size=blob.ro_data_size,
                rw_data_size=blob.rw_data_size,
                stack_size=blob.stack_size,
                aux_data_size=self.config.aux_data_size,
            )
        except ValueError as e:
            raise ModuleError(str(e)) from None
        if not self.config.dynamic_paging:
            needed = StandardMemory.host_bytes(self.memory_map)
            limit = self.config.max_memory
            if needed > limit:
                mm = self.memory_map
                raise ModuleError(
                    f"the program's memory needs {needed} host bytes (ro data {mm.ro_data_size}, rw data "
                    f"{mm.rw_data_size}, stack {mm.stack_address_high - mm.stack_address_low}, aux data "
                    f"{mm.aux_data_size}), over the limit of {limit} bytes "
                    f"({limit / 2**20:g} MiB, ModuleConfig.max_memory)"
                )
        self._ns = _runtime_namespace()
        self._jt: dict[int, int] = {}
        self._ns["JT"] = self._jt
        self._ns["_jt_miss"] = self._jump_table_miss
        self._ns["_fault"] = _fault
        self._ns["_sbrk"] = _sbrk
        self._ns["_memset"] = _memset
        single = self.config.step_tracing
        self._tier0 = tier0._Builder(self)
        self.entry = _EntryCache(lambda pc: self._block(pc, True, single))
        self.resume = _EntryCache(lambda pc: self._block(pc, False, single))
        self._block_cost: dict[int, int] = {}
        self._enterable: dict[int, bool] = {}  # pc → whether the host may start there (enterable)
        self._ecalli: dict[int, tuple[Interrupt, tuple[int, bool]]] = {}
        self._exports: dict[str | bytes, int] = {}  # export name → pc, for prepare_call
        # A call's registers before its arguments: ra = return to host, sp = the top of the stack, the rest zero.
        self.call_registers = (RETURN_TO_HOST, self.memory_map.stack_address_high) + (0,) * (NUM_REGS - 2)
        self.call_state = struct.pack(f"<{NUM_REGS}Q", *self.call_registers)  # (as the JIT's context holds them)
        self._spare: list[Instance] = []  # recycled instances, in a new instance's state (Instance.recycle)
        self._spare_listed = False  # in _HOLDING_SPARES
        self.backend = resolve_backend(self.config)
        if self.backend != "interpreter" and (count := count_instructions(blob.bitmask)) > JIT_MAX_INSTRUCTIONS:
            if requested_backend(self.config) != "auto":
                raise ModuleError(f"the program has {count:,} instructions, and the JIT "
                                  f"compiles at most {JIT_MAX_INSTRUCTIONS:,} (its memory grows with them, up to ~800 "
                                  f"bytes each): use the interpreter backend")  # fmt: skip
            self.backend = "interpreter"
        # 'auto' on the JIT: interpret until `interpreted` reaches `jit_budget`, then compile (jit/instance.py).
        self.tiered = self.backend == "jit" and requested_backend(self.config) == "auto"
        self.interpreted = 0
        self.jit_budget = 0 if len(self.code) <= self.config.jit_at_once else self.config.jit_after * len(self.code)

    @classmethod
    def from_bytes(cls, raw: bytes, config: ModuleConfig | None = None) -> Module:
        """A module from a .polkavm file's bytes (the same as Module(raw, config))."""
        return cls(ProgramBlob.parse(raw), config)

    def instantiate(self) -> Instance:
        """A new instance: fresh memory, registers and gas 0 (a recycled one, reset, when the module has one)."""
        spare = self._spare
        if spare:
            try:
                inst = spare.pop()
            except IndexError:  # (another thread took the last one meanwhile)
                pass
            else:
                inst._revive()
                return inst
        cls = _INSTANCE_CLASSES.get(self.backend)
        if cls is None:  # (a function-level import costs ~1 us, and a contract call instantiates once per frame)
            cls = _INSTANCE_CLASSES[self.backend] = _instance_class(self.backend)
        return cls(self)

    @property
    def exports(self) -> tuple[Export, ...]:
        """The blob's exports (name, pc), as polkavm's Module::exports lists them."""
        return tuple(self.blob.exports)

    @property
    def imports(self) -> tuple[bytes | None, ...]:
        """The host functions the blob imports, by ecalli number (None: a name the blob could not give)."""
        return tuple(self.blob.imports)

    def export_pc(self, name: str | bytes) -> int:
        """The pc of the export `name` (KeyError if there is none), looked up once per module: a contract's every
        frame asks."""
        pc = self._exports.get(name)
        if pc is None:
            pc = self._exports[name] = self.blob.export(name).pc
        return pc

    @property
    def default_sp(self) -> int:
        return self.memory_map.stack_address_high

    def ecalli_exit(self, pc: int, number: int) -> tuple[Interrupt, tuple[int, bool]]:
        """(the Interrupt, where to resume) of the ecalli at `pc`, built once per site: both depend on the pc only
        (the number is the instruction's immediate), so a host call builds neither."""
        found = self._ecalli.get(pc)
        if found is None:
            nxt = self.code.decode(pc)[0].next_pc
            found = self._ecalli[pc] = (Interrupt(InterruptKind.ECALLI, pc, ecalli=number), (nxt, False))
        return found

    def block_cost(self, start: int) -> int:
        """Gas of the basic block starting at `start` (naive cost model: one per instruction)."""
        cost = self._block_cost.get(start)
        if cost is None:
            if len(self._block_cost) >= BLOCK_CACHE_LIMIT:
                self._block_cost.clear()
            cost = self._block_cost[start] = len(self.code.block(start))
        return cost

    def _jump_table_miss(self, address: int) -> int:
        if address == RETURN_TO_HOST:
            return _FINISHED
        target = self.code.jump_table_target(address)
        if target is None or not self.code.is_jump_target_valid(target):
            return _TRAP
        self._jt[address] = target
        return target

    def enterable(self, pc: int) -> bool:
        """Whether the host may start the guest at `pc`: an instruction starts there (polkavm's
        find_start_of_basic_block finds its block)."""
        found = self._enterable.get(pc)
        if found is None:
            if len(self._enterable) >= BLOCK_CACHE_LIMIT:
                self._enterable.clear()
            found = self._enterable[pc] = self.code.find_start_of_basic_block(pc) is not None  # (None past the code)
        return found

    def _cost(self, pc: int, charged: bool) -> int | None:
        """Gas a segment entered at `pc` charges (None: no block starts there, entering traps)."""
        if not charged:
            return 0
        start = self.code.find_start_of_basic_block(pc) if pc < len(self.code) else None
        return None if start is None else self.block_cost(start)

    def _block(self, pc: int, charged: bool, single: bool) -> BlockFn:
        """A segment's function: tier 0 for its first `compile_after` runs, then compiled (see pvm/tier0.py)."""
        runs = self.config.compile_after
        cost = self._cost(pc, charged)
        if runs <= 1 or cost is None:
            return self._compile(pc, charged, single)
        insts = _SegmentCompiler(self, pc, cost, single)._segment()
        cache = self.entry if charged else self.resume
        self.interpreted += TIER0_WEIGHT + TIER0_WEIGHT_PER_INSTRUCTION * len(insts)

        def promote() -> BlockFn:
            fn = cache[pc] = self._compile(pc, charged, single)
            return fn

        return tier0.segment(self, pc, cost, insts, insts[-1].name in _ENDS_SEGMENT, runs, promote)

    def _compile(self, pc: int, charged: bool, single: bool) -> BlockFn:
        cost = self._cost(pc, charged)
        if cost is None:
            return _trap_at(pc)
        source, name = _SegmentCompiler(self, pc, cost, single).source()
        ns = self._ns
        exec(compile(source, f"<pvm block @{pc}>", "exec"), ns)  # noqa: S102 - generated from decoded ints only
        self.interpreted += COMPILED_WEIGHT * cost  # (what it cost counts toward 'auto' compiling the module natively)
        return ns.pop(name)  # type: ignore[return-value]

    def block_source(self, pc: int) -> str:
        """The Python source the interpreter generates for the block entered at `pc` (for debugging)."""
        start = self.code.find_start_of_basic_block(pc)
        return _SegmentCompiler(self, pc, self.block_cost(start) if start is not None else 0, False).source()[0]


# What compiling a block to Python costs, per instruction, in interpreted instructions: ~78 us (ERC-20's 6,028
# instructions in 469 ms) against ~0.16 us to interpret one. A tiered module ('auto') counts it toward its JIT budget,
# as the time spent is the same kind of cost the JIT's compile (~3.3 us per instruction) would have saved.
COMPILED_WEIGHT = 500
# What building a segment's tier-0 closures costs, in interpreted instructions: ~15 us plus ~3 us per instruction (more
# once the garbage collector has much to scan). Counted too, so that a program whose loops run through more blocks
# than the cache keeps (BLOCK_CACHE_LIMIT), each rebuilt on every pass, is soon compiled natively under 'auto' (found
# in review: a 500,000-instruction loop was interpreted at ~30 us per block for minutes before its JIT budget filled).
TIER0_WEIGHT = 100
TIER0_WEIGHT_PER_INSTRUCTION = 20
_MODULE_CACHE: dict[tuple[bytes, ModuleConfig], Module] = {}
_K, _V = TypeVar("_K"), TypeVar("_V")
_MODULE_CACHE_LOCK = threading.Lock()  # (held to change the cache: lookups need no lock)
MODULE_CACHE_SIZE = 256


def load_module(raw: bytes, config: ModuleConfig | None = None, parsed: ProgramBlob | None = None) -> Module:
    """A Module for blob bytes, shared per process by content hash and config (compiled blocks included).
    `parsed`: `raw` already parsed (with its decoded code), if the caller has it.

    Modules hold only data derived from the blob plus compiled block functions; all running state
    lives in Instances, so one Module can safely serve every Env or Chain in the process.
    """
    import hashlib

    config = config or ModuleConfig()
    # (PVMKIT_BACKEND too: a module built while it forced a backend must not serve the process once it is unset)
    key = (hashlib.sha256(raw).digest(), config, requested_backend(config))
    module = _MODULE_CACHE.get(key)
    if module is None:
        module = remember(_MODULE_CACHE, _MODULE_CACHE_LOCK, MODULE_CACHE_SIZE, key,
                          Module(parsed or ProgramBlob.parse(raw), config))  # fmt: skip
    return module


def remember(cache: dict[_K, _V], lock: threading.Lock, size: int, key: _K, value: _V) -> _V:
    """`value` kept in a process-wide `cache` of at most `size` entries (the oldest goes), or the value another thread
    kept under `key` first. Changed under `lock`, which lookups need not take (found in review: two threads evicting
    the same oldest key, and the second pop raised KeyError)."""
    with lock:
        if len(cache) >= size:
            cache.pop(next(iter(cache)))
        return cache.setdefault(key, value)


def _trap_at(pc: int) -> BlockFn:
    """Entering (charged) a pc where no instruction starts: the implicit trap, a one-instruction block that costs
    1 gas like the one a fallthrough runs into (so resuming after running out of gas there charges it again)."""

    def trap(r: list, lo: object, st: object, mem: object) -> int:
        r[_PC] = pc
        if r[_G] < 1:
            r[_RESUME] = -1
            return _OOG
        r[_G] -= 1
        return _TRAP

    return trap


def _fault(r: list, e: GuestFault) -> int:
    r[_PC] = e.pc
    r[_ARG] = e.address
    r[_WP] = e.is_write_protected
    return _SEGFAULT if e.kind == "segfault" else _TRAP


def _sbrk(mem: StandardMemory | DynamicMemory, size: int) -> int:
    """The new heap top (0: refused), sign-extended from 32 bits as polkavm's interpreter writes it (found in review: a
    top at or past 2 GiB came back zero-extended)."""
    top = mem.sbrk(size if size <= M32 else 0) or 0
    return top | 0xFFFFFFFF00000000 if top & 0x80000000 else top


def _memset(r: list, mem: StandardMemory | DynamicMemory, pc: int) -> int:
    """Latest64's memset: a0 = dst, a1 = byte, a2 = count, one gas per byte, a0/a2 updated in place (polkavm): out of
    gas or faulting part-way leaves them at the first byte not written, so resuming continues there. Returns a
    segment exit code (0: done); a fault is returned, not raised, so the caller's register copies stay right."""
    value = r[8] & 0xFF
    a0 = r[7]
    dst = a0 & M32
    count = r[9] & M32
    code = 0
    try:
        while count:
            if r[_G] == 0:
                r[_PC] = pc
                r[_RESUME] = pc
                code = _OOG
                break
            mem.store(dst, 1, value, pc)
            r[_G] -= 1
            dst = (dst + 1) & M32
            count -= 1
    except GuestFault as e:
        code = _fault(r, e)
    r[7] = (a0 + ((dst - a0) & M32)) & M64
    r[9] = count
    return code


class _SegmentCompiler:
    """Generates the Python source for one segment: `entry` pc up to the block's terminator."""

    def __init__(self, module: Module, entry: int, cost: int, single: bool) -> None:
        self.m = module
        self.code = module.code
        self.entry = entry
        self.cost = cost
        self.single = single
        self.loop_ok = cost > 0 and module.code.is_jump_target_valid(entry)
        self.uses_loop = False
        self.uses_try = False
        self.regs: set[int] = set()
        self.written: set[int] = set()
        self.lines: list[str] = []
        self.dynamic = module.config.dynamic_paging
        mm = module.memory_map
        self.rw = (mm.rw_data_address, mm.rw_data_address + mm.rw_data_size)
        self.stack = (mm.stack_address_low, mm.stack_address_high)
        self.direct: dict[int, int] = {}  # inside a group's checked body: pc → offset of its access from `_o`
        self.direct_buf = ""

    def source(self) -> tuple[str, str]:
        insts = self._segment()
        i = 0
        while i < len(insts):
            end = 0 if self.dynamic else _group_end(insts, i)
            if end:
                self._emit_group(insts[i:end])
                i = end
            else:
                self._emit(insts[i])
                i += 1
        last = insts[-1]
        if last.name not in _ENDS_SEGMENT:
            # Cut short (single-step or the size cap): continue mid-block without charging gas again.
            self.emit(f"§Fr[16] = {last.next_pc}; return {_CONTINUE}")
        name = f"_b{self.entry}_{int(self.cost > 0)}"
        flush = "".join(f"r[{i}] = r{i}; " for i in sorted(self.written))
        head = [f"def {name}(r, lo, st, mem):"]
        if self.regs:
            head.append("    " + "; ".join(f"r{i} = r[{i}]" for i in sorted(self.regs)))
        body: list[str] = []
        if self.cost:
            body += [
                f"g = r[13] - {self.cost}",
                "if g < 0:",
                f"    {flush}r[14] = {self.entry}; r[16] = -1; return {_OOG}",
                "r[13] = g",
            ]
        body += self.lines
        if self.uses_loop:
            body = ["while True:"] + ["    " + line for line in body]
        if self.uses_try:
            body = ["try:"] + ["    " + line for line in body]
            body += ["except GuestFault as _e:", f"    {flush}return _fault(r, _e)"]
        text = "\n".join(head + ["    " + line.replace("§F", flush) for line in body]) + "\n"
        return text, name

    def _emit_group(self, group: list[Instruction]) -> None:
        """Accesses through one base register that nothing in the group changes: one range check for all of them
        against rw data, then the stack, with direct buffer accesses; else every access checked on its own."""
        base = MEMORY_BASE[group[0].name]
        reg = group[0].args[base]
        accesses = [(i, sem.i32(i.args[MEMORY_OFFSET[i.name]]), sem.access_width(i.name)) for i in group
                    if i.name in MEMORY_BASE and i.args[MEMORY_BASE[i.name]] == reg]  # fmt: skip
        low = min(off for _, off, _ in accesses)
        span = max(off + size for _, off, size in accesses) - low
        regions = [(lo, hi, buf, origin) for (lo, hi), buf, origin in ((self.rw, "lo", LOW_BASE),
                   (self.stack, "st", self.stack[0])) if hi - lo >= span]  # fmt: skip
        if not regions:
            for inst in group:
                self._emit(inst)
            return
        self.uses_try = True
        self.emit(f"_g = ({self.reg(reg)} + {low & M64}) & 0xFFFFFFFF")
        outer = self.lines
        kw = "if"
        for lo, hi, buf, origin in regions:
            outer.append(f"{kw} {lo} <= _g <= {hi - span}:")
            outer.append(f"    _o = _g - {origin + low}")
            self.lines, self.direct, self.direct_buf = [], {inst.pc: off for inst, off, _ in accesses}, buf
            for inst in group:
                self._emit(inst)
            outer += ["    " + line for line in self.lines]
            kw = "elif"
        outer.append("else:")
        self.lines, self.direct = [], {}
        for inst in group:
            self._emit(inst)
        outer += ["    " + line for line in self.lines]
        self.lines = outer

    def _segment(self) -> list[Instruction]:
        """The block's instructions from the entry, ending early after an ecalli (resumed separately) or at the cap."""
        limit = 1 if self.single else self.m.config.max_segment_instructions
        insts = self.code.block(self.entry, limit)
        for i, inst in enumerate(insts[:limit]):
            if inst.name == "ecalli":
                return insts[: i + 1]
        return insts[:limit]

    def reg(self, i: int, write: bool = False) -> str:
        self.regs.add(i)
        if write:
            self.written.add(i)
        return f"r{i}"

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def exit_to(self, target: int) -> str:
        """Statement that leaves the segment for a static, already validated target."""
        if target == self.entry and self.loop_ok and not self.single:
            self.uses_loop = True
            return "continue"
        return f"§Freturn {target}"

    def trap(self, pc: int) -> None:
        self.emit(f"§Fr[14] = {pc}; return {_TRAP}")

    def _emit(self, inst: Instruction) -> None:
        name, args, pc = inst.name, inst.args, inst.pc
        if name == INVALID or name == "trap":
            self.trap(pc)
            return
        kind = KIND[name]
        if name in sem.ALU3:
            d, a, b = args
            self.emit(f"{self.reg(d, True)} = {sem.ALU3[name](self.reg(a), self.reg(b))}")
        elif name in sem.ALU_IMM:
            d, s, imm = args
            self.emit(f"{self.reg(d, True)} = {sem.ALU_IMM[name](self.reg(s), imm & M64)}")
        elif name in sem.ALU2 or name == "sbrk":
            d, s = args
            src = self.reg(s)
            expr = f"_sbrk(mem, {src})" if name == "sbrk" else sem.ALU2[name](src)
            self.emit(f"{self.reg(d, True)} = {expr}")
        elif name in sem.CMOV:
            if kind is Kind.REG_REG_REG:
                d, value, c = args[0], self.reg(args[1]), args[2]
            else:
                d, c, value = args[0], args[1], str(args[2] & M64)
            self.emit(f"if {self.reg(c)} {sem.CMOV[name]} 0: {self.reg(d, True)} = {value}")
        elif name == "load_imm":
            self.emit(f"{self.reg(args[0], True)} = {args[1] & M64}")
        elif name == "load_imm64":
            self.emit(f"{self.reg(args[0], True)} = {args[1]}")
        elif name.startswith("load_indirect_"):
            d, base, imm = args
            self._load(name, d, f"({self.reg(base)} + {imm & M64}) & 0xFFFFFFFF", pc)
        elif name.startswith("load_") and kind is Kind.REG_IMM:
            self._load(name, args[0], args[1] & M32, pc)
        elif name.startswith("store_imm_indirect_"):
            base, off, value = args
            self._store(name, f"({self.reg(base)} + {off & M64}) & 0xFFFFFFFF", value & M64, pc)
        elif name.startswith("store_indirect_"):
            src, base, imm = args
            self._store(name, f"({self.reg(base)} + {imm & M64}) & 0xFFFFFFFF", self.reg(src), pc)
        elif name.startswith("store_imm_"):
            self._store(name, args[0] & M32, args[1] & M64, pc)
        elif name.startswith("store_"):
            self._store(name, args[1] & M32, self.reg(args[0]), pc)
        elif name in ("fallthrough", "jump", "load_imm_and_jump"):
            target = inst.next_pc if name == "fallthrough" else args[-1]
            if name == "load_imm_and_jump":
                self.emit(f"{self.reg(args[0], True)} = {args[1] & M64}")
            if self.code.is_jump_target_valid(target):
                self.emit(self.exit_to(target))
            elif name == "fallthrough" and not self.code.is_instruction_start(target):
                # Falling into the implicit trap (end of code or a gap) runs it as a one-instruction
                # block, as the JAM v0.4 vectors expect (inst_fallthrough: pc 1, one more gas).
                self.emit(f"if r[13] < 1: §Fr[14] = {target}; r[16] = -1; return {_OOG}")
                self.emit("r[13] -= 1")
                self.trap(target)
            else:
                self.trap(pc)
        elif name.startswith("branch_"):
            self._branch(inst)
        elif name == "jump_indirect":
            self._dynamic_jump(f"({self.reg(args[0])} + {args[1] & M64}) & 0xFFFFFFFF", pc)
        elif name == "load_imm_and_jump_indirect":
            ra, base, value, offset = args
            self.emit(f"_x = ({self.reg(base)} + {offset & M64}) & 0xFFFFFFFF")
            self.emit(f"{self.reg(ra, True)} = {value & M64}")
            self._dynamic_jump("_x", pc)
        elif name == "ecalli":
            self.emit(f"§Fr[14] = {pc}; r[15] = {args[0] & M32}; r[16] = {inst.next_pc}; return {_ECALLI}")
        elif name == "memset":
            for i in (7, 8, 9):
                self.reg(i, True)
            self.emit(f"§F_m = _memset(r, mem, {pc}); r7 = r[7]; r9 = r[9]")
            self.emit("if _m: return _m")
            self.uses_try = True
        elif name == "unlikely":
            pass
        else:  # pragma: no cover - every ISA instruction is handled above
            raise AssertionError(name)

    def _branch(self, inst: Instruction) -> None:
        name, args = inst.name, inst.args
        a = self.reg(args[0])
        b = args[1] & M64 if name.endswith("_imm") else self.reg(args[1])
        cond = sem.branch_condition(name)(a, b)
        taken, fall = args[2], inst.next_pc
        if not (self.code.is_jump_target_valid(taken) and self.code.is_jump_target_valid(fall)):
            self.trap(inst.pc)
            return
        t, f = self.exit_to(taken), self.exit_to(fall)
        if t == "continue":
            self.emit(f"if {cond}: continue")
            self.emit(f)
        elif f == "continue":
            self.emit(f"if not ({cond}): continue")
            self.emit(t)
        else:
            self.emit(f"§Freturn {taken} if {cond} else {fall}")

    def _dynamic_jump(self, address: str, pc: int) -> None:
        if address != "_x":
            self.emit(f"_x = {address}")
        self.emit("_t = JT.get(_x)")
        self.emit("if _t is None: _t = _jt_miss(_x)")
        self.emit(f"if _t < 0: §Fr[14] = {pc}; return _t")
        self.emit("§Freturn _t")

    def _access(self, address: str | int, size: int, write: bool) -> list[tuple[str, str, int]]:
        """Inline (condition, buffer, base) candidates for an access; constant addresses are resolved now."""
        out = []
        for (lo, hi), buf, base in ((self.rw, "lo", LOW_BASE), (self.stack, "st", self.stack[0])):
            if hi - lo < size:
                continue
            if isinstance(address, int):
                if lo <= address <= hi - size:
                    return [("True", buf, base)]
                continue
            out.append((f"{lo} <= _x <= {hi - size}", buf, base))
        return out

    def _load(self, name: str, dst: int, address: str | int, pc: int) -> None:
        size, signed = sem.load_width(name)
        d = self.reg(dst, True)
        off = self.direct.get(pc)
        if off is not None:  # inside a checked group (see _emit_group)
            self.emit(f"{d} = {sem.buffer_load(self.direct_buf, f'_o + {off}', size, signed)}")
            return
        slow = f"{d} = mem.load(_x, {size}, {signed}, {pc})"
        self.uses_try = True
        self.emit(f"_x = {address}")
        if self.dynamic:
            self.emit(slow)
            return
        branches = self._access(address, size, False)
        kw = "if"
        for cond, buf, base in branches:
            read = sem.buffer_load(buf, f"_x - {base}", size, signed)
            if cond == "True":
                self.emit(f"{d} = {read}")
                return
            self.emit(f"{kw} {cond}: {d} = {read}")
            kw = "elif"
        self.emit(f"else: {slow}" if branches else slow)

    def _store(self, name: str, address: str | int, value: str | int, pc: int) -> None:
        size = sem.store_width(name)
        mask = (1 << (8 * size)) - 1
        v = str(value & mask) if isinstance(value, int) else f"{value} & {mask}"
        off = self.direct.get(pc)
        if off is not None:  # inside a checked group (see _emit_group)
            self.emit(sem.buffer_store(self.direct_buf, f"_o + {off}", size, v))
            return
        slow = f"mem.store(_x, {size}, {v}, {pc})"
        self.uses_try = True
        self.emit(f"_x = {address}")
        if self.dynamic:
            self.emit(slow)
            return
        branches = self._access(address, size, True)
        kw = "if"
        for cond, buf, base in branches:
            write = sem.buffer_store(buf, f"_x - {base}", size, v)
            if cond == "True":
                self.emit(write)
                return
            self.emit(f"{kw} {cond}: {write}")
            kw = "elif"
        self.emit(f"else: {slow}" if branches else slow)


# Instructions that may not sit inside an access group: they leave the segment or change memory or control flow.
_NO_GROUP = frozenset({"ecalli", "memset", "sbrk", "trap", INVALID, "unlikely"})


def _group_end(insts: list[Instruction], i: int) -> int:
    """End (exclusive) of the access group starting at insts[i], or 0: instructions up to the last of at least two
    accesses through insts[i]'s base register, which none of them writes before its last access."""
    first = insts[i]
    if first.name not in MEMORY_BASE:
        return 0
    reg = first.args[MEMORY_BASE[first.name]]
    end, count = 0, 0
    for k in range(i, len(insts)):
        inst = insts[k]
        name = inst.name
        if name in _ENDS_SEGMENT or name in _NO_GROUP:
            break
        if name in MEMORY_BASE and inst.args[MEMORY_BASE[name]] == reg:
            count += 1
            end = k + 1
        if name in WRITES_FIRST and inst.args[0] == reg:  # a load into the base reads it first: the last member
            break
    return end if count >= 2 else 0


_ENDS_SEGMENT = frozenset(
    {
        "trap",
        INVALID,
        "fallthrough",
        "jump",
        "load_imm_and_jump",
        "jump_indirect",
        "load_imm_and_jump_indirect",
        "ecalli",
    }
) | BRANCHES


def _u64(value: int, what: str) -> int:
    """`value` as a register holds it: a u64, or an i64 in two's complement; anything else is refused (found in
    review: 2**64 + 5 became 5)."""
    if not isinstance(value, int):
        raise TypeError(f"{what} takes an int, got {type(value).__name__}")
    if not -(1 << 63) <= value <= M64:
        raise ValueError(f"{what}: {value} fits neither a u64 nor an i64")
    return value & M64


class Registers:
    """The 13 guest registers as a mutable sequence of unsigned 64-bit ints (a view into the instance), indexed by
    number (a0 = 7), by name ("a0", "sp", "r7") or by slice."""

    __slots__ = ("_r",)

    def __init__(self, r: list) -> None:
        self._r = r

    def __len__(self) -> int:
        return NUM_REGS

    def __getitem__(self, i: int | str | slice) -> Any:
        if isinstance(i, slice):  # (found in review: a slice, or a name, raised a bare comparison TypeError)
            r = self._r
            return [r[k] for k in range(NUM_REGS)[i]]
        return self._r[_register_index(i)]

    def __setitem__(self, i: int | str | slice, value: Any) -> None:
        if isinstance(i, slice):
            indices = range(NUM_REGS)[i]
            values = list(value)
            if len(values) != len(indices):
                raise ValueError(f"{len(values)} values for {len(indices)} registers")
            checked = [_u64(v, f"register {k}") for k, v in zip(indices, values, strict=True)]
            for k, v in zip(indices, checked, strict=True):
                self._r[k] = v
            return
        k = _register_index(i)
        self._r[k] = _u64(value, f"register {k}")

    def __iter__(self) -> Iterator[int]:
        return iter(self._r[:NUM_REGS].tolist() if isinstance(self._r, memoryview) else self._r[:NUM_REGS])

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence | Registers) else NotImplemented

    def __repr__(self) -> str:
        return f"Registers({list(self)})"


def _register_index(i: object) -> int:
    """A register's number from an index (negative ones count from the end) or a name, else IndexError/TypeError."""
    if isinstance(i, str):
        k = REG_INDEX.get(i)
        if k is None:
            raise IndexError(f"no register named {i!r}: {', '.join(REG_NAMES)} (or r0..r12)")
        return k
    if not isinstance(i, int) or isinstance(i, bool):
        raise TypeError(f"registers are indexed by int, name or slice, not {type(i).__name__}")
    if not -NUM_REGS <= i < NUM_REGS:
        raise IndexError(f"register index {i} out of range 0..12")
    return i % NUM_REGS


def _instance_class(backend: str) -> type[Instance]:
    """The Instance class of `backend`; the JIT's are imported on first use."""
    if backend == "jit":
        from .jit.instance import JitInstance

        return JitInstance
    if backend == "crosscheck":
        from .jit.instance import CrosscheckInstance

        return CrosscheckInstance
    return Instance


_INSTANCE_CLASSES: dict[str, type[Instance]] = {}
_FRESH = (0,) * 18  # a new instance's `_r`
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
SPARE_INSTANCES = 2  # recycled instances a module keeps (a contract calling itself needs a second)
SPARE_BYTES = 16 << 20  # ... of at most this much memory each (an instance with more is let go)
_HOLDING_SPARES: weakref.WeakSet[Module] = weakref.WeakSet()
_spares_lock = threading.Lock()  # (a WeakSet may not change while another thread iterates it)


def drop_spare_instances() -> None:
    """Let every module's recycled instances go (the JIT's, say, to give their address spaces back when no more can
    be reserved)."""
    with _spares_lock:
        modules = list(_HOLDING_SPARES)
        _HOLDING_SPARES.clear()
        for module in modules:
            module._spare_listed = False
    for module in modules:  # (outside the lock: letting a JIT instance go takes the space pool's lock)
        module._spare.clear()


def _check_range(address: int, length: int) -> None:
    """A host access names a range of the 32-bit address space, as polkavm's u32 address and length do."""
    for name, value in (("address", address), ("length", length)):
        if value.__class__ is not int or not 0 <= value <= M32:
            raise ValueError(f"memory {name} must be an int in 0..2^32-1, not {value!r}")
    if address + length > 1 << 32:
        raise ValueError(f"memory range {address:#x}..{address + length:#x} runs past 2^32")


def _check_low(address: int, length: int) -> None:
    """The host reads and writes nothing below 0x10000, as polkavm's API (dynamic paging could map pages there)."""
    if length and address < 0x10000:
        raise ValueError(f"memory range {address:#x}..{address + length:#x} starts below 0x10000, where the host "
                         "may not read or write")  # fmt: skip


def _check_registers(r: list) -> None:
    """After a serve() handler: registers hold u64 ints, as the JIT packs them (found in review: -1 made the guest
    compute with a negative register). One OR of the 13 (~0.3 us): negative if one is, >= 2^64 if one is, and a
    TypeError for a float or None."""
    try:
        x = r[0] | r[1] | r[2] | r[3] | r[4] | r[5] | r[6] | r[7] | r[8] | r[9] | r[10] | r[11] | r[12]
    except TypeError:
        _refuse_registers(r)
    else:
        if x < 0 or x >> 64:
            _refuse_registers(r)


def _refuse_registers(r: list) -> None:
    for i in range(13):
        if r[i].__class__ is not int or not 0 <= r[i] <= M64:
            value, r[i] = r[i], 0
            raise ValueError(f"a serve() handler set register {i} to {value!r}: registers hold ints in 0..2^64-1")
    raise ValueError("a serve() handler left the registers unusable")  # (pragma: no cover - one is always found)


def _pc(pc: object) -> int:
    if pc.__class__ is not int or not 0 <= pc <= M32:  # type: ignore[operator]
        raise ValueError(f"a program counter is an int in 0..2^32-1, not {pc!r}")
    return pc  # type: ignore[return-value]


class Instance:
    """One running copy of a module: registers, gas, memory and where to continue."""

    answers_shortcuts = False  # whether serve() answers host-call shortcuts itself (pvm/shortcuts.py): the JIT's

    def __init__(self, module: Module) -> None:
        self.module = module
        self._r: list = [0] * 18
        self._regs = Registers(self._r)
        self._busy = False  # while run()/serve() runs (a handler may not run, prepare, reset or recycle it) or recycled
        self._recycled = False
        self.memory: StandardMemory | DynamicMemory
        self.reset_memory()
        self._next: tuple[int, bool] | None = None
        self._step_delivered = False
        self.program_counter: int | None = None

    @property
    def regs(self) -> Registers:
        """The 13 registers (a0 = regs[7]), a view: read-only as an attribute (found in review: `inst.regs = [...]`
        replaced the view and left the VM's registers as they were)."""
        return self._regs

    def _not_busy(self, what: str) -> None:
        if self._busy:
            raise self._refusal(what)

    def reset_memory(self) -> None:
        """Memory back to the module's initial image (ro and rw data, zeroed stack and heap)."""
        self._not_busy("reset_memory()")
        m = self.module
        if m.config.dynamic_paging:
            self.memory = DynamicMemory(m.config.page_size, m.config.max_memory)
        else:
            self.memory = StandardMemory(m.memory_map, m.blob.ro_data, m.blob.rw_data, m.config.max_memory)

    @property
    def gas(self) -> int:
        """Gas left (an i64: negative means the guest ran out at its next block)."""
        return self._r[_G]

    @gas.setter
    def gas(self, value: int) -> None:
        if value.__class__ is not int:  # (found in review: int() made 1.9 gas 1, and "12" 12)
            if isinstance(value, bool) or not hasattr(type(value), "__index__"):
                raise TypeError(f"gas is an int, not {type(value).__name__} {value!r:.40}")
            value = value.__index__()
        if not -(1 << 63) <= value < 1 << 63:  # polkavm's gas is an i64 (the JIT packs it as one)
            raise ValueError(f"gas {value} is outside the signed 64-bit range")
        self._r[_G] = value

    @property
    def next_program_counter(self) -> int | None:
        """Where run() goes on: None when there is nothing to run (after a return to the host, or a trap inside the
        program; a host-set pc where no instruction starts stays, and traps again)."""
        return None if self._next is None else self._next[0]

    def set_next_program_counter(self, pc: int) -> None:
        """Continue at `pc` from the host: charges the full cost of the block containing it."""
        if self._recycled:
            raise self._refusal("set_next_program_counter()")
        self._next = (_pc(pc), HOST_ENTRY)
        self._step_delivered = False
        self.program_counter = None  # (as polkavm's: no current instruction until the guest runs again)

    def prepare_call(self, export: str | int, *args: int) -> None:
        """Set up a call like polkavm's `prepare_call_untyped`: zeroed regs, sp, ra = return-to-host, ≤9 args."""
        self._not_busy("prepare_call()")
        pc = _pc(export) if isinstance(export, int) else self.module.export_pc(export)
        if len(args) > 9:
            raise ValueError(f"too many arguments ({len(args)} > 9)")
        r = self._r
        r[:NUM_REGS] = self.module.call_registers
        if args:
            for k, (reg, value) in enumerate(zip((7, 8, 9, 10, 11, 12, 2, 3, 4), args, strict=False)):
                r[reg] = _u64(value, f"argument {k}")
        self._next = (pc, HOST_ENTRY)  # (set_next_program_counter's: a contract prepares a call per frame)
        self._step_delivered = False
        self.program_counter = None

    def start(self, pc: int, gas: int, on_ecalli: OnEcalli, shortcuts: Shortcuts | None = None) -> Interrupt:
        """prepare_call(pc), gas = gas and serve(on_ecalli, shortcuts) in one: how a contract's frame runs (the JIT
        enters without the steps between)."""
        self.prepare_call(pc)
        self.gas = gas
        return self.serve(on_ecalli, shortcuts)

    def recycle(self) -> None:
        """Done with this instance: its module's instantiate() hands it out again, reset in place to a new instance's
        state (a host running frame after frame of a contract skips most of an instance's set-up: for the JIT a
        third of an ERC-20 call's non-host time). Nothing may use it afterwards: run(), serve(), prepare_call() and
        the memory methods refuse to (found in review: a kept reference ran the instance another caller now owned)."""
        if self._busy:
            return  # (from a serve() handler, or recycled already: nothing, as on the JIT)
        m = self.module
        spare = m._spare
        pooled = len(spare) < SPARE_INSTANCES and self._reset_memory_in_place()
        self._busy = self._recycled = True  # every use is refused until instantiate() hands it out again (_revive)
        if pooled:
            if not m._spare_listed:  # (once: a WeakSet.add per frame cost 3% of a call)
                with _spares_lock:
                    m._spare_listed = True
                    _HOLDING_SPARES.add(m)
            spare.append(self)

    def _revive(self) -> None:
        """Back from the pool in the rest of a new instance's state (its memory was reset when recycled): what a kept
        reference changed on the recycled instance goes too (found in review: its registers and gas reached the
        next owner)."""
        self._r[:] = _FRESH
        self._next = None
        self._step_delivered = False
        self.program_counter = None
        self._busy = self._recycled = False

    def _refusal(self, what: str) -> RuntimeError:
        if self._recycled:
            return RuntimeError(f"{what} on a recycled instance: it belongs to its module's pool now (take another "
                                "with instantiate())")  # fmt: skip
        return RuntimeError(f"{what} while this instance runs (from inside a serve() handler, or on another thread): "
                            "call it once run()/serve() returns")  # fmt: skip

    def _reset_memory_in_place(self) -> bool:
        mem = self.memory
        if type(mem) is not StandardMemory or len(mem._low) + len(mem.stack) + len(mem.aux) > SPARE_BYTES:
            return False
        m = self.module
        return mem.reset(m.blob.rw_data)

    def call(self, export: str | int, *args: int, gas: int | None = None, on_ecalli: OnEcalli | None = None) -> int:
        """prepare_call(export, *args), then run to the end, answering host calls with `on_ecalli` as serve() does,
        and return a0 (wasmtime's Func call): a guest that does not return to the host raises Trap. `gas` sets the gas
        first (else the instance goes on with what it has)."""
        self.prepare_call(export, *args)
        if gas is not None:
            self.gas = gas
        while True:
            interrupt = self.serve(on_ecalli) if on_ecalli is not None else self.run()
            if interrupt.kind is not InterruptKind.STEP:  # (a step-tracing module's steps are not stops)
                break
        if interrupt.kind is InterruptKind.FINISHED:
            return self._r[7]
        instruction = None
        pc, number, imports = interrupt.pc, interrupt.ecalli, self.module.blob.imports
        if pc is not None and self.module.code.is_instruction_start(pc):
            from .asm import instruction_at

            instruction = instruction_at(self.module.code, pc)
            if number is not None and number < len(imports) and imports[number]:
                instruction += f" (import {imports[number].decode('utf-8', 'replace')!r})"
        raise Trap(interrupt, export, instruction)

    def sbrk(self, size: int) -> int | None:
        """Grow the heap by `size` bytes from the host (polkavm's RawInstance::sbrk): the new heap top, or None when
        it cannot grow that far."""
        if self._recycled:
            raise self._refusal("sbrk()")
        return self.memory.sbrk(size)

    @property
    def heap_size(self) -> int:
        """Bytes the heap has grown by (sbrk), as polkavm's RawInstance::heap_size."""
        return self.memory.heap_size

    def read_memory(self, address: int, length: int) -> bytes:
        """`length` bytes at `address`; ValueError naming the range when they are not all readable."""
        if self._recycled:
            raise self._refusal("read_memory()")
        _check_range(address, length)  # (found in review: a negative length read the JIT's guard pages: SIGSEGV)
        _check_low(address, length)
        return self.memory.read(address, length)

    def write_memory(self, address: int, data: bytes) -> None:
        """Write `data` (bytes-like) at `address`; ValueError naming the range when it is not all writable."""
        if self._recycled:
            raise self._refusal("write_memory()")
        if not isinstance(data, bytes | bytearray | memoryview):  # (found in review: an int n wrote n zero bytes)
            raise TypeError(f"write_memory takes bytes, not {type(data).__name__}")
        data = bytes(data)
        _check_range(address, len(data))
        _check_low(address, len(data))
        self.memory.write(address, data)

    def map_memory(self, address: int, length: int, writable: bool = True) -> None:
        """Dynamic paging only: map zeroed pages covering the range."""
        if self._recycled:
            raise self._refusal("map_memory()")
        if not isinstance(self.memory, DynamicMemory):
            raise ModuleError("map_memory needs a module with dynamic_paging=True")
        _check_range(address, length)  # (found in review: a range past 2^32 wrapped around to page 0)
        self.memory.map_range(address, length, writable)

    def run(self) -> Interrupt:
        """Run until the next interrupt (finished, trap, ecalli, not enough gas, segfault or step)."""
        self._not_busy("run()")
        self._busy = True
        try:
            return self._advance()
        finally:
            self._busy = False

    def _advance(self) -> Interrupt:
        """run()'s work. Interrupted by an exception (Ctrl-C) the instance cannot go on: compiled blocks keep registers
        in locals (found in review: it resumed at the block with stale registers), so it refuses to run until the
        host prepares a call, as the JIT does."""
        if self._next is None:
            raise RuntimeError("nothing to run: call prepare_call() or set_next_program_counter() first")
        try:
            return self._blocks()
        except BaseException:
            self._next = None
            raise

    def _blocks(self) -> Interrupt:
        r = self._r
        if r[_G] < 0:  # (polkavm's run() refuses it up front: program_counter stays as it was)
            return Interrupt(InterruptKind.NOT_ENOUGH_GAS, self._next[0])
        m = self.module
        mem = self.memory
        lo = mem._low if isinstance(mem, StandardMemory) else None
        st = mem.stack if isinstance(mem, StandardMemory) else None
        pc, charged = self._next
        if charged is HOST_ENTRY and not m.enterable(pc):
            return self._entry_trap(pc)
        if m.config.step_tracing:
            if not self._step_delivered:
                self._step_delivered = True
                self.program_counter = pc  # (polkavm's Step: the instruction about to run is the current one)
                return Interrupt(InterruptKind.STEP, pc)
            self._step_delivered = False
        code = (m.entry if charged else m.resume)[pc](r, lo, st, mem)
        if m.config.step_tracing:
            if code >= 0 or code == _CONTINUE:
                nxt = (code, True) if code >= 0 else (r[_RESUME], False)
                self._next = nxt
                self._step_delivered = True
                self.program_counter = nxt[0]
                return Interrupt(InterruptKind.STEP, nxt[0])
        else:
            entry, resume = m.entry, m.resume
            while True:
                while code >= 0:
                    code = entry[code](r, lo, st, mem)
                if code != _CONTINUE:
                    break
                code = resume[r[_RESUME]](r, lo, st, mem)
        return self._interrupt(code)

    def serve(self, on_ecalli: OnEcalli, shortcuts: Shortcuts | None = None) -> Interrupt:
        """run() until an interrupt other than a host call, answering each host call with
        `gas = on_ecalli(number, regs, gas)`: `regs` is the instance's raw register file, fast to index by number
        0..12 (a0 = 7; write results there, as u64 values: others are refused with ValueError, once the handler
        returns, or on the JIT by the register view at the assignment itself). It is longer than 13, its other
        entries the VM's: len(), negative indexes and slices are not registers there; `inst.regs` is the same 13
        registers as a checked view, live while the handler runs. `gas` is what is left, and the gas returned is what
        the guest goes on with. The outcome is that of
        calling run() and answering ECALLI interrupts in a loop, but the JIT answers them without leaving its native
        loop: while `on_ecalli` runs, reach the gas through its arguments and guest memory through the instance's
        read_memory/write_memory (the
        instance's `gas` and `program_counter` are brought up to date when serve()
        returns or `on_ecalli` raises; run(), prepare_call() and reset_memory() are refused until then;
        set_next_program_counter moves the guest there
        once the handler returns). The JIT also
        answers `shortcuts` (pvm/shortcuts.py) natively, which the interpreter leaves to `on_ecalli`; a HALT shortcut
        answered natively ends serve() with that ecalli's interrupt (and shortcuts.state[5] = 1)."""
        self._not_busy("serve()")
        self._busy = True
        try:
            return self._serve(on_ecalli)
        finally:
            self._busy = False

    def _serve(self, on_ecalli: OnEcalli) -> Interrupt:
        r, advance, ecalli = self._r, self._advance, InterruptKind.ECALLI
        while True:
            interrupt = advance()
            if interrupt.kind is not ecalli:
                return interrupt
            gas = on_ecalli(interrupt.ecalli, r, r[_G])
            if type(gas) is int and _I64_MIN <= gas <= _I64_MAX:
                r[_G] = gas
            else:
                self.gas = gas  # (an int-like converted, or refused)
            _check_registers(r)  # (the handler wrote into the list itself)

    def _entry_trap(self, pc: int) -> Interrupt:
        """run() from a host-set pc where no instruction starts: a trap there, with nothing charged (HOST_ENTRY). The
        pc stays the next one, as polkavm's next_program_counter does: running again traps again (review)."""
        self.program_counter = pc
        return Interrupt(InterruptKind.TRAP, pc)

    def _interrupt(self, code: int) -> Interrupt:
        r = self._r
        pc = r[_PC]
        self.program_counter = pc
        if code == _ECALLI:
            interrupt, self._next = self.module.ecalli_exit(pc, r[_ARG])
            return interrupt
        if code == _OOG:
            # r[16] == -1: the block's gas check failed (retry charges it); else memset stopped mid-way.
            self._next = (pc, True) if r[_RESUME] < 0 else (r[_RESUME], False)
            if r[_RESUME] < 0 and self.module.code.find_start_of_basic_block(pc) != pc:
                self.program_counter = None  # (entered mid-block from the host: polkavm leaves it unset, review)
            return Interrupt(InterruptKind.NOT_ENOUGH_GAS, pc)
        if code == _SEGFAULT:
            self._next = (pc, False)
            return Interrupt(InterruptKind.SEGFAULT, pc, address=r[_ARG], is_write_protected=bool(r[_WP]))
        self._next = None
        if code == _FINISHED:
            self.program_counter = None  # (polkavm's: a return to the host has no current instruction)
            return Interrupt(InterruptKind.FINISHED, pc)
        return Interrupt(InterruptKind.TRAP, pc)


def instructions_executed(module: Module) -> int:
    """Total instructions in compiled blocks (diagnostics)."""
    return len(module.entry) + len(module.resume)

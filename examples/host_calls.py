"""The VM alone: assemble a PVM program, serve its host calls from Python, and run it on both backends.

`python examples/host_calls.py` prints the same result and gas for the interpreter and the JIT (on x86-64 Linux).
The guest sums 1..n, asking the host to log the partial sum whenever the counter is a multiple of 1024, through
`ecalli 0` (its import "log").
"""

from __future__ import annotations

import time

from pvmkit import InterruptKind, Module, ModuleConfig
from pvmkit.pvm.asm import assemble
from pvmkit.pvm.jit import is_supported

PROGRAM = """
%stack_size = 4096
%import 0 "log"
pub @sum:
    a1 = a0
    a0 = 0
@loop:
    a0 = a0 + a1
    a2 = a1 & 1023
    jump @next if a2 != 0
    ecalli 0
@next:
    a1 = a1 - 1
    jump @loop if a1 != 0
    ret
"""


def run(backend: str, n: int) -> tuple[str, int, int, list[int]]:
    """(the backend that ran it, result, gas used, what the guest logged): PVMKIT_BACKEND may choose another."""
    module = Module(assemble(PROGRAM), ModuleConfig(backend=backend))
    inst = module.instantiate()
    inst.prepare_call("sum", n)
    inst.gas = gas = 10**9
    logged = []
    while True:
        interrupt = inst.run()
        if interrupt.kind is not InterruptKind.ECALLI:
            break
        # A host call: read the guest's registers (a0 = the partial sum), answer, and resume where it stopped.
        assert inst.module.blob.imports[interrupt.ecalli] == b"log"
        logged.append(inst.regs[7])
    if interrupt.kind is not InterruptKind.FINISHED:
        raise RuntimeError(f"the guest stopped with {interrupt}")
    return module.backend, inst.regs[7], gas - inst.gas, logged


def main() -> None:
    n = 100_000
    backends = ["interpreter"] + (["jit"] if is_supported() else [])
    for backend in backends:
        start = time.perf_counter()
        ran, result, used, logged = run(backend, n)
        took = time.perf_counter() - start
        print(f"{ran:11} sum(1..{n}) = {result}, {used:,} gas, {len(logged)} host calls, {took * 1e3:.1f} ms "
              "(compiling included)")
    assert result == n * (n + 1) // 2


if __name__ == "__main__":
    main()

"""pvmkit: PolkaVM (PVM) and the pallet-revive contract runtime, in Python.

The public API is re-exported here; submodules hold the details (`pvmkit.pvm.*` is the VM).
"""

from __future__ import annotations

from .pvm.blob import Export, ProgramBlob, ProgramBlobError
from .pvm.interpreter import Instance, Interrupt, InterruptKind, Module, ModuleConfig, ModuleError
from .pvm.isa import JAM_V1, LATEST32, LATEST64, REVIVE_V1, InstructionSet
from .pvm.memory import MemoryMap

__all__ = [
    "JAM_V1", "LATEST32", "LATEST64", "REVIVE_V1", "Export", "Instance", "InstructionSet", "Interrupt",
    "InterruptKind", "MemoryMap", "Module", "ModuleConfig", "ModuleError", "ProgramBlob", "ProgramBlobError",
]  # fmt: skip
__version__ = "0.1.0"

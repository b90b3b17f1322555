"""pvmkit: PolkaVM (PVM) and the pallet-revive contract runtime, in Python.

The public API is re-exported here; submodules hold the details (`pvmkit.pvm.*` is the VM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pvm.blob import Export, ProgramBlob, ProgramBlobError
from .pvm.interpreter import Instance, Interrupt, InterruptKind, Module, ModuleConfig, ModuleError, Trap
from .pvm.isa import JAM_V1, LATEST32, LATEST64, REVIVE_V1, InstructionSet
from .pvm.memory import MemoryMap

__all__ = [
    "JAM_V1", "LATEST32", "LATEST64", "REVIVE_V1", "Export", "Instance", "InstructionSet", "Interrupt",
    "InterruptKind", "MemoryMap", "Module", "ModuleConfig", "ModuleError", "ProgramBlob", "ProgramBlobError", "Trap",
    "Env", "DeployError", "Contract", "ContractRevert", "ALICE", "BOB", "CHARLIE",
]  # fmt: skip
__version__ = "0.1.0"

if TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from .contract import Contract, ContractRevert
    from .env import ALICE, BOB, CHARLIE, DeployError, Env

# The contract API loads on first use, so that `import pvmkit` for the VM alone does not import the pallet-revive
# host and eth-abi.
_CONTRACT_API = {"Env": "env", "DeployError": "env", "ALICE": "env", "BOB": "env", "CHARLIE": "env",
                 "Contract": "contract", "ContractRevert": "contract"}  # fmt: skip


def __getattr__(name: str) -> object:
    module = _CONTRACT_API.get(name)
    if module is None:
        raise AttributeError(f"module 'pvmkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CONTRACT_API))

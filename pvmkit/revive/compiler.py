"""Compile Solidity to PolkaVM blobs with resolc 0.3.0 (npm `@parity/resolc`, a wasm build) and to EVM bytecode with
the solc 0.8.30 it ships with.

`compile_solidity` runs one `node` process per call (a small driver script, `_DRIVER_JS`, written into the cache
folder) that calls resolc's standard-JSON entry point and then solc-js on the same sources. Results are cached by a
hash of (sources, settings, compiler versions) in ``<cache>/resolc-0.3.0/builds/<hash>.json``, so compiling the same
sources again does not start node at all. The cache root is ``$PVMKIT_CACHE`` or ``~/.cache/pvmkit``.

Libraries with public or external functions are linked foundry's way: each library declared in the sources gets
an address of its own at compile time (the first CREATE of a deployer account derived from the build and the
library's name), and a contract's `libraries` lists those its code calls; Env.deploy_contract deploys them there first.

resolc 0.3.0 rejects `selfdestruct`, `address(x).code` (EXTCODECOPY), `blobhash` and `block.blobbasefee`; such
errors are raised as `CompilerError`, like solc's own errors.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from ..files import cache_root, read_input
from .address import create1
from .primitives import keccak256

RESOLC_VERSION = "0.3.0"
SOLC_VERSION = "0.8.30"
OPTIMIZER_MODES = ("0", "1", "2", "3", "s", "z")
#: Settings used for the EVM (solc) build: the same Yul pipeline resolc feeds on (via-IR, optimizer on), with an EVM
#: version every current EVM implements (transient storage and mcopy need cancun).
EVM_SETTINGS = {"viaIR": True, "optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun"}
_DRIVER_VERSION = 5  # 2: storage layouts; 3: linked libraries; 4: their links through operators and names (the
# build cache keeps what _library_links found: a change to it is a new version); 5: EVM code linked afterwards

__all__ = [
    "EVM_SETTINGS",
    "OPTIMIZER_MODES",
    "RESOLC_VERSION",
    "SOLC_VERSION",
    "CompiledContract",
    "CompilerError",
    "LinkedLibrary",
    "cache_root",
    "compile_command",
    "compile_solidity",
    "ensure_resolc",
]


class CompilerError(RuntimeError):
    """node/npm missing, resolc install failure, or Solidity/resolc errors (message = the compiler's own text)."""


@dataclass(frozen=True)
class CompiledContract:
    name: str  #: contract name
    source: str  #: source unit name, e.g. "File.sol"
    blob: bytes = field(repr=False)  #: PolkaVM blob (resolc)
    abi: list[dict] = field(repr=False)
    code_hash: bytes  #: keccak256(blob), checked against resolc's `hash`
    factory_deps: dict[bytes, str]  #: child code hash -> "File.sol:Child" (children `new`-ed by this contract)
    evm_bytecode: bytes | None = field(repr=False)  #: solc creation bytecode (EVM_SETTINGS), None if evm=False
    warnings: tuple[str, ...] = field(default=(), compare=False, repr=False)  #: compiler warnings (whole build)
    resolc_version: str = field(default="", compare=False, repr=False)  #: e.g. "0.3.0+commit.ed60869.llvm-18.1.8"
    solc_version: str = field(default="", compare=False, repr=False)  #: e.g. "0.8.30+commit.73712a01"
    #: the factory_deps themselves, where this contract carries them (load_artifact); env.compile's Env has them
    dependencies: tuple[CompiledContract, ...] = field(default=(), compare=False, repr=False)
    #: solc's storage layout (state variables' slots and types: Contract._storage), where the build had one
    storage_layout: dict | None = field(default=None, compare=False, repr=False)
    #: a library's functions with storage parameters, which solc leaves out of its ABI, as solc hashes them
    #: (`append(uint256[] storage,uint256)`): traces and gas reports name calls to them
    signatures: tuple[str, ...] = field(default=(), compare=False, repr=False)
    #: the libraries its code calls (public or external functions: a delegate call to the address linked in), theirs
    #: included, each before those that call it: Env.deploy_contract deploys them first
    libraries: tuple[LinkedLibrary, ...] = field(default=(), compare=False, repr=False)

    @property
    def qualified_name(self) -> str:
        return f"{self.source}:{self.name}"


@dataclass(frozen=True)
class LinkedLibrary:
    """A library a contract's code was linked to: where it must live, and the account whose first CREATE puts it
    there (a deployer no one else has a key for, so the address is the library's alone)."""

    qualified_name: str  #: "File.sol:Name"
    deployer: bytes
    address: bytes
    contract: CompiledContract = field(repr=False)


_LIBRARY_DECLARATION = re.compile(r"\blibrary\s+([A-Za-z_$][A-Za-z0-9_$]*)")  # (in text without comments)


def library_accounts(build: str, qualified_name: str) -> tuple[bytes, bytes]:
    """(deployer, address) of a library: the deployer from the build's cache key and the library's name, so that
    two builds' libraries never share an address (one Env may deploy both), and the address its nonce-0 CREATE."""
    deployer = keccak256(f"pvmkit library deployer {build} {qualified_name}".encode())[12:]
    return deployer, create1(deployer, 0)


def linked_libraries(compiled: object) -> list[LinkedLibrary]:
    """The libraries a compiled contract and the contracts it creates (its `dependencies`, theirs in turn) were linked
    to, each once: what must be deployed before it runs (Env.deploy_contract, EvmEnv.deploy_libraries)."""
    found: dict[bytes, LinkedLibrary] = {}
    pending, seen = [compiled], set()
    while pending:
        contract = pending.pop()
        if id(contract) not in seen:
            seen.add(id(contract))
            found.update((library.address, library) for library in getattr(contract, "libraries", ())
                         if library.address not in found)  # fmt: skip
            pending.extend(getattr(contract, "dependencies", ()))
    return list(found.values())


def _declared_libraries(units: Mapping[str, str]) -> dict[str, list[str]]:
    """The libraries each unit declares, comments left out (a `library` in a string only links an address to
    nothing)."""
    found = {file: sorted(set(_LIBRARY_DECLARATION.findall(_without_comments(text)))) for file, text in
             units.items()}  # fmt: skip
    return {file: names for file, names in sorted(found.items()) if names}


def _library_links(asts: Mapping[str, dict]) -> dict[str, list[str]]:
    """Which libraries each contract's code calls through their address: those with public or external functions
    that it (its bases, and the free functions, user-defined operators, modifiers and internal library functions it
    reaches, which are compiled into it) names, or names a function of: `address(L)` needs L deployed as much as
    `L.f()` does. Naming counts as calling: at worst a library is deployed that is not used."""
    owner: dict[int, str] = {}  # a contract's or library's id -> "File.sol:Name"
    kind: dict[int, str] = {}
    bases: dict[int, list[int]] = {}
    refs: dict[int, set[int]] = {}  # a contract's, function's or modifier's id -> what it names outside its functions
    parent: dict[int, int] = {}  # a function's or modifier's id -> its contract's
    public: dict[int, int] = {}  # a library's public or external function -> the library
    for file, ast in sorted(asts.items()):
        stack: list[tuple[object, int | None, int | None]] = [(ast, None, None)]  # (node, holder, its contract)
        while stack:  # (not recursive: an expression nested a thousand deep is valid Solidity)
            node, holder, contract = stack.pop()
            if isinstance(node, list):
                stack.extend((item, holder, contract) for item in node)
                continue
            if not isinstance(node, dict):
                continue
            node_type, node_id = node.get("nodeType"), node.get("id")
            if node_type == "UsingForDirective":  # (naming a library there calls nothing: its uses name what they call)
                continue
            if node_type == "ContractDefinition" and isinstance(node_id, int):
                owner[node_id] = f"{file}:{node.get('name')}"
                kind[node_id] = node.get("contractKind", "")
                bases[node_id] = [b for b in node.get("linearizedBaseContracts", ()) if isinstance(b, int)]
                refs.setdefault(node_id, set())
                holder = contract = node_id
            elif node_type in ("FunctionDefinition", "ModifierDefinition") and isinstance(node_id, int):
                refs.setdefault(node_id, set())
                if contract is not None:
                    parent[node_id] = contract
                    if kind.get(contract) == "library" and node.get("visibility") in ("public", "external"):
                        public[node_id] = contract
                holder = node_id
            if holder is not None:  # (a user-defined operator names its function as `function`)
                for key in ("referencedDeclaration", "function"):
                    target = node.get(key)
                    if isinstance(target, int):
                        refs[holder].add(target)
            qualifier = None  # `L.f`: f names what is used, L (an Identifier) only says where it is
            if node_type == "MemberAccess" and isinstance(node.get("referencedDeclaration"), int):
                expression = node.get("expression")
                if isinstance(expression, dict) and expression.get("nodeType") == "Identifier":
                    qualifier = expression
            stack.extend((value, holder, contract) for value in node.values()
                         if isinstance(value, dict | list) and value is not qualifier)  # fmt: skip
    members: dict[int, list[int]] = {}
    for function, contract in parent.items():
        members.setdefault(contract, []).append(function)
    public.update((library, library) for library in set(public.values()))  # (the library itself, named)
    links: dict[str, list[str]] = {}
    for contract, name in owner.items():
        if kind[contract] == "interface":
            continue
        pending = [contract]
        for base in bases[contract]:
            pending += [base, *members.get(base, ())]
        seen, linked = set(pending), set()
        while pending:
            for target in refs.get(pending.pop(), ()):
                library = public.get(target)
                if library is not None and library != contract:
                    linked.add(owner[library])
                elif target in refs and target not in owner and target not in seen:  # (a function or modifier,
                    # compiled into the contract too; not another contract, whose code is its own)
                    seen.add(target)
                    pending.append(target)
        if linked:
            links[name] = sorted(linked)
    return links


# --------------------------------------------------------------------------------------------------------------------
# resolc installation

_DRIVER_JS = r"""'use strict';
// pvmkit resolc driver: stdin = {"sources": {name: text}, "optimizer": "z", "evm": bool, "evmSettings": {...}}
// stdout = {"ok": bool, "errors": [...], "warnings": [...], "contracts": {...}, versions, timings}
const fs = require('fs');
const path = require('path');
const emit = process.stdout.write.bind(process.stdout);
console.log = console.error;  // keep stdout for the result only
console.info = console.error;
function finish(obj) { emit(JSON.stringify(obj)); }
function split(errors) {
  const bad = [], warn = [];
  for (const e of errors || []) {
    const text = (e.formattedMessage || e.message || String(e)).trim();
    (e.severity === 'error' ? bad : warn).push(text);
  }
  return [bad, warn];
}
function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const sources = {};
  for (const [k, v] of Object.entries(req.sources)) sources[k] = { content: v };
  const result = { ok: false, errors: [], warnings: [], contracts: {}, timings: {} };
  let t = Date.now();
  const { resolc, version } = require(path.join(__dirname, 'node_modules/@parity/resolc/dist/resolc.js'));
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { mode: req.optimizer, enabled: req.solcOptimizer !== false, fallback_to_optimizing_for_size: true,
                   runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'storageLayout'] } },
    },
  };
  if (req.memoryConfig) input.settings.polkavm = { memory_config: req.memoryConfig };  // (0.3.0: snake_case)
  if (req.remappings) input.settings.remappings = req.remappings;
  if (req.libraries) {  // linked at these addresses; the ASTs tell which contract calls which (Python's _library_links)
    input.settings.libraries = req.libraries;
    input.settings.outputSelection['*'][''] = ['ast'];
    input.settings.outputSelection['*']['*'].push('evm.methodIdentifiers');  // (names what a library's ABI leaves out)
  }
  let out;
  try {
    out = resolc(JSON.stringify(input));
  } catch (e) {
    result.errors.push(String(e && e.message ? e.message : e).trim());
    return finish(result);
  }
  result.timings.resolc = (Date.now() - t) / 1000;
  const [bad, warn] = split(out.errors);
  result.warnings.push(...warn);
  if (bad.length) { result.errors = bad; return finish(result); }
  if (req.libraries) {
    result.asts = {};
    for (const [file, unit] of Object.entries(out.sources || {})) result.asts[file] = unit.ast || null;
  }
  result.resolc_version = out.revive_version || '';
  result.solc_version = out.long_version || out.version || '';
  for (const [file, cs] of Object.entries(out.contracts || {})) {
    result.contracts[file] = {};
    for (const [name, c] of Object.entries(cs)) {
      result.contracts[file][name] = {
        abi: c.abi || [],
        blob: (c.evm && c.evm.bytecode && c.evm.bytecode.object) || '',
        hash: c.hash || '',
        factoryDependencies: c.factoryDependencies || {},
        storageLayout: c.storageLayout || null,
        methods: Object.keys((c.evm && c.evm.methodIdentifiers) || {}).filter(m => m.includes(' storage')),
        evm: null,
      };
    }
  }
  if (req.evm) {
    t = Date.now();
    const solc = require(path.join(__dirname, 'node_modules/solc'));
    const evmInput = {
      language: 'Solidity',
      sources,
      settings: Object.assign({}, req.evmSettings, {
        outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences'] } },
      }, req.remappings ? { remappings: req.remappings } : {}),  // (libraries: linked afterwards, _link_evm)
    };
    const evmOut = JSON.parse(solc.compile(JSON.stringify(evmInput)));
    const [ebad] = split(evmOut.errors);
    if (ebad.length) {  // the PolkaVM build stands: its contracts come without EVM code
      result.evm_errors = ebad;
      result.ok = true;
      return finish(result);
    }
    for (const [file, cs] of Object.entries(evmOut.contracts || {})) {
      for (const [name, c] of Object.entries(cs)) {
        if (result.contracts[file] && result.contracts[file][name]) {
          result.contracts[file][name].evm = (c.evm && c.evm.bytecode && c.evm.bytecode.object) || '';
          const links = c.evm && c.evm.bytecode && c.evm.bytecode.linkReferences;
          if (links && Object.keys(links).length) result.contracts[file][name].evmLinks = links;
        }
      }
    }
    result.timings.solc = (Date.now() - t) / 1000;
  }
  result.ok = true;
  finish(result);
}
try {
  main();
} catch (e) {
  finish({ ok: false, errors: ['driver failure: ' + String(e && e.stack ? e.stack : e)], warnings: [] });
}
"""


def _resolc_dir() -> Path:
    return cache_root() / f"resolc-{RESOLC_VERSION}"


def _installed_version(folder: Path, package: str) -> str | None:
    try:
        return json.loads((folder / "node_modules" / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _is_installed(folder: Path) -> bool:
    return (
        _installed_version(folder, "@parity/resolc") == RESOLC_VERSION
        and _installed_version(folder, "solc") == SOLC_VERSION
        and (folder / "node_modules/@parity/resolc/dist/resolc/resolc.wasm").is_file()
    )


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise CompilerError("node (Node.js >= 18) not found on PATH; it is needed to run resolc (npm @parity/resolc)")
    return node


def ensure_resolc() -> Path:
    """Install `@parity/resolc@0.3.0` (+ solc 0.8.30) into the cache folder on first use; return that folder."""
    _node()
    folder = _resolc_dir()
    if not _is_installed(folder):
        npm = shutil.which("npm")
        if npm is None:
            raise CompilerError(f"npm not found on PATH; it is needed once to install @parity/resolc@{RESOLC_VERSION}")
        folder.parent.mkdir(parents=True, exist_ok=True)
        # (once per machine, and ~20 s: found in review, a first compile sat silent that long)
        print(f"pvmkit: installing @parity/resolc@{RESOLC_VERSION} and solc@{SOLC_VERSION} from npm into {folder} "
              "(once)...", file=sys.stderr, flush=True)  # fmt: skip
        tmp = Path(tempfile.mkdtemp(prefix=f".resolc-{RESOLC_VERSION}-", dir=folder.parent))
        try:
            package = {"name": "pvmkit-resolc", "private": True, "description": "resolc for pvmkit"}
            (tmp / "package.json").write_text(json.dumps(package, indent=2) + "\n")
            cmd = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact"]
            cmd += [f"@parity/resolc@{RESOLC_VERSION}", f"solc@{SOLC_VERSION}"]
            try:
                proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise CompilerError(f"npm install of @parity/resolc@{RESOLC_VERSION} failed: {e}") from None
            if proc.returncode != 0 or not _is_installed(tmp):
                lines = (proc.stderr or proc.stdout).strip().splitlines()
                # npm's first error lines name the cause (ECONNREFUSED, ...); its last ones are boilerplate, found in
                # review to hide it
                first = [line for line in lines if "ERR" in line or "error" in line][:4]
                detail = first + [line for line in lines[-3:] if line not in first]
                raise CompilerError(
                    f"npm install of @parity/resolc@{RESOLC_VERSION} failed (exit {proc.returncode}): "
                    + (" | ".join(detail) or "no output")
                )
            if not _is_installed(folder):  # another process may have won the race
                if folder.exists():
                    shutil.rmtree(folder, ignore_errors=True)
                try:
                    tmp.rename(folder)
                except OSError:
                    if not _is_installed(folder):
                        raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    driver = folder / "pvmkit-driver.js"
    try:
        if not driver.is_file() or driver.read_text() != _DRIVER_JS:
            fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".js")
            with os.fdopen(fd, "w") as f:
                f.write(_DRIVER_JS)
            os.replace(tmp_name, driver)
    except OSError as e:
        raise CompilerError(f"cannot write pvmkit's resolc driver into {folder}: {e.strerror or e}") from None
    return folder


# --------------------------------------------------------------------------------------------------------------------
# sources

_IMPORT_RE = re.compile(r"""\bimport\s+(?:[^"';]*?\bfrom\s+)?["']([^"']+)["']""")
# A string literal (kept: a URL's // is no comment) or a comment (dropped)
_COMMENT_RE = re.compile(r"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|//[^\n]*|/\*.*?\*/""", re.S)


def _without_comments(text: str) -> str:
    return _COMMENT_RE.sub(lambda m: m.group(1) or " ", text)


def _imports(text: str) -> list[str]:
    return _IMPORT_RE.findall(_without_comments(text))


def _read(path: Path) -> str:
    try:
        return read_input(path, text=True)
    except (OSError, UnicodeDecodeError) as e:
        raise CompilerError(f"cannot read {path}: {e}") from None


def _looks_like_source(text: str) -> bool:
    """Solidity text rather than a path: several lines, or one that names no file and reads like Solidity (found in
    review: a file called contract.sol, or one in a folder called library/, was compiled as source text)."""
    if "\n" in text:
        return True
    try:
        if Path(text).is_file():
            return False
    except (OSError, ValueError):  # (a name too long, or with a NUL byte)
        pass
    return bool(re.search(r"\b(pragma|contract|library|interface)\b", text))


def _absolute(path: Path) -> Path:
    """The path made absolute and normalised lexically, as solc normalises source unit names (no symlinks resolved:
    an import's unit name must be the importer's folder joined with the import, as solc computes it)."""
    return Path(os.path.normpath(path.absolute()))


@dataclass
class Sources:
    """What solc is given: {source unit name: text}, and remappings for imports that name a file otherwise."""

    units: dict[str, str]
    remappings: list[str] = field(default_factory=list)


def _remappings(remappings: Iterable[str]) -> list[tuple[str, str]]:
    """`prefix=target` remappings (foundry's remappings.txt lines, solc's without a context), longest prefix first.
    As solc does, an import starting with the prefix has it replaced by the target, as text (found in review: joined
    as paths, `@oz=lib/oz` made `@oz/token/A.sol` the absolute /token/A.sol); relative targets are from the current
    folder."""
    if isinstance(remappings, str):
        raise CompilerError(f"remappings is a list of prefix=target strings, not the string {remappings!r}")
    out = []
    for line in remappings:
        prefix, sep, target = str(line).strip().partition("=")
        if not sep or not prefix or not target or ":" in prefix:
            raise CompilerError(f"a remapping is prefix=target (no context:), not {line!r}")
        out.append((prefix, target))
    return sorted(out, key=lambda r: -len(r[0]))


def project_remappings() -> list[str]:
    """The remappings of ./remappings.txt (foundry's, in the project's root), or none where there is no such file.
    Read whenever files are compiled, so it must not fail compiles it has nothing to do with (found in review):
    foundry's context lines (`lib/x:@a/=...`, for another folder's imports) and comments are left out, and a line
    pvmkit cannot take is named with the file."""
    path = Path("remappings.txt")
    if not path.is_file():
        return []
    try:
        lines = [line.strip() for line in read_input(path, text=True).splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        raise CompilerError(f"cannot read ./remappings.txt: {getattr(e, 'strerror', None) or e}") from None
    out = []
    for line in lines:
        if not line or line.startswith(("#", "//")) or ":" in line.partition("=")[0]:
            continue
        try:
            _remappings([line])
        except CompilerError as e:
            raise CompilerError(f"./remappings.txt: {e}") from None
        out.append(line)
    return out


def _collect_sources(sources: Mapping[str, str] | str | Path | Iterable[Path | str],
                     remappings: Iterable[str] | None = None) -> Sources:  # fmt: skip
    """Normalise the accepted inputs into source units; pull the imports of files from disk.

    Every file read is one unit (found in review: the same file reached twice became two units, and two files'
    `./Lib.sol` one), named by its path from the folder that holds them all, so relative imports (`../interfaces/I.sol`
    included) name units as solc resolves them. Other imports (`lib/B.sol`) are relative to the folder holding the
    files given (solc's base path), from any file that imports them, unless a remapping's prefix starts them
    (`@openzeppelin/=lib/openzeppelin-contracts/`: its target instead of the prefix); where that differs from the
    unit's name, a remapping given to solc says so. No `remappings` (None): ./remappings.txt's, for files."""
    if isinstance(sources, Mapping):  # (solc applies the remappings to the units given: their targets name units)
        units = {str(k): str(v) for k, v in sources.items()}
        if not units:
            raise CompilerError("no sources given")
        return Sources(units, [f"{prefix}={target}" for prefix, target in _remappings(remappings or ())])
    if isinstance(sources, str) and not sources.strip():  # (found in review: "" read as the current folder's path)
        raise CompilerError("the source is empty: give Solidity text, a .sol file's path, or several")
    if isinstance(sources, str) and _looks_like_source(sources):
        if _remappings(remappings or ()):  # (its imports are not read from disk, so remapped ones could not be
            # found: found in review)
            raise CompilerError("remappings find imported files: give the source as a file's path, not its text")
        return Sources({"input.sol": sources})
    remaps = _remappings(project_remappings() if remappings is None else remappings)
    given = [Path(sources)] if isinstance(sources, str | Path) else [Path(p) for p in sources]
    if not given:
        raise CompilerError("no sources given")
    paths = [_absolute(p) for p in given]
    for p in paths:
        if not p.is_file():
            what = "no such Solidity file" if not p.exists() else "not a regular file (a directory, FIFO or device)"
            raise CompilerError(f"{what}: {p}")
    base = Path(os.path.commonpath([str(p.parent) for p in paths]))
    texts: dict[Path, str] = {}
    bare: dict[str, Path] = {}  # a non-relative import → the file it names
    queue = list(dict.fromkeys(paths))
    while queue:
        path = queue.pop()
        if path in texts:
            continue
        texts[path] = _read(path)
        for imp in _imports(texts[path]):
            relative = imp.startswith(("./", "../"))
            remap = None if relative else next((r for r in remaps if imp.startswith(r[0])), None)
            if remap is not None:
                candidate = _absolute(Path(remap[1] + imp[len(remap[0]) :]))
            else:
                candidate = _absolute((path.parent if relative else base) / imp)
            if not candidate.is_file():
                continue  # left to solc, which reports a clear "Source not found" error
            if not relative:
                bare[imp] = candidate
            queue.append(candidate)
    root = Path(os.path.commonpath([str(p.parent) for p in texts]))
    units = {p.relative_to(root).as_posix(): text for p, text in texts.items()}
    remappings = sorted(f"{imp}={unit}" for imp, target in bare.items()
                        if (unit := target.relative_to(root).as_posix()) != imp)  # fmt: skip
    return Sources(units, remappings)


# --------------------------------------------------------------------------------------------------------------------
# compiling


def _cache_key(units: Mapping[str, str], settings: Mapping[str, object]) -> str:
    payload = {
        "sources": dict(sorted(units.items())),
        "settings": settings,
        "resolc": RESOLC_VERSION,
        "solc": SOLC_VERSION,
        "driver": _DRIVER_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _run_driver(units: Mapping[str, str], settings: Mapping[str, object]) -> dict:
    folder = ensure_resolc()
    node = _node()
    request = json.dumps({"sources": dict(units), **settings})
    try:
        proc = subprocess.run(
            [node, str(folder / "pvmkit-driver.js")], input=request, capture_output=True, text=True, cwd=folder
        )
    except OSError as e:
        raise CompilerError(f"cannot run node: {e}") from None
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        tail = " | ".join(proc.stderr.strip().splitlines()[-5:]) or "no output"
        raise CompilerError(f"resolc driver failed (node exit {proc.returncode}): {tail}") from None
    if not result.get("ok"):
        errors = result.get("errors") or ["unknown compiler failure"]
        text = "\n".join(map(_once, errors))
        raise CompilerError("Solidity compilation failed:\n" + text + "".join(_hints(text)))
    return result


def _hints(errors: str) -> list[str]:
    """What pvmkit can add to resolc's and solc's words, where they do not say what to do (found in an audit with
    OpenZeppelin): an import that is not found, and a library that is not linked."""
    out = []
    missing = re.findall(r'Source "([^"]+)" not found', errors)
    if any(not path.startswith(("./", "../")) for path in missing):
        out.append("\n(an import that is not a relative path names a file under the folder of the files given, or "
                   "where a remapping says: remappings=[...], pvmkit compile --remap, or ./remappings.txt; sources "
                   "given as text or {name: text} are never read from disk)")
    if re.search(r"Library \S+ not found in the project", errors):
        out.append("\n(pvmkit gives an address to each library it finds declared as `library Name` in the sources, "
                   "and found no such declaration of this one; or make its functions internal, which inlines them)")
    return out


def _once(message: str) -> str:
    """resolc's message with its doubled tail said once (found in review: "Worker error: The contract `SD.sol:SD` ...
    is not supportedThe contract `SD.sol:SD` ... is not supported")."""
    head, sep, tail = message.partition("Worker error: ")
    half = len(tail) // 2
    if sep and half and len(tail) % 2 == 0 and tail[:half] == tail[half:]:
        return head + sep + tail[:half]
    return message


class Contracts(dict):
    """compile_solidity's result: a dict whose missing names say what there is (found in review: a bare KeyError for
    a name two files define, which only "File.sol:Name" picks)."""

    def __missing__(self, name: object) -> CompiledContract:
        ambiguous = sorted(k for k in self if isinstance(name, str) and k.endswith(f":{name}"))
        if ambiguous:
            raise KeyError(f"{name!r} is defined in more than one file: pick one of {', '.join(ambiguous)}")
        raise KeyError(f"no contract {name!r} with code (compiled: {', '.join(sorted(self)) or 'none'})")


def _build(result: dict, evm: bool) -> Contracts:
    warnings = tuple(result.get("warnings", ()))
    if evm and result.get("evm_errors"):  # (found in review: the EVM build's failure used to fail the PolkaVM one)
        warnings += ("the EVM build (solc) failed, so these contracts come without EVM bytecode (evm=False or "
                     "--no-evm skips it): " + result["evm_errors"][0],)  # fmt: skip
    out = Contracts()
    by_name: dict[str, list[CompiledContract]] = {}
    links, accounts = result.get("links") or {}, result.get("libraryAccounts") or {}
    for file, contracts in sorted(result["contracts"].items()):
        for name, c in sorted(contracts.items()):
            if not c["blob"]:
                continue  # interfaces and abstract contracts have no code
            blob = bytes.fromhex(c["blob"].removeprefix("0x"))
            code_hash = keccak256(blob)
            if c["hash"] and bytes.fromhex(c["hash"].removeprefix("0x")) != code_hash:
                raise CompilerError(
                    f"{file}:{name}: resolc's hash {c['hash']} is not keccak256(blob) {code_hash.hex()}"
                )
            deps = {bytes.fromhex(h.removeprefix("0x")): v for h, v in c["factoryDependencies"].items()}
            evm_code = _link_evm(c["evm"], c.get("evmLinks"), accounts) if evm and c.get("evm") else None
            cc = CompiledContract(
                name=name,
                source=file,
                blob=blob,
                abi=c["abi"],
                code_hash=code_hash,
                factory_deps=deps,
                evm_bytecode=evm_code,
                warnings=warnings,
                resolc_version=result.get("resolc_version", ""),
                solc_version=result.get("solc_version", ""),
                storage_layout=c.get("storageLayout") or None,
                signatures=tuple(c.get("methods") or ()),
            )
            out[f"{file}:{name}"] = cc
            by_name.setdefault(name, []).append(cc)
    for name, ccs in by_name.items():
        if len(ccs) == 1 and name not in out:
            out[name] = ccs[0]
    # Each carries the children it creates, as load_artifact's do, so that any Env deploys them (found in review: a
    # factory compiled by one Env and deployed on another lost them, and failed at the `new` with CodeNotFound).
    by_hash = {cc.code_hash: cc for cc in out.values()}
    for cc in out.values():
        children = tuple(by_hash[h] for h in cc.factory_deps if h in by_hash)
        object.__setattr__(cc, "dependencies", children)  # (a frozen dataclass, made here)
    linked: dict[str, LinkedLibrary] = {}
    for name in sorted({library for libraries in links.values() for library in libraries}):
        if name not in out or name not in accounts:
            raise CompilerError(f"{name} is linked but the build has no code or address for it")
        deployer, address = (bytes.fromhex(h) for h in accounts[name])
        linked[name] = LinkedLibrary(name, deployer, address, out[name])
    for name, libraries in links.items():
        if name not in out:  # (abstract: no code)
            continue
        order: list[LinkedLibrary] = []  # each library after those it calls (a cycle's order is any)
        pending, seen = [(library, False) for library in reversed(libraries)], set()
        while pending:
            library, done = pending.pop()
            if done:
                order.append(linked[library])
            elif library not in seen and library != name:
                seen.add(library)
                pending.append((library, True))
                pending.extend((inner, False) for inner in reversed(links.get(library, ())))
        object.__setattr__(out[name], "libraries", tuple(order))
    return out


def _link_evm(code: str, links: Mapping[str, Mapping[str, list[dict]]] | None,
              accounts: Mapping[str, list[str]]) -> bytes | None:  # fmt: skip
    """solc's creation code with each library's address written where its link references say: solc's own linking,
    done here because libraries in its settings would be in every contract's metadata, and so change the EVM code of
    contracts that call none. None where a library has no address (pvmkit did not find its declaration)."""
    text = code.removeprefix("0x")
    for file, names in (links or {}).items():
        for name, spots in names.items():
            account = accounts.get(f"{file}:{name}")
            if account is None:
                return None
            for spot in spots:  # (20-byte placeholders, at byte offsets)
                start = 2 * spot["start"]
                text = text[:start] + account[1] + text[start + 40 :]
    try:
        return bytes.fromhex(text)
    except ValueError:  # (a placeholder no link reference named)
        return None


def compile_solidity(
    sources: Mapping[str, str] | str | Path | list[Path],
    *,
    evm: bool = True,
    optimizer: str = "z",
    cache: bool = True,
    heap_size: int | None = None,
    stack_size: int | None = None,
    solc_optimizer: bool = True,
    remappings: Iterable[str] | None = None,
) -> dict[str, CompiledContract]:
    """Compile Solidity with resolc 0.3.0 (PVM) and, if `evm`, with solc 0.8.30 (EVM creation bytecode).

    `sources`: a path, a list of paths (relative imports are read from disk), Solidity text (unit name
    "input.sol"), or {unit name: text}. Returns {"File.sol:Name": contract} plus {"Name": contract} for every
    name that is unique across the files. Interfaces and abstract contracts (no code) are left out.
    `optimizer` is resolc's LLVM level: one of 0 1 2 3 s z; `solc_optimizer=False` turns solc's optimizer off for both
    builds (revive's specs do for code that uses `msize`, which the Yul optimizer refuses). `remappings`: foundry's
    `prefix=target` lines (`@openzeppelin/=lib/openzeppelin-contracts/`), targets from the current folder; None
    (the default): those of ./remappings.txt, if there is one and the sources are files (foundry's way).
    `heap_size` and `stack_size` (bytes) are resolc's memory configuration (its --heap-size, --stack-size): 0.3.0
    gives a contract a 64 KiB heap, Solidity's memory, and a 32 KiB stack, and traps where a contract needs more (a
    70,000-byte `new bytes`, or returning a 40,000-byte one, say).
    """
    if optimizer not in OPTIMIZER_MODES:
        raise CompilerError(f"optimizer must be one of {', '.join(OPTIMIZER_MODES)}, not {optimizer!r}")
    found = _collect_sources(sources, remappings)
    units = found.units
    settings: dict[str, object] = {"optimizer": optimizer, "evm": bool(evm)}
    if found.remappings:  # (only when needed: other builds keep their cache keys)
        settings["remappings"] = found.remappings
    memory = {name: _memory_size(name, size) for name, size in (("heap_size", heap_size), ("stack_size", stack_size))
              if size is not None}  # fmt: skip
    if memory:  # (only when given: the default's builds keep their cache keys)
        settings["memoryConfig"] = memory
    if evm:
        settings["evmSettings"] = EVM_SETTINGS
    if not solc_optimizer:  # (only when off: the default's builds keep their cache keys)
        settings["solcOptimizer"] = False
        if evm:
            settings["evmSettings"] = {**EVM_SETTINGS, "optimizer": {**EVM_SETTINGS["optimizer"], "enabled": False}}
    declared = _declared_libraries(units)
    accounts: dict[str, tuple[bytes, bytes]] = {}
    if declared:  # (only then: other builds keep their cache keys)
        # The addresses follow what the PolkaVM code depends on, not whether solc's EVM build is asked for too (found
        # in review: evm=False gave the same source other blobs).
        build = _cache_key(units, {k: v for k, v in settings.items() if k not in ("evm", "evmSettings")})
        accounts = {f"{file}:{name}": library_accounts(build, f"{file}:{name}")
                    for file, names in declared.items() for name in names}  # fmt: skip
        settings["libraries"] = {file: {name: "0x" + accounts[f"{file}:{name}"][1].hex() for name in names}
                                 for file, names in declared.items()}  # fmt: skip
    key = _cache_key(units, settings)
    path = _resolc_dir() / "builds" / f"{key}.json"
    if cache and path.is_file():
        try:
            return _build(json.loads(path.read_text()), evm)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, CompilerError):
            pass  # a corrupt or misshapen entry (found in review: `[]` raised AttributeError): recompile
    started = time.monotonic()
    try:
        result = _run_driver(units, settings)
    except CompilerError as e:
        if heap_size is not None and heap_size < 1024 and "panicked" in str(e):  # (found in review: heap_size=12)
            raise CompilerError(f"{e}\n(resolc's linker fails like this on some very small heaps: heap_size is "
                                f"{heap_size}; try a larger one, 65536 is its default)") from None  # fmt: skip
        raise
    result.setdefault("timings", {})["total"] = round(time.monotonic() - started, 3)
    asts = result.pop("asts", None)  # (not cached: what they tell is)
    if asts is not None:
        result["links"] = _library_links(asts)
        result["libraryAccounts"] = {name: [deployer.hex(), address.hex()] for name, (deployer, address) in
                                     accounts.items()}  # fmt: skip
    contracts = _build(result, evm)
    if cache:
        _store(path, result)
    return contracts


def _store(path: Path, result: dict) -> None:
    """Keep a build in the cache; a cache that cannot be written only costs the next compile (found in review: a
    finished compile was lost to a traceback)."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(result, f)
        os.replace(tmp_name, path)
    except OSError as e:
        warnings.warn(f"the build was not cached ({path.parent}: {e.strerror or e})", stacklevel=3)
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _memory_size(name: str, size: object) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size < 1 << 32:
        raise CompilerError(f"{name} is a number of bytes between 1 and 2^32 - 1, not {size!r}")
    return size


def children_listing(contract: CompiledContract) -> list[dict[str, str]]:
    """What `<name>.deps.json` holds (load_artifact's): the contracts it creates, by the names their files have in
    the folder, with the code hash it creates (checked when loaded)."""
    return [{"name": qualified.rsplit(":", 1)[-1], "code_hash": "0x" + code_hash.hex()}
            for code_hash, qualified in sorted(contract.factory_deps.items(), key=lambda item: item[1])]  # fmt: skip


_LISTING_KEYS = ("name", "qualified_name", "deployer", "address", "code_hash")


def libraries_listing(contract: CompiledContract) -> list[dict[str, str]]:
    """What `<name>.libs.json` holds (load_artifact's): the libraries the contract was linked to, in deploy order."""
    return [dict(zip(_LISTING_KEYS, (library.contract.name, library.qualified_name, "0x" + library.deployer.hex(),
                                     "0x" + library.address.hex(), "0x" + library.contract.code_hash.hex()),
                     strict=True)) for library in contract.libraries]  # fmt: skip


def _listed_library(entry: object) -> tuple[str, str, bytes, bytes, bytes] | None:
    """(name, qualified name, deployer, address, code hash) of a `<name>.libs.json` entry; None if it is not one."""
    if not isinstance(entry, dict) or set(entry) != set(_LISTING_KEYS) or not all(isinstance(v, str)
                                                                                  for v in entry.values()):  # fmt: skip
        return None
    name, qualified = entry["name"], entry["qualified_name"]
    try:
        deployer, address, code_hash = (bytes.fromhex(entry[k].removeprefix("0x")) for k in _LISTING_KEYS[2:])
    except ValueError:
        return None
    if not name or "/" in name or not qualified.endswith(f":{name}") or len(deployer) != 20 or len(code_hash) != 32 \
            or create1(deployer, 0) != address:  # fmt: skip
        return None
    return name, qualified, deployer, address, code_hash


def _load_libraries(folder: Path | Traversable, listed: Path | Traversable) -> tuple[LinkedLibrary, ...]:
    """The libraries `<name>.libs.json` lists, each loaded from `folder` (without its own: the list has them all) and
    checked to be the code the contract was linked to (found in review: a second build into the same folder replaced
    a library with one that calls another build's, and the first contract's calls failed with no reason)."""
    try:
        entries = json.loads(read_input(listed, text=True))
    except (OSError, ValueError) as e:
        raise ValueError(f"{listed} cannot be read as a list of linked libraries: {e}") from None
    found = [_listed_library(entry) for entry in (entries if isinstance(entries, list) else [None])]
    if any(entry is None for entry in found):
        raise ValueError(f"{listed} is not a list of linked libraries ({', '.join(_LISTING_KEYS)}, the address the "
                         "deployer's first CREATE)")  # fmt: skip
    libraries = []
    for name, qualified, deployer, address, code_hash in found:  # type: ignore[misc]
        try:
            contract = load_artifact(folder, name, _libraries=False)
        except OSError as e:
            raise ValueError(f"{listed} lists the library {qualified}, whose files are not in the folder "
                             f"({e.strerror or e})") from None  # fmt: skip
        if contract.code_hash != code_hash:
            raise ValueError(f"{listed} was linked to library {qualified} with code 0x{code_hash.hex()}, but "
                             f"{name}.polkavm there is 0x{contract.code_hash.hex()} (another build's): compile the "
                             "contract and its libraries into this folder together")  # fmt: skip
        libraries.append(LinkedLibrary(qualified, deployer, address, contract))
    return tuple(libraries)


def load_artifact(folder: str | Path | Traversable, name: str, _loading: tuple[str, ...] = (),
                  _libraries: bool = True) -> CompiledContract:  # fmt: skip
    """A contract saved as `<name>.polkavm` + `<name>.abi.json` (+ optional EVM bytecode in hex, `<name>.evm.hex` or
    `pvmkit compile`'s `<name>.evm.bin`) in `folder`, with the contracts it creates (`pvmkit compile`'s
    `<name>.deps.json`, their names) and the libraries it was linked to (`<name>.libs.json`), loaded from there too:
    deploy_contract uploads and deploys them with it; and its storage layout, `<name>.storage.json`, if there is
    one."""
    if isinstance(folder, str):
        folder = Path(folder)
    blob = read_input(folder / f"{name}.polkavm")
    abi = json.loads(read_input(folder / f"{name}.abi.json", text=True))
    children: list[CompiledContract] = []
    listed = folder / f"{name}.deps.json"
    if listed.is_file():
        entries = json.loads(read_input(listed, text=True))
        # Each a name, or (since libraries made a child's code differ from build to build) a name and the code hash
        # the contract creates: a child another build wrote into the folder is refused (found in review).
        names = [e["name"] if isinstance(e, dict) and set(e) == {"name", "code_hash"} else e
                 for e in (entries if isinstance(entries, list) else [None])]  # fmt: skip
        if not all(isinstance(n, str) and n and "/" not in n for n in names):
            raise ValueError(f"{listed} is not a JSON list of contract names (or of names and code hashes)")
        for child in names:  # (a contract cannot create itself, but a hand-edited list can say so: found in review)
            if child == name or child in _loading:
                raise ValueError(f"{listed} names {child!r}, which creates {name!r}: a cycle of contracts creating "
                                 "each other")  # fmt: skip
        children = [load_artifact(folder, child, (*_loading, name)) for child in names]
        for entry, child in zip(entries, children, strict=True):
            if isinstance(entry, dict) and entry["code_hash"] != "0x" + child.code_hash.hex():
                raise ValueError(f"{listed}: {name} creates {child.name} with code {entry['code_hash']}, but "
                                 f"{child.name}.polkavm there is 0x{child.code_hash.hex()} (another build's): compile "
                                 "them into this folder together")  # fmt: skip
    evm = None
    for suffix in (".evm.hex", ".evm.bin"):
        evm_hex = folder / f"{name}{suffix}"
        if evm_hex.is_file():
            evm = bytes.fromhex(read_input(evm_hex, text=True).strip().removeprefix("0x"))
            break
    layout = None
    stored = folder / f"{name}.storage.json"
    if stored.is_file():
        layout = json.loads(read_input(stored, text=True))
        if not isinstance(layout, dict) or not isinstance(layout.get("storage"), list):
            raise ValueError(f"{stored} is not a storage layout (a JSON object with a `storage` list)")
    linked = folder / f"{name}.libs.json"
    libraries = _load_libraries(folder, linked) if _libraries and linked.is_file() else ()
    return CompiledContract(name=name, source=f"{name}.sol", blob=blob, abi=abi, code_hash=keccak256(blob),
                            factory_deps={c.code_hash: c.qualified_name for c in children}, evm_bytecode=evm,
                            dependencies=tuple(children), storage_layout=layout, libraries=libraries)  # fmt: skip


def unique_contracts(contracts: Mapping[str, CompiledContract]) -> list[CompiledContract]:
    """The distinct contracts of a `compile_solidity` result (it lists most twice), in (source, name) order."""
    seen = {c.qualified_name: c for c in contracts.values()}
    return [seen[k] for k in sorted(seen)]


# --------------------------------------------------------------------------------------------------------------------
# CLI


@click.command("compile")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Where to write <Name>.polkavm, <Name>.abi.json (and <Name>.evm.bin, .deps.json, .storage.json, "
    ".libs.json).",
)
@click.option("--evm/--no-evm", default=True, show_default=True, help="Also write solc's EVM creation bytecode (hex).")
@click.option(
    "-O", "--optimizer", type=click.Choice(OPTIMIZER_MODES), default="z", show_default=True, help="resolc LLVM level."
)
@click.option("--no-cache", is_flag=True, help="Always run the compiler (do not read or write the build cache).")
@click.option("--heap-size", type=click.IntRange(1, (1 << 32) - 1), metavar="BYTES",
              help="The contracts' heap: Solidity's memory (resolc 0.3.0's default: 65536).")  # fmt: skip
@click.option("--stack-size", type=click.IntRange(1, (1 << 32) - 1), metavar="BYTES",
              help="The contracts' PVM stack (resolc 0.3.0's default: 32768).")  # fmt: skip
@click.option("--remap", "remaps", multiple=True, metavar="PREFIX=TARGET",
              help="An import remapping, foundry's way (repeatable); without any, ./remappings.txt if there is one.")
def compile_command(sources: tuple[Path, ...], output_dir: Path, evm: bool, optimizer: str, no_cache: bool,
                    heap_size: int | None, stack_size: int | None, remaps: tuple[str, ...]) -> None:  # fmt: skip
    """Compile Solidity SOURCES with resolc 0.3.0 into PolkaVM blobs (installs resolc via npm on first use)."""
    remappings = list(remaps) or None  # (None: ./remappings.txt, if there is one)
    try:
        contracts = compile_solidity(list(sources), evm=evm, optimizer=optimizer, cache=not no_cache,
                                     heap_size=heap_size, stack_size=stack_size, remappings=remappings)  # fmt: skip
    except CompilerError as e:
        raise click.ClickException(str(e)) from None
    built = unique_contracts(contracts)
    for warning in dict.fromkeys(w for c in built for w in c.warnings):  # (found in review: never shown)
        click.echo(warning.strip() if warning.lstrip().startswith("Warning") else f"Warning: {warning.strip()}",
                   err=True)  # fmt: skip
    if not built:
        raise click.ClickException(f"no contract with code in {', '.join(map(str, sources))} (only interfaces, "
                                   "abstract contracts or libraries?)")  # fmt: skip
    named: dict[str, str] = {}
    for c in built:  # (found in review: a second Foo overwrote the first's files)
        if c.name in named:
            raise click.ClickException(f"{named[c.name]} and {c.qualified_name} would both be written as {c.name}.*: "
                                       "compile them into different folders")  # fmt: skip
        named[c.name] = c.qualified_name
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise click.ClickException(f"cannot create the output folder {output_dir}: {e.strerror or e}") from None
    for c in built:
        outputs = [(f"{c.name}.polkavm", c.blob), (f"{c.name}.abi.json", json.dumps(c.abi, indent=2) + "\n")]
        if evm and c.evm_bytecode is not None:
            outputs.append((f"{c.name}.evm.bin", c.evm_bytecode.hex() + "\n"))
        if c.factory_deps:
            outputs.append((f"{c.name}.deps.json", json.dumps(children_listing(c), indent=1) + "\n"))
        if c.storage_layout is not None:
            outputs.append((f"{c.name}.storage.json", json.dumps(c.storage_layout, indent=1) + "\n"))
        if c.libraries:
            outputs.append((f"{c.name}.libs.json", json.dumps(libraries_listing(c), indent=1) + "\n"))
        for name, data in outputs:
            path = output_dir / name
            try:
                path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
            except OSError as e:
                raise click.ClickException(f"cannot write {path}: {e.strerror or e}") from None
        for stale in (output_dir / f"{c.name}.evm.bin", output_dir / f"{c.name}.deps.json",
                      output_dir / f"{c.name}.storage.json", output_dir / f"{c.name}.libs.json"):  # fmt: skip
            if not any(name == stale.name for name, _ in outputs):  # (found in review: load_artifact paired an old
                try:  # build's EVM code with the new blob)
                    stale.unlink()
                except FileNotFoundError:
                    pass
                except OSError as e:
                    raise click.ClickException(f"cannot remove the stale {stale}: {e.strerror or e}") from None
        click.echo(f"{c.qualified_name}: {len(c.blob):,} bytes, code hash 0x{c.code_hash.hex()}")

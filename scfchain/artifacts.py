"""The compiled contracts the package deploys: ABI and bytecode of the deployable system.

`make setup` builds them (`tools/toolchain.py`: npm solc, viaIR, the settings recorded in the file) into
`scfchain/data/contracts.json`, which the wheel ships as package data, so an installed package deploys with no
compiler, node or npm. In a checkout the file is checked against the sources it was built from (a fingerprint of
every contract source, the OpenZeppelin release and the compiler settings): stale artifacts are rebuilt through the
checkout's toolchain, or refused with one line naming `make setup` where that toolchain is missing — never used.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .toolchain import ROOT, ToolchainError

ARTIFACTS = "data/contracts.json"  # inside the package
# Everything the artifacts are built from, relative to the checkout: the contract sources, OpenZeppelin's release
# (its package.json pins its sources) and the compiler driver with its settings.
SOURCES_DIR = "contracts"
INPUTS = ("node_modules/@openzeppelin/contracts/package.json", "tools/toolchain.py")

Artifacts = dict[str, dict[str, Any]]  # {ContractName: {"abi": [...], "bytecode": "0x..."}}
_loaded: dict[str, Artifacts] = {}  # fingerprint -> contracts: read once per process


def artifacts_path() -> Path:
    """Where the package keeps its compiled contracts (in a checkout: scfchain/data/contracts.json)."""
    return Path(__file__).resolve().parent / ARTIFACTS


def checkout_root() -> Path | None:
    """The project checkout this package runs from (editable install or PYTHONPATH), None when installed."""
    if (ROOT / SOURCES_DIR).is_dir() and (ROOT / "tools" / "toolchain.py").is_file():
        return ROOT
    return None


def fingerprint(root: Path) -> str:
    """A hash of what the artifacts are built from in the checkout at `root` (names and contents)."""
    h = hashlib.sha256()
    files = sorted((root / SOURCES_DIR).rglob("*.sol")) + [root / name for name in INPUTS]
    for path in files:
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"(missing)")
        h.update(b"\0")
    return h.hexdigest()


def read_json(path: Path) -> Any:
    """The JSON at `path` (an artifacts file, the toolchain's compile cache); None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return None  # half-written by a crashed build: treated as absent


def load() -> Artifacts:
    """`{ContractName: {"abi": [...], "bytecode": "0x..."}}` of the deployable system, fresh from its sources."""
    path = artifacts_path()
    root = checkout_root()
    if root is None:  # an installed package: what it shipped with
        if "installed" not in _loaded:
            data = read_json(path)
            if data is None:
                raise ToolchainError(f"this scfchain has no compiled contracts ({path} is missing): build the "
                                     "package from a checkout after `make setup`")
            _loaded["installed"] = data["contracts"]
        return _loaded["installed"]
    current = fingerprint(root)
    if current not in _loaded:
        data = read_json(path)
        if data is None or data.get("fingerprint") != current:
            data = _rebuild(root, path, current, missing=data is None)
        _loaded[current] = data["contracts"]
    return _loaded[current]


def _rebuild(root: Path, path: Path, current: str, missing: bool) -> dict[str, Any]:
    """Runs the checkout's `tools/toolchain.py` (what `make setup` runs); one line on any failure."""
    what = "are not built" if missing else "are older than the contract sources"
    if not (root / "node_modules" / "solc").is_dir():
        raise ToolchainError(f"the compiled contracts ({path.relative_to(root)}) {what} and the compiler is not "
                             "installed: run `make setup`")
    proc = subprocess.run([sys.executable, str(root / "tools" / "toolchain.py")], cwd=root, capture_output=True,
                          text=True, check=False)
    data = read_json(path)
    if proc.returncode != 0 or data is None or data.get("fingerprint") != current:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolchainError(f"the compiled contracts {what} and rebuilding them failed ({last}): run `make setup`")
    return data

"""The dev toolchain's compiler: the contracts compiled with npm `solc` (wasm) behind `tools/solc.js`, without brownie.

`python tools/toolchain.py` (run by `make setup`) writes the package's artifacts, `scfchain/data/contracts.json`
(ABI and bytecode of the deployable system, with the fingerprint of what they were built from), which
`scfchain.artifacts` loads and the wheel ships. `compile_contracts()` gives every contract, test contracts included
(for the tests and benchmarks), cached in build/scfchain by the same fingerprint. The settings match
brownie-config.yaml so the package and brownie deploy the same code.
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scfchain.artifacts import artifacts_path, fingerprint, read_json  # noqa: E402
from scfchain.constants import SYSTEM  # noqa: E402
from scfchain.toolchain import ToolchainError  # noqa: E402

CONTRACTS_DIR = ROOT / "contracts"
SOLC_JS = ROOT / "tools" / "solc.js"
SOLC_PACKAGE = ROOT / "node_modules" / "solc" / "package.json"
CACHE_DIR = ROOT / "build" / "scfchain"

SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 10000},
    "remappings": ["@openzeppelin/contracts=node_modules/@openzeppelin/contracts"],
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # whole or not at all: readers never see half a file


def compile_contracts(force: bool = False) -> dict[str, dict[str, Any]]:
    """Compiles contracts/ and returns `{ContractName: {"abi": [...], "bytecode": "0x..."}}` of every contract."""
    cache = CACHE_DIR / f"artifacts-{fingerprint(ROOT)[:16]}.json"
    cached = None if force else read_json(cache)
    if cached is not None:
        return cached
    if not SOLC_JS.exists() or not SOLC_PACKAGE.exists():
        raise ToolchainError("the Solidity compiler is not installed: run `make setup`")
    sources = {str(p.relative_to(ROOT)): p for p in sorted(CONTRACTS_DIR.rglob("*.sol"))}
    request = {
        "language": "Solidity",
        "sources": {name: {"content": path.read_text()} for name, path in sources.items()},
        "settings": SETTINGS,
    }
    proc = subprocess.run(
        ["node", str(SOLC_JS), "--standard-json", "--base-path", str(ROOT)],
        input=json.dumps(request).encode(),
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise ToolchainError(f"solc failed: {proc.stderr.decode().strip()[:500]}")
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise ToolchainError("compilation failed: " + errors[0].get("formattedMessage", str(errors[0])))
    artifacts: dict[str, dict[str, Any]] = {}
    for contracts in output["contracts"].values():
        for name, data in contracts.items():
            artifacts[name] = {"abi": data["abi"], "bytecode": "0x" + data["evm"]["bytecode"]["object"]}
    _write(cache, artifacts)
    return artifacts


def build_artifacts() -> tuple[Path, bool]:
    """Writes the package's artifacts unless they are fresh; returns (their path, whether they were rebuilt).
    One process at a time builds (a lock in build/scfchain); the others then find the file fresh."""
    out = artifacts_path()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / "artifacts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = fingerprint(ROOT)
        data = read_json(out)
        if data is not None and data.get("fingerprint") == current:
            out.touch()  # for make: the target is up to date with its newer-looking inputs
            return out, False
        everything = compile_contracts()
        missing = [name for name in SYSTEM if name not in everything]
        if missing:
            raise ToolchainError(f"the compiler output has no {', '.join(missing)}")
        _write(out, {
            "fingerprint": current,
            "solc": json.loads(SOLC_PACKAGE.read_text())["version"],
            "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
            "contracts": {name: everything[name] for name in SYSTEM},
        })
        return out, True


def main() -> int:
    try:
        out, rebuilt = build_artifacts()
    except ToolchainError as exc:
        print(f"toolchain: {exc}", file=sys.stderr)
        return 1
    print(f"{'built' if rebuilt else 'up to date:'} {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

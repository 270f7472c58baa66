"""Where the project's toolchain lives, and compiling the contracts without brownie.

The compiler is npm `solc` (wasm) behind `tools/solc.js`; the settings match brownie-config.yaml so the
library and brownie deploy the same code. Artifacts are cached by a hash of every source read.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = ROOT / "contracts"
OZ_DIR = ROOT / "node_modules" / "@openzeppelin" / "contracts"
SOLC_JS = ROOT / "tools" / "solc.js"
ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
HARDHAT_CLI = ROOT / "node_modules" / "hardhat" / "internal" / "cli" / "cli.js"
CACHE_DIR = ROOT / "build" / "scfchain"

SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 10000},
    "remappings": ["@openzeppelin/contracts=node_modules/@openzeppelin/contracts"],
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
}


class ToolchainError(RuntimeError):
    """The compiler or a local node (Anvil, Hardhat) is missing or failed."""


def anvil_path() -> str:
    """The Anvil binary: the npm one of this checkout, else one on PATH."""
    if ANVIL_BIN.exists():
        return str(ANVIL_BIN)
    found = shutil.which("anvil")
    if not found:
        raise ToolchainError("anvil not found: run `make setup` (npm @foundry-rs/anvil)")
    return found


def hardhat_cli() -> str:
    """Hardhat's command-line entry point (npm `hardhat@2`, run with node) in this checkout."""
    if not HARDHAT_CLI.exists():
        raise ToolchainError("hardhat not found: run `make setup` (npm hardhat@2)")
    return str(HARDHAT_CLI)


def _sources() -> dict[str, Path]:
    return {str(p.relative_to(ROOT)): p for p in sorted(CONTRACTS_DIR.rglob("*.sol"))}


def _source_hash(sources: dict[str, Path]) -> str:
    h = hashlib.sha256(json.dumps(SETTINGS, sort_keys=True).encode())
    for name, path in sources.items():
        h.update(name.encode())
        h.update(path.read_bytes())
    # OpenZeppelin's version pins its sources.
    package = OZ_DIR / "package.json"
    if package.exists():
        h.update(package.read_bytes())
    return h.hexdigest()[:16]


def compile_contracts(force: bool = False) -> dict[str, dict[str, Any]]:
    """Compiles contracts/ and returns `{ContractName: {"abi": [...], "bytecode": "0x..."}}`."""
    sources = _sources()
    cache = CACHE_DIR / f"artifacts-{_source_hash(sources)}.json"
    if cache.exists() and not force:
        return json.loads(cache.read_text())
    if not SOLC_JS.exists() or not (ROOT / "node_modules" / "solc").exists():
        raise ToolchainError("the Solidity compiler is not installed: run `make setup`")
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
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(artifacts))
    os.replace(tmp, cache)
    return artifacts

"""The compiled contracts in a checkout are never used stale: built from other sources than the checkout's, they
are rebuilt through the checkout's toolchain before use, or, without a compiler, refused in one line naming
`make setup` with nothing deployed. Each test runs on a copy of the checkout (package, contracts, toolchain)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scfchain import Anvil, connect
from scfchain.artifacts import artifacts_path, fingerprint
from scfchain.artifacts import load as checkout_artifacts

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _copy(tmp: Path, compiler: bool) -> Path:
    """A checkout with the same inputs as this one; with the compiler (all of node_modules) or only OpenZeppelin."""
    co = tmp / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "scfchain", co / "scfchain", ignore=ignore)
    shutil.copytree(ROOT / "contracts", co / "contracts")
    (co / "tools").mkdir()
    for name in ("toolchain.py", "solc.js"):
        shutil.copy(ROOT / "tools" / name, co / "tools" / name)
    if compiler:
        (co / "node_modules").symlink_to(ROOT / "node_modules")
    else:
        (co / "node_modules" / "@openzeppelin").mkdir(parents=True)
        (co / "node_modules" / "@openzeppelin" / "contracts").symlink_to(ROOT / "node_modules" / "@openzeppelin"
                                                                         / "contracts")
    return co


def _python(co: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=co, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(co), **env})


def test_artifactsBuiltFromOtherSources_areRebuiltBeforeUse(tmp_path):
    real = checkout_artifacts()
    co = _copy(tmp_path, compiler=True)
    assert fingerprint(co) == fingerprint(ROOT)
    # the compiler's cache of this checkout's sources comes along: the rebuild needs no 45 s compile
    cache = f"artifacts-{fingerprint(ROOT)[:16]}.json"
    (co / "build" / "scfchain").mkdir(parents=True)
    shutil.copy(ROOT / "build" / "scfchain" / cache, co / "build" / "scfchain" / cache)
    stale = co / "scfchain" / "data" / "contracts.json"
    stale.write_text(json.dumps({"fingerprint": "0" * 64, "contracts": {n: {"abi": [], "bytecode": "0x00"}
                                                                          for n in real}}))
    r = _python(co, "import json; from scfchain import artifacts; print(json.dumps(artifacts.load()))")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == real
    rebuilt = json.loads(stale.read_text())
    assert rebuilt["fingerprint"] == fingerprint(ROOT) and rebuilt["contracts"] == real
    assert rebuilt["settings"]["viaIR"] is True


def test_revert_sourceChanged_withoutCompiler_oneLineNamingMakeSetup_nothingDeployed(tmp_path):
    co = _copy(tmp_path, compiler=False)
    shutil.copy(artifacts_path(), co / "scfchain" / "data" / "contracts.json")
    fresh = _python(co, "from scfchain import artifacts; print(sorted(artifacts.load()))")
    assert fresh.returncode == 0 and "LoanDesk" in fresh.stdout, fresh.stderr  # the same sources: used as built
    source = co / "contracts" / "token" / "ReceivableCertificate.sol"
    source.write_text(source.read_text() + "\n// an edit after the build\n")
    with Anvil() as anvil:
        r = subprocess.run([sys.executable, "-m", "scfchain.apps.cli", "deploy", "--rpc-url", anvil.url, "--out",
                            str(tmp_path / "dep.json")], cwd=co, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(co), "SCFCHAIN_PRIVATE_KEY": ANVIL_KEY})
        assert r.returncode == 1
        assert r.stderr.strip() == ("scfchain: the compiled contracts (scfchain/data/contracts.json) are older than "
                                    "the contract sources and the compiler is not installed: run `make setup`")
        w3 = connect(anvil.url)
        assert w3.eth.get_transaction_count(w3.eth.accounts[0]) == 0 and w3.eth.block_number == 0
    assert not (tmp_path / "dep.json").exists()

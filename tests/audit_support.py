"""Shared by the audit tests: an embedded Anvil with the scripted lifecycle, indexed once, and a way to
call `scfchain audit …` as a subprocess (what an auditor runs)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from web3 import Web3

from scfchain import Anvil
from tests.audit_scenario import run_scenario

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")


def start(tmp: Path, scenario: Any = run_scenario) -> tuple[Anvil, dict[str, Any]]:
    anvil = Anvil().start()
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        s = scenario(w3)
        s["w3"], s["url"], s["tmp"] = w3, anvil.url, tmp
        s["deployment"] = str(s["dep"].save(tmp / "deployment.json"))
        s["db"] = str(tmp / "audit.sqlite")
        code, out, err = audit(s, "index", "--confirmations", "0", "--json")
        assert code == 0, err
        s["index"] = json.loads(out)
        return anvil, s
    except BaseException:
        anvil.stop()
        raise


def audit(s: dict[str, Any], *args: str, db: str | None = None, rpc: bool = True,
          deployment: str | None = None) -> tuple[int, str, str]:
    """Runs `scfchain audit ARGS --deployment … [--rpc-url …] --db …`: (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
    cmd = [SCFCHAIN, "audit", *args, "--deployment", deployment or s["deployment"], "--db",
           f"sqlite:///{db or s['db']}"]
    if rpc:
        cmd += ["--rpc-url", s["url"]]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr.strip()


def ok_json(s: dict[str, Any], *args: str, **kw: Any) -> Any:
    code, out, err = audit(s, *args, "--json", **kw)
    assert code == 0, err
    return json.loads(out)


def copy_db(s: dict[str, Any], name: str) -> str:
    """A copy of the indexed database to tamper with (after a checkpoint, so the copy is complete)."""
    db = sqlite3.connect(s["db"])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    path = str(s["tmp"] / name)
    shutil.copy(s["db"], path)
    return path


def dump(path: str) -> tuple[list[tuple[Any, ...]], dict[str, str]]:
    """Everything in an index: its event rows in order and its meta (the wall-clock free parts)."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT * FROM events ORDER BY block, log_index").fetchall()
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    db.close()
    return rows, meta


def raw_logs(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Every log of the six contracts, straight from the node."""
    dep = s["dep"]
    reply = s["w3"].provider.make_request("eth_getLogs", [{
        "fromBlock": hex(dep.block), "toBlock": "latest", "address": [c["address"] for c in dep.contracts.values()]}])
    return reply["result"]

"""Shared by the audit tests: an embedded Anvil with the scripted lifecycle, indexed once per database
engine (the `backend` fixture: SQLite files, and a PostgreSQL server the suite starts), and a way to call
`scfchain audit …` as a subprocess (what an auditor runs)."""
from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from scfchain import Anvil
from scfchain.audit import Store
from tests.audit_scenario import run_scenario
from scfchain.pgserver import PgServer

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostgreSQL server for the whole run, started on first use."""
    cluster = PgServer(durable=False).start()
    yield cluster
    cluster.stop()


class SqliteFiles:
    """Index databases as SQLite files in a temporary folder (the interface of PgServer)."""
    name = "sqlite"

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self._names = itertools.count(1)

    def new(self, name: str = "db") -> str:
        return f"sqlite:///{self.tmp / f'{name}-{next(self._names)}.sqlite'}"

    def copy(self, url: str, name: str = "copy") -> str:
        """A copy of the database at `url` (after a checkpoint, so the copy is complete)."""
        path = url[len("sqlite:///"):]
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        target = self.new(name)
        shutil.copy(path, target[len("sqlite:///"):])
        return target


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory):
    """Where a test's indexes live: every audit test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return SqliteFiles(tmp_path_factory.mktemp("sqlite"))
    return request.getfixturevalue("pg_cluster")


def start(tmp: Path, scenario: Any = run_scenario) -> tuple[Anvil, dict[str, Any]]:
    """An Anvil with the scripted lifecycle and its deployment file (not indexed: see `indexed`)."""
    anvil = Anvil().start()
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        s = scenario(w3)
        s["w3"], s["url"], s["tmp"] = w3, anvil.url, tmp
        s["deployment"] = str(s["dep"].save(tmp / "deployment.json"))
        return anvil, s
    except BaseException:
        anvil.stop()
        raise


def indexed(chain: dict[str, Any], backend: Any) -> dict[str, Any]:
    """The scenario `chain` indexed into a new database of `backend` (s["db"], its URL)."""
    s = dict(chain, backend=backend, db=backend.new("audit"))
    code, out, err = audit(s, "index", "--confirmations", "0", "--json")
    assert code == 0, err
    s["index"] = json.loads(out)
    return s


def scenario_fixtures(folder: str, scenario: Any = run_scenario, chain: str = "chain",
                      indexed_as: str = "s") -> tuple[Any, Any]:
    """A test module's two fixtures, assigned at its top: `chain` (an Anvil with `scenario` run once for the
    module, stopped after it) and `indexed_as` (that chain indexed on each database engine, see `indexed`)."""

    @pytest.fixture(scope="module", name=chain)
    def chain_fixture(tmp_path_factory: Any) -> Any:
        anvil, s = start(tmp_path_factory.mktemp(folder), scenario)
        yield s
        anvil.stop()

    @pytest.fixture(scope="module", name=indexed_as)
    def indexed_fixture(request: Any, backend: Any) -> dict[str, Any]:
        return indexed(request.getfixturevalue(chain), backend)

    return chain_fixture, indexed_fixture


def audit(s: dict[str, Any], *args: str, db: str | None = None, rpc: bool = True,
          deployment: str | None = None) -> tuple[int, str, str]:
    """Runs `scfchain audit ARGS --deployment … [--rpc-url …] --db …`: (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
    where = db or s["db"]
    cmd = [SCFCHAIN, "audit", *args, "--deployment", deployment or s["deployment"], "--db",
           where if "://" in where else f"sqlite:///{where}"]
    if rpc:
        cmd += ["--rpc-url", s["url"]]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr.strip()


def ok_json(s: dict[str, Any], *args: str, **kw: Any) -> Any:
    code, out, err = audit(s, *args, "--json", **kw)
    assert code == 0, err
    return json.loads(out)


def copy_db(s: dict[str, Any], name: str) -> str:
    """A copy of the indexed database to tamper with."""
    return s["backend"].copy(s["db"], name)


def dump(url: str) -> tuple[list[tuple[Any, ...]], dict[str, str]]:
    """Everything in an index: its event rows in order and its meta (the wall-clock free parts)."""
    with Store(url, create=False) as store:
        rows = [tuple(r) for r in store.query("SELECT * FROM events ORDER BY block, log_index")]
        meta = store.meta()
    return rows, meta


def sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Runs one statement (`?` marks) on an index of either engine, as a tamperer or a reader would."""
    with Store(url, create=False) as store:
        cur = store.execute(statement, params)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


def raw_logs(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Every log of the six contracts, straight from the node."""
    dep = s["dep"]
    reply = s["w3"].provider.make_request("eth_getLogs", [{
        "fromBlock": hex(dep.block), "toBlock": "latest", "address": [c["address"] for c in dep.contracts.values()]}])
    return reply["result"]

"""`scfchain audit index`: every event stored once, decoded; resumable (an interrupted run completed by a
second equals one run); the unconfirmed tail fetched again; a node that refuses wide ranges and omits
block times; the worker-process path; one-line errors."""
import importlib
import json
import signal
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from scfchain.audit import Store, index, load
from scfchain.audit.events import Decoder
from scfchain.audit.index import Indexer
from scfchain.errors import ScfError
from scfchain.rpc import Rpc
from tests.audit_support import (SCFCHAIN, audit, backend, dump, ok_json, pg_cluster, raw_logs,  # noqa: F401
                                 scenario_fixtures)
from tests.http_stub import JsonHandler, serve

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

index_module = importlib.import_module("scfchain.audit.index")  # the module (the package exports the function)


chain, s = scenario_fixtures("audit-index")


def test_index_storesEveryLogDecoded(s):
    logs = raw_logs(s)
    assert s["index"]["total_events"] == len(logs) == s["index"]["stored"]
    assert s["index"]["to_block"] == s["final_block"] == s["index"]["final_block"]
    rows, meta = dump(s["db"])
    assert [(r[0], r[1]) for r in rows] == [(int(l["blockNumber"], 16), int(l["logIndex"], 16)) for l in logs]
    assert [r[2] for r in rows] == [l["transactionHash"] for l in logs]
    decoder = Decoder(s["dep"])
    for row, log in zip(rows, logs):
        spec, args = decoder.decode(log)
        assert (row[5], row[6], json.loads(row[7])) == (spec.contract, spec.name, args)
        assert row[4] == int(log["blockTimestamp"], 16)
    assert meta["chainId"] == "31337" and meta["decimals"] == "2" and meta["symbol"] == "dCNY"
    names = [r[6] for r in rows]
    assert names.count("ReceivableIssued") == 3 and names.count("CertificateSplit") == 3
    assert names.count("Financed") == 2 and names.count("Repaid") == 4 and names.count("DefaultDeclared") == 1


def test_index_secondRunFetchesOnlyNewBlocks(s, tmp_path):
    db = s["backend"].new("again")
    first = ok_json(s, "index", "--confirmations", "0", db=db)
    again = ok_json(s, "index", "--confirmations", "0", db=db)
    assert again["stored"] == 0 and again["chunks"] == 0 and again["total_events"] == first["total_events"]
    assert dump(db)[0] == dump(s["db"])[0]
    rebuilt = ok_json(s, "index", "--confirmations", "0", "--rebuild", db=db)
    assert rebuilt["stored"] == rebuilt["total_events"] == first["total_events"]
    assert dump(db)[0] == dump(s["db"])[0]


def test_index_keepsTheUnconfirmedTailProvisional(s, tmp_path):
    db = s["backend"].new("tail")
    head = s["final_block"]
    first = ok_json(s, "index", "--confirmations", "5", db=db)
    assert first["final_block"] == head - 5
    tail = sum(1 for l in raw_logs(s) if int(l["blockNumber"], 16) > head - 5)
    assert tail > 0
    # The next run drops what the last five blocks held and fetches it again.
    again = ok_json(s, "index", "--confirmations", "5", db=db)
    assert again["dropped"] == tail and again["stored"] == tail and again["from_block"] == head - 4
    assert dump(db)[0] == dump(s["db"])[0]


@pytest.mark.parametrize("prefetch", [True, False], ids=["prefetch-thread", "serial"])
def test_index_interruptedHalfWay_resumesToTheSameDatabase(s, tmp_path, prefetch):
    node = Rpc(s["url"])
    whole_db, part_db = s["backend"].new("whole"), s["backend"].new("part")
    whole = Store(whole_db)
    Indexer(node, s["dep"], whole, confirmations=0, chunk=3).run()
    whole.close()

    calls = []

    def interrupt(progress):
        calls.append(progress.done_to)
        if len(calls) == 4:
            raise KeyboardInterrupt

    part = Store(part_db)
    ix = Indexer(node, s["dep"], part, confirmations=0, chunk=3, progress=interrupt)
    ix.fixed, ix.parallel, ix.prefetch = True, False, prefetch
    with pytest.raises(KeyboardInterrupt):
        ix.run()
    stored_at_stop = part.count()
    assert 0 < stored_at_stop < len(dump(whole_db)[0])
    assert part.get_int("fetched_to") == calls[-1] < s["final_block"]
    resumed = Indexer(node, s["dep"], part, confirmations=0, chunk=3).run()
    assert resumed.from_block == calls[-1] + 1
    part.close()
    assert dump(part_db) == dump(whole_db)


def test_index_cliToBlockThenRest_equalsOneRun(s, tmp_path):
    db = s["backend"].new("halves")
    half = s["final_block"] // 2
    first = ok_json(s, "index", "--confirmations", "0", "--to-block", str(half), db=db)
    assert first["to_block"] == half
    ok_json(s, "index", "--confirmations", "0", db=db)
    assert dump(db) == dump(s["db"])


def test_index_workerProcesses_storeTheSameRows(s, tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)  # every answer goes to the worker processes
    db = s["backend"].new("workers")
    store = Store(db)
    ix = Indexer(Rpc(s["url"]), s["dep"], store, confirmations=0, chunk=4)
    ix.parallel, ix.workers, ix.parallel_after = True, 2, 0  # whatever the machine's core count
    ix.prefetch = False  # no answer fetched ahead in a thread: every one after the first goes to the workers
    result = ix.run()
    store.close()
    assert result.chunks > 3
    assert dump(db) == dump(s["db"])


class Proxy(JsonHandler):
    """Handler of a node in front of Anvil (`upstream`, a client of it: `node`); subclasses change what passes
    through."""
    upstream = ""
    node: Rpc


@contextmanager
def proxy(handler, upstream):
    """Serves `handler` in front of `upstream` on a free local port; yields its URL."""
    handler.upstream, handler.node = upstream, Rpc(upstream)
    with serve(handler) as url:
        yield url


class Refusing(Proxy):
    """A node in front of Anvil that refuses eth_getLogs over more than 4 blocks and leaves the block
    time off logs, like many public endpoints."""
    refused = 0

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        calls = body if isinstance(body, list) else [body]
        replies = []
        for c in calls:
            if c["method"] == "eth_getLogs":
                f = c["params"][0]
                if int(f["toBlock"], 16) - int(f["fromBlock"], 16) + 1 > 4:
                    type(self).refused += 1
                    replies.append({"jsonrpc": "2.0", "id": c["id"],
                                    "error": {"code": -32005, "message": "query exceeds max block range 4"}})
                    continue
            r = self.node.post(c)
            if c["method"] == "eth_getLogs":
                for log in r.get("result", []):
                    log.pop("blockTimestamp", None)
            replies.append(r)
        self.reply(json.dumps(replies if isinstance(body, list) else replies[0]).encode())


def test_index_nodeRefusingWideRanges_shrinksTheChunk(s, tmp_path):
    Refusing.refused = 0
    with proxy(Refusing, s["url"]) as url:
        db = s["backend"].new("refused")
        store = Store(db)
        result = index(Rpc(url), s["dep"], store, confirmations=0, chunk=64)
        store.close()
    assert result.refused >= 4 and Refusing.refused == result.refused  # 64 -> 32 -> 16 -> 8 -> 4
    assert dump(db)[0] == dump(s["db"])[0]  # block times read from headers


def test_index_errorsAreOneLine(s, tmp_path):
    code, out, err = audit(s, "index", rpc=False)
    assert (code, err) == (1, "scfchain: audit index needs --rpc-url")
    code, out, err = audit(s, "trace", "1", rpc=False, db=s["backend"].new("none"))
    assert code == 1 and err.startswith("scfchain: no audit index at ") and "run `scfchain audit index` first" in err
    other = tmp_path / "other.json"
    data = json.loads(open(s["deployment"]).read())
    data["contracts"]["ReceivableCertificate"]["address"] = "0x" + "11" * 20
    other.write_text(json.dumps(data))
    code, out, err = audit(s, "index", deployment=str(other))
    assert code == 1 and "indexes another deployment" in err and "\n" not in err
    r = subprocess.run([SCFCHAIN, "audit", "trace", "1", "--deployment", s["deployment"], "--db", "mysql://x/y"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.strip() == ("scfchain: --db must be sqlite:///PATH (an embedded SQLite "
                                                      "file) or postgresql://USER[:PASS]@HOST:PORT/DB, got 'mysql://x/y'")
    r = subprocess.run([SCFCHAIN, "audit", "index", "--deployment", s["deployment"], "--rpc-url",
                        "http://127.0.0.1:9", "--db", f"sqlite:///{tmp_path}/x.sqlite"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("scfchain: node unreachable at http://127.0.0.1:9")


def test_index_replaysToTheScriptState(s):
    with Store(s["db"]) as store:
        ledger = load(store)
    assert sorted(ledger.certs) == list(range(1, 8))
    assert {r: ledger.roots[r].status for r in s["roots"]} == {1: "paid", 5: "defaulted", 7: "paid"}


class Stalling(Proxy):
    """Anvil behind a link that stalls: a request whose eth_getLogs all start after block 5 waits until the test
    opens `gate`, so the indexer is surely mid-run (blocks up to 5 or a little more stored, the next ranges in
    flight) when Ctrl-C comes. (A batch that also asks for earlier blocks passes: holding it would stall the
    indexer before block 5.)"""
    gate = threading.Event()

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.loads(raw)
        starts = [int(c["params"][0]["fromBlock"], 16) for c in (body if isinstance(body, list) else [body])
                  if c.get("method") == "eth_getLogs"]
        if starts and min(starts) > 5:
            self.gate.wait(60)
        self.reply(self.node.post_raw(raw))


def test_index_cliInterruptedByCtrlC_resumesToTheSameDatabase(s, tmp_path):
    db = s["backend"].new("ctrl-c")
    Stalling.gate = threading.Event()
    with proxy(Stalling, s["url"]) as url:
        proc = subprocess.Popen([SCFCHAIN, "audit", "index", "--deployment", s["deployment"], "--db", db,
                                 "--rpc-url", url, "--chunk", "2", "--confirmations", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                # as from a terminal: a test run started in the background (`cmd &` in a script)
                                # passes SIGINT down ignored, and Python then never raises KeyboardInterrupt
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until blocks up to 5 are stored, then press Ctrl-C
            if (fetched_to(db) or 0) >= 5:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        # The interrupt lands first (the CLI says so on stderr); only then may the held request finish, and the
        # process exit. Until that line, the stalled link keeps the indexer from reaching the chain's end.
        said = []
        for line in proc.stderr:
            said.append(line)
            if line.strip() == "scfchain: interrupted":
                break
        Stalling.gate.set()
        out, err = proc.communicate(timeout=60)
        err = "".join(said) + err
    assert proc.returncode == 130 and err.strip().endswith("scfchain: interrupted"), err
    stopped_at = fetched_to(db)
    assert 5 <= stopped_at < s["final_block"]
    again = ok_json(s, "index", "--confirmations", "0", db=db)
    assert again["from_block"] == stopped_at + 1
    assert dump(str(db)) == dump(s["db"])


def fetched_to(db):
    """The index's cursor as another reader sees it while the indexer writes (None before it exists)."""
    try:
        with Store(db, create=False) as store:
            return store.get_int("fetched_to")
    except ScfError:
        return None


def test_index_answerReader_matchesTheJsonParser(s):
    dep = s["dep"]
    raw = Rpc(s["url"]).post_raw({"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [{
        "fromBlock": hex(dep.block), "toBlock": "latest", "address": [c["address"] for c in dep.contracts.values()]}]})
    decoder = Decoder(dep)
    logs = json.loads(raw)["result"]
    assert index_module.rows_from_answer(decoder, raw) == index_module.decode_rows(decoder, logs)
    # another node's key order (or spacing) is read by the JSON parser instead, with the same rows
    other = json.dumps({"jsonrpc": "2.0", "id": 1, "result": [dict(reversed(list(log.items()))) for log in logs]},
                       indent=1).encode()
    assert index_module.rows_from_answer(decoder, other) == index_module.decode_rows(decoder, logs)


def test_index_answerSplitForTheWorkers_holdsTheSameLogsInOrder(s):
    """The halves of an answer the two worker processes get are JSON answers whose logs, one after the other,
    are the answer's (json's reading of it); an answer in another key order is left whole."""
    dep = s["dep"]
    raw = Rpc(s["url"]).post_raw({"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [{
        "fromBlock": hex(dep.block), "toBlock": "latest", "address": [c["address"] for c in dep.contracts.values()]}]})
    logs = json.loads(raw)["result"]
    assert len(logs) > 3
    for n in (2, 3):
        parts = index_module.split_answer(raw, n)
        assert len(parts) == n
        assert [log for part in parts for log in json.loads(part)["result"]] == logs
    other = json.dumps({"result": [dict(reversed(list(log.items()))) for log in logs]}).encode()
    assert index_module.split_answer(other, 2) == [other]


def test_index_finalBlockHashFromTheAnswer_isTheNodesHash(s):
    """The hash the index keeps for its last final block, read from a log of that block in the answer (in
    Anvil's key order or another), is the block's hash as eth_getBlockByNumber gives it; None without a log."""
    dep = s["dep"]
    rpc = Rpc(s["url"])
    raw = rpc.post_raw(rpc.request("eth_getLogs", [{"fromBlock": hex(dep.block), "toBlock": "latest",
                                                     "address": [c["address"] for c in dep.contracts.values()]}]))
    logs = json.loads(raw)["result"]
    other = json.dumps({"result": [dict(reversed(list(log.items()))) for log in logs]},
                       separators=(",", ":")).encode()
    with_logs = sorted({int(l["blockNumber"], 16) for l in logs})
    assert len(with_logs) > 3
    for n in with_logs:
        expected = rpc.block(n)["hash"]
        assert index_module._block_hash_in(raw, n) == expected == index_module._block_hash_in(other, n)
    assert index_module._block_hash_in(raw, max(with_logs) + 1) is None


def test_index_readersWorkWhileTheIndexerWrites(s):
    """An analyst's export runs against the index while the indexer is mid-run (its next ranges in flight),
    and sees a consistent prefix: every event up to the cursor, none beyond."""
    db = s["backend"].new("busy")
    Stalling.gate = threading.Event()
    with proxy(Stalling, s["url"]) as url:
        proc = subprocess.Popen([SCFCHAIN, "audit", "index", "--deployment", s["deployment"], "--db", db,
                                 "--rpc-url", url, "--chunk", "2", "--confirmations", "0", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while (fetched_to(db) or 0) < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            stored_to = fetched_to(db)
            code, out, err = audit(s, "export", "--format", "json", db=db, rpc=False)
            assert code == 0, err
            assert proc.poll() is None  # the indexer was still at work
        finally:
            Stalling.gate.set()
            out_index, err_index = proc.communicate(timeout=120)
    assert proc.returncode == 0, err_index
    exported = json.loads(out)
    whole = dump(s["db"])[0]
    assert 0 < len(exported) <= len(whole)
    assert [(e["block"], e["logIndex"]) for e in exported] == [(r[0], r[1]) for r in whole[:len(exported)]]
    assert len(exported) >= sum(1 for r in whole if r[0] <= stored_to)  # everything stored when it started
    assert dump(db)[0] == whole


def test_index_unreachablePostgres_oneLineWithoutThePassword(s):
    r = subprocess.run([SCFCHAIN, "audit", "trace", "1", "--deployment", s["deployment"], "--db",
                        "postgresql://auditor:s3cret@127.0.0.1:9/audit"], capture_output=True, text=True)
    err = r.stderr.strip()
    assert r.returncode == 1 and "\n" not in err and "s3cret" not in err
    assert err.startswith("scfchain: cannot open the audit index postgresql://auditor:***@127.0.0.1:9/audit: ")

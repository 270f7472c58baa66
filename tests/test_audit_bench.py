"""The index benchmark at a small size (10,000 and 100,000 certificates are `make bench`): it builds the chain
it claims with the load's pipeline (checked against the node: nextId(), the receivables issued), and indexes
into SQLite and PostgreSQL exactly the logs the node returns for the deployment (row by row)."""
import json
from contextlib import ExitStack

import pytest
from eth_utils import keccak

from scfchain import Anvil
from tools.bench_audit import ENGINES, TARGET, Databases, main, raw_fetch, run
from scfchain.deploy import load_deployment
from scfchain.rpc import Rpc
from tests.audit_support import dump, pg_cluster  # noqa: F401

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

# The event's topic from its signature (SPEC), not from the code under test.
TOPIC_ISSUED = "0x" + keccak(text="ReceivableIssued(uint256,address,address,uint256,uint64,bytes32)").hex()


class Recorded(Databases):
    """The benchmark's databases, each one's URL kept so that the test can read what was indexed."""

    def __init__(self, *args):
        super().__init__(*args)
        self.urls: dict[str, str] = {}

    def new(self, engine):
        store = super().new(engine)
        self.urls[engine] = store.url
        return store


def test_bench_smallRun_indexesTheChainItBuilt(pg_cluster, tmp_path):
    """A chain of 50 receivables down four tiers, on a node of the test's own: its figures against the node
    (nextId(), eth_getLogs over the deployment's contracts in one call) and each engine's index, row by row,
    against those logs."""
    with Anvil(accounts=2 + 8 * 6) as node, ExitStack() as stack:
        dbs = Recorded(stack, pg_cluster.new("bench"), ENGINES)
        f = run(certificates=200, rounds=1, url=node.url, say=lambda _m: None, databases=dbs)
        rpc = Rpc(node.url)
        dep = load_deployment(dbs.tmp / "deployment-200.json")
        certificates = dep.contracts["ReceivableCertificate"]["address"]
        next_id = int(rpc.call("eth_call", [{"to": certificates, "data": "0x" + keccak(text="nextId()")[:4].hex()},
                                            "latest"]), 16)
        logs = rpc.call("eth_getLogs", [{"fromBlock": hex(dep.block), "toBlock": "latest",
                                         "address": [c["address"] for c in dep.contracts.values()]}])
        issued = [log for log in logs if log["topics"][0] == TOPIC_ISSUED]
        assert (f["certificates"], f["receivables"]) == (200, 50) == (next_id - 1, len(issued))
        assert f["logs"] == len(logs)
        assert set(f["engines"]) == set(ENGINES) == set(dbs.urls)
        for engine, url in dbs.urls.items():
            rows, _meta = dump(url)
            assert [(r[0], r[1], r[2]) for r in rows] == [
                (int(log["blockNumber"], 16), int(log["logIndex"], 16), log["transactionHash"]) for log in logs], engine
            e = f["engines"][engine]
            assert e["chunks"] >= 1 and e["index_seconds"] > 0 and e["raw_getlogs_seconds"] > 0
        # The raw fetch counts what the node returns over any cover of the span: block by block, or in two halves.
        addresses = [c["address"] for c in dep.contracts.values()]
        head = int(rpc.call("eth_blockNumber"), 16)
        assert raw_fetch(node.url, addresses, [(b, b) for b in range(dep.block, head + 1)])[0] == len(logs)
        middle = (dep.block + head) // 2
        assert raw_fetch(node.url, addresses, [(dep.block, middle), (middle + 1, head)])[0] == len(logs)
    assert f["target"] == TARGET == 0.9
    assert f["ok"] == all(e["index_vs_raw"] >= 0.9 for e in f["engines"].values())


def test_bench_cli_writesFigures(tmp_path, capsys):
    out = tmp_path / "audit.json"
    code = main(["--certificates", "200,400", "--rounds", "1", "--engines", "sqlite", "--out", str(out)])
    figures = json.loads(out.read_text())
    assert code == (0 if figures["ok"] else 1)
    assert [f["certificates"] for f in figures["sizes"]] == [200, 400]
    assert set(figures["seconds_per_10k_certificates"]["sqlite"]) == {"200", "400"}
    printed = capsys.readouterr().out
    assert "audit index benchmark: 200 certificates" in printed and "index rate / raw rate" in printed
    assert "cost per 10,000 certificates: sqlite " in printed


def test_bench_failedTransaction_namesItAndWhy(monkeypatch):
    """A chain the benchmark cannot build stops with the transaction and its decoded reason."""
    import pytest

    from scfchain.abi import Calls
    from scfchain.errors import ScfError

    data = Calls.data

    def zero_face(self, contract, name, *args):  # issue(supplier, 0, …) is sent (the pipeline does not estimate)
        args = (args[0], 0, *args[2:]) if name == "issue" else args  # and reverts
        return data(self, contract, name, *args)

    monkeypatch.setattr(Calls, "data", zero_face)
    with pytest.raises(ScfError) as err:
        run(certificates=40, rounds=1, say=lambda _m: None, engines=("sqlite",))
    message = str(err.value)
    assert message.startswith("10 of 10 transactions reverted; the first, 0x")
    assert "(issue from 0x" in message and "InvalidFaceValue" in message, message

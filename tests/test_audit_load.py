"""The auditor toolkit on a chain made by `scfchain load` (pipelined receivables across supply-chain
lanes), from the deployment file it writes."""
import json
import subprocess

import pytest

from scfchain import Anvil, load_deployment
from scfchain.audit.events import Decoder
from scfchain.rpc import Rpc
from tests.audit_support import ROOT, SCFCHAIN, audit, backend, ok_json, pg_cluster  # noqa: F401

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


@pytest.fixture(scope="module")
def load_chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit-load")
    with Anvil(accounts=2 + 4 * 5) as anvil:  # four lanes of a core enterprise, three tiers and a factor
        r = subprocess.run([SCFCHAIN, "load", "--receivables", "40", "--tiers", "3", "--rpc-url", anvil.url,
                            "--out", str(tmp / "deployment.json"), "--json"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        yield {"url": anvil.url, "tmp": tmp, "deployment": str(tmp / "deployment.json"), "load": json.loads(r.stdout)}


@pytest.fixture(scope="module")
def loaded(load_chain, backend):
    return dict(load_chain, db=backend.new("a"))


def test_decoderArg_isTheWholeDecodesArgument_onEveryLogOfTheLoad(load_chain):
    """`Decoder.arg` (one argument decoded alone, as the load reads its ids) gives what `Decoder.args` gives, for
    every argument of every log of the deployment on the load's chain (every event kind the load emits)."""
    decoder = Decoder(load_deployment(load_chain["deployment"]))
    logs = Rpc(load_chain["url"]).call("eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}])
    names = set()
    for log in logs:
        decoded = decoder.decode(log)
        if decoded is None:
            continue
        names.add(decoded[0].name)
        for name, value in decoded[1].items():
            assert decoder.arg(log, name) == value, (decoded[0].name, name)
    assert {"ReceivableIssued", "CertificateSplit", "LoanRequested", "Financed", "Claimed", "LoanSettled"} <= names
    with pytest.raises(KeyError):
        decoder.arg(logs[-1], "noSuchArgument")


def test_load_indexVerifyTrace(loaded):
    idx = ok_json(loaded, "index")
    assert idx["total_events"] > 40 * 5
    v = ok_json(loaded, "verify")
    assert v["ok"], [n for n, c in v["checks"].items() if not c["ok"]]
    assert v["roots"] == 40 and v["certificates"] == 40 * 3  # each receivable split down to tier 3
    # a loan against each root: 20 repaid before the receivable, 20 settled after it by the desk
    assert v["checks"]["loan-state"]["checked"] == 40 and v["checks"]["inv7-loan-custody"]["checked"] == 40
    t = ok_json(loaded, "trace", "1", rpc=False)
    depth, node = 1, t["tree"]
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    assert depth == 3 and node["financings"] and node["payouts"]
    code, out, err = audit(loaded, "report", "--out", str(loaded["tmp"] / "report"))
    assert code == 0, err
    assert (loaded["tmp"] / "report" / "report.md").read_text().count("```mermaid") == 40

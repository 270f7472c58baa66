"""The tooling on a second node implementation, Hardhat Network (npm `hardhat@2`), as on Anvil: `scfchain deploy`
with a Hardhat dev key, a lifecycle and a loan through the CLI, the demo, a small load, and `scfchain audit index`
+ `verify`. One Hardhat node for the module; what differs between the nodes is handled in the library."""
import json
import os
import sqlite3
import subprocess

import pytest
from eth_account import Account

from scfchain import Chain, ContractError, HardhatNode, Scf, ScfError, connect, load_deployment
from scfchain.abi import Calls
from scfchain.constants import DAY
from scfchain.apps.load import GAS, Pipeline
from tests.test_cli_actions import ROOT, SCFCHAIN, cli, ok

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

# Hardhat's first dev account (the same mnemonic as Anvil's): funded on every fresh Hardhat Network.
HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def run(*args, key=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
    if key:
        env["SCFCHAIN_PRIVATE_KEY"] = key
    return subprocess.run([SCFCHAIN, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def audit(url, deployment, db, *args):
    r = run("audit", *args, "--deployment", str(deployment), "--db", f"sqlite:///{db}", "--rpc-url", url, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def hardhat():
    with HardhatNode() as node:
        w3 = connect(node.url)
        assert w3.client_version.lower().startswith("hardhatnetwork")  # the node under test is Hardhat's
        yield {"url": node.url, "w3": w3, "acc": w3.eth.accounts}


@pytest.fixture(scope="module")
def node(hardhat, tmp_path_factory):
    """A deployment made with `scfchain deploy` and a Hardhat dev key (the shape `cli`/`ok` take)."""
    path = tmp_path_factory.mktemp("hardhat-dep") / "deployment.json"
    r = run("deploy", "--rpc-url", hardhat["url"], "--out", str(path), key=HARDHAT_KEY)
    assert r.returncode == 0, r.stderr
    assert HARDHAT_KEY[2:] not in r.stdout + r.stderr
    dep = json.loads(path.read_text())
    assert dep["chainId"] == 31337 and dep["deployer"] == Account.from_key(HARDHAT_KEY).address
    return {**hardhat, "dep": str(path)}


@pytest.fixture(scope="module")
def lived(node):
    """The deployment after the whole lifecycle through the CLI (asserted step by step): the tests that read its
    events or rely on its members and credit ask for this, so each also runs alone."""
    _lifecycle_through_cli(node)
    return node


def test_deploy_andLifecycle_throughCli(lived):
    assert Scf(Chain(lived["w3"]), load_deployment(lived["dep"])).loan(1).state == "settled"


def _lifecycle_through_cli(node):
    w3 = node["w3"]
    op, core, t1, t2, bank, factor, clearing = node["acc"][:7]
    for who, role in ((core, "CORE_ENTERPRISE"), (t1, "SUPPLIER"), (t2, "SUPPLIER"), (bank, "FINANCIER"),
                      (factor, "FINANCIER"), (clearing, "CLEARING")):
        assert ok(node, "onboard", who, role, f"member {role}", sender=op) == {"account": who, "role": role}
    assert ok(node, "credit-line", core, "1000000", sender=bank) == {"creditLimit": 1000000}
    now = w3.eth.get_block("latest")["timestamp"]
    root = ok(node, "issue", t1, "10000", str(now + 30 * DAY), "INV-1", sender=core)["rootId"]
    assert root == 1
    assert ok(node, "split", str(root), "--to", f"{t2},{t2}", "--amounts", "3000,2000", sender=t1)["childIds"] == [2, 3]
    ok(node, "transfer", t1, "3", "500", sender=t2)
    assert ok(node, "show", t2)["holdings"] == {"2": 3000, "3": 1500}
    scf = Scf(Chain(w3), load_deployment(node["dep"]))
    scf.mint(op, factor, 10**6)
    scf.mint(op, core, 10**6)
    offer = ok(node, "offer", core, "500", "50000", "100", str(now + 10 * DAY), sender=factor)["offerId"]
    proceeds = ok(node, "finance", str(offer), "2", "1000", sender=t2)["proceeds"]
    assert 0 < proceeds < 1000 and scf.token_balance(t2) == proceeds
    assert scf.balance(factor, 2) == 1000  # the financier holds the units it bought
    # a revert is decoded from Hardhat's answer as from Anvil's: one line, exit 1, nothing sent
    code, _, err = cli(node, "split", "2", "--to", t1, "--amounts", "999999", sender=t2)
    assert (code, err) == (1, f"scfchain: ERC1155InsufficientBalance: holder {t2} has 2000, needs 999999 of "
                              "certificate 2")
    assert scf.balance(t2, 2) == 2000

    # a loan against t1's remainder of the root (5000 units): requested, funded, repaid in part, settled
    loan_id = ok(node, "request-loan", str(root), "4000", "3000", "1000", "--lender", factor, sender=t1)["loanId"]
    assert scf.loan(loan_id).state == "requested" and scf.balance(scf.loan_desk.address, root) == 4000
    assert ok(node, "fund-loan", str(loan_id), sender=factor) == {"loanId": loan_id, "principal": 3000}
    assert scf.token_balance(t1) == 3000
    w3.provider.make_request("evm_increaseTime", [10 * DAY])
    w3.provider.make_request("evm_mine", [])
    repaid = ok(node, "repay-loan", str(loan_id), "1000", sender=t1)
    assert repaid["repaid"] == 1000 and repaid["remainingDebt"] == scf.debt(loan_id)
    assert 2000 < repaid["remainingDebt"] < 3000  # ten days of interest paid first

    w3.provider.make_request("evm_increaseTime", [25 * DAY])  # past maturity
    w3.provider.make_request("evm_mine", [])
    assert ok(node, "repay", str(root), "4000", sender=core) == {"totalPaid": 4000}
    assert ok(node, "repay", str(root), "6000", sender=core) == {"totalPaid": 10000}
    debt = scf.debt(loan_id)
    before = scf.token_balance(factor), scf.token_balance(t1)
    settled = ok(node, "settle-loan", str(loan_id), sender=clearing)
    assert settled == {"loanId": loan_id, "payout": 4000, "toLender": debt, "toBorrower": 4000 - debt}
    assert (scf.token_balance(factor) - before[0], scf.token_balance(t1) - before[1]) == (debt, 4000 - debt)
    assert scf.loan(loan_id).state == "settled"
    assert ok(node, "claim", "1", "3", sender=t1) == {"payout": 1000 + 500}  # its 1000 unpledged and 500 of 3
    assert ok(node, "settle", "--ids", "2,3,2", "--holders", f"{t2},{t2},{factor}", sender=clearing) == {
        "payout": 2000 + 1500 + 1000}  # t2: 2000 of 2 (after selling 1000) and 1500 of 3; the factor 1000 of 2
    assert scf.token_balance(scf.escrow.address) == 0


def test_auditIndexAndVerify_onCliLifecycle(lived, tmp_path):
    node = lived
    idx = audit(node["url"], node["dep"], tmp_path / "a.sqlite", "index", "--confirmations", "0")
    raw = node["w3"].provider.make_request("eth_getLogs", [{
        "fromBlock": "0x0", "toBlock": "latest",
        "address": [c["address"] for c in json.loads(open(node["dep"]).read())["contracts"].values()]}])["result"]
    assert idx["total_events"] == len(raw)  # every log of the deployment, once
    # Hardhat's logs carry no blockTimestamp: each row's time is still its block's
    rows = sqlite3.connect(tmp_path / "a.sqlite").execute("SELECT DISTINCT block, time FROM events").fetchall()
    assert rows and all(t == node["w3"].eth.get_block(b)["timestamp"] for b, t in rows)
    assert "blockTimestamp" not in raw[0]  # (the difference this covers)
    v = audit(node["url"], node["dep"], tmp_path / "a.sqlite", "verify")
    assert v["ok"], [n for n, c in v["checks"].items() if not c["ok"]]
    assert v["roots"] == 1 and v["certificates"] == 3


def test_demo_onHardhat_recordAndAudit(hardhat, tmp_path):
    r = run("demo", "--rpc-url", hardhat["url"], "--out", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout)
    assert json.loads((tmp_path / "demo.json").read_text())["payouts"] == record["payouts"]
    paid, defaulted = record["receivables"]
    assert paid["status"] == "paid" and paid["recovered"] == paid["faceValue"] == 1_000_000_00
    assert defaulted["status"] == "defaulted" and defaulted["recovered"] == 400_000_00
    assert paid["paidOut"] == paid["recovered"] and defaulted["paidOut"] == defaulted["recovered"]
    assert record["liveUnits"] == 0 and record["balances"]["escrow"] == 0
    assert record["balances"]["loanDesk"] == 0 and record["balances"]["loanDeskUnits"] == 0
    # the figures are the chain's: the escrow's payouts to the record's holders, read back
    dep = load_deployment(tmp_path / "deployment.json")
    scf = Scf(Chain(hardhat["w3"]), dep)
    assert scf.certificate(paid["rootId"]).status == "paid"
    assert scf.certificate(defaulted["rootId"]).status == "defaulted"
    db = tmp_path / "demo.sqlite"
    audit(hardhat["url"], tmp_path / "deployment.json", db, "index", "--confirmations", "0")
    v = audit(hardhat["url"], tmp_path / "deployment.json", db, "verify")
    assert v["ok"] and v["roots"] == 2 and v["certificates"] == 6


def test_load_onHardhat_checksHold_andAuditVerifies(hardhat, tmp_path):
    r = run("load", "--receivables", "8", "--tiers", "3", "--rpc-url", hardhat["url"], "--out",
            str(tmp_path / "deployment.json"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["checks"] and all(out["checks"].values()) and len(out["checks"]) == 7
    # 8 issues, 2 splits each, 8 sales, 8 loan requests and fundings, 4 early loan repayments, 8 repayments,
    # 4 settlements, and the claims
    assert out["receivables"] == 8 and out["transactions"] > 8 * 8
    db = tmp_path / "load.sqlite"
    idx = audit(hardhat["url"], tmp_path / "deployment.json", db, "index", "--confirmations", "0")
    assert idx["total_events"] > 8 * 5
    v = audit(hardhat["url"], tmp_path / "deployment.json", db, "verify")
    assert v["ok"], [n for n, c in v["checks"].items() if not c["ok"]]
    assert v["roots"] == 8 and v["certificates"] == 8 * 3
    assert v["checks"]["loan-state"]["checked"] == 8


def test_revert_whenMinedAfterEstimate_isDecoded_andTheNextSendWorks(node):
    """A transaction sent without an estimate (gas given) that reverts in its block: Hardhat answers the send with
    an error, Anvil with a hash whose receipt failed; the library says the same decoded line for both."""
    t2 = node["acc"][3]
    scf = Scf(Chain(node["w3"]), load_deployment(node["dep"]))
    before = node["w3"].eth.get_transaction_count(t2)
    with pytest.raises(ContractError) as err:
        scf.chain.transact(scf.certificates.functions.split(999, [node["acc"][2]], [1]), t2, "split", gas=300_000)
    assert str(err.value) == "UnknownCertificate: certificate 999 does not exist"
    assert node["w3"].eth.get_transaction_count(t2) == before + 1  # it was mined: the nonce is spent
    scf.chain.transact(scf.certificates.functions.setApprovalForAll(scf.desk.address, True), t2, "approve")
    assert scf.certificates.functions.isApprovedForAll(t2, scf.desk.address).call()


def test_pipeline_revertedTransactions_nameTheFirstAndWhy(lived):
    """The load's pipeline on reverts (issue with a face value of 0): the count, the first one and its decoded
    reason, read by tracing it (Hardhat has only the default tracer)."""
    node = lived
    core, t1 = node["acc"][1], node["acc"][2]
    scf = Scf(Chain(node["w3"]), load_deployment(node["dep"]))
    cert = scf.certificates.address
    pipe = Pipeline(node["url"], 10**9, decoder=scf.chain.decoder)
    maturity = scf.now() + 30 * DAY
    # core is onboarded with a credit line by the lifecycle (one node and deployment for the module)
    abi = Calls(scf.deployment.contracts)
    txs = [(core, cert, abi.data("ReceivableCertificate", "issue", t1, 0, maturity, bytes([i]) * 32), GAS["issue"])
           for i in (7, 8)]
    with pytest.raises(ScfError) as err:
        pipe.run(txs, scf.decoder.topic(cert, "ReceivableIssued"))
    message = str(err.value)
    assert message.startswith("2 of 2 transactions reverted; the first, 0x"), message
    assert f"(issue from {core} to {cert})" in message and "InvalidFaceValue" in message, message

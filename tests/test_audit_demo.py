"""The auditor toolkit on the chain the demo leaves (`scfchain demo --rpc-url URL`), from its deployment
file alone: everything verifies, and the audit tells the demo's story back."""
import json
import subprocess

import pytest

from scfchain import Anvil
from tests.audit_support import ROOT, SCFCHAIN, audit, backend, ok_json, pg_cluster  # noqa: F401

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


@pytest.fixture(scope="module")
def demo_chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit-demo")
    with Anvil() as anvil:
        r = subprocess.run([SCFCHAIN, "demo", "--rpc-url", anvil.url, "--out", str(tmp), "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        yield {"url": anvil.url, "tmp": tmp, "deployment": str(tmp / "deployment.json"), "record": json.loads(r.stdout)}


@pytest.fixture(scope="module")
def demo(demo_chain, backend):
    s = dict(demo_chain, db=backend.new("a"))
    code, out, err = audit(s, "index")
    assert code == 0, err
    return s


def test_demo_verifies(demo):
    v = ok_json(demo, "verify")
    assert v["ok"] and v["roots"] == 2 and v["certificates"] == 6


def test_demo_discountedTier2Certificate(demo):
    rec = demo["record"]
    fin = rec["financing"]
    t = ok_json(demo, "trace", str(fin["certId"]), rpc=False)
    assert [a["id"] for a in t["ancestry"]] == fin["lineage"][::-1][:-1]
    node = t["tree"]
    assert node["tier"] == 2
    (f,) = node["financings"]
    assert (f["amount"], f["proceeds"], f["offerRateBps"]) == (fin["amount"], fin["proceeds"], fin["rateBps"])
    assert f["financierName"] == "Bank of Chengdu"
    assert f["sellerName"] == "Deyang Wiring"


def test_demo_loanOnTier3Certificate_traceAndCredit(demo):
    """The pledge, the repayment on demand and the waterfall at settlement, told back from the events alone."""
    loan = demo["record"]["loan"]
    t = ok_json(demo, "trace", str(loan["certId"]), rpc=False)
    assert [a["id"] for a in t["ancestry"]] == loan["lineage"][::-1][:-1] and t["tree"]["tier"] == 3
    (x,) = t["tree"]["loans"]
    assert (x["loanId"], x["state"], x["units"], x["principal"]) == (loan["loanId"], "settled", loan["units"],
                                                                     loan["principal"])
    assert (x["borrowerName"], x["lenderName"]) == ("Leshan Household Appliances", "Tianfu Financing Guarantee Co.")
    assert [(r["amount"], r["remainingDebt"]) for r in x["repayments"]] == [
        (loan["repaidOnDemand"]["amount"], loan["repaidOnDemand"]["remainingDebt"])]
    st = loan["settlement"]
    assert x["waterfall"] == {"payout": st["payout"], "debt": st["debt"], "toLender": st["toLender"],
                              "toBorrower": st["toBorrower"], "shortfall": 0}
    record = ok_json(demo, "credit", loan["borrower"], rpc=False)["loans"]["asBorrower"]
    assert (record["borrowed"], record["repaidBeforeMaturity"], record["repaidByClearing"]) == (
        loan["principal"], loan["repaidOnDemand"]["amount"], st["toLender"])
    assert record["shortfallToLenders"] == 0 and record["debtNow"] == 0


def test_demo_debtorProfile(demo):
    rec = demo["record"]
    core = rec["actors"]["Sichuan Tech Co."]
    d = ok_json(demo, "credit", core, rpc=False)["debtor"]
    assert d["receivables"] == 2 and d["defaults"] == 1
    second = rec["receivables"][1]
    assert d["coveredByGuarantees"] == second["covered"]
    records = {r["rootId"]: r for r in d["records"]}
    assert records[second["rootId"]]["recovered"] == second["recovered"]
    payouts = {p["holder"]: 0 for p in rec["payouts"]}
    for p in rec["payouts"]:
        payouts[p["holder"]] += p["payout"]
    for holder, total in payouts.items():
        assert ok_json(demo, "credit", holder, rpc=False)["payouts"]["amount"] == total

"""The auditor toolkit on the chain the demo leaves (`scfchain demo --rpc-url URL`), from its deployment
file alone: everything verifies, and the audit tells the demo's story back."""
import json
import subprocess

import pytest

from scfchain import Anvil
from tests.audit_support import ROOT, SCFCHAIN, audit, backend, ok_json, pg_cluster  # noqa: F401


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


def test_demo_financedTier3Certificate(demo):
    rec = demo["record"]
    fin = rec["financing"]
    t = ok_json(demo, "trace", str(fin["certId"]), rpc=False)
    assert [a["id"] for a in t["ancestry"]] == fin["lineage"][::-1][:-1]
    node = t["tree"]
    assert node["tier"] == 3
    (f,) = node["financings"]
    assert (f["amount"], f["proceeds"], f["offerRateBps"]) == (fin["amount"], fin["proceeds"], fin["rateBps"])
    assert f["financierName"] == "Tianfu Financing Guarantee Co."
    assert f["sellerName"] == "Leshan Household Appliances"


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

"""`scfchain audit trace | export | credit | report` against what the scripted lifecycle did."""
import csv
import io
import json
from datetime import datetime, timezone

import pytest
from scfchain.audit import Store, load
from scfchain.audit.report import outstanding_series
from scfchain.render import STATUS_COLORS
from scfchain.constants import money
from tests.audit_scenario import DAY, NAMES
from tests.audit_support import audit, backend, ok_json, pg_cluster, raw_logs, scenario_fixtures  # noqa: F401
from tests.picture_support import svg_texts, tiers, tree_boxes

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

YEAR = 365 * DAY


chain, s = scenario_fixtures("audit-outputs")


def annualised(amount, proceeds, sold_at, maturity):
    return (amount - proceeds) / amount * YEAR / (maturity - sold_at)


def iso(ts):
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- trace
def test_trace_financedChild_ancestryHoldersFinancingPayouts(s):
    a, c, p2 = s["a"], s["certs"], s["proceeds"][1]
    t = ok_json(s, "trace", str(c["c6"]), rpc=False)
    assert [x["id"] for x in t["ancestry"]] == [c["r2"]]
    rec = t["receivable"]
    assert (rec["rootId"], rec["status"], rec["faceValue"]) == (c["r2"], "defaulted", 50_000_000)
    assert (rec["paid"], rec["covered"], rec["recovered"]) == (10_000_000, 30_000_000, 40_000_000)
    assert rec["debtorName"] == NAMES["core"]
    node = t["tree"]
    assert (node["tier"], node["amount"], node["parentId"], node["rootId"]) == (2, 20_000_000, c["r2"], c["r2"])
    assert node["holders"] == [{"address": a["t2b"], "name": NAMES["t2b"], "units": 10_000_000}]
    assert node["created"]["how"] == "split" and node["created"]["by"] == a["t1"]
    (f,) = node["financings"]
    assert (f["seller"], f["financier"], f["amount"], f["proceeds"]) == (a["t2b"], a["factor"], 10_000_000, p2)
    assert f["price"] == round(p2 / 10_000_000, 8) and f["offerRateBps"] == 600 and f["offerId"] == s["offer"]
    assert f["time"] == s["finance_times"][1]
    want = annualised(10_000_000, p2, s["finance_times"][1], s["maturity"][c["r2"]])
    assert f["annualisedDiscount"] == pytest.approx(want, abs=1e-8)
    assert f["annualisedDiscount"] == pytest.approx(0.06, abs=1e-4)  # the offer's 6% a year
    assert node["payouts"] == [{"time": node["payouts"][0]["time"], "block": node["payouts"][0]["block"],
                                "tx": node["payouts"][0]["tx"], "holder": a["factor"],
                                "holderName": NAMES["factor"], "units": 10_000_000, "payout": 8_000_000}]
    assert [m["financing"] for m in node["transfers"]] == [True]
    assert node["children"] == []


def test_trace_root_wholeSubtree(s):
    a, c, (p1, _) = s["a"], s["certs"], s["proceeds"]
    t = ok_json(s, "trace", str(c["r1"]), rpc=False)
    assert t["ancestry"] == []
    root = t["tree"]
    assert [ch["id"] for ch in root["children"]] == [c["c2"], c["c3"]]
    c2, c3 = root["children"]
    assert [ch["id"] for ch in c2["children"]] == [c["c4"]]
    (split,) = c2["splits"]
    assert split["holder"] == a["t2a"]
    assert split["children"] == [{"id": c["c4"], "to": a["sme"], "toName": NAMES["sme"], "amount": 15_000_000}]
    assert [(m["from"], m["to"], m["units"], m["financing"]) for m in c3["transfers"]] == \
        [(a["t2b"], a["t2a"], 5_000_000, False)]
    c4 = c2["children"][0]
    assert c4["tier"] == 3 and c4["financings"][0]["proceeds"] == p1
    assert {(p["holder"], p["payout"]) for p in c3["payouts"]} == {(a["t2b"], 25_000_000), (a["t2a"], 5_000_000)}
    # every unit of a paid receivable was claimed: no live holders anywhere in the tree
    assert all(not n["holders"] for n in (root, c2, c3, c4))


def test_trace_text_andPictures(s):
    c = s["certs"]
    code, out, err = audit(s, "trace", str(c["c4"]), rpc=False)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"Receivable #1: 1,000,000.00 owed by {NAMES['core']} to {NAMES['t1']}")
    assert "Ancestry:" in lines and f"Certificate #{c['c4']} and its subtree:" in lines
    assert any(l.startswith("#4 tier 3  150,000.00  [paid]") for l in lines)
    assert any(f"split from #2 to {NAMES['sme']}" in l for l in lines)
    assert any(f"{NAMES['sme']} sold 150,000.00 to {NAMES['factor']}" in l and "annualised discount 6.00%" in l
               for l in lines)
    svg = s["tmp"] / "c6.svg"
    png = s["tmp"] / "c6.png"
    assert audit(s, "trace", str(c["c6"]), "--out", str(svg), rpc=False)[0] == 0
    labels = svg_texts(svg.read_text())
    # every label in full: the ancestor, the certificate, whom it went to, its sale and its payout
    assert labels[0] == f"Certificate #6 of receivable #5 ({NAMES['core']})"
    assert {"#5 · tier 1 · 500,000.00", "#6 · tier 2 · 200,000.00", f"split to {NAMES['t2b']}",
            f"{NAMES['t2b']}: 100,000.00", f"{NAMES['t2b']} sold 100,000.00 to {NAMES['factor']} for {money(s['proceeds'][1])}",
            f"paid out 80,000.00 to {NAMES['factor']}"} <= set(labels)
    assert audit(s, "trace", str(c["c6"]), "--out", str(png), rpc=False)[0] == 0
    # two boxes (#5 above #6), filled with the colour of a defaulted receivable, each with its text
    (top, _, bottom, _, _), (below, _, _, _, _) = tree_boxes(png, STATUS_COLORS["defaulted"])
    assert bottom < below
    code, out, err = audit(s, "trace", "99", rpc=False)
    assert (code, err) == (1, "scfchain: certificate 99 is not in the index (no event created it)")
    code, out, err = audit(s, "trace", "1", "--out", str(s["tmp"] / "x.gif"), rpc=False)
    assert (code, err) == (1, "scfchain: --out must end in .svg or .png, got 'x.gif'")


# ---------------------------------------------------------------- export
def test_export_json_oneRowPerEvent(s):
    logs = raw_logs(s)
    out = s["tmp"] / "events.json"
    code, _, err = audit(s, "export", "--format", "json", "--out", str(out), rpc=False)
    assert code == 0, err
    rows = json.loads(out.read_text())
    assert len(rows) == len(logs)
    assert [(r["block"], r["logIndex"], r["tx"]) for r in rows] == \
        [(int(l["blockNumber"], 16), int(l["logIndex"], 16), l["transactionHash"]) for l in logs]
    a, c, (p1, p2) = s["a"], s["certs"], s["proceeds"]
    (issued,) = [r for r in rows if r["event"] == "ReceivableIssued" and r["rootId"] == c["r1"]]
    assert issued["faceValue"] == "1000000.00" and issued["maturity"] == iso(s["maturity"][c["r1"]])
    assert issued["description"] == (f"{NAMES['core']} issues receivable #1 of 1,000,000.00 to {NAMES['t1']}, "
                                     f"maturing {iso(s['maturity'][c['r1']])[:10]}")
    fin = [r for r in rows if r["event"] == "Financed"]
    assert [(r["certId"], r["proceeds"]) for r in fin] == [(c["c4"], f"{p1 // 100}.{p1 % 100:02d}"),
                                                           (c["c6"], f"{p2 // 100}.{p2 % 100:02d}")]
    (closed,) = [r for r in rows if r["event"] == "ReceivableClosed" and r["rootId"] == c["r2"]]
    assert (closed["status"], closed["recovered"]) == ("defaulted", "400000.00")
    (onboard,) = [r for r in rows if r["event"] == "MemberOnboarded" and r["account"] == a["sme"]]
    assert onboard["role"] == "SUPPLIER_ROLE" and onboard["name"] == NAMES["sme"]


def test_export_csv_sameRows(s):
    code, out, err = audit(s, "export", "--format", "csv", rpc=False)
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == len(raw_logs(s))
    assert list(table[0])[:7] == ["block", "time", "tx", "logIndex", "contract", "event", "description"]
    (split,) = [r for r in table if r["event"] == "CertificateSplit" and r["parentId"] == "1"]
    assert (split["childIds"], split["amounts"]) == ("2;3", "400000.00;300000.00")
    assert split["description"] == (f"{NAMES['t1']} splits #1: #2 400,000.00 to {NAMES['t2a']}, "
                                    f"#3 300,000.00 to {NAMES['t2b']}")
    (default,) = [r for r in table if r["event"] == "DefaultDeclared"]
    assert (default["paid"], default["covered"]) == ("100000.00", "300000.00")


# ---------------------------------------------------------------- credit
def test_credit_debtor_repaymentRecord(s):
    a, c = s["a"], s["certs"]
    p = ok_json(s, "credit", a["core"], rpc=False)
    assert p["name"] == NAMES["core"] and p["roles"] == ["CORE_ENTERPRISE_ROLE"] and p["active"]
    d = p["debtor"]
    assert (d["receivables"], d["faceValue"], d["outstanding"], d["creditLimit"]) == (3, 170_000_000, 0, 200_000_000)
    assert (d["due"], d["repaidOnTime"], d["paidLate"], d["defaults"]) == (3, 1, 1, 1)
    assert d["onTimeRate"] == pytest.approx(1 / 3)
    assert (d["defaultedFaceValue"], d["shortfall"], d["coveredByGuarantees"]) == (50_000_000, 40_000_000, 30_000_000)
    late3 = round((s["r3_repaid"] - s["maturity"][c["r3"]]) / DAY, 4)
    late2 = round((s["default_time"] - s["maturity"][c["r2"]]) / DAY, 4)
    assert 5 <= late3 < 5.01 and late2 > 7  # repaid five days late; defaulted after the grace period
    records = {r["rootId"]: r for r in d["records"]}
    assert (records[c["r1"]]["onTime"], records[c["r1"]]["daysLate"]) == (True, 0)
    assert (records[c["r3"]]["onTime"], records[c["r3"]]["daysLate"]) == (False, late3)
    assert (records[c["r2"]]["status"], records[c["r2"]]["daysLate"], records[c["r2"]]["paid"]) == \
        ("defaulted", late2, 10_000_000)
    assert d["daysLateMax"] == late2 and d["daysLateTotal"] == round(late2 + late3, 4)
    code, out, err = audit(s, "credit", a["core"], rpc=False)
    assert "on-time repayment: 33.3% (1 of 3 due); paid late: 1" in out
    assert "defaults: 1 (500,000.00, shortfall 400,000.00, 300,000.00 covered by guarantees)" in out


def test_credit_supplierAndFinancier(s):
    a, c, (p1, p2) = s["a"], s["certs"], s["proceeds"]
    sme = ok_json(s, "credit", a["sme"], rpc=False)
    assert sme["received"]["byTier"] == {"3": {"certificates": 1, "units": 15_000_000}}
    f = sme["financed"]
    assert (f["count"], f["amount"], f["proceeds"], f["discount"]) == (1, 15_000_000, p1, 15_000_000 - p1)
    want = annualised(15_000_000, p1, s["finance_times"][0], s["maturity"][c["r1"]])
    assert f["averageAnnualisedDiscount"] == pytest.approx(want, abs=1e-9)
    assert f["averageOfferRateBps"] == 600 and sme["payouts"]["count"] == 0 and sme["debtor"] is None

    t2b = ok_json(s, "credit", a["t2b"], rpc=False)
    assert t2b["received"]["byTier"] == {"2": {"certificates": 2, "units": 50_000_000}}
    assert (t2b["financed"]["count"], t2b["financed"]["proceeds"]) == (1, p2)
    assert t2b["payouts"] == {"count": 1, "units": 25_000_000, "amount": 25_000_000}
    assert t2b["holdings"] == {str(c["c6"]): 10_000_000}

    factor = ok_json(s, "credit", a["factor"], rpc=False)
    assert (factor["bought"]["count"], factor["bought"]["amount"], factor["bought"]["proceeds"]) == \
        (2, 25_000_000, p1 + p2)
    assert factor["payouts"] == {"count": 2, "units": 25_000_000, "amount": 15_000_000 + 8_000_000}
    assert factor["received"]["byTier"] == {"2": {"certificates": 1, "units": 10_000_000},
                                            "3": {"certificates": 1, "units": 15_000_000}}

    t1 = ok_json(s, "credit", a["t1"], rpc=False)
    assert t1["payouts"]["amount"] == 30_000_000 + 24_000_000  # r1 in full, r2 at 80%
    g = ok_json(s, "credit", a["guarantor"], rpc=False)["guarantor"]
    assert (g["guarantees"], g["provided"], g["called"], g["released"]) == (1, 30_000_000, 30_000_000, 0)


def test_credit_errors(s):
    code, out, err = audit(s, "credit", "0x" + "22" * 20, rpc=False)
    assert code == 1 and err == f"scfchain: 0x{'22' * 20} appears in no event of this deployment"
    code, out, err = audit(s, "credit", "nobody", rpc=False)
    assert (code, err) == (1, "scfchain: member is not a valid address: 'nobody'")


# ---------------------------------------------------------------- report
def test_report_markdownTreesPicturesChart(s):
    out = s["tmp"] / "report"
    code, stdout, err = audit(s, "report", "--out", str(out))
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["outstanding.svg", "receivable-1.png", "receivable-1.svg", "receivable-5.png",
                     "receivable-5.svg", "receivable-7.png", "receivable-7.svg", "report.md"]
    md = (out / "report.md").read_text()
    assert md.count("```mermaid") == 3 and md.count("graph TD") == 3
    assert "    c1 -->|400,000.00| c2" in md and "    c2 -->|150,000.00| c4" in md
    assert f"| 5 | {NAMES['core']} | {NAMES['t1']} | 500,000.00 |" in md and "| defaulted | 100,000.00 | 400,000.00 |" in md
    assert "All checks hold" in md and "| inv1-units:" in md
    assert f"| {NAMES['core']} | 3 | 33.3% |" in md
    assert "![outstanding receivables over time](outstanding.svg)" in md
    assert "![receivable #5](receivable-5.svg) ([PNG](receivable-5.png))" in md
    chart = svg_texts((out / "outstanding.svg").read_text())
    assert "Outstanding receivables over time" in chart and "peak 1,700,000.00" in chart and "0.00" in chart
    tree5 = svg_texts((out / "receivable-5.svg").read_text())
    assert f"{NAMES['t2b']}: 100,000.00" in tree5 and "Receivable #5 — defaulted" in tree5
    assert f"{NAMES['t2b']} sold 100,000.00 to {NAMES['factor']} for {money(s['proceeds'][1])}" in tree5
    # each PNG tree: a box per certificate of the receivable, in its status colour, each with its text, tiers as
    # rows (#1: #2 and #3 side by side under it, #4 under #2; #5 over #6; #7 alone)
    for n, status, rows in ((1, "paid", [1, 2, 1]), (5, "defaulted", [1, 1]), (7, "paid", [1])):
        boxes = tree_boxes(out / f"receivable-{n}.png", STATUS_COLORS[status])
        assert [len(row) for row in tiers(boxes)] == rows, (n, boxes)


def test_report_outstandingOverTime(s):
    with Store(s["db"]) as store:
        ledger = load(store)
    values = [v for _, v in outstanding_series(ledger)]
    # issued 1,000,000, 500,000, 200,000; closed #7 (day 50), #1 (day 89), #5 (default)
    assert values[:6] == [100_000_000, 150_000_000, 170_000_000, 150_000_000, 50_000_000, 0]

"""`scfchain audit verify`: all checks hold on the scripted lifecycle; a tampered index fails, exit 1,
naming the violated checks and the ids involved."""
import json

import pytest

from tests.audit_support import audit, backend, copy_db, ok_json, pg_cluster, scenario_fixtures, sql  # noqa: F401

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


chain, s = scenario_fixtures("audit-verify")


def test_verify_allChecksHold(s):
    code, out, err = audit(s, "verify")
    assert code == 0, err + out
    assert out.strip().endswith("all checks hold")
    v = ok_json(s, "verify")
    assert v["ok"] is True
    assert (v["roots"], v["certificates"]) == (3, 7)
    assert v["block"] == s["final_block"]
    checks = v["checks"]
    assert set(checks) == {"inv1-units", "inv2-split", "inv3-payouts", "inv4-documents", "inv4-credit-limit",
                           "balance-escrow", "balance-desk", "balance-guarantee", "lineage", "holdings",
                           "settlement-state", "inv7-loan-custody", "inv8-loans", "loan-state",
                           "members", "index-complete"}
    assert checks["inv1-units"]["checked"] == 3
    assert checks["inv2-split"]["checked"] == 3  # three splits in the script
    assert checks["lineage"]["checked"] == 7
    assert checks["inv4-documents"]["checked"] == 3
    assert checks["members"]["checked"] == 10  # the operator and nine members
    assert checks["index-complete"]["checked"] == s["index"]["total_events"]
    assert all(c["ok"] and not c["violations"] for c in checks.values())


class Db:
    """One index to tamper with, in either engine."""

    def __init__(self, url):
        self.url = url

    def execute(self, statement, params=()):
        return sql(self.url, statement, params)


def _tamper(s, name, sql_fn):
    path = copy_db(s, name)
    sql_fn(Db(path))
    return path


def _rows(db, event):
    return [(b, li, json.loads(a)) for b, li, a in
            db.execute("SELECT block, log_index, args FROM events WHERE event = ? ORDER BY block, log_index", (event,))]


def _failed(s, path):
    # verify brings the index up to date first; the tampered rows are older than its final block, so
    # they stay as they are.
    code, out, err = audit(s, "verify", "--json", db=path)
    assert code == 1, out
    assert err.startswith("scfchain: verification failed: ") and "\n" not in err and "Traceback" not in err
    data = json.loads(out)
    assert data["ok"] is False
    return err, {name: c for name, c in data["checks"].items() if not c["ok"]}


def test_verify_deletedRepaymentRow_failsBalanceAndSettlement(s):
    r3 = s["certs"]["r3"]

    def delete(db):
        (b, li, _), = [r for r in _rows(db, "Repaid") if r[2]["rootId"] == r3]
        db.execute("DELETE FROM events WHERE block = ? AND log_index = ?", (b, li))

    err, failed = _failed(s, _tamper(s, "no-repaid.sqlite", delete))
    assert "balance-escrow" in failed and r3 in failed["balance-escrow"]["ids"]
    assert "settlement-state" in failed and failed["settlement-state"]["ids"] == [r3]
    assert f"balance-escrow (ids {r3})" in err
    assert set(failed) <= {"balance-escrow", "settlement-state", "inv3-payouts", "index-complete"}


def test_verify_deletedSplitRow_failsLineage(s):
    c4 = s["certs"]["c4"]

    def delete(db):
        (b, li, _), = [r for r in _rows(db, "CertificateSplit") if r[2]["childIds"] == [c4]]
        db.execute("DELETE FROM events WHERE block = ? AND log_index = ?", (b, li))

    err, failed = _failed(s, _tamper(s, "no-split.sqlite", delete))
    assert c4 in failed["lineage"]["ids"]
    assert any(f"certificate {c4} exists on-chain" in v["message"] for v in failed["lineage"]["violations"])
    assert "lineage" in err


def test_verify_alteredPayout_failsInvariant3AndEscrow(s):
    c4, r1 = s["certs"]["c4"], s["certs"]["r1"]

    def alter(db):
        (b, li, args), = [r for r in _rows(db, "Claimed") if r[2]["id"] == c4]
        args["payout"] += 1_000_00
        db.execute("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (json.dumps(args), b, li))

    err, failed = _failed(s, _tamper(s, "payout.sqlite", alter))
    assert set(failed["inv3-payouts"]["ids"]) == {c4, r1}
    assert any("paid 15100000, due 15000000" in v["message"] for v in failed["inv3-payouts"]["violations"])
    assert r1 in failed["balance-escrow"]["ids"]
    assert "inv3-payouts" in err and "balance-escrow" in err


def test_verify_alteredTransferAmount_failsUnitsAndHoldings(s):
    c3 = s["certs"]["c3"]

    def alter(db):
        moves = [r for r in _rows(db, "TransferSingle")
                 if r[2]["id"] == c3 and int(r[2]["from"], 16) and int(r[2]["to"], 16)]
        (b, li, args), = moves
        args["value"] += 10_000_00
        db.execute("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (json.dumps(args), b, li))

    err, failed = _failed(s, _tamper(s, "transfer.sqlite", alter))
    assert failed["inv1-units"]["ids"] == [c3]
    assert failed["holdings"]["ids"] == [c3]
    assert "inv1-units (ids 3)" in err


def test_verify_duplicatedClaim_failsUnitsPayoutsAndEscrow(s):
    c2, r1 = s["certs"]["c2"], s["certs"]["r1"]

    def duplicate(db):
        (b, li, _), = [r for r in _rows(db, "Claimed") if r[2]["id"] == c2]
        (row,) = db.execute("SELECT * FROM events WHERE block = ? AND log_index = ?", (b, li))
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (row[0], row[1] + 1000, *row[2:]))

    path = _tamper(s, "dup-claim.sqlite", duplicate)
    err, failed = _failed(s, path)
    assert failed["inv1-units"]["ids"] == [r1]
    code, text, _ = audit(s, "verify", db=path)  # the summary for people names the same
    assert code == 1 and any(line.startswith("  FAIL  inv1-units") and line.endswith(f"— ids {r1}")
                             for line in text.splitlines())
    assert any("claimed 125000000" in v["message"] for v in failed["inv1-units"]["violations"])
    assert r1 in failed["inv3-payouts"]["ids"]
    assert r1 in failed["balance-escrow"]["ids"]


def test_verify_needsTheNode(s):
    code, out, err = audit(s, "verify", rpc=False)
    assert code == 1 and err == "scfchain: audit verify needs --rpc-url: it checks the events against the chain"


def test_verify_documentBackingTwoReceivables_failsInvariant4(s):
    r1, r2 = s["certs"]["r1"], s["certs"]["r2"]

    def alter(db):
        rows = {r[2]["rootId"]: r for r in _rows(db, "ReceivableIssued")}
        b, li, args = rows[r2]
        args["documentHash"] = rows[r1][2]["documentHash"]
        db.execute("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (json.dumps(args), b, li))

    err, failed = _failed(s, _tamper(s, "same-document.sqlite", alter))
    assert set(failed) == {"inv4-documents", "index-complete"}
    assert failed["inv4-documents"]["ids"] == [r1, r2]
    assert f"inv4-documents (ids {r1}, {r2})" in err

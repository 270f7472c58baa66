"""The auditor knows loans: verify checks invariants 7 and 8 from the events and against the chain (loan(), debt(),
the desk's certificate and token balances), tampered loan rows fail naming the loan; credit, trace, export and
report show the loan record. Oracles: the chain's own answers recorded by the scenario (events through Scf,
loan(), debt(), balanceOf) and known amounts."""
import json

import pytest

from tests.audit_support import audit, backend, copy_db, ok_json, pg_cluster, scenario_fixtures, sql  # noqa: F401
from tests.loan_scenario import U, run_held_payment_scenario, run_loan_scenario

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

LOAN_CHECKS = {"inv7-loan-custody", "inv8-loans", "loan-state"}


chain, s = scenario_fixtures("audit-loans", run_loan_scenario)


class _Db:
    """One tampered index, of either engine, through the suite's `sql` helper (`?` marks)."""

    def __init__(self, url):
        self.url = url

    def execute(self, statement, params=()):
        return sql(self.url, statement, params)


def _rows(db, event):
    return [(b, li, json.loads(a)) for b, li, a in
            db.execute("SELECT block, log_index, args FROM events WHERE event = ? ORDER BY block, log_index", (event,))]


def _set(db, row, args):
    b, li, _ = row
    db.execute("UPDATE events SET args = ? WHERE block = ? AND log_index = ?", (json.dumps(args), b, li))


def _tampered(s, name, fn):
    url = copy_db(s, name.removesuffix(".sqlite"))
    fn(_Db(url))
    code, out, err = audit(s, "verify", "--json", db=url)
    assert code == 1, out
    assert err.startswith("scfchain: verification failed: ") and "\n" not in err
    return {n: c for n, c in json.loads(out)["checks"].items() if not c["ok"]}


def test_scenario_chainFacts(s):
    """What the tests below rely on, as the chain says it (not the auditor)."""
    scf, L = s["scf"], s["loans"]
    states = {k: scf.loan(v).state for k, v in L.items()}
    assert states == {"A": "settled", "B": "repaid", "C": "cancelled", "D": "settled", "E": "cancelled",
                      "F": "settled", "G": "funded", "H": "requested"}
    # two live loans on r3: the desk counts its units itself, nothing redeemed
    assert s["custody_r3"] == [70_000 * U, 0, False]
    assert scf.balance(scf.loan_desk.address, s["certs"]["r3"]) == 70_000 * U
    assert 29_000 * U < s["debt_g"] < 30_000 * U  # 30,000.00 less 1,000.00 repaid, plus fifteen days at 11 %
    assert s["pledged_after_requests"] == 200_000 * U  # loans A, B, C on c2
    assert s["repaid"]["B2"] == (s["debt_b"], 0)  # more than the debt offered: only the debt taken
    assert scf.balance(scf.loan_desk.address, s["certs"]["c2"]) == 0
    assert scf.token_balance(scf.loan_desk.address) == 0
    # r1 repaid in full: A's 100,000.00 units pay 100,000.00, the lender its debt first.
    assert s["settled"]["A"] == {"payout": 100_000 * U, "toLender": s["debts_at_maturity"][L["A"]],
                                 "toBorrower": 100_000 * U - s["debts_at_maturity"][L["A"]]}
    # r2 defaulted with half recovered: F's units pay 50,000.00, all to the lender, short of its debt.
    assert s["settled"]["F"] == {"payout": 50_000 * U, "toLender": 50_000 * U, "toBorrower": 0}
    assert s["debt_f"] > 95_000 * U


def test_verify_loansHold(s):
    code, out, err = audit(s, "verify")
    assert code == 0, err + out
    v = ok_json(s, "verify")
    assert v["ok"] is True
    checks = v["checks"]
    assert LOAN_CHECKS <= set(checks)
    assert checks["loan-state"]["checked"] == 8
    assert checks["inv8-loans"]["checked"] == 8
    assert checks["inv7-loan-custody"]["checked"] == 4  # r1, c2, r2 and r3 carry loans
    assert all(c["ok"] for c in checks.values())


def test_verify_alteredRepayment_failsInvariant8(s):
    a = s["loans"]["A"]

    def alter(db):
        row = next(r for r in _rows(db, "LoanRepaid") if r[2]["loanId"] == a)
        _set(db, row, {**row[2], "amount": row[2]["amount"] + 1})

    failed = _tampered(s, "loan-repaid.sqlite", alter)
    assert "inv8-loans" in failed and a in failed["inv8-loans"]["ids"]


def test_verify_deletedSettlement_failsCustodyAndState(s):
    d = s["loans"]["D"]

    def delete(db):
        b, li, _ = next(r for r in _rows(db, "LoanSettled") if r[2]["loanId"] == d)
        db.execute("DELETE FROM events WHERE block = ? AND log_index = ?", (b, li))

    failed = _tampered(s, "loan-unsettled.sqlite", delete)
    assert "loan-state" in failed and failed["loan-state"]["ids"] == [d]
    # the events now leave D's share of the pushed payout in the desk, the token transfers took it out
    assert "inv7-loan-custody" in failed


def test_verify_settlementPayingTheLenderMore_failsInvariants(s):
    a = s["loans"]["A"]

    def alter(db):
        row = next(r for r in _rows(db, "LoanSettled") if r[2]["loanId"] == a)
        _set(db, row, {**row[2], "toLender": row[2]["toLender"] + 100, "toBorrower": row[2]["toBorrower"] - 100})

    failed = _tampered(s, "loan-overpaid.sqlite", alter)
    assert "inv8-loans" in failed and a in failed["inv8-loans"]["ids"]


def test_verify_pledgeWithoutItsUnits_failsCustody(s):
    c = s["loans"]["C"]

    def alter(db):
        row = next(r for r in _rows(db, "LoanRequested") if r[2]["loanId"] == c)
        _set(db, row, {**row[2], "units": row[2]["units"] + 1})

    failed = _tampered(s, "loan-units.sqlite", alter)
    assert "inv7-loan-custody" in failed and c in failed["inv7-loan-custody"]["ids"]
    assert "loan-state" in failed and c in failed["loan-state"]["ids"]


def test_verify_openLoanRepaymentAltered_failsDebtAndCustody(s):
    """An open loan: the replayed interest must give the chain's debt() at the verified block."""
    g = s["loans"]["G"]

    def alter(db):
        row = next(r for r in _rows(db, "LoanRepaid") if r[2]["loanId"] == g)
        _set(db, row, {**row[2], "amount": row[2]["amount"] - 1, "remainingDebt": row[2]["remainingDebt"] + 1})

    failed = _tampered(s, "loan-open.sqlite", alter)
    assert failed["loan-state"]["ids"] == [g]  # debt() on-chain is one less than the events say
    assert "inv8-loans" in failed and g in failed["inv8-loans"]["ids"]  # the tokens moved were one more


def test_verify_inventedLoan_failsLoanState(s):
    f = s["loans"]["F"]

    def delete(db):
        b, li, _ = next(r for r in _rows(db, "LoanRequested") if r[2]["loanId"] == f)
        db.execute("DELETE FROM events WHERE block = ? AND log_index = ?", (b, li))

    failed = _tampered(s, "loan-missing.sqlite", delete)
    assert "loan-state" in failed and f in failed["loan-state"]["ids"]


def test_credit_loanRecord_borrowerAndLender(s):
    L, rep, st = s["loans"], s["repaid"], s["settled"]
    biz = ok_json(s, "credit", s["a"]["t2a"])["loans"]["asBorrower"]
    assert (biz["requested"], biz["funded"], biz["borrowed"]) == (6, 3, 150_000 * U)
    assert biz["repaidBeforeMaturity"] == rep["A"][0] + rep["B1"][0] + rep["B2"][0] + rep["G"][0]
    assert biz["repaidByClearing"] == st["A"]["toLender"]
    assert (biz["repaidInFull"], biz["settled"], biz["cancelled"], biz["shortfalls"], biz["open"]) == (1, 1, 2, 0, 1)
    assert biz["shortfallToLenders"] == 0
    assert biz["debtNow"] == s["debt_g"]  # the interest replayed from the events is the chain's debt()
    t1 = ok_json(s, "credit", s["a"]["t1"])["loans"]["asBorrower"]
    assert t1["repaidByClearing"] == st["D"]["toLender"] + st["F"]["toLender"]
    assert t1["shortfalls"] == 1 and t1["shortfallToLenders"] == s["debt_f"] - 50_000 * U
    factor = ok_json(s, "credit", s["a"]["factor"])["loans"]["asLender"]
    assert sorted(r["loanId"] for r in factor["records"]) == sorted([L["A"], L["D"], L["F"], L["G"]])
    assert factor["borrowed"] == (80_000 + 90_000 + 95_000 + 30_000) * U
    # the lender's token balance moved by exactly what the record says
    received = sum(r[0] for k, r in rep.items() if k in ("A", "D", "G")) + factor["repaidByClearing"]
    assert s["tokens"]["factor"] - s["tokens0"]["factor"] == received - factor["borrowed"]
    text = audit(s, "credit", s["a"]["t1"])[1]
    assert "Loans taken: 2 funded of 2 requested" in text and "shortfall" in text


def test_trace_pledgedCertificate_loanAndWaterfall(s):
    c2, L, st = s["certs"]["c2"], s["loans"], s["settled"]
    t = ok_json(s, "trace", str(c2))["tree"]
    loans = {x["loanId"]: x for x in t["loans"]}
    assert set(loans) == {L["A"], L["B"], L["C"], L["E"]}
    a = loans[L["A"]]
    assert a["waterfall"] == {"payout": st["A"]["payout"], "debt": s["debts_at_maturity"][L["A"]],
                              "toLender": st["A"]["toLender"], "toBorrower": st["A"]["toBorrower"], "shortfall": 0}
    assert [r["amount"] for r in a["repayments"]] == [s["repaid"]["A"][0]]
    assert a["repayments"][0]["remainingDebt"] == s["repaid"]["A"][1]
    assert loans[L["E"]]["waterfall"]["toBorrower"] == 20_000 * U  # cancelled after the root closed
    assert "waterfall" not in loans[L["C"]]  # cancelled before: its units came back
    text = audit(s, "trace", str(c2))[1]
    assert f"loan #{L['A']} settled" in text and "lender" in text


def test_export_andReport_haveLoanRows(s, tmp_path):
    table = json.loads(audit(s, "export", "--format", "json")[1])
    kinds = [r["event"] for r in table if r["contract"] == "LoanDesk"]
    # A, D and F settled; E cancelled after the root closed: its payout is redeemed with a LoanSettled too
    assert kinds.count("LoanRequested") == 8 and kinds.count("LoanSettled") == 4
    assert kinds.count("LoanFunded") == 5 and kinds.count("LoanRequestCancelled") == 2
    settled = next(r for r in table if r["event"] == "LoanSettled" and r["loanId"] == s["loans"]["F"])
    assert settled["toLender"] == "50000.00" and settled["payout"] == "50000.00"
    out = ok_json(s, "report", "--out", str(tmp_path / "r"))
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Loans against certificates" in md and out["report"].endswith("report.md")


# ---------------------------------------------------------------- payments the token refused, held by the desk
held_chain, h = scenario_fixtures("audit-loans-held", run_held_payment_scenario, "held_chain", "h")


def test_heldScenario_chainFacts(h):
    """What the held-payment tests rely on, as the chain says it."""
    scf, a = h["scf"], h["a"]
    assert {k: scf.loan(v).state for k, v in h["loans"].items()} == {"X": "repaid", "Y": "settled"}
    (x1, left1), (x2, left2) = h["repaid"]["X1"], h["repaid"]["X2"]
    assert x1 == 10_000 * U and left1 > 0 and left2 == 0
    assert h["owed_factor_before"] == x1 + x2
    assert dict(h["withdrawn"]) == {"payee": a["factor"], "to": a["factor"], "amount": x1 + x2}
    y = h["settled_y"]
    assert y["payout"] == 25_000 * U and 20_000 * U < y["toLender"] < 21_000 * U
    assert h["owed"] == {"factor": 0, "t2a": y["toBorrower"], "bank": 0}
    assert h["desk_tokens"] == y["toBorrower"]
    assert scf.balance(a["t2a"], h["certs"]["r1"]) == 100_000 * U  # X's units came back


def test_verify_heldPayments_hold(h):
    v = ok_json(h, "verify")
    assert v["ok"] is True, v
    assert all(c["ok"] for c in v["checks"].values())
    assert v["checks"]["inv7-loan-custody"]["checked"] == 2 + 2  # r1, r2, and owed() of both payees ever held


def test_verify_droppedPaymentHeld_failsInvariant7(h):
    def drop(db):
        db.execute("DELETE FROM events WHERE event = 'PaymentHeld' AND block = (SELECT MAX(block) FROM events "
                   "WHERE event = 'PaymentHeld')")
    failed = _tampered(h, "dropped-held", drop)
    assert set(failed) == {"inv7-loan-custody", "index-complete"}  # the row is also missing from the index

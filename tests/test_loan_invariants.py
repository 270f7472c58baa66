"""SPEC invariants 7 and 8 through a whole life of the desk, checked on chain values and events after every step.

7. The desk holds exactly the units of its requested and funded loans (plus worthless units of zero payouts),
   and exactly the payouts it received for loans not yet settled plus the payments it holds for payees the
   token refused (`PaymentHeld`, less `PaymentWithdrawn`: the sum of `owed`); a settled loan pays out exactly
   its units' claim; the lender never gets more than the debt.
8. A repayment never takes more than the debt; interest never accrues past maturity; a loan's units end with
   the borrower, or are redeemed with the payout split between lender and borrower.

(The stateful fuzz checks both after every random step as well.)
"""
from collections import defaultdict

from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403


class Ledger:
    """What the events say the desk must hold: per certificate id, live loans' units, and money received from
    the escrow (Claimed to the desk) less what LoanSettled paid out."""

    def __init__(self, desk, certificate, token):
        self.desk, self.certificate, self.token = desk, certificate, token
        self.units = {}  # loan id -> (cert id, units)
        self.live = set()
        self.received = defaultdict(int)  # cert id -> payout received
        self.paid_out = defaultdict(int)  # cert id -> LoanSettled payouts
        self.redeemed_units = defaultdict(int)  # cert id -> units the escrow burned from the desk
        self.returned = defaultdict(int)  # loan id -> units given back to the borrower
        self.worthless = defaultdict(int)
        self.ids = set()
        self.owed = defaultdict(int)  # payee -> PaymentHeld less PaymentWithdrawn

    def record(self, tx):
        for e in tx.events["LoanRequested"] if "LoanRequested" in tx.events else []:
            self.units[e["loanId"]] = (e["certId"], e["units"])
            self.live.add(e["loanId"])
            self.ids.add(e["certId"])
        for e in tx.events["Claimed"] if "Claimed" in tx.events else []:
            if e["holder"] == self.desk:
                self.received[e["id"]] += e["payout"]
                self.redeemed_units[e["id"]] += e["units"]
        for name in ("LoanSettled",):
            for e in tx.events[name] if name in tx.events else []:
                cert_id, units = self.units[e["loanId"]]
                self.paid_out[cert_id] += e["payout"]
                # 7: exactly its units' claim, the lender within the debt (checked by the caller), the rest to
                # the borrower.
                assert e["payout"] == e["toLender"] + e["toBorrower"]
                self.live.discard(e["loanId"])
        for e in tx.events["PaymentHeld"] if "PaymentHeld" in tx.events else []:
            self.owed[e["payee"]] += e["amount"]
        for e in tx.events["PaymentWithdrawn"] if "PaymentWithdrawn" in tx.events else []:
            self.owed[e["payee"]] -= e["amount"]
        for e in tx.events["TransferSingle"] if "TransferSingle" in tx.events else []:
            if e["from"] == self.desk and int(e["to"], 16) != 0:
                loan_id = next(i for i in self.live if self.units[i][0] == e["id"] and self.units[i][1] == e["value"])
                self.returned[loan_id] += e["value"]
                self.live.discard(loan_id)

    def check(self):
        total_pending = 0
        for cert_id in self.ids:
            live_units = sum(self.units[i][1] for i in self.live if self.units[i][0] == cert_id)
            held = self.certificate.balanceOf(self.desk, cert_id)
            if self.redeemed_units[cert_id] or self.received[cert_id] or self.paid_out[cert_id]:
                # redeemed: nothing left in custody but worthless units
                assert held == self.worthless[cert_id], f"invariant 7: units of {cert_id}"
            else:
                assert held == live_units + self.worthless[cert_id], f"invariant 7: units of {cert_id}"
            pending = self.received[cert_id] - self.paid_out[cert_id]
            assert pending >= 0, "invariant 7: paid out more than received"
            total_pending += pending
        for payee, amount in self.owed.items():
            assert self.desk.owed(payee) == amount >= 0, f"invariant 7: held for {payee}"
        assert self.token.balanceOf(self.desk) == total_pending + sum(self.owed.values()), "invariant 7: the desk's money"


def test_invariants7and8_throughLoansOfEveryKind(
    loans, pledged, issue, certificate, token, escrow, core, clearing, tier1, tier2a, sme, bank, factor
):
    led = Ledger(loans, certificate, token)
    other = issue(face=FACE, maturity_days=60, to=sme)  # defaults with nothing recovered
    maturity = maturity_of(certificate, pledged)
    oracles = {}

    def step(tx):
        led.record(tx)
        led.check()
        return tx

    def funded(loan_id, lender):
        tx = step(fund(loans, loan_id, lender))
        oracles[loan_id] = LoanOracle(loan_of(loans, loan_id)[4], loan_of(loans, loan_id)[5], tx.timestamp,
                                      maturity_of(certificate, loan_of(loans, loan_id)[2]))

    def repaid(loan_id, payer, amount, t):
        next_block_at(t)
        debt_before = oracles[loan_id].debt(t)
        tx = step(loans.repayLoan(loan_id, amount, {"from": payer}))
        pulled = tx.events["LoanRepaid"]["amount"]
        assert pulled <= debt_before and pulled == min(amount, debt_before)  # 8: never more than the debt
        oracles[loan_id].pay(amount, t)
        return tx

    def settled(loan_id, t):
        next_block_at(t)
        tx = step(loans.settleLoan(loan_id, {"from": clearing}))
        assert tx.events["LoanSettled"]["toLender"] <= oracles[loan_id].debt(t)  # 7: lender within the debt
        return tx

    step(request(loans, tier1, pledged, 300_000_00, 250_000_00, lender=factor))  # 1
    step(request(loans, tier1, pledged, 100_000_00, 90_000_00))  # 2
    step(request(loans, tier2a, pledged, 200_000_00, 100_000_00))  # 3
    step(request(loans, sme, pledged, 50_000_00, 10_000_00))  # 4: cancelled while open
    step(request(loans, sme, pledged, 100_000_00, 10_000_00))  # 5: cancelled after close
    step(request(loans, sme, other, 400_000_00, 300_000_00))  # 6: zero payout
    funded(1, factor)
    funded(2, bank)
    funded(3, factor)
    funded(6, bank)
    step(loans.cancelLoanRequest(4, {"from": sme}))
    t = now()
    repaid(1, tier1, 1, t + DAY)  # below the interest
    repaid(1, tier1, 50_000_00, t + 2 * DAY)  # interest and principal
    repaid(3, tier2a, 2**256 - 1, t + 3 * DAY)  # in full: the units come back
    # 8: interest stops at maturity
    mine_at(maturity + 10 * DAY)
    debt_then = loans.debt(2)
    mine_at(maturity + 40 * DAY)
    assert loans.debt(2) == debt_then == oracles[2].debt(maturity)
    # the root recovers 70 %; the clearing pushes the desk before anyone settles
    escrow.repay(pledged, 700_000_00, {"from": core})
    step(escrow.declareDefault(pledged, {"from": core}))
    step(escrow.settle([pledged], [loans], {"from": clearing}))
    settled(1, now() + 10)
    step(loans.cancelLoanRequest(5, {"from": sme}))
    repaid(2, tier1, 2**256 - 1, now() + 10)  # in full after close: the whole share to the borrower
    # the other root: nothing recovered, nothing claimable; the units stay, worthless
    mine_at(maturity_of(certificate, other) + GRACE_PERIOD + 100 * DAY)
    step(escrow.declareDefault(other, {"from": core}))
    led.worthless[other] = 400_000_00
    settled(6, now() + 10)
    assert certificate.balanceOf(loans, other) == 400_000_00

    # 8: every loan's units ended with its borrower, or were redeemed with the payout split
    assert [loan_of(loans, i)[-1] for i in range(1, 7)] == [
        L_SETTLED, L_SETTLED, L_REPAID, L_CANCELLED, L_CANCELLED, L_SETTLED]
    assert led.returned == {3: 200_000_00, 4: 50_000_00}
    assert led.redeemed_units[pledged] == 300_000_00 + 100_000_00 + 100_000_00  # loans 1, 2, 5
    assert led.received[pledged] == led.paid_out[pledged] == 500_000_00 * 700_000_00 // FACE
    assert token.balanceOf(loans) == 0

"""LoanDesk after the root closes: several loans on one certificate id from several holders settle to the unit in
every order, whether the desk claims or the clearing pushed first; cancel and full repayment after close; zero
payout; pause and suspension never block it."""
import itertools

import pytest

from tests.conftest import FACE
from tests.helpers import DAY, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

# (borrower fixture name, units, principal, lender fixture name or None for an unfunded request)
PLAN = [
    ("tier1", 300_000_00, 200_000_00, "factor"),
    ("tier1", 100_000_00, 99_000_00, "bank"),
    ("tier2a", 250_000_00, 100_000_00, "factor"),
    ("sme", 100_000_00, 60_000_00, None),
]
POOLED = sum(p[1] for p in PLAN)  # 750,000.00 of the root's 1,000,000.00 units are pledged


@pytest.fixture
def book(loans, pledged, certificate, request_fixture_accounts):
    """The PLAN's four loans on one id (three funded, one only requested). Returns {loan id: oracle or None}."""
    acc = request_fixture_accounts
    oracles = {}
    for i, (borrower, units, principal, lender) in enumerate(PLAN, start=1):
        request(loans, acc[borrower], pledged, units, principal, lender=acc[lender] if lender else ZERO_ADDRESS)
        if lender:
            tx = fund(loans, i, acc[lender])
            oracles[i] = LoanOracle(principal, RATE, tx.timestamp, maturity_of(certificate, pledged))
        else:
            oracles[i] = None
    assert certificate.balanceOf(loans, pledged) == POOLED
    return oracles


@pytest.fixture
def request_fixture_accounts(tier1, tier2a, sme, factor, bank):
    return {"tier1": tier1, "tier2a": tier2a, "sme": sme, "factor": factor, "bank": bank}


def _close(kind, escrow, certificate, core, root):
    """paid: recovered = FACE; partial: a default recovering 600,000.01; zero: a default recovering nothing."""
    mine_at(maturity_of(certificate, root) + DAY)
    if kind == "paid":
        close_paid(escrow, core, root)
    elif kind == "partial":
        close_defaulted(escrow, certificate, core, root, paid=600_000_01)
    else:
        close_defaulted(escrow, certificate, core, root, paid=0)
    return escrow.recovered(root)


def _end_one(loans, loan_id, oracle, who):
    """settleLoan for a funded loan, cancelLoanRequest for the request; returns the transaction."""
    if oracle is None:
        return loans.cancelLoanRequest(loan_id, {"from": who})
    return loans.settleLoan(loan_id, {"from": who})


def _check_settlement(loans, book, tx_of, pooled_payout, token, certificate, pledged, acc):
    """Every loan paid its share once; shares add up to the pooled payout; lender never above the debt."""
    total = 0
    for loan_id, oracle in book.items():
        tx = tx_of[loan_id]
        settled = tx.events["LoanSettled"]
        assert settled["loanId"] == loan_id
        payout, to_lender, to_borrower = settled["payout"], settled["toLender"], settled["toBorrower"]
        units = PLAN[loan_id - 1][1]
        # pro rata within one unit per loan of the pool
        assert abs(payout * POOLED - units * pooled_payout) <= len(PLAN) * POOLED
        assert payout == to_lender + to_borrower
        if oracle is None:
            assert (to_lender, to_borrower) == (0, payout)
            assert loan_of(loans, loan_id)[-1] == L_CANCELLED
        else:
            debt = oracle.debt(tx.timestamp)
            assert to_lender == min(debt, payout)
            assert loan_of(loans, loan_id)[-1] == L_SETTLED
        total += payout
    assert total == pooled_payout
    assert token.balanceOf(loans) == 0
    assert tuple(loans.custody(pledged)) == (0, 0, False)


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3, 4])))
def test_settle_everyOrder_afterDefault_deskClaims(
    loans, book, pledged, escrow, certificate, token, core, clearing, request_fixture_accounts, order
):
    acc = request_fixture_accounts
    recovered = _close("partial", escrow, certificate, core, pledged)
    tx_of = {}
    for i, loan_id in enumerate(order):
        borrower = acc[PLAN[loan_id - 1][0]]
        tx_of[loan_id] = _end_one(loans, loan_id, book[loan_id], borrower if book[loan_id] is None else clearing)
        if i == 0:
            claimed = tx_of[loan_id].events["Claimed"]
            assert (claimed["holder"], claimed["units"]) == (loans, POOLED)
            pooled_payout = claimed["payout"]
            assert pooled_payout == POOLED * recovered // FACE
        else:
            assert "Claimed" not in tx_of[loan_id].events
    _check_settlement(loans, book, tx_of, pooled_payout, token, certificate, pledged, acc)
    assert certificate.balanceOf(loans, pledged) == 0


@pytest.mark.parametrize("order", [(1, 2, 3, 4), (4, 3, 2, 1), (2, 4, 1, 3)])
@pytest.mark.parametrize("kind", ["paid", "partial"])
def test_settle_afterClearingPushedTheDesk(
    loans, book, pledged, escrow, certificate, token, core, clearing, request_fixture_accounts, order, kind
):
    acc = request_fixture_accounts
    _close(kind, escrow, certificate, core, pledged)
    push = escrow.settle([pledged], [loans], {"from": clearing})
    pushed = push.events["Claimed"]
    assert (pushed["holder"], pushed["units"]) == (loans, POOLED)
    assert token.balanceOf(loans) == pushed["payout"]
    assert certificate.balanceOf(loans, pledged) == 0

    tx_of = {}
    for loan_id in order:
        borrower = acc[PLAN[loan_id - 1][0]]
        tx_of[loan_id] = _end_one(loans, loan_id, book[loan_id], borrower)
        assert "Claimed" not in tx_of[loan_id].events
    _check_settlement(loans, book, tx_of, pushed["payout"], token, certificate, pledged, acc)


def test_settle_paidInFull_exactAmounts(loans, book, pledged, escrow, certificate, token, core, tier1, factor):
    """Paid root: each unit pays one token unit. Loan 1 (300,000.00 units) repays its debt to the factor and the
    borrower gets the rest."""
    _close("paid", escrow, certificate, core, pledged)
    before = (token.balanceOf(factor), token.balanceOf(tier1))
    tx = loans.settleLoan(1, {"from": core})
    debt = book[1].debt(tx.timestamp)
    assert events(tx, "LoanSettled") == [
        {"loanId": 1, "payout": 300_000_00, "toLender": debt, "toBorrower": 300_000_00 - debt}
    ]
    assert token.balanceOf(factor) == before[0] + debt
    assert token.balanceOf(tier1) == before[1] + 300_000_00 - debt
    # The pool's other three loans' payout stays for them.
    assert token.balanceOf(loans) == POOLED - 300_000_00
    assert tuple(loans.custody(pledged)) == (POOLED - 300_000_00, POOLED - 300_000_00, True)


def test_settle_payoutBelowDebt_lenderTakesAll_borrowerNothing(loans, book, pledged, escrow, certificate, token, core, bank, tier1):
    """Loan 2: 100,000.00 units for 99,000.00 of principal; a default recovering 60 % pays 60,000.00."""
    _close("partial", escrow, certificate, core, pledged)
    before = (token.balanceOf(bank), token.balanceOf(tier1))
    tx = loans.settleLoan(2, {"from": core})
    payout = tx.events["LoanSettled"]["payout"]
    assert payout < book[2].debt(tx.timestamp)
    assert (tx.events["LoanSettled"]["toLender"], tx.events["LoanSettled"]["toBorrower"]) == (payout, 0)
    assert token.balanceOf(bank) == before[0] + payout
    assert token.balanceOf(tier1) == before[1]


def test_settle_zeroPayout_paysNobody_unitsStayWorthless(
    loans, book, pledged, escrow, certificate, token, core, sme, request_fixture_accounts
):
    _close("zero", escrow, certificate, core, pledged)
    assert escrow.claimable(pledged, loans) == 0
    for loan_id in (2, 1, 3):
        tx = loans.settleLoan(loan_id, {"from": core})
        assert events(tx, "LoanSettled") == [{"loanId": loan_id, "payout": 0, "toLender": 0, "toBorrower": 0}]
        assert "Claimed" not in tx.events
        assert loan_of(loans, loan_id)[-1] == L_SETTLED
    tx = loans.cancelLoanRequest(4, {"from": sme})
    assert events(tx, "LoanSettled") == [{"loanId": 4, "payout": 0, "toLender": 0, "toBorrower": 0}]
    assert token.balanceOf(loans) == 0
    assert certificate.balanceOf(loans, pledged) == POOLED  # worthless: nothing can redeem them for money


def test_cancelAfterClose_paysBorrowerItsUnitsPayout(loans, pledged, escrow, certificate, token, core, sme):
    request(loans, sme, pledged, 100_000_00, 1)  # alone on the id: not counted, the desk's balance is its units
    _close("paid", escrow, certificate, core, pledged)
    before = token.balanceOf(sme)
    tx = loans.cancelLoanRequest(1, {"from": sme})
    assert events(tx, "LoanRequestCancelled") == [{"loanId": 1}]
    assert events(tx, "LoanSettled") == [{"loanId": 1, "payout": 100_000_00, "toLender": 0, "toBorrower": 100_000_00}]
    assert token.balanceOf(sme) == before + 100_000_00
    assert certificate.balanceOf(loans, pledged) == 0
    assert loan_of(loans, 1)[-1] == L_CANCELLED


def test_repayInFullAfterClose_paysBorrowerTheWholePayout(
    loans, pledged, escrow, certificate, token, core, sme, factor
):
    request(loans, sme, pledged, 200_000_00, 150_000_00, lender=factor)
    tx = fund(loans, 1, factor)
    oracle = LoanOracle(150_000_00, RATE, tx.timestamp, maturity_of(certificate, pledged))
    recovered = _close("partial", escrow, certificate, core, pledged)
    payout = 200_000_00 * recovered // FACE
    before = (token.balanceOf(sme), token.balanceOf(factor))

    tx = loans.repayLoan(1, 2**255, {"from": sme})

    owed = oracle.debt(tx.timestamp)
    assert events(tx, "LoanRepaid") == [{"loanId": 1, "payer": sme, "amount": owed, "remainingDebt": 0}]
    assert events(tx, "LoanSettled") == [{"loanId": 1, "payout": payout, "toLender": 0, "toBorrower": payout}]
    assert token.balanceOf(sme) == before[0] - owed + payout
    assert token.balanceOf(factor) == before[1] + owed
    assert token.balanceOf(loans) == 0
    assert certificate.balanceOf(loans, pledged) == 0
    assert loan_of(loans, 1)[-1] == L_SETTLED


def test_singleLoan_pushedFirst_thenSettled(loans, pledged, escrow, certificate, token, core, clearing, sme, factor):
    request(loans, sme, pledged, 200_000_00, 150_000_00)
    fund(loans, 1, factor)
    recovered = _close("partial", escrow, certificate, core, pledged)
    escrow.settle([pledged], [loans], {"from": clearing})
    tx = loans.settleLoan(1, {"from": clearing})
    assert tx.events["LoanSettled"]["payout"] == 200_000_00 * recovered // FACE
    assert token.balanceOf(loans) == 0


def test_settle_neverBlocked_byPauseOrSuspension(
    loans, book, pledged, escrow, certificate, consortium, token, admin, core, tier1, tier2a, sme, factor, bank
):
    _close("paid", escrow, certificate, core, pledged)
    certificate.pause({"from": admin})
    for who in (tier1, tier2a, sme, factor, bank):
        consortium.suspend(who, {"from": admin})
    loans.settleLoan(1, {"from": tier1})
    loans.repayLoan(2, 2**255, {"from": tier1})
    loans.settleLoan(3, {"from": core})
    loans.cancelLoanRequest(4, {"from": sme})
    assert token.balanceOf(loans) == 0
    assert [loan_of(loans, i)[-1] for i in (1, 2, 3, 4)] == [L_SETTLED, L_SETTLED, L_SETTLED, L_CANCELLED]


def test_holdersOtherUnitsStillClaimable(loans, book, pledged, escrow, certificate, token, core, tier1, tier2a):
    """The desk's redemption burns its own balance only: holders' own units of the id claim as before."""
    _close("paid", escrow, certificate, core, pledged)
    loans.settleLoan(3, {"from": core})
    kept = certificate.balanceOf(tier1, pledged)
    assert kept == FACE // 2 - 400_000_00
    tx = escrow.claim([pledged], {"from": tier1})
    assert tx.return_value == kept


# ---------------------------------------------------------------- reverts
def test_revert_whenRootNotClosed(loans, book, pledged, clearing):
    with reverts("RootNotClosed", pledged):
        loans.settleLoan(1, {"from": clearing})
    assert loan_of(loans, 1)[-1] == L_FUNDED


def test_revert_whenRequestNotFunded(loans, book, pledged, escrow, certificate, core, clearing):
    _close("paid", escrow, certificate, core, pledged)
    with reverts("InvalidLoanState", 4, L_REQUESTED):
        loans.settleLoan(4, {"from": clearing})


def test_revert_whenSettledTwice(loans, book, pledged, escrow, certificate, token, core, clearing):
    _close("paid", escrow, certificate, core, pledged)
    loans.settleLoan(1, {"from": clearing})
    held = token.balanceOf(loans)
    with reverts("InvalidLoanState", 1, L_SETTLED):
        loans.settleLoan(1, {"from": clearing})
    assert token.balanceOf(loans) == held


def test_revert_whenUnknownLoan(loans, clearing):
    with reverts("UnknownLoan", 9):
        loans.settleLoan(9, {"from": clearing})


def test_revert_whenRepaidBeforeClose(loans, book, pledged, escrow, certificate, core, tier1, clearing):
    loans.repayLoan(2, 2**255, {"from": tier1})
    _close("paid", escrow, certificate, core, pledged)
    with reverts("InvalidLoanState", 2, L_REPAID):
        loans.settleLoan(2, {"from": clearing})


def test_repayInFullAfterZeroPayoutDefault_paysTheLenderOnly(loans, pledged, escrow, certificate, token, core, sme, factor):
    """Nothing recovered: a full repayment after the default still closes the loan; the borrower's share is 0."""
    request(loans, sme, pledged, 200_000_00, 150_000_00)
    fund(loans, 1, factor)
    _close("zero", escrow, certificate, core, pledged)
    before = (token.balanceOf(sme), token.balanceOf(factor))
    tx = loans.repayLoan(1, 2**255, {"from": sme})
    owed = tx.events["LoanRepaid"]["amount"]
    assert events(tx, "LoanSettled") == [{"loanId": 1, "payout": 0, "toLender": 0, "toBorrower": 0}]
    assert (token.balanceOf(sme), token.balanceOf(factor)) == (before[0] - owed, before[1] + owed)
    assert certificate.balanceOf(loans, pledged) == 200_000_00  # worthless
    assert loan_of(loans, 1)[-1] == L_SETTLED

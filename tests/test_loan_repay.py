"""LoanDesk interest and repayLoan: SPEC's formula against hand-computed values and a Python oracle on the chain's
timestamps; interest first, then principal; never more than the debt; units back at zero debt."""
import random

import pytest

from tests.conftest import FACE
from tests.helpers import DAY, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

UNITS = FACE // 4
# 219,000.00 at 10 % a year: 2,190,000 cents a year, exactly 6,000 a day, 0.069… a second.
PRINCIPAL = 219_000_00
PER_DAY = 6_000


@pytest.fixture
def funded(loans, pledged, sme, factor):
    """sme's loan of PRINCIPAL against UNITS, funded by the factor; returns (loan id, funding time)."""
    request(loans, sme, pledged, UNITS, PRINCIPAL, lender=factor)
    t0 = now() + 100
    fund(loans, 1, factor, timestamp=t0)
    return 1, t0


def _debt_at(loans, loan_id, t):
    mine_at(t)
    return loans.debt(loan_id)


# ---------------------------------------------------------------- interest: known values
@pytest.mark.parametrize(
    "seconds,interest",
    [
        (0, 0),
        (1, 1),  # 0.069… rounded up
        (DAY, PER_DAY),  # exact: no rounding
        (DAY + 1, PER_DAY + 1),
        (10 * DAY, 10 * PER_DAY),
        (30 * DAY + 3_600, 30 * PER_DAY + 250),  # an hour is 250 exactly
    ],
)
def test_debt_knownValues(loans, funded, seconds, interest):
    loan_id, t0 = funded
    if seconds:
        mine_at(t0 + seconds)
    assert loans.debt(loan_id) == PRINCIPAL + interest
    assert tuple(loans.debtParts(loan_id)) == (PRINCIPAL, interest)


def test_interestStopsAtMaturity(loans, funded, pledged, certificate):
    loan_id, t0 = funded
    maturity = maturity_of(certificate, pledged)
    at_maturity = PRINCIPAL + ceil_interest(PRINCIPAL, RATE, maturity - t0)
    assert _debt_at(loans, loan_id, maturity) == at_maturity
    assert _debt_at(loans, loan_id, maturity + 1) == at_maturity
    assert _debt_at(loans, loan_id, maturity + 400 * DAY) == at_maturity


def test_zeroRate_owesPrincipalOnly(loans, pledged, sme, factor):
    request(loans, sme, pledged, UNITS, PRINCIPAL, rate=0)
    fund(loans, 1, factor)
    assert _debt_at(loans, 1, now() + 50 * DAY) == PRINCIPAL


def test_maximumRate_oneYearDoublesTheDebt(loans, system, certificate, issue, tier1, factor):
    root = issue(face=FACE, maturity_days=400)
    request(loans, tier1, root, FACE, FACE, rate=MAX_RATE)
    t0 = now() + 10
    fund(loans, 1, factor, timestamp=t0)
    assert _debt_at(loans, 1, t0 + YEAR) == 2 * FACE


# ---------------------------------------------------------------- repayLoan
def test_repayLoan_partial_paysInterestFirst_thenPrincipal(loans, funded, token, sme, factor):
    loan_id, t0 = funded
    before = (token.balanceOf(sme), token.balanceOf(factor))
    next_block_at(t0 + DAY)
    tx = loans.repayLoan(loan_id, PER_DAY + 1_000_000, {"from": sme})

    assert tx.return_value == PRINCIPAL - 1_000_000
    assert events(tx, "LoanRepaid") == [
        {"loanId": loan_id, "payer": sme, "amount": PER_DAY + 1_000_000, "remainingDebt": PRINCIPAL - 1_000_000}
    ]
    assert token.balanceOf(sme) == before[0] - PER_DAY - 1_000_000
    assert token.balanceOf(factor) == before[1] + PER_DAY + 1_000_000
    assert token.balanceOf(loans) == 0
    # The next day accrues on 20,900,000: 5,726.03 a day, rounded up.
    assert _debt_at(loans, loan_id, t0 + 2 * DAY) == PRINCIPAL - 1_000_000 + 5_727


def test_repayLoan_smallerThanInterest_keepsTheRestOwed(loans, funded, sme):
    loan_id, t0 = funded
    next_block_at(t0 + DAY)
    tx = loans.repayLoan(loan_id, 2_500, {"from": sme})
    assert tx.events["LoanRepaid"]["remainingDebt"] == PRINCIPAL + PER_DAY - 2_500
    assert tuple(loans.debtParts(loan_id)) == (PRINCIPAL, PER_DAY - 2_500)
    # Two days of interest on the whole principal, less what was paid.
    assert _debt_at(loans, loan_id, t0 + 2 * DAY) == PRINCIPAL + 2 * PER_DAY - 2_500


def test_repayLoan_ofTheRoundedUpUnit_isNotChargedAgain(loans, funded, sme):
    """After 1 s the interest is 0.069… rounded up to 1; paying it and waiting one more second owes
    ceil(0.139…) - 1 = 0, not another unit: the period's rounding-up is counted once."""
    loan_id, t0 = funded
    next_block_at(t0 + 1)
    assert loans.repayLoan(loan_id, 1, {"from": sme}).return_value == PRINCIPAL
    assert _debt_at(loans, loan_id, t0 + 2) == PRINCIPAL
    assert _debt_at(loans, loan_id, t0 + 15) == PRINCIPAL + 1  # ceil(1.04…) - 1
    assert _debt_at(loans, loan_id, t0 + DAY) == PRINCIPAL + PER_DAY - 1


def test_repayLoan_inFull_returnsUnits_pullsOnlyTheDebt(loans, funded, pledged, token, certificate, sme, factor):
    loan_id, t0 = funded
    before = (token.balanceOf(sme), token.balanceOf(factor))
    next_block_at(t0 + 3 * DAY)
    tx = loans.repayLoan(loan_id, 2**256 - 1, {"from": sme})

    owed = PRINCIPAL + 3 * PER_DAY
    assert tx.return_value == 0
    assert events(tx, "LoanRepaid") == [{"loanId": loan_id, "payer": sme, "amount": owed, "remainingDebt": 0}]
    assert "LoanSettled" not in tx.events
    single = tx.events["TransferSingle"]
    assert (single["from"], single["to"], single["id"], single["value"]) == (loans, sme, pledged, UNITS)
    assert token.balanceOf(sme) == before[0] - owed
    assert token.balanceOf(factor) == before[1] + owed
    assert certificate.balanceOf(sme, pledged) == UNITS
    assert certificate.balanceOf(loans, pledged) == 0
    assert loan_of(loans, loan_id)[-1] == L_REPAID
    assert loans.debt(loan_id) == 0
    assert tuple(loans.debtParts(loan_id)) == (0, 0)


def test_repayLoan_byAnyone(loans, funded, token, core, factor, sme):
    loan_id, t0 = funded
    before = token.balanceOf(core)
    next_block_at(t0 + DAY)
    tx = loans.repayLoan(loan_id, PER_DAY, {"from": core})
    assert tx.events["LoanRepaid"]["payer"] == core
    assert token.balanceOf(core) == before - PER_DAY


def test_repayLoan_afterMaturity_noFurtherInterest(loans, funded, pledged, certificate, sme):
    loan_id, t0 = funded
    maturity = maturity_of(certificate, pledged)
    owed = PRINCIPAL + ceil_interest(PRINCIPAL, RATE, maturity - t0)
    next_block_at(maturity + 5 * DAY)
    assert loans.repayLoan(loan_id, owed - 100, {"from": sme}).return_value == 100
    assert _debt_at(loans, loan_id, maturity + 50 * DAY) == 100


def test_repayLoan_neverBlocked_byPauseOrSuspension(loans, funded, certificate, consortium, admin, sme, factor):
    loan_id, t0 = funded
    certificate.pause({"from": admin})
    consortium.suspend(sme, {"from": admin})
    consortium.suspend(factor, {"from": admin})
    next_block_at(t0 + DAY)
    assert loans.repayLoan(loan_id, 10, {"from": sme}).return_value == PRINCIPAL + PER_DAY - 10
    loans.repayLoan(loan_id, 2**255, {"from": sme})
    assert loan_of(loans, loan_id)[-1] == L_REPAID


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repayments_matchOracle_atChainTimestamps(loans, pledged, certificate, sme, factor, seed):
    """Random payments (below, at and above the interest due) at random times, maturity included."""
    rng = random.Random(seed)
    request(loans, sme, pledged, UNITS, PRINCIPAL, rate=rng.choice([1, 333, RATE, 7_777]))
    t = now() + 10
    tx = fund(loans, 1, factor, timestamp=t)
    rate = loan_of(loans, 1)[5]
    oracle = LoanOracle(PRINCIPAL, rate, tx.timestamp, maturity_of(certificate, pledged))
    for _ in range(8):
        t += rng.choice([1, 7, 3_600, DAY + 13, 20 * DAY])
        due = oracle.interest(t)
        amount = rng.choice([1, max(due - 1, 1), max(due, 1), due + 1, due + PRINCIPAL // 9])
        next_block_at(t)
        tx = loans.repayLoan(1, amount, {"from": sme})
        pulled, remaining = oracle.pay(amount, tx.timestamp)
        assert (tx.events["LoanRepaid"]["amount"], tx.return_value) == (pulled, remaining)
        if remaining == 0:
            break
        assert loans.debt(1) == oracle.debt(tx.timestamp)


# ---------------------------------------------------------------- reverts
def test_revert_whenUnknownLoan(loans, sme):
    with reverts("UnknownLoan", 1):
        loans.repayLoan(1, 1, {"from": sme})


def test_revert_whenNotFunded(loans, pledged, sme):
    request(loans, sme, pledged, UNITS, PRINCIPAL)
    with reverts("InvalidLoanState", 1, L_REQUESTED):
        loans.repayLoan(1, 1, {"from": sme})


def test_revert_whenRepaid(loans, funded, sme):
    loans.repayLoan(1, 2**255, {"from": sme})
    with reverts("InvalidLoanState", 1, L_REPAID):
        loans.repayLoan(1, 1, {"from": sme})


def test_revert_whenZeroAmount(loans, funded, sme):
    with reverts("InvalidAmount", 0):
        loans.repayLoan(1, 0, {"from": sme})


def test_revert_whenPayerHasNoAllowance(loans, funded, token, tier2b):
    token.approve(loans, 0, {"from": tier2b})
    next_block_at(funded[1] + DAY)
    with reverts("ERC20InsufficientAllowance", loans, 0, PER_DAY):
        loans.repayLoan(1, PER_DAY, {"from": tier2b})
    assert loans.debt(1) == PRINCIPAL + PER_DAY

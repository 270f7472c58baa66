"""Helpers and fixtures shared by the LoanDesk tests (tests/test_loan_*.py).

The interest oracle is SPEC's formula in Python integers, period by period (a period of constant principal
outstanding ends when a repayment reduces the principal), fed with the chain's block timestamps.
Test modules import with `from tests.loan_support import *`; they build on conftest and money_support.
"""
from __future__ import annotations

import pytest

from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY
from tests.money_support import BPS, YEAR, ZERO_ADDRESS, mine_at, next_block_at, now  # noqa: F401

# Loan states as `loan()` returns them (SPEC).
L_NONE, L_REQUESTED, L_FUNDED, L_REPAID, L_SETTLED, L_CANCELLED = 0, 1, 2, 3, 4, 5
RATE = 1_000  # 10 % a year
MAX_RATE = 10_000

__all__ = [
    "L_NONE",
    "L_REQUESTED",
    "L_FUNDED",
    "L_REPAID",
    "L_SETTLED",
    "L_CANCELLED",
    "RATE",
    "MAX_RATE",
    "ceil_interest",
    "LoanOracle",
    "loans",
    "pledged",
    "request",
    "fund",
    "loan_of",
    "close_paid",
    "close_defaulted",
    "desk_units",
]


def ceil_interest(outstanding: int, rate_bps: int, seconds: int) -> int:
    """SPEC: ceil(principalOutstanding * annualRateBps * seconds / (10000 * 365 days))."""
    return -(-outstanding * rate_bps * seconds // (BPS * YEAR))


class LoanOracle:
    """A loan's debt by SPEC: simple interest on the principal outstanding from funding, stopping at
    maturity, rounded up once per period of constant principal; payments go to interest first."""

    def __init__(self, principal: int, rate_bps: int, funded_at: int, maturity: int):
        self.outstanding = principal
        self.rate = rate_bps
        self.start = funded_at
        self.maturity = maturity
        self.paid_in_period = 0

    def interest(self, t: int) -> int:
        end = min(t, self.maturity)
        return ceil_interest(self.outstanding, self.rate, end - self.start) - self.paid_in_period

    def debt(self, t: int) -> int:
        return self.outstanding + self.interest(t)

    def pay(self, amount: int, t: int) -> tuple[int, int]:
        """Applies a payment of at most `amount` at time `t`; returns (pulled, remaining debt)."""
        interest = self.interest(t)
        pulled = min(amount, self.outstanding + interest)
        if pulled <= interest:
            self.paid_in_period += pulled
        else:
            self.outstanding -= pulled - interest
            self.paid_in_period = 0
            self.start = min(t, self.maturity)
        return pulled, self.debt(t)


@pytest.fixture(scope="module")
def loans(system, loan_desk, token, certificate, admin, bank, factor, core, tier1, tier2a, tier2b, sme):
    """The desk with every supplier and financier ready: token allowances for the desk, the desk an operator
    of every supplier's certificates, some money for each supplier (to repay interest)."""
    for who in (bank, factor, core, tier1, tier2a, tier2b, sme):
        token.approve(loan_desk, 2**256 - 1, {"from": who})
    for who in (tier1, tier2a, tier2b, sme):
        certificate.setApprovalForAll(loan_desk, True, {"from": who})
        token.mint(who, 10 * FACE, {"from": admin})
    return loan_desk


@pytest.fixture(scope="module")
def pledged(loans, issue, certificate, tier1, tier2a, sme):
    """One 90-day root of FACE units: tier1 keeps half, tier2a and sme hold a quarter each (one id, three
    holders). Returns the id."""
    root = issue(face=FACE, maturity_days=90)
    certificate.safeTransferFrom(tier1, tier2a, root, FACE // 4, "", {"from": tier1})
    certificate.safeTransferFrom(tier1, sme, root, FACE // 4, "", {"from": tier1})
    return root


def request(desk, borrower, cert_id, units, principal, rate=RATE, lender=ZERO_ADDRESS, expiry=None):
    """Requests a loan and returns the transaction."""
    expiry = now() + 30 * DAY if expiry is None else expiry
    return desk.requestLoan(cert_id, units, principal, rate, lender, expiry, {"from": borrower})


def fund(desk, loan_id, lender, timestamp=None):
    if timestamp is not None:
        next_block_at(timestamp)
    return desk.fundLoan(loan_id, {"from": lender})


def loan_of(desk, loan_id) -> tuple:
    return tuple(desk.loan(loan_id))


def close_paid(escrow, core, root, face=FACE):
    """The core enterprise repays the root in full: it closes as paid."""
    return escrow.repay(root, face - escrow.paid(root), {"from": core})


def close_defaulted(escrow, certificate, core, root, paid=0):
    """`paid` repaid, then declared defaulted after maturity + grace (recovered = paid, no guarantee)."""
    if paid:
        escrow.repay(root, paid, {"from": core})
    maturity = certificate.certificate(root)[5]
    if now() < maturity + GRACE_PERIOD:
        mine_at(maturity + GRACE_PERIOD)
    return escrow.declareDefault(root, {"from": core})


def desk_units(certificate, desk, cert_id) -> int:
    return certificate.balanceOf(desk, cert_id)


"""LoanDesk.fundLoan: the lender pays the principal to the borrower in one transaction; who may fund, and when."""
import pytest

from tests.conftest import FACE
from tests.helpers import DAY, ROLE, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

UNITS = FACE // 4
PRINCIPAL = UNITS * 7 // 10


@pytest.fixture
def asked(loans, pledged, sme, factor):
    """sme asks the factor (named) for PRINCIPAL against UNITS, fundable for 7 days from the request's own block
    (pinned: the wall clock may tick between reading the time and mining the request)."""
    t = now() + 1
    next_block_at(t)
    request(loans, sme, pledged, UNITS, PRINCIPAL, lender=factor, expiry=t + 7 * DAY)
    return 1


@pytest.fixture
def open_ask(loans, pledged, sme):
    request(loans, sme, pledged, UNITS, PRINCIPAL, expiry=now() + 7 * DAY)
    return 1


def _money(token, *who):
    return tuple(token.balanceOf(w) for w in who)


def test_fundLoan_paysBorrower_andEmitsLoanFunded(loans, asked, pledged, token, certificate, sme, factor):
    before = _money(token, sme, factor, loans)
    tx = loans.fundLoan(asked, {"from": factor})

    assert events(tx, "LoanFunded") == [{"loanId": asked, "lender": factor, "principal": PRINCIPAL}]
    transfer = tx.events["Transfer"]
    assert (transfer["from"], transfer["to"], transfer["value"]) == (factor, sme, PRINCIPAL)
    assert _money(token, sme, factor, loans) == (before[0] + PRINCIPAL, before[1] - PRINCIPAL, 0)
    assert loan_of(loans, asked) == (sme, factor, pledged, UNITS, PRINCIPAL, RATE, tx.timestamp, L_FUNDED)
    assert loans.debt(asked) == PRINCIPAL  # no time has passed
    assert certificate.balanceOf(loans, pledged) == UNITS


def test_fundLoan_openRequest_byAnyFinancier_recordsLender(loans, open_ask, pledged, sme, bank):
    tx = loans.fundLoan(open_ask, {"from": bank})
    assert tx.events["LoanFunded"]["lender"] == bank
    assert loan_of(loans, open_ask)[1] == bank


def test_fundLoan_whileBorrowerSuspended(loans, asked, consortium, token, admin, sme, factor):
    consortium.suspend(sme, {"from": admin})
    before = token.balanceOf(sme)
    loans.fundLoan(asked, {"from": factor})
    assert token.balanceOf(sme) == before + PRINCIPAL


def test_fundLoan_justBeforeExpiry(loans, asked, factor):
    t = now() + 7 * DAY - 1
    fund(loans, asked, factor, timestamp=t)
    assert loan_of(loans, asked)[6] == t


# ---------------------------------------------------------------- reverts
def _unchanged(loans, token, loan_id, who):
    return (loan_of(loans, loan_id), _money(token, *who))


def test_revert_whenNotNamedLender(loans, asked, token, sme, factor, bank):
    before = _unchanged(loans, token, asked, [sme, factor, bank])
    with reverts("NotNamedLender", asked, factor, bank):
        loans.fundLoan(asked, {"from": bank})
    assert _unchanged(loans, token, asked, [sme, factor, bank]) == before


def test_revert_whenNotFinancier(loans, open_ask, tier1):
    with reverts("AccessControlUnauthorizedAccount", tier1, ROLE["FINANCIER_ROLE"]):
        loans.fundLoan(open_ask, {"from": tier1})


def test_revert_whenFinancierSuspended(loans, asked, consortium, admin, factor):
    consortium.suspend(factor, {"from": admin})
    with reverts("InactiveMember", factor):
        loans.fundLoan(asked, {"from": factor})
    assert loan_of(loans, asked)[-1] == L_REQUESTED


def test_revert_whenExpired(loans, pledged, sme, factor):
    expiry = now() + 7 * DAY
    request(loans, sme, pledged, UNITS, PRINCIPAL, lender=factor, expiry=expiry)
    next_block_at(expiry)
    with reverts("LoanRequestExpired", 1, expiry):
        loans.fundLoan(1, {"from": factor})


def test_revert_whenPaused(loans, asked, certificate, token, admin, sme, factor):
    certificate.pause({"from": admin})
    before = _unchanged(loans, token, asked, [sme, factor])
    with reverts("EnforcedPause"):
        loans.fundLoan(asked, {"from": factor})
    assert _unchanged(loans, token, asked, [sme, factor]) == before


def test_revert_whenRootClosed(loans, asked, pledged, escrow, core, factor):
    close_paid(escrow, core, pledged)
    with reverts("RootClosed", pledged, PAID):
        loans.fundLoan(asked, {"from": factor})


def test_revert_whenMaturityPassed(loans, pledged, certificate, sme, factor):
    maturity = maturity_of(certificate, pledged)
    request(loans, sme, pledged, UNITS, PRINCIPAL, expiry=maturity + 30 * DAY)
    next_block_at(maturity)
    with reverts("CertificateMatured", pledged, maturity):
        loans.fundLoan(1, {"from": factor})


def test_revert_whenUnknownLoan(loans, factor):
    with reverts("UnknownLoan", 3):
        loans.fundLoan(3, {"from": factor})


def test_revert_whenFundedTwice(loans, asked, factor):
    loans.fundLoan(asked, {"from": factor})
    with reverts("InvalidLoanState", asked, L_FUNDED):
        loans.fundLoan(asked, {"from": factor})


def test_revert_whenCancelled(loans, asked, sme, factor):
    loans.cancelLoanRequest(asked, {"from": sme})
    with reverts("InvalidLoanState", asked, L_CANCELLED):
        loans.fundLoan(asked, {"from": factor})


def test_revert_whenLenderLacksMoney(loans, open_ask, consortium, admin, token, extra_accounts):
    poor = extra_accounts[3]
    consortium.onboard(poor, ROLE["FINANCIER_ROLE"], "Poor Bank", {"from": admin})
    token.approve(loans, 2**256 - 1, {"from": poor})
    with reverts("ERC20InsufficientBalance", poor, 0, PRINCIPAL):
        loans.fundLoan(open_ask, {"from": poor})
    assert loan_of(loans, open_ask)[-1] == L_REQUESTED

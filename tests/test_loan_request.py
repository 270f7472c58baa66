"""LoanDesk.requestLoan and cancelLoanRequest while the root is open: custody of the units, events, reverts."""
import pytest

from tests.conftest import FACE
from tests.helpers import DAY, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

UNITS = FACE // 4


def _state(loans, certificate, token, holders, cert_id):
    return (
        loans.loanCount(),
        tuple(loans.custody(cert_id)),
        tuple(certificate.balanceOf(h, cert_id) for h in [loans, *holders]),
        tuple(token.balanceOf(h) for h in [loans, *holders]),
    )


# ---------------------------------------------------------------- happy paths
def test_requestLoan_movesUnitsIntoCustody_andEmitsLoanRequested(loans, pledged, certificate, sme, factor):
    expiry = now() + 7 * DAY
    tx = request(loans, sme, pledged, UNITS, UNITS * 8 // 10, RATE, factor, expiry)

    assert tx.return_value == 1
    assert events(tx, "LoanRequested") == [
        {
            "loanId": 1,
            "borrower": sme,
            "certId": pledged,
            "units": UNITS,
            "principal": UNITS * 8 // 10,
            "annualRateBps": RATE,
            "lender": factor,
            "expiry": expiry,
        }
    ]
    single = tx.events["TransferSingle"]
    assert (single["operator"], single["from"], single["to"], single["id"], single["value"]) == (
        loans, sme, loans, pledged, UNITS
    )
    assert certificate.balanceOf(sme, pledged) == 0
    assert certificate.balanceOf(loans, pledged) == UNITS
    assert loan_of(loans, 1) == (sme, factor, pledged, UNITS, UNITS * 8 // 10, RATE, 0, L_REQUESTED)
    assert tuple(loans.custody(pledged)) == (0, 0, False)  # one loan on the id: its units are the desk's balance
    assert loans.debt(1) == 0
    assert loans.loanCount() == 1


def test_requestLoan_severalHoldersOfOneId_shareTheCustody(loans, pledged, certificate, tier1, tier2a, sme):
    request(loans, tier1, pledged, FACE // 8, FACE // 10)
    request(loans, tier1, pledged, FACE // 8, FACE // 10, lender=ZERO_ADDRESS)
    request(loans, tier2a, pledged, FACE // 4, 1)
    request(loans, sme, pledged, 1, 1, rate=0)

    assert loans.loanCount() == 4
    total = FACE // 8 * 2 + FACE // 4 + 1
    assert certificate.balanceOf(loans, pledged) == total
    assert tuple(loans.custody(pledged)) == (total, 0, False)
    assert certificate.balanceOf(tier1, pledged) == FACE // 4
    assert certificate.balanceOf(tier2a, pledged) == 0
    assert certificate.balanceOf(sme, pledged) == FACE // 4 - 1


def test_requestLoan_acceptsMaximumRate_andPrincipalEqualToUnits(loans, pledged, sme):
    tx = request(loans, sme, pledged, UNITS, UNITS, rate=MAX_RATE)
    assert tx.events["LoanRequested"]["annualRateBps"] == MAX_RATE
    assert loans.maxRateBps() == MAX_RATE


def test_requestLoan_ofChildCertificate_atDeepTier(loans, pledged, certificate, sme, tier2b):
    child = certificate.split(pledged, [tier2b], [1_000], {"from": sme}).return_value[0]
    tx = request(loans, tier2b, child, 1_000, 900)
    assert tx.events["LoanRequested"]["certId"] == child
    assert certificate.balanceOf(loans, child) == 1_000


def test_cancelLoanRequest_returnsUnits_andEmitsEvent(loans, pledged, certificate, token, sme, tier1):
    request(loans, tier1, pledged, 10, 10)
    request(loans, sme, pledged, UNITS, UNITS // 2)
    tokens_before = token.balanceOf(sme)

    tx = loans.cancelLoanRequest(2, {"from": sme})

    assert events(tx, "LoanRequestCancelled") == [{"loanId": 2}]
    assert "LoanSettled" not in tx.events
    single = tx.events["TransferSingle"]
    assert (single["from"], single["to"], single["id"], single["value"]) == (loans, sme, pledged, UNITS)
    assert certificate.balanceOf(sme, pledged) == UNITS
    assert certificate.balanceOf(loans, pledged) == 10
    assert tuple(loans.custody(pledged)) == (10, 0, False)
    assert loan_of(loans, 2)[-1] == L_CANCELLED
    assert token.balanceOf(sme) == tokens_before


def test_cancelLoanRequest_whilePausedAndBorrowerSuspended(loans, pledged, certificate, consortium, admin, sme):
    request(loans, sme, pledged, UNITS, UNITS)
    certificate.pause({"from": admin})
    consortium.suspend(sme, {"from": admin})

    loans.cancelLoanRequest(1, {"from": sme})

    assert certificate.balanceOf(sme, pledged) == UNITS
    assert certificate.balanceOf(loans, pledged) == 0
    assert loan_of(loans, 1)[-1] == L_CANCELLED


def test_cancelLoanRequest_afterExpiry(loans, pledged, certificate, sme):
    request(loans, sme, pledged, UNITS, UNITS, expiry=now() + DAY)
    mine_at(now() + 2 * DAY)
    loans.cancelLoanRequest(1, {"from": sme})
    assert certificate.balanceOf(sme, pledged) == UNITS


# ---------------------------------------------------------------- requestLoan reverts
@pytest.mark.parametrize(
    "units,principal,rate,err",
    [
        (0, 0, RATE, ("InvalidUnits", 0)),
        (UNITS, 0, RATE, ("InvalidPrincipal", 0, UNITS)),
        (UNITS, UNITS + 1, RATE, ("InvalidPrincipal", UNITS + 1, UNITS)),
        (UNITS, 2**256 - 1, RATE, ("InvalidPrincipal", 2**256 - 1, UNITS)),
        (UNITS, UNITS, MAX_RATE + 1, ("InvalidRate", MAX_RATE + 1, MAX_RATE)),
        (UNITS, UNITS, 2**256 - 1, ("InvalidRate", 2**256 - 1, MAX_RATE)),
    ],
)
def test_revert_whenBadTerms(loans, pledged, certificate, token, sme, units, principal, rate, err):
    before = _state(loans, certificate, token, [sme], pledged)
    with reverts(*err):
        request(loans, sme, pledged, units, principal, rate)
    assert _state(loans, certificate, token, [sme], pledged) == before


def test_revert_whenExpiryNotInFuture(loans, pledged, sme):
    t = now() + 100
    next_block_at(t)
    with reverts("ExpiryNotInFuture", t, t):
        request(loans, sme, pledged, UNITS, UNITS, expiry=t)
    assert loans.loanCount() == 0


def test_revert_whenUnknownCertificate(loans, pledged, sme):
    with reverts("UnknownCertificate", 999):
        request(loans, sme, 999, UNITS, UNITS)


def test_revert_whenRootClosed(loans, pledged, escrow, core, sme):
    close_paid(escrow, core, pledged)
    with reverts("RootClosed", pledged, PAID):
        request(loans, sme, pledged, UNITS, UNITS)


def test_revert_whenCertificateMatured(loans, pledged, certificate, sme):
    maturity = maturity_of(certificate, pledged)
    next_block_at(maturity)
    with reverts("CertificateMatured", pledged, maturity):
        request(loans, sme, pledged, UNITS, UNITS, expiry=maturity + DAY)
    assert loans.loanCount() == 0


def test_revert_whenPaused(loans, pledged, certificate, token, admin, sme):
    certificate.pause({"from": admin})
    before = _state(loans, certificate, token, [sme], pledged)
    with reverts("EnforcedPause"):
        request(loans, sme, pledged, UNITS, UNITS)
    assert _state(loans, certificate, token, [sme], pledged) == before


def test_revert_whenBorrowerSuspended(loans, pledged, consortium, admin, sme):
    consortium.suspend(sme, {"from": admin})
    with reverts("InactiveMember", sme):
        request(loans, sme, pledged, UNITS, UNITS)
    assert loans.loanCount() == 0


def test_revert_whenNotMember(loans, pledged, certificate, outsider):
    certificate.setApprovalForAll(loans, True, {"from": outsider})
    with reverts("InactiveMember", outsider):
        request(loans, outsider, pledged, UNITS, UNITS)


def test_revert_whenDeskNotApproved(loans, pledged, certificate, sme):
    certificate.setApprovalForAll(loans, False, {"from": sme})
    with reverts("ERC1155MissingApprovalForAll", loans, sme):
        request(loans, sme, pledged, UNITS, UNITS)
    assert loans.loanCount() == 0


def test_revert_whenUnitsExceedBalance(loans, pledged, certificate, sme):
    with reverts("ERC1155InsufficientBalance", sme, UNITS, UNITS + 1, pledged):
        request(loans, sme, pledged, UNITS + 1, UNITS)
    assert tuple(loans.custody(pledged)) == (0, 0, False)


def test_revert_whenUnitsBeyond112Bits(loans, pledged, sme):
    with reverts("SafeCastOverflowedUintDowncast", 112, 2**112):
        request(loans, sme, pledged, 2**112, 1)


def test_revert_whenInterestToMaturityBeyond104Bits(loans, system, certificate, core, bank, tier1, escrow):
    """A principal of 2**111 at 100 % for 90 days owes more than 2**104 by maturity: refused up front, so no
    repayment can ever overflow the desk's accounting."""
    certificate.setCreditLine(core, 2**112, {"from": bank})
    face = 2**111
    maturity = now() + 90 * DAY
    root = certificate.issue(tier1, face, maturity, "0x" + "ab" * 32, {"from": core}).return_value
    t = now() + 10
    next_block_at(t)
    interest = -(-face * MAX_RATE * (maturity - t) // (BPS * YEAR))
    assert interest > 2**104 - 1
    with reverts("LoanTooLarge", face, interest):
        request(loans, tier1, root, face, face, rate=MAX_RATE)
    # The same principal at a rate that keeps the interest within 104 bits is accepted.
    request(loans, tier1, root, face, face, rate=1)


# ---------------------------------------------------------------- cancelLoanRequest reverts
def test_revert_cancel_whenUnknownLoan(loans, sme):
    with reverts("UnknownLoan", 7):
        loans.cancelLoanRequest(7, {"from": sme})


def test_revert_cancel_whenNotBorrower(loans, pledged, certificate, sme, tier1):
    request(loans, sme, pledged, UNITS, UNITS)
    with reverts("NotBorrower", 1, tier1):
        loans.cancelLoanRequest(1, {"from": tier1})
    assert loan_of(loans, 1)[-1] == L_REQUESTED
    assert certificate.balanceOf(loans, pledged) == UNITS


def test_revert_cancel_whenFunded(loans, pledged, sme, factor):
    request(loans, sme, pledged, UNITS, UNITS)
    loans.fundLoan(1, {"from": factor})
    with reverts("InvalidLoanState", 1, L_FUNDED):
        loans.cancelLoanRequest(1, {"from": sme})


def test_revert_cancel_twice(loans, pledged, sme):
    request(loans, sme, pledged, UNITS, UNITS)
    loans.cancelLoanRequest(1, {"from": sme})
    with reverts("InvalidLoanState", 1, L_CANCELLED):
        loans.cancelLoanRequest(1, {"from": sme})





def test_cancelEveryLoanOnAnId_resetsItsCount_andTheNextLoanStartsAfresh(loans, pledged, certificate, tier1, tier2a):
    """From a second live loan on an id the desk counts the id's units; when the last of them leaves the count
    is cleared, and a later loan on the id is again the only one (the desk's balance is its units)."""
    request(loans, tier1, pledged, 1_000, 1_000)
    request(loans, tier2a, pledged, 2_000, 1_000)
    assert tuple(loans.custody(pledged)) == (3_000, 0, False)
    loans.cancelLoanRequest(1, {"from": tier1})
    assert tuple(loans.custody(pledged)) == (2_000, 0, False)
    loans.cancelLoanRequest(2, {"from": tier2a})
    assert tuple(loans.custody(pledged)) == (0, 0, False)
    assert certificate.balanceOf(loans, pledged) == 0
    request(loans, tier1, pledged, 500, 500)
    assert tuple(loans.custody(pledged)) == (0, 0, False)
    request(loans, tier2a, pledged, 700, 500)
    assert tuple(loans.custody(pledged)) == (1_200, 0, False)
    assert certificate.balanceOf(loans, pledged) == 1_200

"""Attacks on the LoanDesk (SPEC invariant 6 and issue 10 point 7).

- A borrower contract re-entering the desk from its ERC-1155 receiver hook when its units come back
  (cancel, full repayment), and one refusing them.
- A lender contract re-entering from a payment token's transfer callback (QuirkyToken notifies it) while it is
  repaid or settled.
- Payment tokens that lie (return false without moving anything), return nothing, or revert.
"""
import pytest
from brownie import (
    CertificateReceiverMock,
    QuirkyToken,
    ReentrantFinancier,
    accounts,
)
from eth_utils import keccak
from hexbytes import HexBytes

from tests.conftest import FACE, GRACE_PERIOD
from tests.deploy_support import deploy_with_members
from tests.helpers import DAY, ROLE, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

NORMAL, RETURN_FALSE, RETURN_NOTHING, REVERT = 0, 1, 2, 3
GUARD = keccak(text="ReentrancyGuardReentrantCall()")[:4]
UNITS = 200_000_00
PRINCIPAL = 150_000_00


def _hook(rx, target, fn, *args):
    rx.setHook(target, fn.encode_input(*args), {"from": accounts[0]})


def _as(rx, target, fn, *args):
    return rx.forward(target, fn.encode_input(*args), {"from": accounts[0]})


@pytest.fixture
def rx(loans, pledged, consortium, certificate, token, admin, tier1):
    """A contract member (supplier and financier) holding UNITS of `pledged`, money, and every approval."""
    rx = ReentrantFinancier.deploy({"from": admin})
    for role in ("SUPPLIER_ROLE", "FINANCIER_ROLE"):
        consortium.onboard(rx, ROLE[role], "Reentrant member", {"from": admin})
    token.mint(rx, 10 * FACE, {"from": admin})
    rx.forward(token, token.approve.encode_input(loans, 2**256 - 1), {"from": admin})
    rx.forward(certificate, certificate.setApprovalForAll.encode_input(loans, True), {"from": admin})
    certificate.safeTransferFrom(tier1, rx, pledged, UNITS, "", {"from": tier1})
    return rx


def _hook_failed_with_guard(tx):
    """The reentrant call was made and refused by the desk's reentrancy guard."""
    called = tx.events["HookCalled"]
    return called["ok"] is False and bytes(HexBytes(called["result"]))[:4] == GUARD


# ---------------------------------------------------------------- a borrower re-entering as its units come back
@pytest.mark.parametrize("reenter", ["cancel", "request", "repay_other"])
def test_borrowerReentersFromReceiverHook_onCancel_refused_unitsBackOnce(
    loans, pledged, rx, certificate, tier2a, factor, reenter
):
    _as(rx, loans, loans.requestLoan, pledged, UNITS // 2, 1, 0, ZERO_ADDRESS, now() + DAY)
    request(loans, tier2a, pledged, 100, 100)
    fund(loans, 2, factor)
    target = {
        "cancel": (loans.cancelLoanRequest, 1),
        "request": (loans.requestLoan, pledged, UNITS // 2, 1, 0, ZERO_ADDRESS, now() + DAY),
        "repay_other": (loans.repayLoan, 2, 1),
    }[reenter]
    _hook(rx, loans, *target)
    rx.setSwallow(True, {"from": accounts[0]})

    tx = _as(rx, loans, loans.cancelLoanRequest, 1)

    assert _hook_failed_with_guard(tx)
    assert certificate.balanceOf(rx, pledged) == UNITS
    assert certificate.balanceOf(loans, pledged) == 100
    assert loan_of(loans, 1)[-1] == L_CANCELLED
    assert loans.loanCount() == 2
    assert loans.debt(2) >= 100 and loan_of(loans, 2)[-1] == L_FUNDED


def test_borrowerReentersFromReceiverHook_onFullRepayment_refused(loans, pledged, rx, certificate, token, factor):
    _as(rx, loans, loans.requestLoan, pledged, UNITS, PRINCIPAL, RATE, factor, now() + DAY)
    fund(loans, 1, factor)
    _hook(rx, loans, loans.repayLoan, 1, 1)
    rx.setSwallow(True, {"from": accounts[0]})
    lender_before = token.balanceOf(factor)

    tx = _as(rx, loans, loans.repayLoan, 1, 2**255)

    assert _hook_failed_with_guard(tx)
    repaid = tx.events["LoanRepaid"]
    assert len(tx.events["LoanRepaid"]) == 1 and repaid["remainingDebt"] == 0
    assert token.balanceOf(factor) == lender_before + repaid["amount"]
    assert certificate.balanceOf(rx, pledged) == UNITS
    assert loan_of(loans, 1)[-1] == L_REPAID


def test_borrowerReentryNotSwallowed_onlyRevertsItsOwnCall(loans, pledged, rx, certificate):
    _as(rx, loans, loans.requestLoan, pledged, UNITS, 1, 0, ZERO_ADDRESS, now() + DAY)
    _hook(rx, loans, loans.cancelLoanRequest, 1)
    with reverts("ReentrancyGuardReentrantCall"):
        _as(rx, loans, loans.cancelLoanRequest, 1)
    assert loan_of(loans, 1)[-1] == L_REQUESTED
    assert certificate.balanceOf(loans, pledged) == UNITS


def test_borrowerRefusingItsUnits_cannotKeepTheLenderFromThePayout(
    loans, pledged, consortium, certificate, token, escrow, admin, core, tier1, factor
):
    """A borrower contract whose receiver hook reverts blocks only the return of its own units; the lender is
    still paid at the root's closing, by settleLoan."""
    mock = CertificateReceiverMock.deploy(0, {"from": admin})
    consortium.onboard(mock, ROLE["SUPPLIER_ROLE"], "Refusing borrower", {"from": admin})
    certificate.safeTransferFrom(tier1, mock, pledged, UNITS, "", {"from": tier1})
    mock.forward(certificate, certificate.setApprovalForAll.encode_input(loans, True), {"from": admin})
    mock.forward(loans, loans.requestLoan.encode_input(pledged, UNITS, PRINCIPAL, RATE, factor, now() + DAY),
                 {"from": admin})
    tx = fund(loans, 1, factor)
    oracle = LoanOracle(PRINCIPAL, RATE, tx.timestamp, maturity_of(certificate, pledged))
    mock.setMode(3, {"from": admin})  # RevertWithError
    with reverts("ReceiverRejected", loans, loans, pledged, UNITS):
        loans.repayLoan(1, 2**255, {"from": core})
    close_paid(escrow, core, pledged)
    before = (token.balanceOf(factor), token.balanceOf(mock))
    tx = loans.settleLoan(1, {"from": factor})
    debt = oracle.debt(tx.timestamp)
    assert tx.events["LoanSettled"]["toLender"] == debt
    assert token.balanceOf(factor) == before[0] + debt
    assert token.balanceOf(mock) == before[1] + UNITS - debt


# ---------------------------------------------------------------- desk over a token that misbehaves
@pytest.fixture
def qdesk(members, admin, core, bank, factor, tier1, sme):
    """The whole system over a QuirkyToken, with a LoanDesk; sme holds a quarter of a 90-day root."""
    qtoken = QuirkyToken.deploy(admin, {"from": admin})
    c = deploy_with_members(qtoken, admin, GRACE_PERIOD, members)
    certificate, escrow, desk = c["certificate"], c["escrow"], c["loan_desk"]
    certificate.setCreditLine(core, 10 * FACE, {"from": bank})
    for who in (core, bank, factor, tier1, sme):
        qtoken.mint(who, 10 * FACE, {"from": admin})
        for spender in (escrow, desk):
            qtoken.approve(spender, 2**256 - 1, {"from": who})
    root = certificate.issue(tier1, FACE, now() + 90 * DAY, "0x" + "12" * 32, {"from": core}).return_value
    certificate.safeTransferFrom(tier1, sme, root, FACE // 4, "", {"from": tier1})
    for who in (tier1, sme):
        certificate.setApprovalForAll(desk, True, {"from": who})
    return {"token": qtoken, "certificate": certificate, "escrow": escrow, "desk": desk, "root": root,
            "consortium": c["consortium"]}


@pytest.fixture
def qlender(qdesk, admin):
    """A contract financier the quirky token calls back whenever it is paid."""
    q = qdesk
    lender = ReentrantFinancier.deploy({"from": admin})
    q["consortium"].onboard(lender, ROLE["FINANCIER_ROLE"], "Reentrant lender", {"from": admin})
    q["token"].mint(lender, 10 * FACE, {"from": admin})
    lender.forward(q["token"], q["token"].approve.encode_input(q["desk"], 2**256 - 1), {"from": admin})
    q["token"].setNotified(lender, True, {"from": admin})
    lender.setSwallow(True, {"from": admin})
    return lender


def test_lenderReentersFromTokenCallback_onRepayment_refused(qdesk, qlender, sme, core):
    q, lender = qdesk, qlender
    desk, token = q["desk"], q["token"]
    desk.requestLoan(q["root"], UNITS, PRINCIPAL, RATE, lender, now() + DAY, {"from": sme})
    desk.requestLoan(q["root"], UNITS // 4, PRINCIPAL // 4, RATE, ZERO_ADDRESS, now() + DAY, {"from": sme})
    _as(lender, desk, desk.fundLoan, 1)
    _as(lender, desk, desk.fundLoan, 2)
    _hook(lender, desk, desk.repayLoan, 2, 1_00)  # would make someone else's repayment on its own terms
    before = token.balanceOf(lender)

    tx = desk.repayLoan(1, 10_000_00, {"from": core})

    assert _hook_failed_with_guard(tx)
    assert len(tx.events["LoanRepaid"]) == 1
    assert token.balanceOf(lender) == before + 10_000_00
    assert desk.debtParts(2)[0] == PRINCIPAL // 4


def test_lenderReentersFromTokenCallback_onSettlement_refused_borrowerPaidOnce(qdesk, qlender, sme, core, admin):
    q, lender = qdesk, qlender
    desk, token, cert = q["desk"], q["token"], q["certificate"]
    desk.requestLoan(q["root"], UNITS, PRINCIPAL, RATE, lender, now() + DAY, {"from": sme})
    desk.requestLoan(q["root"], FACE // 4 - UNITS, 1_00, RATE, lender, now() + DAY, {"from": sme})
    _as(lender, desk, desk.fundLoan, 1)
    _as(lender, desk, desk.fundLoan, 2)
    q["escrow"].repay(q["root"], FACE, {"from": core})
    _hook(lender, desk, desk.settleLoan, 1)  # settle the same loan again from inside its own payment
    sme_before, lender_before = token.balanceOf(sme), token.balanceOf(lender)

    tx = desk.settleLoan(1, {"from": sme})

    assert _hook_failed_with_guard(tx)
    settled = tx.events["LoanSettled"]
    assert len(tx.events["LoanSettled"]) == 1 and settled["payout"] == UNITS
    assert token.balanceOf(lender) == lender_before + settled["toLender"]
    assert token.balanceOf(sme) == sme_before + settled["toBorrower"]
    assert token.balanceOf(desk) == FACE // 4 - UNITS  # loan 2's payout, waiting for it
    desk.settleLoan(2, {"from": sme})
    assert token.balanceOf(desk) == 0 and cert.balanceOf(desk, q["root"]) == 0


def test_tokenLying_onFunding_andRepayment_revertsAndChangesNothing(qdesk, sme, bank, core, admin):
    q = qdesk
    desk, token = q["desk"], q["token"]
    desk.requestLoan(q["root"], UNITS, PRINCIPAL, RATE, ZERO_ADDRESS, now() + DAY, {"from": sme})
    desk.requestLoan(q["root"], UNITS // 4, 1_00, RATE, ZERO_ADDRESS, now() + DAY, {"from": sme})
    desk.fundLoan(2, {"from": bank})
    token.setMode(RETURN_FALSE, {"from": admin})
    balances = [token.balanceOf(a) for a in (sme, bank, core, desk)]

    with reverts("SafeERC20FailedOperation", token):
        desk.fundLoan(1, {"from": bank})
    with reverts("SafeERC20FailedOperation", token):
        desk.repayLoan(2, 2**255, {"from": core})

    assert desk.loan(1)[-1] == L_REQUESTED and desk.loan(2)[-1] == L_FUNDED
    assert desk.debtParts(2)[0] == 1_00
    assert [token.balanceOf(a) for a in (sme, bank, core, desk)] == balances


def test_tokenLying_onSettlement_reverts_thenSettlesOnceItPays(qdesk, sme, bank, core, admin):
    """Nothing is lost while the token refuses: the settlement reverts whole and succeeds later."""
    q = qdesk
    desk, token, cert = q["desk"], q["token"], q["certificate"]
    desk.requestLoan(q["root"], UNITS, PRINCIPAL, RATE, ZERO_ADDRESS, now() + DAY, {"from": sme})
    desk.fundLoan(1, {"from": bank})
    q["escrow"].repay(q["root"], FACE, {"from": core})
    for mode, err in ((RETURN_FALSE, ("SafeERC20FailedOperation", token)), (REVERT, ("TokenRefused",))):
        token.setMode(mode, {"from": admin})
        with reverts(*err):
            desk.settleLoan(1, {"from": sme})
        assert desk.loan(1)[-1] == L_FUNDED and cert.balanceOf(desk, q["root"]) == UNITS
    token.setMode(NORMAL, {"from": admin})
    tx = desk.settleLoan(1, {"from": sme})
    assert tx.events["LoanSettled"]["payout"] == UNITS
    assert token.balanceOf(desk) == 0


def test_tokenReturningNothing_wholeLoanLifecycleWorks(qdesk, sme, bank, core, clearing, admin):
    q = qdesk
    desk, token, cert = q["desk"], q["token"], q["certificate"]
    token.setMode(RETURN_NOTHING, {"from": admin})
    desk.requestLoan(q["root"], UNITS, PRINCIPAL, 0, ZERO_ADDRESS, now() + DAY, {"from": sme})
    desk.requestLoan(q["root"], UNITS // 4, 1_00, 0, ZERO_ADDRESS, now() + DAY, {"from": sme})
    sme_before, bank_before = token.balanceOf(sme), token.balanceOf(bank)
    desk.fundLoan(1, {"from": bank})
    desk.fundLoan(2, {"from": bank})
    assert token.balanceOf(sme) == sme_before + PRINCIPAL + 1_00
    desk.repayLoan(2, 2**255, {"from": sme})
    assert cert.balanceOf(sme, q["root"]) == FACE // 4 - UNITS
    q["escrow"].repay(q["root"], FACE, {"from": core})
    q["escrow"].settle([q["root"]], [desk], {"from": clearing})
    tx = desk.settleLoan(1, {"from": sme})
    assert (tx.events["LoanSettled"]["toLender"], tx.events["LoanSettled"]["toBorrower"]) == (
        PRINCIPAL, UNITS - PRINCIPAL)
    assert token.balanceOf(bank) == bank_before and token.balanceOf(desk) == 0

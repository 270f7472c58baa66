"""A payee the payment token refuses (a stablecoin's blocklist) never blocks the other party: its repayment or
share is held by the desk (`PaymentHeld`, `owed`) while the loan goes on exactly as if it were paid, and the payee
withdraws it later, exactly once, whatever the pause or its suspension. Oracles: the token's balances and
Transfer events, SPEC's interest formula (LoanOracle) and known amounts."""
import pytest

from tests.conftest import FACE
from tests.helpers import DAY, doc_hash, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403
from tests.test_loan_invariants import Ledger

UNITS = 200_000_00
PRINCIPAL = 100_000_00


@pytest.fixture(scope="module")
def bl(blocklist_system, admin, core, tier1, factor):
    """A LoanDesk on the blocklist token's system; tier1 borrows, factor lends, both with money and approvals."""
    b = dict(blocklist_system)
    desk = b["loan_desk"]
    for who in (tier1, factor):
        b["token"].mint(who, 10 * FACE, {"from": admin})
        b["token"].approve(desk, 2**256 - 1, {"from": who})
    b["certificate"].setApprovalForAll(desk, True, {"from": tier1})
    b["desk"] = desk
    return b


@pytest.fixture
def funded(bl, core, tier1, factor):
    """A 90-day root of FACE units to tier1, UNITS of it pledged for PRINCIPAL from factor; its oracle."""
    cert, desk = bl["certificate"], bl["desk"]
    root = cert.issue(tier1, FACE, now() + 90 * DAY, doc_hash(f"blocked-{now()}"), {"from": core}).return_value
    lid = request(desk, tier1, root, UNITS, PRINCIPAL).return_value
    tx = fund(desk, lid, factor)
    oracle = LoanOracle(PRINCIPAL, RATE, tx.timestamp, maturity_of(cert, root))
    return root, lid, oracle


def _transfers(tx, token):
    return [(e["from"], e["to"], e["value"]) for e in tx.events["Transfer"] if e.address == token.address] \
        if "Transfer" in tx.events else []


def test_blockedLender_repaymentsHeld_unitsBack_lenderWithdrawsOnce(bl, funded, admin, tier1, factor):
    token, cert, desk = bl["token"], bl["certificate"], bl["desk"]
    root, lid, oracle = funded
    token.blockAccount(factor, {"from": admin})
    lender0, borrower0 = token.balanceOf(factor), token.balanceOf(tier1)

    next_block_at(now() + 10 * DAY)
    tx = desk.repayLoan(lid, 30_000_00, {"from": tier1})
    pulled, left = oracle.pay(30_000_00, tx.timestamp)
    assert pulled == 30_000_00
    assert events(tx, "LoanRepaid") == [{"loanId": lid, "payer": tier1, "amount": pulled, "remainingDebt": left}]
    assert events(tx, "PaymentHeld") == [{"loanId": lid, "payee": factor, "amount": pulled}]
    assert _transfers(tx, token) == [(tier1, desk, pulled)]
    assert desk.owed(factor) == pulled and token.balanceOf(desk) == pulled

    next_block_at(now() + 20 * DAY)
    tx2 = desk.repayLoan(lid, 2**255, {"from": tier1})
    pulled2, left2 = oracle.pay(2**255, tx2.timestamp)
    assert left2 == 0
    assert events(tx2, "LoanRepaid") == [{"loanId": lid, "payer": tier1, "amount": pulled2, "remainingDebt": 0}]
    assert events(tx2, "PaymentHeld") == [{"loanId": lid, "payee": factor, "amount": pulled2}]
    assert _transfers(tx2, token) == [(tier1, desk, pulled2)]
    assert loan_of(desk, lid)[-1] == L_REPAID
    assert cert.balanceOf(tier1, root) == FACE and cert.balanceOf(desk, root) == 0
    held = pulled + pulled2
    assert desk.owed(factor) == held and token.balanceOf(desk) == held
    assert token.balanceOf(factor) == lender0 and token.balanceOf(tier1) == borrower0 - held

    with reverts("AccountBlocked", factor):  # the token still refuses it: nothing moves, it stays owed
        desk.withdraw({"from": factor})
    assert desk.owed(factor) == held
    with reverts("NothingOwed", tier1):  # nobody else can take it
        desk.withdraw({"from": tier1})

    token.unblockAccount(factor, {"from": admin})
    tx3 = desk.withdraw({"from": factor})
    assert tx3.return_value == held
    assert events(tx3, "PaymentWithdrawn") == [{"payee": factor, "to": factor, "amount": held}]
    assert _transfers(tx3, token) == [(desk, factor, held)]
    assert token.balanceOf(factor) == lender0 + held and token.balanceOf(desk) == 0 and desk.owed(factor) == 0
    with reverts("NothingOwed", factor):
        desk.withdraw({"from": factor})


def test_blockedBorrower_atSettle_lenderPaid_remainderHeld_withdrawnLater(bl, funded, admin, core, tier1, factor, clearing):
    token, cert, desk, escrow = bl["token"], bl["certificate"], bl["desk"], bl["escrow"]
    root, lid, oracle = funded
    close_paid(escrow, core, root)
    token.blockAccount(tier1, {"from": admin})
    lender0, borrower0 = token.balanceOf(factor), token.balanceOf(tier1)
    next_block_at(now() + 5 * DAY)
    tx = desk.settleLoan(lid, {"from": clearing})
    debt = oracle.debt(tx.timestamp)
    payout = UNITS  # paid in full: one unit pays one token unit
    assert events(tx, "LoanSettled") == [{"loanId": lid, "payout": payout, "toLender": debt,
                                          "toBorrower": payout - debt}]
    assert events(tx, "PaymentHeld") == [{"loanId": lid, "payee": tier1, "amount": payout - debt}]
    assert _transfers(tx, token) == [(escrow, desk, payout), (desk, factor, debt)]
    assert loan_of(desk, lid)[-1] == L_SETTLED
    assert token.balanceOf(factor) == lender0 + debt and token.balanceOf(tier1) == borrower0
    assert desk.owed(tier1) == payout - debt == token.balanceOf(desk)

    token.unblockAccount(tier1, {"from": admin})
    tx2 = desk.withdraw({"from": tier1})
    assert events(tx2, "PaymentWithdrawn") == [{"payee": tier1, "to": tier1, "amount": payout - debt}]
    assert token.balanceOf(tier1) == borrower0 + payout - debt and token.balanceOf(desk) == 0


def test_bothBlocked_repayToZeroAfterClose_bothHeld(bl, funded, admin, core, tier1, factor, bank):
    """The last repayment after the root closed pays the lender (the payer's money) and the borrower (the whole
    payout): each refused leg is held for its payee; a third party repays."""
    token, cert, desk, escrow = bl["token"], bl["certificate"], bl["desk"], bl["escrow"]
    root, lid, oracle = funded
    close_paid(escrow, core, root)
    token.mint(bank, FACE, {"from": admin})
    token.approve(desk, 2**256 - 1, {"from": bank})
    led = Ledger(desk, cert, token)
    led.ids.add(root)
    led.units[lid] = (root, UNITS)
    led.live.add(lid)
    for who in (tier1, factor):
        token.blockAccount(who, {"from": admin})
    tx = desk.repayLoan(lid, 2**255, {"from": bank})
    led.record(tx)
    led.check()  # invariant 7: the desk's money is the held payments
    pulled, _ = oracle.pay(2**255, tx.timestamp)
    assert events(tx, "LoanSettled") == [{"loanId": lid, "payout": UNITS, "toLender": 0, "toBorrower": UNITS}]
    assert events(tx, "PaymentHeld") == [{"loanId": lid, "payee": factor, "amount": pulled},
                                         {"loanId": lid, "payee": tier1, "amount": UNITS}]
    assert desk.owed(factor) == pulled and desk.owed(tier1) == UNITS
    assert token.balanceOf(desk) == pulled + UNITS
    token.unblockAccount(factor, {"from": admin})
    led.record(desk.withdraw({"from": factor}))
    led.check()
    assert token.balanceOf(desk) == UNITS


def test_cancelAfterClose_blockedBorrower_payoutHeld(bl, core, tier1, admin):
    token, cert, desk, escrow = bl["token"], bl["certificate"], bl["desk"], bl["escrow"]
    root = cert.issue(tier1, FACE, now() + 90 * DAY, doc_hash("blocked-cancel"), {"from": core}).return_value
    lid = request(desk, tier1, root, UNITS, PRINCIPAL).return_value
    close_paid(escrow, core, root)
    token.blockAccount(tier1, {"from": admin})
    tx = desk.cancelLoanRequest(lid, {"from": tier1})
    assert events(tx, "PaymentHeld") == [{"loanId": lid, "payee": tier1, "amount": UNITS}]
    assert loan_of(desk, lid)[-1] == L_CANCELLED and desk.owed(tier1) == UNITS == token.balanceOf(desk)


def test_withdraw_whilePausedAndSuspended(bl, funded, admin, tier1, factor):
    token, cert, desk = bl["token"], bl["certificate"], bl["desk"]
    _, lid, _ = funded
    token.blockAccount(factor, {"from": admin})
    desk.repayLoan(lid, 1_000_00, {"from": tier1})
    token.unblockAccount(factor, {"from": admin})
    cert.pause({"from": admin})
    bl["consortium"].suspend(factor, {"from": admin})
    before = token.balanceOf(factor)
    tx = desk.withdraw({"from": factor})
    assert events(tx, "PaymentWithdrawn") == [{"payee": factor, "to": factor, "amount": 1_000_00}]
    assert token.balanceOf(factor) == before + 1_000_00 and desk.owed(factor) == 0


def test_revert_withdraw_whenNothingOwed(bl, tier1):
    with reverts("NothingOwed", tier1):
        bl["desk"].withdraw({"from": tier1})


def test_revert_repay_whenPayerBlocked_nothingChanges(bl, funded, admin, tier1, factor):
    """The payer itself refused: it cannot pay the lender nor the desk, so the repayment reverts as before."""
    token, desk = bl["token"], bl["desk"]
    _, lid, _ = funded
    token.blockAccount(tier1, {"from": admin})
    debt = desk.debt(lid)
    with reverts("AccountBlocked", tier1):
        desk.repayLoan(lid, 1_000_00, {"from": tier1})
    assert loan_of(desk, lid)[-1] == L_FUNDED and desk.owed(factor) == 0 and token.balanceOf(desk) == 0
    assert desk.debt(lid) >= debt


def test_happyPath_holdsNothing(bl, funded, tier1, factor):
    token, desk = bl["token"], bl["desk"]
    _, lid, _ = funded
    tx = desk.repayLoan(lid, 1_000_00, {"from": tier1})
    assert "PaymentHeld" not in tx.events and _transfers(tx, token) == [(tier1, factor, 1_000_00)]
    assert desk.owed(factor) == 0 and token.balanceOf(desk) == 0

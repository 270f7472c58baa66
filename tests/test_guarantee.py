"""CreditGuarantee: providing collateral, releasing it after expiry + grace, and every revert path."""
from brownie import CreditGuarantee, chain

from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY, ROLE, reverts
from tests.money_support import *  # noqa: F401,F403

AMOUNT = 3 * FACE


def _provide(guarantee, debtor, guarantor, amount=AMOUNT, days=120):
    expiry = now() + days * DAY
    tx = guarantee.provide(debtor, amount, expiry, {"from": guarantor})
    return tx.return_value, expiry, tx


# ---------------------------------------------------------------- provide
def test_provide_pullsCollateral_andEmitsGuaranteeProvided(system, guarantee, token, core, guarantor):
    before = token.balanceOf(guarantor)
    gid, expiry, tx = _provide(guarantee, core, guarantor)

    assert gid == 1
    assert events(tx, "GuaranteeProvided") == [
        {"guaranteeId": 1, "guarantor": guarantor, "debtor": core, "amount": AMOUNT, "expiry": expiry}
    ]
    assert token.balanceOf(guarantor) == before - AMOUNT
    assert token.balanceOf(guarantee) == AMOUNT
    assert guarantee.available(core) == AMOUNT
    assert tuple(guarantee.guarantee(gid)) == (guarantor.address, core.address, AMOUNT, 0, expiry, False)
    assert guarantee.guaranteeCount() == 1


def test_provide_assignsIncreasingIds_andAvailableSumsPerDebtor(system, guarantee, token, core, tier1, guarantor):
    g1, _, _ = _provide(guarantee, core, guarantor, amount=100)
    g2, _, _ = _provide(guarantee, core, guarantor, amount=250)
    g3, _, _ = _provide(guarantee, tier1, guarantor, amount=7)

    assert (g1, g2, g3) == (1, 2, 3)
    assert guarantee.available(core) == 350
    assert guarantee.available(tier1) == 7
    assert token.balanceOf(guarantee) == 357


def test_available_dropsGuaranteesOnceExpired(system, guarantee, core, guarantor):
    _, short_expiry, _ = _provide(guarantee, core, guarantor, amount=100, days=10)
    _provide(guarantee, core, guarantor, amount=250, days=60)

    mine_at(short_expiry)  # still covered at expiry itself
    assert guarantee.available(core) == 350
    mine_at(short_expiry + 1)
    assert guarantee.available(core) == 250


# ---------------------------------------------------------------- release
def test_releasableAt_isExpiryPlusGracePlusOne(system, guarantee, escrow, core, guarantor):
    gid, expiry, _ = _provide(guarantee, core, guarantor)
    assert escrow.gracePeriod() == GRACE_PERIOD
    assert guarantee.releasableAt(gid) == expiry + GRACE_PERIOD + 1


def test_release_afterExpiryPlusGrace_refundsCollateral(system, guarantee, token, core, guarantor):
    gid, expiry, _ = _provide(guarantee, core, guarantor)
    before = token.balanceOf(guarantor)

    next_block_at(expiry + GRACE_PERIOD + 1)
    tx = guarantee.release(gid, {"from": guarantor})

    assert events(tx, "GuaranteeReleased") == [{"guaranteeId": gid, "amount": AMOUNT}]
    assert token.balanceOf(guarantor) == before + AMOUNT
    assert token.balanceOf(guarantee) == 0
    assert tuple(guarantee.guarantee(gid)) == (guarantor.address, core.address, AMOUNT, 0, expiry, True)
    assert guarantee.available(core) == 0


def test_release_refundsOnlyWhatADefaultLeft(system, guarantee, escrow, token, core, guarantor, issue, certificate):
    gid, expiry, _ = _provide(guarantee, core, guarantor, amount=AMOUNT, days=120)
    root = issue(face=FACE, maturity_days=30)
    escrow.repay(root, FACE // 4, {"from": core})
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD)
    escrow.declareDefault(root, {"from": core})
    used = FACE - FACE // 4
    assert guarantee.guarantee(gid)[3] == used

    before = token.balanceOf(guarantor)
    next_block_at(expiry + GRACE_PERIOD + 1)
    tx = guarantee.release(gid, {"from": guarantor})

    assert events(tx, "GuaranteeReleased") == [{"guaranteeId": gid, "amount": AMOUNT - used}]
    assert token.balanceOf(guarantor) == before + AMOUNT - used
    assert token.balanceOf(guarantee) == 0


def test_release_ofFullyUsedGuarantee_refundsNothing(system, guarantee, escrow, token, core, guarantor, issue, certificate):
    gid, expiry, _ = _provide(guarantee, core, guarantor, amount=FACE // 2, days=120)
    root = issue(face=FACE, maturity_days=30)
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD)
    escrow.declareDefault(root, {"from": core})
    before = token.balanceOf(guarantor)

    next_block_at(expiry + GRACE_PERIOD + 1)
    tx = guarantee.release(gid, {"from": guarantor})

    assert events(tx, "GuaranteeReleased") == [{"guaranteeId": gid, "amount": 0}]
    assert "Transfer" not in tx.events
    assert token.balanceOf(guarantor) == before
    assert guarantee.guarantee(gid)[5] is True


def test_revert_whenReleasedAtExpiry(system, guarantee, core, guarantor):
    gid, expiry, _ = _provide(guarantee, core, guarantor)
    next_block_at(expiry)
    with reverts("GuaranteeLocked", gid, expiry + GRACE_PERIOD + 1):
        guarantee.release(gid, {"from": guarantor})


def test_revert_whenReleasedOneSecondBeforeReleasable(system, guarantee, core, guarantor):
    """At expiry + grace a receivable maturing at expiry can just be declared defaulted: still locked."""
    gid, expiry, _ = _provide(guarantee, core, guarantor)
    next_block_at(expiry + GRACE_PERIOD)
    with reverts("GuaranteeLocked", gid, expiry + GRACE_PERIOD + 1):
        guarantee.release(gid, {"from": guarantor})


def test_defaultAtExpiryPlusGrace_isStillCoveredBeforeRelease(
    system, guarantee, escrow, certificate, token, core, tier1, guarantor, issue
):
    """The reason for the grace lock: a receivable maturing exactly at expiry defaults grace later."""
    root = issue(face=FACE, maturity_days=30)
    maturity = maturity_of(certificate, root)
    gid = guarantee.provide(core, AMOUNT, maturity, {"from": guarantor}).return_value

    next_block_at(maturity + GRACE_PERIOD)
    tx = escrow.declareDefault(root, {"from": tier1})

    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": gid, "rootId": root, "amount": FACE}]
    next_block_at(maturity + GRACE_PERIOD + 1)
    tx = guarantee.release(gid, {"from": guarantor})
    assert events(tx, "GuaranteeReleased") == [{"guaranteeId": gid, "amount": AMOUNT - FACE}]


def test_revert_whenReleasedByAnotherAccount(system, guarantee, core, guarantor, bank):
    gid, expiry, _ = _provide(guarantee, core, guarantor)
    with reverts("NotGuarantor", gid, bank):
        guarantee.release(gid, {"from": bank})
    mine_at(expiry + GRACE_PERIOD + 1)
    with reverts("NotGuarantor", gid, core):
        guarantee.release(gid, {"from": core})


def test_revert_whenReleasedTwice(system, guarantee, token, core, guarantor):
    gid, expiry, _ = _provide(guarantee, core, guarantor)
    mine_at(expiry + GRACE_PERIOD + 1)
    guarantee.release(gid, {"from": guarantor})
    balance = token.balanceOf(guarantor)
    with reverts("GuaranteeAlreadyReleased", gid):
        guarantee.release(gid, {"from": guarantor})
    assert token.balanceOf(guarantor) == balance


def test_revert_whenReleasingUnknownGuarantee(system, guarantee, core, guarantor):
    _provide(guarantee, core, guarantor)
    with reverts("UnknownGuarantee", 2):
        guarantee.release(2, {"from": guarantor})
    with reverts("UnknownGuarantee", 0):
        guarantee.release(0, {"from": guarantor})
    with reverts("UnknownGuarantee", 2):
        guarantee.releasableAt(2)


# ---------------------------------------------------------------- provide reverts
def test_revert_whenProviderIsNotGuarantor(system, guarantee, core, bank, outsider):
    expiry = now() + 30 * DAY
    with reverts("AccessControlUnauthorizedAccount", bank, ROLE["GUARANTOR_ROLE"]):
        guarantee.provide(core, AMOUNT, expiry, {"from": bank})
    with reverts("AccessControlUnauthorizedAccount", outsider, ROLE["GUARANTOR_ROLE"]):
        guarantee.provide(core, AMOUNT, expiry, {"from": outsider})


def test_revert_whenGuarantorIsSuspended(system, guarantee, consortium, token, core, guarantor, admin):
    consortium.suspend(guarantor, {"from": admin})
    with reverts("InactiveMember", guarantor):
        guarantee.provide(core, AMOUNT, now() + 30 * DAY, {"from": guarantor})
    assert token.balanceOf(guarantee) == 0


def test_revert_whenDebtorIsZero(system, guarantee, guarantor):
    with reverts("InvalidDebtor", ZERO_ADDRESS):
        guarantee.provide(ZERO_ADDRESS, AMOUNT, now() + 30 * DAY, {"from": guarantor})


def test_revert_whenAmountIsZero(system, guarantee, core, guarantor):
    with reverts("InvalidAmount", 0):
        guarantee.provide(core, 0, now() + 30 * DAY, {"from": guarantor})


def test_revert_whenAmountDoesNotFit128Bits(system, guarantee, core, guarantor):
    with reverts("InvalidAmount", 2**128):
        guarantee.provide(core, 2**128, now() + 30 * DAY, {"from": guarantor})


def test_revert_whenExpiryIsNotInFuture(system, guarantee, core, guarantor):
    t = now() + 100
    next_block_at(t)
    with reverts("ExpiryNotInFuture", t, t):
        guarantee.provide(core, AMOUNT, t, {"from": guarantor})
    next_block_at(t)
    with reverts("ExpiryNotInFuture", t - 1, t):
        guarantee.provide(core, AMOUNT, t - 1, {"from": guarantor})
    next_block_at(t)
    tx = guarantee.provide(core, AMOUNT, t + 1, {"from": guarantor})  # one second ahead is enough
    assert tx.events["GuaranteeProvided"]["expiry"] == t + 1


def test_revert_whenGuarantorLacksTokens(system, guarantee, token, consortium, core, admin, extra_accounts):
    poor = extra_accounts[5]
    consortium.onboard(poor, ROLE["GUARANTOR_ROLE"], "Poor guarantor", {"from": admin})
    token.approve(guarantee, 2**256 - 1, {"from": poor})
    with reverts("ERC20InsufficientBalance", poor, 0, AMOUNT):
        guarantee.provide(core, AMOUNT, now() + 30 * DAY, {"from": poor})
    assert guarantee.guaranteeCount() == 0


# ---------------------------------------------------------------- escrow wiring
def test_revert_whenCoverIsCalledByNonEscrow(system, guarantee, token, core, guarantor, admin):
    _provide(guarantee, core, guarantor)
    for caller in (admin, guarantor, core):
        with reverts("NotSettlementEscrow", caller):
            guarantee.cover(core, 1, now() + DAY, AMOUNT, {"from": caller})
    assert token.balanceOf(guarantee) == AMOUNT
    assert guarantee.available(core) == AMOUNT


def test_revert_whenSettlementEscrowIsSetTwice(system, guarantee, escrow, admin, outsider):
    with reverts("SettlementEscrowAlreadySet", escrow):
        guarantee.setSettlementEscrow(outsider, {"from": admin})
    assert guarantee.settlementEscrow() == escrow


def test_setSettlementEscrow_onlyAdmin_nonZero_once(consortium, token, admin, bank, escrow):
    fresh = CreditGuarantee.deploy(consortium, token, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount", bank, ROLE["DEFAULT_ADMIN_ROLE"]):
        fresh.setSettlementEscrow(escrow, {"from": bank})
    with reverts("InvalidSettlementEscrow", ZERO_ADDRESS):
        fresh.setSettlementEscrow(ZERO_ADDRESS, {"from": admin})
    tx = fresh.setSettlementEscrow(escrow, {"from": admin})
    assert events(tx, "SettlementEscrowSet") == [{"escrow": escrow}]
    assert fresh.settlementEscrow() == escrow

"""SettlementEscrow: repayment, default with guarantee calls, claims and clearing batches, reverts."""
import pytest
from brownie import chain

from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY, ROLE, reverts
from tests.money_support import *  # noqa: F401,F403


@pytest.fixture
def tree(system, issue, certificate, tier1, tier2a, tier2b, sme):
    """A root (tier1) split into tier2a 30 %, tier2b 20 %; tier2a passes 10 % on to the SME (tier 3).

    Returns (root, child_a, child_b, grandchild) with balances
    tier1: root 50 %, tier2a: child_a 20 %, tier2b: child_b 20 %, sme: grandchild 10 %.
    """
    root = issue(face=FACE)
    child_a, child_b = certificate.split(
        root, [tier2a, tier2b], [FACE * 3 // 10, FACE * 2 // 10], {"from": tier1}
    ).return_value
    (grandchild,) = certificate.split(child_a, [sme], [FACE // 10], {"from": tier2a}).return_value
    return root, child_a, child_b, grandchild


def _default(escrow, certificate, root, caller):
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD)
    return escrow.declareDefault(root, {"from": caller})


# ---------------------------------------------------------------- repay
def test_repay_partial_byAnyone_accumulates(system, escrow, certificate, token, core, bank, issue):
    root = issue(face=FACE)
    outstanding = certificate.outstanding(core)
    bank_before = token.balanceOf(bank)

    tx = escrow.repay(root, 300_000_00, {"from": bank})

    assert events(tx, "Repaid") == [{"rootId": root, "payer": bank, "amount": 300_000_00, "totalPaid": 300_000_00}]
    assert "ReceivableClosed" not in tx.events
    assert escrow.paid(root) == 300_000_00
    assert escrow.recovered(root) == 0
    assert certificate.certificate(root)[6] == ACTIVE
    assert certificate.outstanding(core) == outstanding
    assert token.balanceOf(bank) == bank_before - 300_000_00
    assert token.balanceOf(escrow) == 300_000_00

    tx = escrow.repay(root, 1, {"from": core})
    assert events(tx, "Repaid") == [{"rootId": root, "payer": core, "amount": 1, "totalPaid": 300_000_01}]
    assert escrow.paid(root) == 300_000_01


def test_repay_full_closesRootAsPaid(system, escrow, certificate, token, core, bank, issue):
    root = issue(face=FACE)
    other = issue(face=FACE)
    assert certificate.outstanding(core) == 2 * FACE
    escrow.repay(root, 400_000_00, {"from": bank})

    tx = escrow.repay(root, 600_000_00, {"from": core})

    assert events(tx, "Repaid") == [{"rootId": root, "payer": core, "amount": 600_000_00, "totalPaid": FACE}]
    assert events(tx, "ReceivableClosed") == [{"rootId": root, "status": PAID, "recovered": FACE}]
    assert certificate.outstanding(core) == FACE
    assert certificate.certificate(root)[6] == PAID
    assert certificate.certificate(other)[6] == ACTIVE
    assert escrow.paid(root) == FACE
    assert escrow.recovered(root) == FACE
    assert token.balanceOf(escrow) == FACE


def test_repay_frees_creditLimit_forNewIssues(system, escrow, certificate, core, issue):
    roots = [issue(face=FACE) for _ in range(10)]  # the whole credit line
    assert certificate.outstanding(core) == certificate.creditLimit(core)
    escrow.repay(roots[0], FACE, {"from": core})
    assert certificate.outstanding(core) == 9 * FACE
    issue(face=FACE)
    assert certificate.outstanding(core) == 10 * FACE


def test_repay_worksWhileCertificatesPaused(system, escrow, certificate, admin, core, issue):
    root = issue(face=FACE)
    certificate.pause({"from": admin})
    tx = escrow.repay(root, FACE, {"from": core})
    assert tx.events["ReceivableClosed"]["status"] == PAID


def test_repay_afterMaturityBeforeDefault_stillAccepted(system, escrow, certificate, core, issue):
    root = issue(face=FACE)
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD - 1)
    tx = escrow.repay(root, FACE, {"from": core})
    assert tx.events["ReceivableClosed"]["status"] == PAID


def test_revert_whenOverpaying(system, escrow, token, core, issue):
    root = issue(face=FACE)
    escrow.repay(root, 700_000_00, {"from": core})
    with reverts("Overpayment", root, 300_000_00, 300_000_01):
        escrow.repay(root, 300_000_01, {"from": core})
    assert escrow.paid(root) == 700_000_00
    assert token.balanceOf(escrow) == 700_000_00


def test_revert_whenRepayingZero(system, escrow, core, issue):
    root = issue(face=FACE)
    with reverts("InvalidAmount", 0):
        escrow.repay(root, 0, {"from": core})


def test_revert_whenRepayingChildCertificate(system, escrow, core, tree):
    _, child_a, _, grandchild = tree
    with reverts("NotARoot", child_a):
        escrow.repay(child_a, 1, {"from": core})
    with reverts("NotARoot", grandchild):
        escrow.repay(grandchild, 1, {"from": core})


def test_revert_whenRepayingUnknownId(system, escrow, core, tree):
    with reverts("UnknownCertificate", 77):
        escrow.repay(77, 1, {"from": core})


def test_revert_whenRepayingClosedRoot(system, escrow, certificate, core, issue):
    paid_root = issue(face=FACE)
    escrow.repay(paid_root, FACE, {"from": core})
    with reverts("RootNotActive", paid_root, PAID):
        escrow.repay(paid_root, 1, {"from": core})

    defaulted = issue(face=FACE, maturity_days=10)
    _default(escrow, certificate, defaulted, core)
    with reverts("RootNotActive", defaulted, DEFAULTED):
        escrow.repay(defaulted, 1, {"from": core})


def test_revert_whenPayerHasNoAllowance(system, escrow, token, admin, tier2b, issue):
    root = issue(face=FACE)
    token.mint(tier2b, 10, {"from": admin})
    with reverts("ERC20InsufficientAllowance", escrow, 0, 10):
        escrow.repay(root, 10, {"from": tier2b})
    assert escrow.paid(root) == 0


# ---------------------------------------------------------------- claim
def test_claim_burnsUnits_andPaysFullFaceOnPaidRoot(system, escrow, certificate, token, core, tier1, tier2a, sme, tree):
    root, child_a, child_b, grandchild = tree
    escrow.repay(root, FACE, {"from": core})

    tx = escrow.claim([grandchild], {"from": sme})

    assert tx.return_value == FACE // 10
    assert events(tx, "Claimed") == [
        {"id": grandchild, "rootId": root, "holder": sme, "units": FACE // 10, "payout": FACE // 10}
    ]
    assert events(tx, "TransferSingle") == [
        {"operator": escrow, "from": sme, "to": ZERO_ADDRESS, "id": grandchild, "value": FACE // 10}
    ]
    assert certificate.balanceOf(sme, grandchild) == 0
    assert token.balanceOf(sme) == FACE // 10
    assert token.balanceOf(escrow) == FACE - FACE // 10


def test_claim_severalIds_oneTransfer_andSkipsZeroBalances(system, escrow, certificate, token, core, tier1, tier2a, tree):
    root, child_a, child_b, grandchild = tree
    certificate.safeTransferFrom(tier2a, tier1, child_a, 50_000_00, "", {"from": tier2a})
    escrow.repay(root, FACE, {"from": core})

    # tier1 holds root (50 %) and part of child_a (5 %), nothing of child_b or grandchild.
    tx = escrow.claim([root, child_b, child_a, grandchild], {"from": tier1})

    assert tx.return_value == FACE // 2 + 50_000_00
    assert events(tx, "Claimed") == [
        {"id": root, "rootId": root, "holder": tier1, "units": FACE // 2, "payout": FACE // 2},
        {"id": child_a, "rootId": root, "holder": tier1, "units": 50_000_00, "payout": 50_000_00},
    ]
    assert events(tx, "Transfer") == [{"from": escrow, "to": tier1, "value": FACE // 2 + 50_000_00}]
    assert certificate.balanceOf(tier1, root) == 0
    assert certificate.balanceOf(tier1, child_a) == 0
    assert certificate.balanceOf(tier2a, child_a) == 150_000_00  # the other holder's units are untouched


def test_claim_worksWhileCertificatesPaused(system, escrow, certificate, token, core, admin, tier2b, tree):
    root, _, child_b, _ = tree
    escrow.repay(root, FACE, {"from": core})
    certificate.pause({"from": admin})
    tx = escrow.claim([child_b], {"from": tier2b})
    assert tx.return_value == FACE * 2 // 10
    assert token.balanceOf(tier2b) == FACE * 2 // 10


def test_claim_bySuspendedMember(system, escrow, certificate, consortium, token, core, admin, sme, tree):
    root, _, _, grandchild = tree
    escrow.repay(root, FACE, {"from": core})
    consortium.suspend(sme, {"from": admin})
    assert not consortium.isActive(sme)
    tx = escrow.claim([grandchild], {"from": sme})
    assert tx.events["Claimed"]["holder"] == sme
    assert token.balanceOf(sme) == FACE // 10


def test_claimable_matchesPayout(system, escrow, core, tier2b, tree):
    root, _, child_b, _ = tree
    assert escrow.claimable(child_b, tier2b) == 0  # open root
    escrow.repay(root, FACE, {"from": core})
    expected = escrow.claimable(child_b, tier2b)
    assert expected == FACE * 2 // 10
    assert escrow.claim([child_b], {"from": tier2b}).return_value == expected
    assert escrow.claimable(child_b, tier2b) == 0


def test_revert_whenClaimingBeforeRootCloses(system, escrow, core, tier2b, tree):
    root, _, child_b, _ = tree
    escrow.repay(root, FACE - 1, {"from": core})
    with reverts("RootNotClosed", root):
        escrow.claim([child_b], {"from": tier2b})


def test_revert_whenClaimingTwice(system, escrow, token, core, tier2b, tree):
    root, _, child_b, _ = tree
    escrow.repay(root, FACE, {"from": core})
    escrow.claim([child_b], {"from": tier2b})
    with reverts("NothingToClaim", tier2b):
        escrow.claim([child_b], {"from": tier2b})
    assert token.balanceOf(tier2b) == FACE * 2 // 10


def test_revert_whenClaimingWithNoBalanceOrNoIds(system, escrow, core, outsider, tree):
    root, _, child_b, _ = tree
    escrow.repay(root, FACE, {"from": core})
    with reverts("NothingToClaim", outsider):
        escrow.claim([root, child_b], {"from": outsider})
    with reverts("NothingToClaim", outsider):
        escrow.claim([], {"from": outsider})


def test_revert_whenClaimingUnknownId(system, escrow, core, tier2b, tree):
    root, _, child_b, _ = tree
    escrow.repay(root, FACE, {"from": core})
    with reverts("UnknownCertificate", 999):
        escrow.claim([child_b, 999], {"from": tier2b})


# ---------------------------------------------------------------- settle
def test_settle_byClearing_paysBatch_andSkipsZeroBalances(
    system, escrow, certificate, token, core, clearing, tier1, tier2a, tier2b, sme, tree
):
    root, child_a, child_b, grandchild = tree
    escrow.repay(root, FACE, {"from": core})
    escrow.claim([child_b], {"from": tier2b})  # already claimed: skipped by the batch

    ids = [root, child_a, child_b, grandchild, grandchild]
    holders = [tier1, tier2a, tier2b, sme, tier1]  # the last pair never held anything
    tx = escrow.settle(ids, holders, {"from": clearing})

    assert tx.return_value == FACE - FACE * 2 // 10
    assert events(tx, "Claimed") == [
        {"id": root, "rootId": root, "holder": tier1, "units": FACE // 2, "payout": FACE // 2},
        {"id": child_a, "rootId": root, "holder": tier2a, "units": FACE * 2 // 10, "payout": FACE * 2 // 10},
        {"id": grandchild, "rootId": root, "holder": sme, "units": FACE // 10, "payout": FACE // 10},
    ]
    assert "SettlementFailed" not in tx.events
    assert token.balanceOf(tier1) == FACE // 2
    assert token.balanceOf(tier2a) == FACE * 2 // 10
    assert token.balanceOf(sme) == FACE // 10
    assert token.balanceOf(escrow) == 0
    for cert_id, holder in zip(ids, holders):
        assert certificate.balanceOf(holder, cert_id) == 0


def test_settle_paysSuspendedHolder_whilePaused(system, escrow, certificate, consortium, token, core, admin, clearing, sme, tree):
    root, _, _, grandchild = tree
    escrow.repay(root, FACE, {"from": core})
    consortium.suspend(sme, {"from": admin})
    certificate.pause({"from": admin})
    tx = escrow.settle([grandchild], [sme], {"from": clearing})
    assert tx.return_value == FACE // 10
    assert token.balanceOf(sme) == FACE // 10


def test_revert_whenNonClearingSettles(system, escrow, core, tier1, admin, tree):
    root, *_ = tree
    escrow.repay(root, FACE, {"from": core})
    for caller in (tier1, admin):
        with reverts("AccessControlUnauthorizedAccount", caller, ROLE["CLEARING_ROLE"]):
            escrow.settle([root], [tier1], {"from": caller})


def test_revert_whenSettleLengthsMismatch(system, escrow, core, clearing, tier1, tier2a, tree):
    root, child_a, *_ = tree
    escrow.repay(root, FACE, {"from": core})
    with reverts("LengthMismatch", 2, 1):
        escrow.settle([root, child_a], [tier1], {"from": clearing})
    with reverts("LengthMismatch", 1, 2):
        escrow.settle([root], [tier1, tier2a], {"from": clearing})


def test_revert_whenSettlingOpenRoot(system, escrow, certificate, clearing, tier1, tier2b, tree, issue, core):
    root, _, child_b, _ = tree
    other = issue(face=FACE)
    escrow.repay(other, FACE, {"from": core})
    with reverts("RootNotClosed", root):
        escrow.settle([other, child_b], [tier1, tier2b], {"from": clearing})
    assert certificate.balanceOf(tier1, other) == FACE  # nothing of the batch happened


def test_revert_whenSettleOneCalledFromOutside(system, escrow, core, clearing, tier2b, tree):
    root, _, child_b, _ = tree
    escrow.repay(root, FACE, {"from": core})
    for caller in (clearing, tier2b):
        with reverts("OnlySelf", caller):
            escrow.settleOne(child_b, tier2b, {"from": caller})


def test_settle_isolatesBlockedHolder_whoClaimsOnceUnblocked(blocklist_system, admin, core, clearing, tier1, tier2a, tier2b, sme):
    btoken = blocklist_system["token"]
    certificate = blocklist_system["certificate"]
    escrow = blocklist_system["escrow"]
    root = certificate.issue(tier1, FACE, now() + 30 * DAY, "0x" + "ab" * 32, {"from": core}).return_value
    child_a, child_b, child_s = certificate.split(
        root, [tier2a, tier2b, sme], [FACE // 4, FACE // 4, FACE // 4], {"from": tier1}
    ).return_value
    escrow.repay(root, FACE, {"from": core})
    btoken.blockAccount(tier2b, {"from": admin})

    tx = escrow.settle([root, child_a, child_b, child_s], [tier1, tier2a, tier2b, sme], {"from": clearing})

    assert tx.return_value == 3 * (FACE // 4)
    assert events(tx, "SettlementFailed") == [{"id": child_b, "holder": tier2b}]
    assert [e["holder"] for e in events(tx, "Claimed")] == [tier1, tier2a, sme]
    for holder in (tier1, tier2a, sme):
        assert btoken.balanceOf(holder) == FACE // 4
    assert certificate.balanceOf(tier2b, child_b) == FACE // 4  # units stay, claimable later
    assert btoken.balanceOf(tier2b) == 0
    assert btoken.balanceOf(escrow) == FACE // 4

    with reverts("AccountBlocked", tier2b):
        escrow.claim([child_b], {"from": tier2b})

    btoken.unblockAccount(tier2b, {"from": admin})
    tx = escrow.claim([child_b], {"from": tier2b})
    assert events(tx, "Claimed") == [
        {"id": child_b, "rootId": root, "holder": tier2b, "units": FACE // 4, "payout": FACE // 4}
    ]
    assert btoken.balanceOf(tier2b) == FACE // 4
    assert btoken.balanceOf(escrow) == 0
    assert certificate.balanceOf(tier2b, child_b) == 0


# ---------------------------------------------------------------- default
def test_declareDefault_afterGrace_drawsGuarantee(system, escrow, certificate, guarantee, token, core, guarantor, outsider, tree):
    root, *_ = tree
    gid = guarantee.provide(core, 2 * FACE, now() + 200 * DAY, {"from": guarantor}).return_value
    escrow.repay(root, 250_000_00, {"from": core})
    outstanding = certificate.outstanding(core)

    tx = _default(escrow, certificate, root, outsider)

    covered = FACE - 250_000_00
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": gid, "rootId": root, "amount": covered}]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 250_000_00, "covered": covered}]
    assert events(tx, "ReceivableClosed") == [{"rootId": root, "status": DEFAULTED, "recovered": FACE}]
    assert certificate.certificate(root)[6] == DEFAULTED
    assert certificate.outstanding(core) == outstanding - FACE
    assert escrow.recovered(root) == FACE
    assert escrow.paid(root) == 250_000_00
    assert token.balanceOf(escrow) == FACE
    assert token.balanceOf(guarantee) == 2 * FACE - covered
    assert guarantee.guarantee(gid)[3] == covered
    assert guarantee.available(core) == 2 * FACE - covered


def test_declareDefault_callsGuaranteesOldestFirst(system, escrow, certificate, guarantee, token, core, guarantor, tier1, tree):
    root, *_ = tree
    expiry = now() + 200 * DAY
    g1 = guarantee.provide(core, 300_000_00, expiry, {"from": guarantor}).return_value
    g2 = guarantee.provide(core, 500_000_00, expiry, {"from": guarantor}).return_value
    g3 = guarantee.provide(core, 500_000_00, expiry, {"from": guarantor}).return_value
    escrow.repay(root, 100_000_00, {"from": core})

    tx = _default(escrow, certificate, root, tier1)

    assert events(tx, "GuaranteeCalled") == [
        {"guaranteeId": g1, "rootId": root, "amount": 300_000_00},
        {"guaranteeId": g2, "rootId": root, "amount": 500_000_00},
        {"guaranteeId": g3, "rootId": root, "amount": 100_000_00},
    ]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 100_000_00, "covered": 900_000_00}]
    assert [guarantee.guarantee(g)[3] for g in (g1, g2, g3)] == [300_000_00, 500_000_00, 100_000_00]
    assert guarantee.available(core) == 400_000_00


def test_declareDefault_skipsGuaranteesOfOtherDebtors_andExpiredBeforeMaturity(
    system, escrow, certificate, guarantee, core, tier1, guarantor, issue
):
    root = issue(face=FACE, maturity_days=30)
    maturity = maturity_of(certificate, root)
    short = guarantee.provide(core, FACE, maturity - 1, {"from": guarantor}).return_value
    other = guarantee.provide(tier1, FACE, maturity + DAY, {"from": guarantor}).return_value
    good = guarantee.provide(core, FACE // 3, maturity, {"from": guarantor}).return_value

    tx = _default(escrow, certificate, root, core)

    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": good, "rootId": root, "amount": FACE // 3}]
    assert events(tx, "ReceivableClosed") == [{"rootId": root, "status": DEFAULTED, "recovered": FACE // 3}]
    assert guarantee.guarantee(short)[3] == 0
    assert guarantee.guarantee(other)[3] == 0


def test_declareDefault_withoutGuarantee_recoversOnlyRepayments_proRata(
    system, escrow, certificate, token, core, tier1, tier2a, tier2b, sme, clearing, tree
):
    root, child_a, child_b, grandchild = tree
    paid = 333_333_33
    escrow.repay(root, paid, {"from": core})

    tx = _default(escrow, certificate, root, tier2b)

    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": paid, "covered": 0}]
    assert events(tx, "ReceivableClosed") == [{"rootId": root, "status": DEFAULTED, "recovered": paid}]
    assert "GuaranteeCalled" not in tx.events

    positions = [(root, tier1, FACE // 2), (child_a, tier2a, FACE * 2 // 10), (child_b, tier2b, FACE * 2 // 10), (grandchild, sme, FACE // 10)]
    tx = escrow.settle([p[0] for p in positions], [p[1] for p in positions], {"from": clearing})
    expected = [units * paid // FACE for _, _, units in positions]
    assert [e["payout"] for e in events(tx, "Claimed")] == expected
    assert [e["units"] for e in events(tx, "Claimed")] == [units for _, _, units in positions]
    for (_, holder, _), payout in zip(positions, expected):
        assert token.balanceOf(holder) == payout
    assert sum(expected) <= paid
    assert token.balanceOf(escrow) == paid - sum(expected)


def test_declareDefault_withNothingRecovered_leavesNothingToClaim(system, escrow, certificate, core, tier1, issue):
    root = issue(face=FACE, maturity_days=10)
    tx = _default(escrow, certificate, root, core)
    assert events(tx, "ReceivableClosed") == [{"rootId": root, "status": DEFAULTED, "recovered": 0}]
    assert escrow.claimable(root, tier1) == 0
    with reverts("NothingToClaim", tier1):
        escrow.claim([root], {"from": tier1})


def test_revert_whenDefaultDeclaredBeforeGraceEnds(system, escrow, certificate, core, issue):
    root = issue(face=FACE, maturity_days=10)
    maturity = maturity_of(certificate, root)
    next_block_at(maturity + GRACE_PERIOD - 1)
    with reverts("DefaultTooEarly", root, maturity + GRACE_PERIOD):
        escrow.declareDefault(root, {"from": core})
    assert certificate.certificate(root)[6] == ACTIVE
    next_block_at(maturity + GRACE_PERIOD)
    escrow.declareDefault(root, {"from": core})
    assert certificate.certificate(root)[6] == DEFAULTED


def test_revert_whenDefaultDeclaredOnClosedRoot(system, escrow, certificate, core, issue):
    root = issue(face=FACE, maturity_days=10)
    escrow.repay(root, FACE, {"from": core})
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD)
    with reverts("RootNotActive", root, PAID):
        escrow.declareDefault(root, {"from": core})


def test_revert_whenDefaultDeclaredTwice(system, escrow, certificate, guarantee, guarantor, core, issue):
    root = issue(face=FACE, maturity_days=10)
    guarantee.provide(core, 2 * FACE, now() + 100 * DAY, {"from": guarantor})
    _default(escrow, certificate, root, core)
    with reverts("RootNotActive", root, DEFAULTED):
        escrow.declareDefault(root, {"from": core})
    assert guarantee.available(core) == FACE  # drawn once only


def test_revert_whenDefaultDeclaredOnChild(system, escrow, certificate, core, tree):
    root, child_a, *_ = tree
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD)
    with reverts("NotARoot", child_a):
        escrow.declareDefault(child_a, {"from": core})


def test_declareDefault_drawsEveryCoveringGuarantee_andLaterDefaultsSkipExhaustedOnes(
    system, escrow, certificate, guarantee, token, core, guarantor, issue
):
    """No scan bound: one default draws on every covering guarantee it needs, however many small ones come
    first; the next default starts past the ones used up."""
    expiry = now() + 200 * DAY
    small = [guarantee.provide(core, 1, expiry, {"from": guarantor}).return_value for _ in range(40)]
    big = guarantee.provide(core, FACE, expiry, {"from": guarantor}).return_value
    first = issue(face=1_000, maturity_days=30)
    second = issue(face=1_000, maturity_days=30)
    mine_at(maturity_of(certificate, second) + GRACE_PERIOD)

    tx = escrow.declareDefault(first, {"from": core})
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": g, "rootId": first, "amount": 1} for g in small] + [
        {"guaranteeId": big, "rootId": first, "amount": 1_000 - 40}
    ]
    assert events(tx, "DefaultDeclared") == [{"rootId": first, "paid": 0, "covered": 1_000}]

    tx = escrow.declareDefault(second, {"from": core})
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": big, "rootId": second, "amount": 1_000}]
    assert events(tx, "DefaultDeclared") == [{"rootId": second, "paid": 0, "covered": 1_000}]
    assert token.balanceOf(escrow) == 2_000
    assert guarantee.guarantee(big)[3] == 1_960


def test_declareDefault_passesOverAGuaranteeUsedUpBehindOneStillOpen(
    system, escrow, certificate, guarantee, token, core, guarantor, issue
):
    """An exhausted guarantee behind an older one still open is skipped by a later default: it pays nothing
    and emits nothing."""
    short = guarantee.provide(core, FACE // 4, now() + 40 * DAY, {"from": guarantor}).return_value
    long = guarantee.provide(core, FACE // 2, now() + 200 * DAY, {"from": guarantor}).return_value
    late = issue(face=FACE // 2, maturity_days=60)  # matures after `short` expires: only `long` covers it
    early = issue(face=FACE, maturity_days=30)  # both cover it
    mine_at(maturity_of(certificate, late) + GRACE_PERIOD)

    tx = escrow.declareDefault(late, {"from": core})
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": long, "rootId": late, "amount": FACE // 2}]
    assert tuple(guarantee.guarantee(long))[2:4] == (FACE // 2, FACE // 2)  # used up, behind `short`
    escrow_before = token.balanceOf(escrow)

    tx = escrow.declareDefault(early, {"from": core})

    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": short, "rootId": early, "amount": FACE // 4}]
    assert events(tx, "DefaultDeclared") == [{"rootId": early, "paid": 0, "covered": FACE // 4}]
    assert events(tx, "ReceivableClosed") == [{"rootId": early, "status": DEFAULTED, "recovered": FACE // 4}]
    assert token.balanceOf(escrow) == escrow_before + FACE // 4
    assert token.balanceOf(guarantee) == 0
    assert [tuple(guarantee.guarantee(g))[3] for g in (short, long)] == [FACE // 4, FACE // 2]
    assert guarantee.available(core) == 0

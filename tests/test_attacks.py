"""Attacks (SPEC invariant 6: nothing a member does, and no reentrant receiver, moves another member's
certificates or money).

- A reentrant ERC-1155 receiver (contracts/test/ReentrantFinancier.sol) that re-enters `split`, transfers,
  `finance`, `claim` and `settle` from its receiver hook, and from a payment token's transfer callback.
- Payment tokens that return false, return nothing, or revert (contracts/test/QuirkyToken.sol).
- A payout that fails for one holder (BlocklistToken): the rest of the batch is paid, the holder later.
- Anyone trying to move a victim's certificates or money through every entry point, operators included.
- Front-running a sale in the mempool: the offer cancelled and reposted worse, the budget drained by another
  seller, the transaction left pending past its deadline.
"""
import pytest
from brownie import QuirkyToken, ReentrantFinancier, accounts, web3
from eth_utils import keccak

from tests.conftest import FACE, GRACE_PERIOD
from tests.deploy_support import deploy_with_members
from tests.helpers import DAY, ROLE, error, reverts
from tests.money_support import *  # noqa: F401,F403

NORMAL, RETURN_FALSE, RETURN_NOTHING, REVERT = 0, 1, 2, 3
RATE = 600
FAR = 2**63  # a deadline that never passes


def _live_units(certificate, root, holders):
    ids = [i for i in range(root, certificate.nextId()) if certificate.certificate(i)[0] == root]
    return sum(certificate.balanceOf(h, i) for h in holders for i in ids)


@pytest.fixture
def rx(system, consortium, token, admin, desk, escrow, guarantee, certificate):
    """A contract member holding the supplier, financier and clearing roles, with money and approvals."""
    rx = ReentrantFinancier.deploy({"from": admin})
    for role in ("SUPPLIER_ROLE", "FINANCIER_ROLE", "CLEARING_ROLE"):
        consortium.onboard(rx, ROLE[role], "Reentrant member", {"from": admin})
    token.mint(rx, 10 * FACE, {"from": admin})
    for spender in (desk, escrow, guarantee):
        rx.forward(token, token.approve.encode_input(spender, 2**256 - 1), {"from": admin})
    rx.forward(certificate, certificate.setApprovalForAll.encode_input(desk, True), {"from": admin})
    return rx


def _hook(rx, target, fn, *args):
    """Arms rx's receiver hook with one call: `fn(*args)` on `target`."""
    rx.setHook(target, fn.encode_input(*args), {"from": accounts[0]})


# ---------------------------------------------------------------- reentrant ERC-1155 receiver
def test_receiverReentersSplit_ofWhatItJustReceived_conservesUnits(system, certificate, issue, tier1, tier2a, tier2b, rx):
    """Hooks run after every child exists: splitting the fresh child from the hook is an ordinary split."""
    root = issue(face=FACE)
    first_child = certificate.nextId()
    _hook(rx, certificate, certificate.split, first_child, [tier2b], [100_000_00])

    tx = certificate.split(root, [rx, tier2a], [300_000_00, 200_000_00], {"from": tier1})

    child_rx, child_a = tx.events["CertificateSplit"][0]["childIds"]
    assert child_rx == first_child
    grandchild = tx.events["CertificateSplit"][1]["childIds"][0]
    assert tx.events["HookCalled"]["ok"] is True
    assert certificate.balanceOf(rx, child_rx) == 200_000_00
    assert certificate.balanceOf(tier2b, grandchild) == 100_000_00
    assert tuple(certificate.certificate(grandchild))[:3] == (root, child_rx, 3)
    assert certificate.balanceOf(tier1, root) == FACE - 500_000_00
    assert _live_units(certificate, root, [tier1, tier2a, tier2b, rx]) == FACE  # invariant 1


def test_receiverReentersSplit_ofTheSendersParent_revertsTheWholeSplit(system, certificate, issue, tier1, tier2a, rx):
    root = issue(face=FACE)
    next_id = certificate.nextId()
    _hook(rx, certificate, certificate.split, root, [rx], [1])

    with reverts("ERC1155InsufficientBalance", rx, 0, 1, root):
        certificate.split(root, [rx, tier2a], [300_000_00, 200_000_00], {"from": tier1})

    assert certificate.balanceOf(tier1, root) == FACE
    assert certificate.nextId() == next_id
    assert certificate.balanceOf(rx, next_id) == 0


def test_receiverReentersTransfer_passesOnItsOwnUnits_butCannotPullTheSenders(system, certificate, issue, tier1, tier2b, rx):
    root = issue(face=FACE)
    # Passing on what it just received works (the units are its own once the hook runs).
    _hook(rx, certificate, certificate.safeTransferFrom, rx, tier2b, root, 10_00, b"")
    tx = certificate.safeTransferFrom(tier1, rx, root, 100_00, "", {"from": tier1})
    assert tx.events["HookCalled"]["ok"] is True
    assert [certificate.balanceOf(a, root) for a in (tier1, rx, tier2b)] == [FACE - 100_00, 90_00, 10_00]

    # Pulling more of the sender's units from inside the hook needs an approval it does not have.
    _hook(rx, certificate, certificate.safeTransferFrom, tier1, rx, root, FACE // 2, b"")
    with reverts("ERC1155MissingApprovalForAll", rx, tier1):
        certificate.safeTransferFrom(tier1, rx, root, 100_00, "", {"from": tier1})
    assert [certificate.balanceOf(a, root) for a in (tier1, rx, tier2b)] == [FACE - 100_00, 90_00, 10_00]


def test_receiverReentersFinance_fromItsHook_isRefused_andTheWholeSaleReverts(
    system, certificate, desk, token, issue, core, tier1, bank, rx
):
    """One reentrancy policy for the desk: `finance` is nonReentrant like postOffer and cancelOffer. rx buys
    tier1's units through its own offer and, from the receiver hook, tries to sell them on into the bank's
    offer: the inner sale is refused, so the outer one reverts and nothing moves."""
    cert = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    expiry = now() + 60 * DAY
    rx.forward(desk, desk.postOffer.encode_input(core, RATE, FACE, 0, expiry), {"from": accounts[0]})
    rx_offer = desk.offerCount()
    bank_offer = desk.postOffer(core, RATE // 2, FACE, 0, expiry, {"from": bank}).return_value
    _hook(rx, desk, desk.finance, bank_offer, cert, 400_000_00, 0, FAR)
    state = lambda: ([token.balanceOf(a) for a in (tier1, rx, bank, desk)],
                     [certificate.balanceOf(a, cert) for a in (tier1, rx, bank)],
                     desk.offer(rx_offer)[3], desk.offer(bank_offer)[3])
    before = state()

    with reverts("ReentrancyGuardReentrantCall"):
        desk.finance(rx_offer, cert, 400_000_00, 0, FAR, {"from": tier1})

    assert state() == before


def test_receiverReentersFinance_swallowingTheRefusal_outerSaleCompletesAlone(
    system, certificate, desk, token, issue, core, tier1, bank, rx
):
    cert = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    expiry = now() + 60 * DAY
    rx.forward(desk, desk.postOffer.encode_input(core, RATE, FACE, 0, expiry), {"from": accounts[0]})
    rx_offer = desk.offerCount()
    bank_offer = desk.postOffer(core, RATE // 2, FACE, 0, expiry, {"from": bank}).return_value
    _hook(rx, desk, desk.finance, bank_offer, cert, 400_000_00, 0, FAR)
    rx.setSwallow(True, {"from": accounts[0]})
    balances = {a: token.balanceOf(a) for a in (tier1, rx, bank, desk)}

    tx = desk.finance(rx_offer, cert, 400_000_00, 0, FAR, {"from": tier1})

    ttm = maturity_of(certificate, cert) - tx.timestamp
    paid_by_rx = expected_proceeds(400_000_00, RATE, ttm)
    assert [dict(e) for e in tx.events["Financed"]] == [{
        "offerId": rx_offer, "certId": cert, "seller": tier1, "financier": rx, "amount": 400_000_00,
        "proceeds": paid_by_rx}]
    assert [(e["ok"], e["result"]) for e in tx.events["HookCalled"]] == [
        (False, "0x" + keccak(text="ReentrancyGuardReentrantCall()")[:4].hex())]
    assert token.balanceOf(tier1) - balances[tier1] == paid_by_rx
    assert token.balanceOf(rx) == balances[rx] and token.balanceOf(bank) == balances[bank]
    assert balances[desk] - token.balanceOf(desk) == paid_by_rx
    assert desk.offer(rx_offer)[3] == FACE - paid_by_rx and desk.offer(bank_offer)[3] == FACE
    assert [certificate.balanceOf(a, cert) for a in (tier1, rx, bank)] == [FACE - 400_000_00, 400_000_00, 0]


def test_receiverReentersFinance_sellingTheSellersOtherUnits_revertsTheWholeSale(
    system, certificate, desk, token, issue, core, tier1, rx
):
    """The desk only ever moves msg.sender's units, and a reentrant sale is refused outright."""
    cert = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    rx.forward(desk, desk.postOffer.encode_input(core, RATE, FACE, 0, now() + 60 * DAY), {"from": accounts[0]})
    rx_offer = desk.offerCount()
    _hook(rx, desk, desk.finance, rx_offer, cert, FACE, 0, FAR)  # more than the 100 units it is buying
    before = (token.balanceOf(tier1), token.balanceOf(rx), certificate.balanceOf(tier1, cert), desk.offer(rx_offer)[3])

    with reverts("ReentrancyGuardReentrantCall"):
        desk.finance(rx_offer, cert, 100_00, 0, FAR, {"from": tier1})

    assert (token.balanceOf(tier1), token.balanceOf(rx), certificate.balanceOf(tier1, cert), desk.offer(rx_offer)[3]) == before


def test_receiverReentersClaimAndSettle_fromItsHook_paysEachPositionOnce(
    system, certificate, escrow, token, issue, core, tier1, tier2a, rx
):
    """From a receiver hook, claim and settle are ordinary calls: each position is paid once, then burned."""
    closed = issue(face=FACE)
    certificate.safeTransferFrom(tier1, rx, closed, 300_000_00, "", {"from": tier1})
    certificate.safeTransferFrom(tier1, tier2a, closed, 200_000_00, "", {"from": tier1})
    escrow.repay(closed, FACE, {"from": core})
    active = issue(face=FACE)

    _hook(rx, escrow, escrow.claim, [closed, closed])
    before = token.balanceOf(rx)
    tx = certificate.safeTransferFrom(tier1, rx, active, 1, "", {"from": tier1})
    assert tx.events["HookCalled"]["ok"] is True
    assert token.balanceOf(rx) - before == 300_000_00
    assert [e["holder"] for e in tx.events["Claimed"]] == [rx]

    # rx holds the clearing role: from its hook it settles other holders (and itself again: nothing left).
    _hook(rx, escrow, escrow.settle, [closed, closed, closed], [tier2a, rx, tier1])
    tx = certificate.safeTransferFrom(tier1, rx, active, 1, "", {"from": tier1})
    assert [(e["holder"], e["payout"]) for e in tx.events["Claimed"]] == [(tier2a, 200_000_00), (tier1, 500_000_00)]
    assert token.balanceOf(escrow) == 0
    assert _live_units(certificate, closed, [tier1, tier2a, rx]) == 0
    with reverts("NothingToClaim", rx):
        rx.forward(escrow, escrow.claim.encode_input([closed]), {"from": accounts[0]})


# ---------------------------------------------------------------- payment tokens that misbehave
@pytest.fixture
def quirky(members, admin, core, bank, factor, guarantor, tier1):
    """The money legs over a QuirkyToken (a consortium of its own with the members of `system`)."""
    qtoken = QuirkyToken.deploy(admin, {"from": admin})
    c = deploy_with_members(qtoken, admin, GRACE_PERIOD, members)
    certificate, guarantee, desk, escrow = c["certificate"], c["guarantee"], c["desk"], c["escrow"]
    certificate.setCreditLine(core, 10 * FACE, {"from": bank})
    for who in (core, bank, factor, guarantor):
        qtoken.mint(who, 10 * FACE, {"from": admin})
        for spender in (escrow, desk, guarantee):
            qtoken.approve(spender, 2**256 - 1, {"from": who})
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    root = certificate.issue(tier1, FACE, now() + 90 * DAY, "0x" + "11" * 32, {"from": core}).return_value
    return {"token": qtoken, "certificate": certificate, "guarantee": guarantee, "desk": desk, "escrow": escrow,
            "root": root, "consortium": c["consortium"]}


def test_tokenReturningFalse_onPulls_revertsRepayOfferAndGuarantee_nothingChanges(quirky, admin, core, bank, guarantor):
    q, root = quirky, quirky["root"]
    q["token"].setMode(RETURN_FALSE, {"from": admin})
    balances = [q["token"].balanceOf(a) for a in (core, bank, guarantor, q["escrow"], q["desk"], q["guarantee"])]

    with reverts("SafeERC20FailedOperation", q["token"]):
        q["escrow"].repay(root, 1_00, {"from": core})
    with reverts("SafeERC20FailedOperation", q["token"]):
        q["desk"].postOffer(core, RATE, FACE, 0, now() + 30 * DAY, {"from": bank})
    with reverts("SafeERC20FailedOperation", q["token"]):
        q["guarantee"].provide(core, FACE, now() + 30 * DAY, {"from": guarantor})

    assert q["escrow"].paid(root) == 0
    assert q["desk"].offerCount() == 0 and q["guarantee"].guaranteeCount() == 0
    assert [q["token"].balanceOf(a) for a in (core, bank, guarantor, q["escrow"], q["desk"], q["guarantee"])] == balances


def test_tokenReturningFalse_onPayouts_claimAndFinanceRevert_settleIsolates_unitsKept(
    quirky, admin, core, bank, clearing, tier1, tier2a
):
    q, root = quirky, quirky["root"]
    cert, escrow, desk, token = q["certificate"], q["escrow"], q["desk"], q["token"]
    offer = desk.postOffer(core, RATE, FACE, 0, now() + 30 * DAY, {"from": bank}).return_value
    child = cert.split(root, [tier2a], [FACE // 4], {"from": tier1}).return_value[0]

    token.setMode(RETURN_FALSE, {"from": admin})
    with reverts("SafeERC20FailedOperation", token):
        desk.finance(offer, root, 100_00, 0, FAR, {"from": tier1})  # the desk's payment to the seller fails
    assert cert.balanceOf(tier1, root) == FACE - FACE // 4 and cert.balanceOf(bank, root) == 0

    token.setMode(NORMAL, {"from": admin})
    escrow.repay(root, FACE, {"from": core})
    token.setMode(RETURN_FALSE, {"from": admin})
    with reverts("SafeERC20FailedOperation", token):
        escrow.claim([root], {"from": tier1})
    tx = escrow.settle([root, child], [tier1, tier2a], {"from": clearing})
    assert [(e["id"], e["holder"]) for e in tx.events["SettlementFailed"]] == [(root, tier1), (child, tier2a)]
    assert "Claimed" not in tx.events
    assert cert.balanceOf(tier1, root) == FACE - FACE // 4 and cert.balanceOf(tier2a, child) == FACE // 4
    assert token.balanceOf(escrow) == FACE

    token.setMode(NORMAL, {"from": admin})
    assert escrow.claim([root], {"from": tier1}).return_value == FACE - FACE // 4
    assert escrow.settle([child], [tier2a], {"from": clearing}).return_value == FACE // 4
    assert token.balanceOf(escrow) == 0


def test_tokenReturningNothing_wholeLifecycleWorks(quirky, admin, core, bank, guarantor, clearing, tier1, tier2a):
    """USDT-style tokens (no return value) are accepted by SafeERC20 on every pull and push."""
    q, root = quirky, quirky["root"]
    cert, escrow, desk, guarantee, token = q["certificate"], q["escrow"], q["desk"], q["guarantee"], q["token"]
    token.setMode(RETURN_NOTHING, {"from": admin})

    gid = guarantee.provide(core, 300_000_00, now() + 120 * DAY, {"from": guarantor}).return_value
    offer = desk.postOffer(core, RATE, FACE, 0, now() + 30 * DAY, {"from": bank}).return_value
    proceeds = desk.finance(offer, root, 200_000_00, 0, FAR, {"from": tier1}).return_value
    assert token.balanceOf(tier1) == proceeds > 0 and cert.balanceOf(bank, root) == 200_000_00
    assert desk.cancelOffer(offer, {"from": bank}).events["OfferCancelled"]["refund"] == FACE - proceeds
    assert token.balanceOf(bank) == 10 * FACE - proceeds and token.balanceOf(desk) == 0
    child = cert.split(root, [tier2a], [FACE // 4], {"from": tier1}).return_value[0]
    escrow.repay(root, 500_000_00, {"from": core})
    mine_at(maturity_of(cert, root) + GRACE_PERIOD)
    tx = escrow.declareDefault(root, {"from": clearing})
    assert tx.events["DefaultDeclared"]["covered"] == 300_000_00
    assert escrow.recovered(root) == 800_000_00  # 80 % of every unit
    assert escrow.claim([root], {"from": tier1}).return_value == 440_000_00
    assert escrow.settle([root, child], [bank, tier2a], {"from": clearing}).return_value == 360_000_00
    assert token.balanceOf(tier1) == proceeds + 440_000_00 and token.balanceOf(tier2a) == 200_000_00
    assert token.balanceOf(bank) == 10 * FACE - proceeds + 160_000_00
    assert token.balanceOf(escrow) == 0
    mine_at(guarantee.releasableAt(gid))
    tx = guarantee.release(gid, {"from": guarantor})
    assert tx.events["GuaranteeReleased"]["amount"] == 0  # all of it was called


def test_tokenReverting_bubblesItsErrorAndNothingChanges(quirky, admin, core):
    q, root = quirky, quirky["root"]
    q["token"].setMode(REVERT, {"from": admin})
    with reverts("TokenRefused"):
        q["escrow"].repay(root, 1_00, {"from": core})
    assert q["escrow"].paid(root) == 0


def test_tokenCallbackReentersClaim_guardStopsIt_holderPaidOnce(quirky, admin, core, tier1, clearing):
    """A payment token that calls the payee back (ERC-777 style) lets the payee re-enter the escrow in the
    middle of its own payout: the reentrancy guard refuses, whether the payee bubbles the refusal (the whole
    claim reverts) or swallows it (paid once)."""
    q, root = quirky, quirky["root"]
    cert, escrow, token = q["certificate"], q["escrow"], q["token"]
    rx = ReentrantFinancier.deploy({"from": admin})
    q["consortium"].onboard(rx, ROLE["SUPPLIER_ROLE"], "Reentrant payee", {"from": admin})
    q["consortium"].onboard(rx, ROLE["CLEARING_ROLE"], "Reentrant payee", {"from": admin})
    cert.safeTransferFrom(tier1, rx, root, 400_000_00, "", {"from": tier1})
    escrow.repay(root, FACE, {"from": core})
    token.setNotified(rx, True, {"from": admin})

    rx.setHook(escrow, escrow.claim.encode_input([root]), {"from": admin})
    with reverts("ReentrancyGuardReentrantCall"):
        rx.forward(escrow, escrow.claim.encode_input([root]), {"from": admin})
    assert cert.balanceOf(rx, root) == 400_000_00 and token.balanceOf(rx) == 0

    # In settle, the refusal fails only rx's own payout: the rest of the batch is paid.
    rx.setHook(escrow, escrow.settle.encode_input([root], [tier1]), {"from": admin})
    tx = escrow.settle([root, root], [rx, tier1], {"from": clearing})
    assert [e["holder"] for e in tx.events["SettlementFailed"]] == [rx]
    assert [(e["holder"], e["payout"]) for e in tx.events["Claimed"]] == [(tier1, FACE - 400_000_00)]
    assert cert.balanceOf(rx, root) == 400_000_00

    # Swallowing the refusal: rx's claim completes and pays exactly once.
    rx.setHook(escrow, escrow.claim.encode_input([root]), {"from": admin})
    rx.setSwallow(True, {"from": admin})
    tx = rx.forward(escrow, escrow.claim.encode_input([root]), {"from": admin})
    assert tx.events["HookCalled"]["ok"] is False
    assert bytes(tx.events["HookCalled"]["result"]) == keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert token.balanceOf(rx) == 400_000_00
    assert cert.balanceOf(rx, root) == 0 and token.balanceOf(escrow) == 0


# ---------------------------------------------------------------- one holder's payout fails
def test_blockedHolder_twiceInOneSettle_othersPaid_thenSettledOnRetry(blocklist_system, admin, core, clearing, tier1, tier2a, sme):
    """Default with partial recovery: the blocked holder's two positions fail, everyone else in the batch is
    paid pro rata, and the clearing house's retry after unblocking pays exactly the two skipped positions."""
    b = blocklist_system
    cert, escrow, btoken = b["certificate"], b["escrow"], b["token"]
    root = cert.issue(tier1, 1_000_00, now() + 30 * DAY, "0x" + "cd" * 32, {"from": core}).return_value
    kids = cert.split(root, [tier2a, tier2a, sme], [300_00, 200_00, 100_00], {"from": tier1}).return_value
    escrow.repay(root, 500_00, {"from": core})
    mine_at(maturity_of(cert, root) + GRACE_PERIOD)
    escrow.declareDefault(root, {"from": core})  # recovered 500.00 of 1,000.00: half of every unit
    btoken.blockAccount(tier2a, {"from": admin})

    batch = ([root, kids[0], kids[1], kids[2]], [tier1, tier2a, tier2a, sme])
    tx = escrow.settle(*batch, {"from": clearing})
    assert [(e["id"], e["holder"]) for e in tx.events["SettlementFailed"]] == [(kids[0], tier2a), (kids[1], tier2a)]
    assert [(e["holder"], e["payout"]) for e in tx.events["Claimed"]] == [(tier1, 200_00), (sme, 50_00)]
    assert escrow.claimable(kids[0], tier2a) == 150_00

    btoken.unblockAccount(tier2a, {"from": admin})
    tx = escrow.settle(*batch, {"from": clearing})  # the same batch: paid positions are skipped now
    assert [(e["id"], e["payout"]) for e in tx.events["Claimed"]] == [(kids[0], 150_00), (kids[1], 100_00)]
    assert "SettlementFailed" not in tx.events
    assert btoken.balanceOf(escrow) == 0


# ---------------------------------------------------------------- nobody moves a victim's assets
def test_noEntryPoint_movesAVictimsCertificatesOrMoney(system, certificate, escrow, desk, token, issue, core, tier1,
                                                      tier2a, sme, bank, outsider):
    """tier2a (the victim) holds units of an open and of a repaid receivable and trusts the desk as operator.
    sme (a member, operator of nobody) and an outsider try every entry point against it."""
    open_root, closed_root = issue(face=FACE), issue(face=FACE)
    for root in (open_root, closed_root):
        certificate.safeTransferFrom(tier1, tier2a, root, 300_000_00, "", {"from": tier1})
    escrow.repay(closed_root, FACE, {"from": core})
    certificate.setApprovalForAll(desk, True, {"from": tier2a})
    certificate.setApprovalForAll(desk, True, {"from": sme})
    certificate.setApprovalForAll(sme, True, {"from": tier1})  # sme is tier1's operator, not tier2a's
    offer = desk.postOffer(core, RATE, FACE, 0, now() + 30 * DAY, {"from": bank}).return_value

    def victim():
        return (certificate.balanceOf(tier2a, open_root), certificate.balanceOf(tier2a, closed_root),
                token.balanceOf(tier2a), escrow.claimable(closed_root, tier2a))

    before = victim()
    for attacker in (sme, outsider):
        with reverts("ERC1155MissingApprovalForAll", attacker, tier2a):
            certificate.safeTransferFrom(tier2a, attacker, open_root, 1, "", {"from": attacker})
        with reverts("ERC1155MissingApprovalForAll", attacker, tier2a):
            certificate.safeBatchTransferFrom(tier2a, attacker, [open_root], [1], "", {"from": attacker})
        split_error = ("ERC1155InsufficientBalance", sme, 0, 1, open_root) if attacker == sme else ("InactiveMember", outsider)
        with reverts(*split_error):  # a split burns the caller's own units
            certificate.split(open_root, [sme], [1], {"from": attacker})
        with reverts("NothingToClaim", attacker):
            escrow.claim([closed_root], {"from": attacker})
        with reverts("AccessControlUnauthorizedAccount", attacker, ROLE["CLEARING_ROLE"]):
            escrow.settle([closed_root], [tier2a], {"from": attacker})
        with reverts("OnlySelf", attacker):
            escrow.settleOne(closed_root, tier2a, {"from": attacker})
        with reverts("NotSettlementEscrow", attacker):
            certificate.redeem(tier2a, closed_root, {"from": attacker})
    # The desk only sells the caller's own units, whoever approved it.
    with reverts("ERC1155InsufficientBalance", sme, 0, 100_00, open_root):
        desk.finance(offer, open_root, 100_00, 0, FAR, {"from": sme})
    # An operator of tier1 cannot reach tier2a's units in a batch that mixes both owners' ids either.
    with reverts("ERC1155MissingApprovalForAll", sme, tier2a):
        certificate.safeBatchTransferFrom(tier2a, sme, [open_root, closed_root], [1, 1], "", {"from": sme})
    assert victim() == before


# ---------------------------------------------------------------- front-running a sale
class Mempool:
    """After `hold()` transactions wait in the mempool until `mine()` puts them in one block, the higher gas
    price first; then every transaction is mined at once again."""

    @staticmethod
    def hold():
        web3.provider.make_request("evm_setAutomine", [False])

    @staticmethod
    def mine():
        web3.provider.make_request("evm_mine", [])
        web3.provider.make_request("evm_setAutomine", [True])


@pytest.fixture
def mempool():
    yield Mempool()
    web3.provider.make_request("evm_setAutomine", [True])


def _pending(contract_fn, *args, sender, gas_price):
    return contract_fn(*args, {"from": sender, "required_confs": 0, "gas_price": gas_price, "gas_limit": 1_000_000})


def _mined_error(tx, replay):
    """A transaction reverted in a block: its status, and the error a replay of it now gives."""
    tx.wait(1)
    assert tx.status == 0
    try:
        replay()
    except Exception as exc:  # noqa: BLE001 — brownie's VirtualMachineError carries the decoded error
        return exc.revert_msg
    raise AssertionError("the replay did not revert")


def test_frontRun_financierCancelsAndRepostsWorse_sellerProtected(system, certificate, desk, token, issue, core, tier1,
                                                                  factor, mempool):
    cert = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    offer = desk.postOffer(core, RATE, FACE, 0, now() + 60 * DAY, {"from": factor}).return_value
    quote = desk.quote(offer, cert, 500_000_00)
    seller_before = (token.balanceOf(tier1), certificate.balanceOf(tier1, cert))

    # The seller's sale and the financier's cancel + worse repost land in one block, the financier's first.
    mempool.hold()
    sale = _pending(desk.finance, offer, cert, 500_000_00, quote, now() + DAY, sender=tier1, gas_price="1 gwei")
    cancel = _pending(desk.cancelOffer, offer, sender=factor, gas_price="5 gwei")
    repost = _pending(desk.postOffer, core, 4 * RATE, FACE, 0, now() + 60 * DAY, sender=factor, gas_price="5 gwei")
    mempool.mine()
    for tx in (sale, cancel, repost):
        tx.wait(1)
    assert cancel.status == repost.status == 1
    assert sale.block_number == cancel.block_number and sale.txindex > cancel.txindex

    assert _mined_error(sale, lambda: desk.finance.call(offer, cert, 500_000_00, quote, FAR, {"from": tier1})) == \
        error("OfferClosed", offer)
    assert (token.balanceOf(tier1), certificate.balanceOf(tier1, cert)) == seller_before

    # The seller's client follows to the new offer but keeps the old quote as its floor: refused, not robbed.
    new_offer = desk.offerCount()
    at = now() + 1
    next_block_at(at)
    worse = expected_proceeds(500_000_00, 4 * RATE, maturity_of(certificate, cert) - at)
    with reverts("ProceedsBelowMinimum", worse, quote):
        desk.finance(new_offer, cert, 500_000_00, quote, FAR, {"from": tier1})
    assert (token.balanceOf(tier1), certificate.balanceOf(tier1, cert)) == seller_before


def test_frontRun_anotherSellerDrainsTheBudget_victimRevertsOverBudget(system, certificate, desk, token, issue, core,
                                                                       tier1, tier2a, factor, mempool):
    root = issue(face=FACE, maturity_days=90)
    certificate.safeTransferFrom(tier1, tier2a, root, 600_000_00, "", {"from": tier1})
    for who in (tier1, tier2a):
        certificate.setApprovalForAll(desk, True, {"from": who})
    offer = desk.postOffer(core, RATE, 700_000_00, 0, now() + 60 * DAY, {"from": factor}).return_value
    victim_before = (token.balanceOf(tier1), certificate.balanceOf(tier1, root))

    mempool.hold()
    victim = _pending(desk.finance, offer, root, 400_000_00, 0, now() + DAY, sender=tier1, gas_price="1 gwei")
    front = _pending(desk.finance, offer, root, 600_000_00, 0, now() + DAY, sender=tier2a, gas_price="9 gwei")
    mempool.mine()
    front.wait(1), victim.wait(1)
    assert front.status == 1 and victim.block_number == front.block_number
    left = desk.offer(offer)[3]
    msg = _mined_error(victim, lambda: desk.finance.call(offer, root, 400_000_00, 0, FAR, {"from": tier1}))
    assert msg.startswith("OverBudget: ") and msg.endswith(f", {left}")
    assert (token.balanceOf(tier1), certificate.balanceOf(tier1, root)) == victim_before


def test_saleLeftPendingPastItsDeadline_reverts_nothingMoves(system, certificate, desk, token, issue, core, tier1,
                                                             factor, mempool):
    cert = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    offer = desk.postOffer(core, RATE, FACE, 0, now() + 60 * DAY, {"from": factor}).return_value
    deadline = now() + 600
    mempool.hold()
    sale = _pending(desk.finance, offer, cert, 100_000_00, 0, deadline, sender=tier1, gas_price="1 gwei")
    next_block_at(deadline + 1)  # a validator sits on it for ten minutes
    mempool.mine()
    sale.wait(1)
    assert sale.status == 0
    assert (token.balanceOf(tier1), certificate.balanceOf(tier1, cert)) == (0, FACE)
    assert desk.offer(offer)[3] == FACE

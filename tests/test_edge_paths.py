"""Paths the other tests do not walk (found by `make coverage`): views on unknown and open ids, an offer
cancelled once its budget is spent, a guarantee contract not wired to an escrow yet, the certificate wired
to its escrow a second time, the views naming the contracts each one was deployed with, the certificate's
closing hook given what the escrow never passes it."""
from brownie import Consortium, CreditGuarantee, ReceivableCertificate

from tests.conftest import FACE
from tests.helpers import DAY, ROLE, doc_hash, reverts
from tests.money_support import *  # noqa: F401,F403

DEAD = "0x000000000000000000000000000000000000dEaD"


def test_claimable_isZero_forAnUnknownIdAndAnOpenRoot(system, escrow, issue, tier1):
    root = issue(face=FACE)
    assert escrow.claimable(root, tier1) == 0  # open: nothing to claim yet, whatever the balance
    assert escrow.claimable(root + 100, tier1) == 0


def test_cancelOffer_afterTheWholeBudgetWasSpent_refundsNothing(system, desk, certificate, token, issue, core, tier1, factor):
    cert = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    offer = desk.postOffer(core, 0, 100_00, 0, now() + 30 * DAY, {"from": factor}).return_value  # 0 %: price = units
    desk.finance(offer, cert, 100_00, 100_00, now() + DAY, {"from": tier1})
    before = token.balanceOf(factor)
    tx = desk.cancelOffer(offer, {"from": factor})
    assert events(tx, "OfferCancelled") == [{"offerId": offer, "refund": 0}]
    assert token.balanceOf(factor) == before and "Transfer" not in tx.events


def test_releasableAt_withoutAnEscrow_isExpiryPlusOne(system, consortium, token, core, guarantor, admin):
    unwired = CreditGuarantee.deploy(consortium, token, {"from": admin})
    token.approve(unwired, FACE, {"from": guarantor})
    expiry = now() + 10 * DAY
    gid = unwired.provide(core, FACE, expiry, {"from": guarantor}).return_value
    assert unwired.releasableAt(gid) == expiry + 1


def test_wiringViews_nameTheContractsEachWasDeployedWith(system, consortium, certificate, escrow, desk, guarantee, token):
    for gated in (certificate, escrow, desk, guarantee):
        assert gated.consortium() == consortium
    assert (desk.certificates(), desk.token()) == (certificate, token)
    assert (escrow.certificates(), escrow.guarantees(), escrow.token()) == (certificate, guarantee, token)
    assert guarantee.token() == token
    assert token.decimals() == 2  # dCNY, in fen


def test_close_refusesAnythingButAnOpenRoot_namingTheIdAndItsRootsStatus(system, admin, bank, core, tier1, tier2a,
                                                                          outsider):
    """SettlementEscrow checks a root is open before closing it; the certificate checks again, whoever its escrow.
    Here an account is the escrow, so the hook gets an unknown id, a child and a closed root."""
    # A certificate of a consortium of its own (a consortium serves one certificate contract), same members.
    own = Consortium.deploy(admin, admin.get_deployment_address(admin.nonce + 1), {"from": admin})
    cert = ReceivableCertificate.deploy(own, "", outsider, admin, DEAD, {"from": admin})  # no financing desk here
    for who, role in ((core, "CORE_ENTERPRISE_ROLE"), (bank, "FINANCIER_ROLE"), (tier1, "SUPPLIER_ROLE"),
                      (tier2a, "SUPPLIER_ROLE")):
        own.onboard(who, ROLE[role], role, {"from": admin})
    cert.setCreditLine(core, 2 * FACE, {"from": bank})
    root = cert.issue(tier1, FACE, now() + 90 * DAY, doc_hash("close-kinds"), {"from": core}).return_value
    (child,) = cert.split(root, [tier2a], [FACE // 4], {"from": tier1}).return_value
    unknown = child + 1
    with reverts("UnknownCertificate", unknown):
        cert.close(unknown, PAID, {"from": outsider})
    with reverts("InvalidCloseStatus", ACTIVE):
        cert.close(root, ACTIVE, {"from": outsider})
    with reverts("RootClosed", child, ACTIVE):  # a child is no root: refused with its root's status
        cert.close(child, PAID, {"from": outsider})
    assert cert.outstanding(core) == FACE
    tx = cert.close(root, PAID, {"from": outsider})
    assert tx.return_value == FACE and cert.outstanding(core) == 0
    assert cert.certificate(root)[6] == PAID and cert.certificate(child)[6] == PAID
    for cid in (root, child):
        with reverts("RootClosed", cid, PAID):
            cert.close(cid, DEFAULTED, {"from": outsider})
    assert cert.outstanding(core) == 0 and cert.certificate(root)[6] == PAID

"""The SPEC demo case end to end, as one story, with the money checked against the accounting."""
from brownie import chain

from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY, doc_hash
from tests.money_support import *  # noqa: F401,F403


def test_demoCase_multiTierPenetration_repaymentAndDefault(
    system, certificate, escrow, desk, guarantee, token, consortium,
    core, tier1, tier2a, tier2b, sme, bank, factor, guarantor, clearing,
):
    people = [core, tier1, tier2a, tier2b, sme, bank, factor, guarantor, clearing]
    contracts = [escrow, desk, guarantee]
    total_money = sum(token.balanceOf(a) for a in people + contracts)
    start = {a: token.balanceOf(a) for a in people}
    ledger = {"repaid": 0, "covered": 0, "paid_out": 0, "budget": 0, "proceeds": 0, "refund": 0,
              "provided": 0, "called": 0, "released": 0}

    def check_books():
        assert token.balanceOf(escrow) == ledger["repaid"] + ledger["covered"] - ledger["paid_out"]
        assert token.balanceOf(desk) == ledger["budget"] - ledger["proceeds"] - ledger["refund"]
        assert token.balanceOf(guarantee) == ledger["provided"] - ledger["called"] - ledger["released"]
        assert sum(token.balanceOf(a) for a in people + contracts) == total_money

    # 1. A credit-enhancement institution guarantees the core company; the bank grants a credit line.
    g_expiry = now() + 150 * DAY
    tx = guarantee.provide(core, 2 * FACE, g_expiry, {"from": guarantor})
    gid = tx.return_value
    ledger["provided"] += 2 * FACE
    tx = certificate.setCreditLine(core, 5 * FACE, {"from": bank})
    assert tx.events["CreditLineSet"]["limit"] == 5 * FACE
    assert certificate.creditLimit(core) == 5 * FACE
    check_books()

    # 2. The core company issues two receivables to its tier-1 supplier.
    maturity1 = now() + 90 * DAY
    maturity2 = now() + 60 * DAY
    face2 = 400_000_00
    r1 = certificate.issue(tier1, FACE, maturity1, doc_hash("PO-2024-001"), {"from": core}).return_value
    r2 = certificate.issue(tier1, face2, maturity2, doc_hash("PO-2024-002"), {"from": core}).return_value
    assert certificate.outstanding(core) == FACE + face2

    # 3. Tier 1 splits to two tier-2 suppliers; tier-2a passes part on to the SME (tier 3); one transfer.
    child_a, child_b = certificate.split(r1, [tier2a, tier2b], [400_000_00, 300_000_00], {"from": tier1}).return_value
    (g,) = certificate.split(child_a, [sme], [150_000_00], {"from": tier2a}).return_value
    certificate.safeTransferFrom(tier1, tier2b, r1, 50_000_00, "", {"from": tier1})
    ids_of_r1 = [r1, child_a, child_b, g]

    # 4. The financing guarantee company checks the SME's certificate on-chain, then buys it.
    root_id, parent_id, tier, amount, debtor, maturity, status = certificate.certificate(g)
    assert (root_id, tier, amount, debtor, maturity, status) == (r1, 3, 150_000_00, core, maturity1, ACTIVE)
    lineage = [g]
    while certificate.certificate(lineage[-1])[1] != 0:
        lineage.append(certificate.certificate(lineage[-1])[1])
    assert lineage == [g, child_a, r1]
    assert certificate.certificate(r1)[4] == core

    offer_id = desk.postOffer(core, 800, 200_000_00, 10_000_00, now() + 30 * DAY, {"from": factor}).return_value
    ledger["budget"] += 200_000_00
    certificate.setApprovalForAll(desk, True, {"from": sme})
    quoted = desk.quote(offer_id, g, 150_000_00)
    tx = desk.finance(offer_id, g, 150_000_00, quoted, now() + 3600, {"from": sme})
    proceeds = tx.return_value
    ledger["proceeds"] += proceeds
    assert proceeds == expected_proceeds(150_000_00, 800, maturity1 - chain[tx.block_number].timestamp)
    assert proceeds >= quoted
    assert token.balanceOf(sme) == start[sme] + proceeds
    assert certificate.balanceOf(factor, g) == 150_000_00
    check_books()

    # 5. The second receivable is partly repaid, then defaults: the guarantee pays the rest.
    escrow.repay(r2, 100_000_00, {"from": core})
    ledger["repaid"] += 100_000_00
    mine_at(maturity2 + GRACE_PERIOD)
    tx = escrow.declareDefault(r2, {"from": tier1})
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": gid, "rootId": r2, "amount": 300_000_00}]
    assert events(tx, "DefaultDeclared") == [{"rootId": r2, "paid": 100_000_00, "covered": 300_000_00}]
    assert events(tx, "ReceivableClosed") == [{"rootId": r2, "status": DEFAULTED, "recovered": face2}]
    ledger["covered"] += 300_000_00
    ledger["called"] += 300_000_00
    check_books()
    tx = escrow.claim([r2], {"from": tier1})
    assert tx.return_value == face2
    ledger["paid_out"] += face2
    check_books()

    # 6. The core company repays the first receivable in two parts, which closes it.
    mine_at(maturity1 - DAY)
    escrow.repay(r1, 600_000_00, {"from": core})
    tx = escrow.repay(r1, 400_000_00, {"from": core})
    ledger["repaid"] += FACE
    assert events(tx, "ReceivableClosed") == [{"rootId": r1, "status": PAID, "recovered": FACE}]
    assert certificate.outstanding(core) == 0
    check_books()

    # 7. Some holders claim themselves; the clearing institution pushes the rest in one batch.
    payouts = {}
    for holder, ids in ((tier1, [r1]), (factor, [g])):
        tx = escrow.claim(ids, {"from": holder})
        for e in events(tx, "Claimed"):
            payouts[(e["id"], e["holder"])] = e["payout"]
        ledger["paid_out"] += tx.return_value
    batch = [(r1, tier2b), (child_b, tier2b), (child_a, tier2a), (g, sme)]  # sme sold all: skipped
    tx = escrow.settle([b[0] for b in batch], [b[1] for b in batch], {"from": clearing})
    for e in events(tx, "Claimed"):
        payouts[(e["id"], e["holder"])] = e["payout"]
    ledger["paid_out"] += tx.return_value
    assert "SettlementFailed" not in tx.events
    check_books()

    assert payouts == {
        (r1, tier1.address): 250_000_00,
        (g, factor.address): 150_000_00,
        (r1, tier2b.address): 50_000_00,
        (child_b, tier2b.address): 300_000_00,
        (child_a, tier2a.address): 250_000_00,
    }
    assert sum(payouts.values()) == FACE
    for cert_id in range(r1, certificate.nextId()):
        for holder in people:
            assert certificate.balanceOf(holder, cert_id) == 0

    # 8. The financier closes its offer; the guarantor takes back the unused collateral.
    tx = desk.cancelOffer(offer_id, {"from": factor})
    ledger["refund"] += tx.events["OfferCancelled"]["refund"]
    mine_at(g_expiry + GRACE_PERIOD + 1)
    tx = guarantee.release(gid, {"from": guarantor})
    assert events(tx, "GuaranteeReleased") == [{"guaranteeId": gid, "amount": 2 * FACE - 300_000_00}]
    ledger["released"] += 2 * FACE - 300_000_00
    check_books()
    assert token.balanceOf(escrow) == 0
    assert token.balanceOf(desk) == 0
    assert token.balanceOf(guarantee) == 0

    # Who ended up with what.
    assert token.balanceOf(core) == start[core] - FACE - 100_000_00
    assert token.balanceOf(guarantor) == start[guarantor] - 300_000_00
    assert token.balanceOf(factor) == start[factor] - proceeds + 150_000_00
    assert token.balanceOf(sme) == start[sme] + proceeds
    assert token.balanceOf(tier1) == start[tier1] + face2 + 250_000_00
    assert token.balanceOf(tier2a) == start[tier2a] + 250_000_00
    assert token.balanceOf(tier2b) == start[tier2b] + 350_000_00

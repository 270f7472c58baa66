"""FinancingDesk: posting offers, the quote formula, financing in one transaction, cancelling, reverts."""
import pytest
from brownie import ReentrantFinancier, chain

from tests.conftest import FACE
from tests.helpers import DAY, ROLE, reverts
from tests.money_support import *  # noqa: F401,F403

RATE = 600  # 6.00 % a year
BUDGET = 5 * FACE
MIN_AMOUNT = 1_000_00


@pytest.fixture
def offer(system, desk, core, factor):
    """An offer of the factor for core's receivables: 6 %/year, budget 5 FACE, expiring in 60 days."""
    expiry = now() + 60 * DAY
    tx = desk.postOffer(core, RATE, BUDGET, MIN_AMOUNT, expiry, {"from": factor})
    return tx.return_value


@pytest.fixture
def cert(system, issue, certificate, desk, tier1):
    """A 90-day root held by tier1, which has made the desk its operator."""
    root = issue(face=FACE, maturity_days=90)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    return root


# ---------------------------------------------------------------- postOffer
def test_postOffer_pullsBudget_andEmitsOfferPosted(system, desk, token, core, factor):
    before = token.balanceOf(factor)
    expiry = now() + 60 * DAY
    tx = desk.postOffer(core, RATE, BUDGET, MIN_AMOUNT, expiry, {"from": factor})

    assert tx.return_value == 1
    assert events(tx, "OfferPosted") == [
        {
            "offerId": 1,
            "financier": factor,
            "debtor": core,
            "annualRateBps": RATE,
            "budget": BUDGET,
            "minAmount": MIN_AMOUNT,
            "expiry": expiry,
        }
    ]
    assert token.balanceOf(factor) == before - BUDGET
    assert token.balanceOf(desk) == BUDGET
    assert tuple(desk.offer(1)) == (factor.address, core.address, RATE, BUDGET, MIN_AMOUNT, expiry, True)
    assert desk.offerCount() == 1


def test_postOffer_acceptsMaximumRate_andZeroMinAmount(system, desk, core, factor):
    tx = desk.postOffer(core, 10_000, 1, 0, now() + DAY, {"from": factor})
    assert tx.events["OfferPosted"]["annualRateBps"] == 10_000
    assert tx.events["OfferPosted"]["minAmount"] == 0


# ---------------------------------------------------------------- quote
@pytest.mark.parametrize(
    "amount,rate,days_before_maturity",
    [
        (FACE, RATE, 90),  # ordinary
        (FACE, 10_000, 1),  # maximal rate, one day left
        (1_234_567, 333, 77),  # awkward numbers: the discount is not a whole number, ceil matters
        (365, 10_000, 1),  # discount exactly one unit: no rounding at all
        (1, 1, 1),  # tiny: ceil turns a fraction into a whole unit, proceeds 0
        (FACE, 0, 90),  # zero rate: no discount
        (2**256 - 1, RATE, 90),  # more units than any balance can hold: the 512-bit path, still exact
    ],
)
def test_quote_matchesFormulaAtBlockTimestamp(
    system, desk, certificate, issue, core, factor, amount, rate, days_before_maturity
):
    root = issue(face=FACE, maturity_days=100)
    maturity = maturity_of(certificate, root)
    offer_id = desk.postOffer(core, rate, BUDGET, 0, maturity + DAY, {"from": factor}).return_value
    t = maturity - days_before_maturity * DAY - 17  # 17 s: not a round number of days
    mine_at(t)

    expected = expected_proceeds(amount, rate, maturity - t)
    assert desk.quote(offer_id, root, amount) == expected


def test_quote_roundsDiscountUp(system, desk, certificate, issue, core, factor):
    root = issue(face=FACE, maturity_days=100)
    maturity = maturity_of(certificate, root)
    offer_id = desk.postOffer(core, RATE, BUDGET, 0, maturity, {"from": factor}).return_value
    mine_at(maturity - 30 * DAY)
    # 100 units * 6 % * 30/365 = 0.493… units of discount: rounded up to 1, never down to 0.
    assert desk.quote(offer_id, root, 100) == 99
    # 10 000 units: 49.31… -> 50.
    assert desk.quote(offer_id, root, 10_000) == 9_950


def test_revert_quote_whenCertificateUnknown_orItsRootClosed(system, desk, escrow, core, offer, cert):
    with reverts("UnknownCertificate", 999):
        desk.quote(offer, 999, FACE // 2)
    escrow.repay(cert, FACE, {"from": core})
    with reverts("RootClosed", cert, PAID):
        desk.quote(offer, cert, FACE // 2)


def test_quote_growsAsMaturityApproaches(system, desk, certificate, core, offer, cert):
    q1 = desk.quote(offer, cert, FACE)
    mine_at(now() + 10 * DAY)
    q2 = desk.quote(offer, cert, FACE)
    assert q2 > q1
    assert q2 == expected_proceeds(FACE, RATE, maturity_of(certificate, cert) - now())


# ---------------------------------------------------------------- finance
def test_finance_sellsUnitsToFinancier_andPaysSellerInOneTransaction(
    system, desk, certificate, token, core, tier1, factor, offer, cert
):
    amount = 400_000_00
    seller_before = token.balanceOf(tier1)
    desk_before = token.balanceOf(desk)
    maturity = maturity_of(certificate, cert)

    tx = desk.finance(offer, cert, amount, 0, now() + DAY, {"from": tier1})

    t = chain[tx.block_number].timestamp
    proceeds = expected_proceeds(amount, RATE, maturity - t)
    assert 0 < proceeds < amount
    assert tx.return_value == proceeds
    assert events(tx, "Financed") == [
        {
            "offerId": offer,
            "certId": cert,
            "seller": tier1,
            "financier": factor,
            "amount": amount,
            "proceeds": proceeds,
        }
    ]
    assert events(tx, "TransferSingle") == [
        {"operator": desk, "from": tier1, "to": factor, "id": cert, "value": amount}
    ]
    assert events(tx, "Transfer") == [{"from": desk, "to": tier1, "value": proceeds}]
    # The certificate moves the units first (`sell`, which returns the root's terms the desk prices with); Financed
    # comes right after the budget update it reports, before the payment's event.
    assert [(e.name, e.address) for e in tx.events] == [
        ("TransferSingle", certificate), ("Financed", desk), ("Transfer", token)]
    assert certificate.balanceOf(tier1, cert) == FACE - amount
    assert certificate.balanceOf(factor, cert) == amount
    assert token.balanceOf(tier1) == seller_before + proceeds
    assert token.balanceOf(desk) == desk_before - proceeds
    assert desk.offer(offer)[3] == BUDGET - proceeds
    assert desk.offer(offer)[6] is True


def test_finance_ofTierThreeCertificate_afterLineageCheck(
    system, desk, certificate, token, core, tier1, tier2a, sme, factor, offer, issue
):
    root = issue(face=FACE)
    (child,) = certificate.split(root, [tier2a], [600_000_00], {"from": tier1}).return_value
    (grandchild,) = certificate.split(child, [sme], [150_000_00], {"from": tier2a}).return_value

    # The buyer checks on-chain that the certificate descends from core's receivable.
    root_id, parent_id, tier, amount, debtor, maturity, status = certificate.certificate(grandchild)
    assert (root_id, parent_id, tier, amount, debtor, status) == (root, child, 3, 150_000_00, core, ACTIVE)
    assert certificate.certificate(parent_id)[1] == root

    certificate.setApprovalForAll(desk, True, {"from": sme})
    quoted = desk.quote(offer, grandchild, 150_000_00)
    tx = desk.finance(offer, grandchild, 150_000_00, quoted, now() + DAY, {"from": sme})

    assert tx.return_value >= quoted
    assert tx.events["Financed"]["seller"] == sme
    assert certificate.balanceOf(factor, grandchild) == 150_000_00
    assert certificate.balanceOf(sme, grandchild) == 0
    assert token.balanceOf(sme) == tx.return_value


def test_finance_severalSales_drawDownBudget(system, desk, certificate, token, tier1, factor, offer, cert):
    p1 = desk.finance(offer, cert, 100_000_00, 0, now() + DAY, {"from": tier1}).return_value
    p2 = desk.finance(offer, cert, 200_000_00, 0, now() + DAY, {"from": tier1}).return_value
    assert desk.offer(offer)[3] == BUDGET - p1 - p2
    assert token.balanceOf(desk) == BUDGET - p1 - p2
    assert certificate.balanceOf(factor, cert) == 300_000_00


def test_finance_withOldQuoteAsMinProceeds_succeedsAfterTimePasses(
    system, desk, certificate, tier1, offer, cert
):
    """Proceeds only grow as maturity nears, so a quote taken earlier stays a valid floor."""
    quoted = desk.quote(offer, cert, FACE // 2)
    mine_at(now() + 3 * DAY)
    tx = desk.finance(offer, cert, FACE // 2, quoted, now() + DAY, {"from": tier1})
    assert tx.return_value > quoted
    t = chain[tx.block_number].timestamp
    assert tx.return_value == expected_proceeds(FACE // 2, RATE, maturity_of(certificate, cert) - t)


def test_finance_atDeadline_andJustBeforeOfferExpiry(system, desk, tier1, core, factor, cert):
    expiry = now() + 10 * DAY
    offer_id = desk.postOffer(core, RATE, BUDGET, 0, expiry, {"from": factor}).return_value
    next_block_at(expiry - 1)
    tx = desk.finance(offer_id, cert, 1_000_00, 0, expiry - 1, {"from": tier1})  # deadline == now: allowed
    assert tx.events["Financed"]["amount"] == 1_000_00


def test_reentrantFinancier_cancellingMidSale_isRefused_andTheSaleReverts(
    system, desk, certificate, token, consortium, admin, core, tier1, cert
):
    """One reentrancy policy for the desk: the financier's receiver hook runs inside `finance`, so cancelling
    its offer from there is refused (ReentrancyGuardReentrantCall) and the whole sale reverts."""
    rf = ReentrantFinancier.deploy({"from": admin})
    consortium.onboard(rf, ROLE["FINANCIER_ROLE"], "Reentrant Financier", {"from": admin})
    token.mint(rf, BUDGET, {"from": admin})
    rf.forward(token, token.approve.encode_input(desk, BUDGET), {"from": admin})
    rf.forward(desk, desk.postOffer.encode_input(core, RATE, BUDGET, 0, now() + 30 * DAY), {"from": admin})
    offer_id = desk.offerCount()
    rf.setHook(desk, desk.cancelOffer.encode_input(offer_id), {"from": admin})
    before = (token.balanceOf(tier1), token.balanceOf(rf), token.balanceOf(desk), desk.offer(offer_id)[3],
              certificate.balanceOf(tier1, cert), certificate.balanceOf(rf, cert))

    with reverts("ReentrancyGuardReentrantCall"):
        desk.finance(offer_id, cert, 400_000_00, 0, now() + DAY, {"from": tier1})

    assert (token.balanceOf(tier1), token.balanceOf(rf), token.balanceOf(desk), desk.offer(offer_id)[3],
            certificate.balanceOf(tier1, cert), certificate.balanceOf(rf, cert)) == before
    # The financier can still cancel once the sale is over.
    tx = rf.forward(desk, desk.cancelOffer.encode_input(offer_id), {"from": admin})
    assert events(tx, "OfferCancelled") == [{"offerId": offer_id, "refund": BUDGET}]


# ---------------------------------------------------------------- cancelOffer
def test_cancelOffer_refundsWholeBudget(system, desk, token, factor, offer):
    before = token.balanceOf(factor)
    tx = desk.cancelOffer(offer, {"from": factor})
    assert events(tx, "OfferCancelled") == [{"offerId": offer, "refund": BUDGET}]
    assert token.balanceOf(factor) == before + BUDGET
    assert token.balanceOf(desk) == 0
    assert desk.offer(offer)[3] == 0
    assert desk.offer(offer)[6] is False


def test_cancelOffer_afterSale_refundsUnspentBudget(system, desk, token, tier1, factor, offer, cert):
    proceeds = desk.finance(offer, cert, 300_000_00, 0, now() + DAY, {"from": tier1}).return_value
    before = token.balanceOf(factor)
    tx = desk.cancelOffer(offer, {"from": factor})
    assert events(tx, "OfferCancelled") == [{"offerId": offer, "refund": BUDGET - proceeds}]
    assert token.balanceOf(factor) == before + BUDGET - proceeds
    assert token.balanceOf(desk) == 0


def test_cancelOffer_afterExpiry_stillRefunds(system, desk, token, factor, offer):
    mine_at(desk.offer(offer)[5] + DAY)
    assert desk.offer(offer)[6] is False
    before = token.balanceOf(factor)
    desk.cancelOffer(offer, {"from": factor})
    assert token.balanceOf(factor) == before + BUDGET


def test_revert_whenNotFinancierCancelsOffer(system, desk, token, bank, tier1, offer):
    for caller in (bank, tier1):
        with reverts("NotOfferFinancier", offer, caller):
            desk.cancelOffer(offer, {"from": caller})
    assert token.balanceOf(desk) == BUDGET


def test_revert_whenOfferCancelledTwice(system, desk, factor, offer):
    desk.cancelOffer(offer, {"from": factor})
    with reverts("OfferClosed", offer):
        desk.cancelOffer(offer, {"from": factor})


def test_revert_whenCancellingUnknownOffer(system, desk, factor, offer):
    with reverts("UnknownOffer", offer + 1):
        desk.cancelOffer(offer + 1, {"from": factor})


# ---------------------------------------------------------------- finance reverts
def test_revert_whenOfferExpired(system, desk, certificate, tier1, offer, cert):
    expiry = desk.offer(offer)[5]
    next_block_at(expiry)
    with reverts("OfferExpired", offer, expiry):
        desk.finance(offer, cert, FACE // 2, 0, expiry + DAY, {"from": tier1})
    assert certificate.balanceOf(tier1, cert) == FACE


def test_revert_whenDeadlinePassed(system, desk, certificate, tier1, offer, cert):
    deadline = now() + 60
    next_block_at(deadline + 1)
    with reverts("DeadlinePassed", deadline, deadline + 1):
        desk.finance(offer, cert, FACE // 2, 0, deadline, {"from": tier1})
    assert certificate.balanceOf(tier1, cert) == FACE


def test_revert_whenProceedsBelowMinimum(system, desk, certificate, token, tier1, offer, cert):
    """Slippage guard: the seller states the least it accepts; anything less reverts, nothing moves."""
    t = now() + 120
    amount = FACE // 2
    proceeds = expected_proceeds(amount, RATE, maturity_of(certificate, cert) - t)
    next_block_at(t)
    with reverts("ProceedsBelowMinimum", proceeds, proceeds + 1):
        desk.finance(offer, cert, amount, proceeds + 1, t + DAY, {"from": tier1})
    assert certificate.balanceOf(tier1, cert) == FACE
    assert token.balanceOf(tier1) == 0


def test_revert_whenProceedsRoundToZero(system, desk, tier1, core, factor, cert):
    """One unit at a positive rate is all discount (the discount rounds up): selling it is refused."""
    offer_id = desk.postOffer(core, RATE, BUDGET, 0, now() + DAY, {"from": factor}).return_value
    with reverts("ProceedsBelowMinimum", 0, 0):
        desk.finance(offer_id, cert, 1, 0, now() + DAY, {"from": tier1})


def test_revert_whenAnotherSaleDrainedTheBudget(system, desk, certificate, tier1, tier2a, core, factor, cert, issue):
    """A seller who quoted against a budget that another sale has since used up gets OverBudget."""
    root2 = issue(face=FACE, to=tier2a)
    certificate.setApprovalForAll(desk, True, {"from": tier2a})
    offer_id = desk.postOffer(core, RATE, FACE, 0, now() + 30 * DAY, {"from": factor}).return_value
    quoted = desk.quote(offer_id, cert, 800_000_00)
    assert quoted <= FACE

    spent = desk.finance(offer_id, root2, 500_000_00, 0, now() + DAY, {"from": tier2a}).return_value
    t = now() + 30
    proceeds = expected_proceeds(800_000_00, RATE, maturity_of(certificate, cert) - t)
    next_block_at(t)
    with reverts("OverBudget", offer_id, proceeds, FACE - spent):
        desk.finance(offer_id, cert, 800_000_00, quoted, t + DAY, {"from": tier1})


def test_revert_whenProceedsExceedBudget(system, desk, certificate, tier1, core, factor, cert):
    offer_id = desk.postOffer(core, RATE, 1_000_00, 0, now() + DAY, {"from": factor}).return_value
    t = now() + 30
    proceeds = expected_proceeds(2_000_00, RATE, maturity_of(certificate, cert) - t)
    next_block_at(t)
    with reverts("OverBudget", offer_id, proceeds, 1_000_00):
        desk.finance(offer_id, cert, 2_000_00, 0, t + DAY, {"from": tier1})


def test_revert_whenDebtorMismatch(system, desk, certificate, consortium, tier1, core, factor, bank, admin, extra_accounts, cert):
    other_core = extra_accounts[3]
    consortium.onboard(other_core, ROLE["CORE_ENTERPRISE_ROLE"], "Other Core", {"from": admin})
    offer_id = desk.postOffer(other_core, RATE, BUDGET, 0, now() + DAY, {"from": factor}).return_value
    with reverts("DebtorMismatch", offer_id, other_core, core):
        desk.finance(offer_id, cert, FACE // 2, 0, now() + DAY, {"from": tier1})
    with reverts("DebtorMismatch", offer_id, other_core, core):
        desk.quote(offer_id, cert, FACE // 2)


def test_finance_offerPostedBeforeTheDebtorsFirstReceivable_keepsBuyingOnlyThatDebtors(
    system, desk, certificate, consortium, token, tier1, core, factor, bank, admin, extra_accounts, offer, cert
):
    """The offer (posted when core had no receivable, so no number) learns core's number at its first sale;
    from then on it still buys core's certificates and refuses another debtor's."""
    assert certificate.debtorNumber(core) == 1
    desk.finance(offer, cert, FACE // 4, 0, now() + DAY, {"from": tier1})
    desk.finance(offer, cert, FACE // 4, 0, now() + DAY, {"from": tier1})
    assert certificate.balanceOf(factor, cert) == FACE // 2

    other_core = extra_accounts[3]
    consortium.onboard(other_core, ROLE["CORE_ENTERPRISE_ROLE"], "Other Core", {"from": admin})
    certificate.setCreditLine(other_core, FACE, {"from": bank})
    other = certificate.issue(tier1, FACE, now() + 90 * DAY, "0x" + "5e" * 32, {"from": other_core}).return_value
    assert certificate.debtorNumber(other_core) == 2
    with reverts("DebtorMismatch", offer, core, other_core):
        desk.finance(offer, other, FACE // 4, 0, now() + DAY, {"from": tier1})
    # An offer posted after the debtor's first receivable knows its number from the start.
    other_offer = desk.postOffer(other_core, RATE, BUDGET, 0, now() + DAY, {"from": factor}).return_value
    with reverts("DebtorMismatch", other_offer, other_core, core):
        desk.finance(other_offer, cert, FACE // 4, 0, now() + DAY, {"from": tier1})
    with reverts("DebtorMismatch", other_offer, other_core, core):
        desk.quote(other_offer, cert, FACE // 4)
    before = token.balanceOf(tier1)
    proceeds = desk.finance(other_offer, other, FACE // 4, 0, now() + DAY, {"from": tier1}).return_value
    assert token.balanceOf(tier1) == before + proceeds
    assert certificate.balanceOf(factor, other) == FACE // 4


def test_revert_whenAmountBelowMinimum(system, desk, tier1, offer, cert):
    with reverts("AmountBelowMinimum", MIN_AMOUNT - 1, MIN_AMOUNT):
        desk.finance(offer, cert, MIN_AMOUNT - 1, 0, now() + DAY, {"from": tier1})
    with reverts("AmountBelowMinimum", 0, MIN_AMOUNT):
        desk.finance(offer, cert, 0, 0, now() + DAY, {"from": tier1})


def test_revert_whenAmountIsZeroEvenWithoutMinimum(system, desk, tier1, core, factor, cert):
    offer_id = desk.postOffer(core, RATE, BUDGET, 0, now() + DAY, {"from": factor}).return_value
    with reverts("AmountBelowMinimum", 0, 0):
        desk.finance(offer_id, cert, 0, 0, now() + DAY, {"from": tier1})


def test_revert_whenOfferUnknown(system, desk, tier1, offer, cert):
    with reverts("UnknownOffer", offer + 1):
        desk.finance(offer + 1, cert, FACE // 2, 0, now() + DAY, {"from": tier1})
    with reverts("UnknownOffer", offer + 1):
        desk.quote(offer + 1, cert, FACE // 2)


def test_revert_whenOfferCancelled(system, desk, certificate, tier1, factor, offer, cert):
    desk.cancelOffer(offer, {"from": factor})
    with reverts("OfferClosed", offer):
        desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier1})
    assert certificate.balanceOf(tier1, cert) == FACE


def test_revert_whenSellerHasNotApprovedDesk(system, desk, certificate, issue, tier1, tier2a, offer):
    root = issue(face=FACE, to=tier2a)
    with reverts("ERC1155MissingApprovalForAll", desk, tier2a):
        desk.finance(offer, root, FACE // 2, 0, now() + DAY, {"from": tier2a})
    assert certificate.balanceOf(tier2a, root) == FACE


def test_revert_whenCallerSellsCertificateItDoesNotHold(system, desk, certificate, token, tier1, tier2b, offer, cert):
    """tier1 made the desk its operator; tier2b still cannot sell tier1's units through the desk."""
    certificate.setApprovalForAll(desk, True, {"from": tier2b})
    with reverts("ERC1155InsufficientBalance", tier2b, 0, FACE // 2, cert):
        desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier2b})
    assert certificate.balanceOf(tier1, cert) == FACE
    assert token.balanceOf(tier2b) == 0


def test_revert_whenCertificateMatured(system, desk, certificate, tier1, core, factor, cert):
    maturity = maturity_of(certificate, cert)
    offer_id = desk.postOffer(core, RATE, BUDGET, 0, maturity + 30 * DAY, {"from": factor}).return_value
    next_block_at(maturity)
    with reverts("CertificateMatured", cert, maturity):
        desk.finance(offer_id, cert, FACE // 2, 0, maturity + DAY, {"from": tier1})


def test_revert_whenRootAlreadyPaid(system, desk, escrow, tier1, core, offer, cert):
    escrow.repay(cert, FACE, {"from": core})
    with reverts("RootClosed", cert, PAID):
        desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier1})


def test_revert_whenCertificateUnknown(system, desk, tier1, offer, cert):
    with reverts("UnknownCertificate", 999):
        desk.finance(offer, 999, FACE // 2, 0, now() + DAY, {"from": tier1})


def test_revert_whenCertificateContractPaused(system, desk, certificate, token, admin, tier1, offer, cert):
    certificate.pause({"from": admin})
    with reverts("EnforcedPause"):
        desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier1})
    assert token.balanceOf(tier1) == 0
    certificate.unpause({"from": admin})
    desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier1})
    assert token.balanceOf(tier1) > 0


def test_revert_whenSellerSuspended(system, desk, consortium, admin, tier1, offer, cert):
    consortium.suspend(tier1, {"from": admin})
    with reverts("InactiveMember", tier1):
        desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier1})


def test_revert_whenFinancierSuspendedAfterPosting(system, desk, consortium, admin, tier1, factor, offer, cert):
    consortium.suspend(factor, {"from": admin})
    with reverts("InactiveMember", factor):
        desk.finance(offer, cert, FACE // 2, 0, now() + DAY, {"from": tier1})


# ---------------------------------------------------------------- postOffer reverts
def test_revert_whenRateAboveMaximum(system, desk, core, factor):
    with reverts("InvalidRate", 10_001, 10_000):
        desk.postOffer(core, 10_001, BUDGET, 0, now() + DAY, {"from": factor})


def test_revert_whenBudgetIsZero(system, desk, core, factor):
    with reverts("InvalidBudget", 0):
        desk.postOffer(core, RATE, 0, 0, now() + DAY, {"from": factor})


def test_postOffer_budgetUpTo2Pow128Minus1(system, desk, token, admin, core, factor):
    token.mint(factor, 2**128, {"from": admin})
    with reverts("InvalidBudget", 2**128):
        desk.postOffer(core, RATE, 2**128, 0, now() + DAY, {"from": factor})
    offer_id = desk.postOffer(core, RATE, 2**128 - 1, 0, now() + DAY, {"from": factor}).return_value
    assert desk.offer(offer_id)[3] == 2**128 - 1


def test_revert_whenMinAmountDoesNotFit96Bits(system, desk, core, factor):
    with reverts("InvalidMinAmount", 2**96):
        desk.postOffer(core, RATE, BUDGET, 2**96, now() + DAY, {"from": factor})


def test_revert_whenOfferDebtorIsZero(system, desk, factor):
    with reverts("InvalidDebtor", ZERO_ADDRESS):
        desk.postOffer(ZERO_ADDRESS, RATE, BUDGET, 0, now() + DAY, {"from": factor})


def test_revert_whenOfferExpiryNotInFuture(system, desk, token, core, factor):
    t = now() + 50
    next_block_at(t)
    with reverts("ExpiryNotInFuture", t, t):
        desk.postOffer(core, RATE, BUDGET, 0, t, {"from": factor})
    assert token.balanceOf(desk) == 0


def test_revert_whenNonFinancierPostsOffer(system, desk, core, tier1, guarantor):
    for caller in (tier1, guarantor, core):
        with reverts("AccessControlUnauthorizedAccount", caller, ROLE["FINANCIER_ROLE"]):
            desk.postOffer(core, RATE, BUDGET, 0, now() + DAY, {"from": caller})


def test_revert_whenSuspendedFinancierPostsOffer(system, desk, consortium, admin, core, factor):
    consortium.suspend(factor, {"from": admin})
    with reverts("InactiveMember", factor):
        desk.postOffer(core, RATE, BUDGET, 0, now() + DAY, {"from": factor})

"""CreditGuarantee draw order: no number of small, short or non-covering guarantees keeps a default from
reaching the debtor's covering guarantees with collateral left, oldest first, at a bounded gas cost; and the
cases around it (mixed coverage, expired but unreleased, release racing a default, `available`)."""
import pytest
from brownie import web3

from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY, doc_hash, reverts
from tests.money_support import *  # noqa: F401,F403

BIG = 600_000_00

# Gas ceilings the draw must stay under whatever the crowd in front (measured ~10-20 % below these).
DEFAULT_GAS_PAST_ANY_CROWD = 190_000
GAS_PER_DRAWN_GUARANTEE = 16_000


def _provide_many(guarantee, guarantor, debtor, count, amount, expiry):
    """Sends `count` identical provides without waiting for each (sequential nonces), then checks every receipt.
    Returns the guarantee ids, which are consecutive."""
    first = guarantee.guaranteeCount() + 1
    sender = str(guarantor)
    data = guarantee.provide.encode_input(debtor, amount, expiry)
    nonce = web3.eth.get_transaction_count(sender)
    price = web3.eth.gas_price
    hashes = [
        web3.eth.send_transaction(
            {"from": sender, "to": guarantee.address, "data": data, "gas": 400_000, "gasPrice": price, "nonce": nonce + i}
        )
        for i in range(count)
    ]
    for h in hashes:
        assert web3.eth.wait_for_transaction_receipt(h, timeout=120).status == 1
    assert guarantee.guaranteeCount() == first + count - 1
    return list(range(first, first + count))


def _declare(escrow, certificate, root, caller):
    mine_at(maturity_of(certificate, root) + GRACE_PERIOD)
    return escrow.declareDefault(root, {"from": caller})


# ---------------------------------------------------------------- the crowding case of the issue
@pytest.mark.parametrize("crowd", [120, 1000])
def test_default_drawsCoveringGuarantee_behindCrowdOfTinyShortGuarantees(
    system, escrow, certificate, guarantee, token, core, guarantor, tier1, issue, crowd
):
    root = issue(face=FACE, maturity_days=60)
    maturity = maturity_of(certificate, root)
    tiny = _provide_many(guarantee, guarantor, core, crowd, 1, maturity - 1)  # expire just before maturity
    big_tx = guarantee.provide(core, BIG, maturity + 30 * DAY, {"from": guarantor})
    big = big_tx.return_value
    assert big == tiny[-1] + 1
    print(f"\nprovide behind {crowd} guarantees of the debtor: {big_tx.gas_used:,} gas")
    guarantor_before, escrow_before = token.balanceOf(guarantor), token.balanceOf(escrow)

    tx = _declare(escrow, certificate, root, tier1)

    print(f"declareDefault past {crowd} non-covering guarantees: {tx.gas_used:,} gas")
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": big, "rootId": root, "amount": BIG}]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 0, "covered": BIG}]
    assert events(tx, "ReceivableClosed") == [{"rootId": root, "status": DEFAULTED, "recovered": BIG}]
    assert tx.gas_used < DEFAULT_GAS_PAST_ANY_CROWD
    assert token.balanceOf(escrow) == escrow_before + BIG
    assert token.balanceOf(guarantee) == crowd  # the tiny ones, untouched
    assert token.balanceOf(guarantor) == guarantor_before
    assert guarantee.guarantee(big)[3] == BIG
    assert [guarantee.guarantee(g)[3] for g in (tiny[0], tiny[-1])] == [0, 0]
    assert escrow.recovered(root) == BIG
    assert escrow.claimable(root, tier1) == BIG
    # Expired (the crowd) and used-up (the big one) guarantees count nothing, and cost nothing to skip.
    assert guarantee.available(core) == 0
    assert guarantee.available.estimate_gas(core) < 60_000


def test_default_drawsEveryTinyCoveringGuarantee_thenTheBigOne_atBoundedGasEach(
    system, escrow, certificate, guarantee, token, core, guarantor, tier1, issue
):
    """Thousands of tiny *covering* guarantees are legitimately drawn, oldest first: the draw reaches the
    big one behind them and each guarantee drawn costs a fixed, small amount of gas (~12.4k: a 30M block
    holds ~2,400 draws; 600 here because the test node's blocks hold 12M gas)."""
    crowd = 600
    root = issue(face=FACE, maturity_days=60)
    maturity = maturity_of(certificate, root)
    tiny = _provide_many(guarantee, guarantor, core, crowd, 1, maturity)
    big = guarantee.provide(core, BIG, maturity, {"from": guarantor}).return_value
    escrow_before = token.balanceOf(escrow)

    tx = _declare(escrow, certificate, root, tier1)

    called = events(tx, "GuaranteeCalled")
    assert called == [{"guaranteeId": g, "rootId": root, "amount": 1} for g in tiny] + [
        {"guaranteeId": big, "rootId": root, "amount": BIG}
    ]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 0, "covered": BIG + crowd}]
    assert token.balanceOf(escrow) == escrow_before + BIG + crowd
    assert token.balanceOf(guarantee) == 0
    per_draw = tx.gas_used / (crowd + 1)
    print(f"\ndeclareDefault drawing {crowd + 1} covering guarantees: {tx.gas_used:,} gas, {per_draw:,.0f} per draw")
    assert per_draw < GAS_PER_DRAWN_GUARANTEE


# ---------------------------------------------------------------- order and coverage
def test_default_drawsOnlyCoveringGuarantees_oldestFirst_amongMixedOnes(
    system, escrow, certificate, guarantee, token, core, tier1, guarantor, issue
):
    root = issue(face=250, maturity_days=60)
    maturity = maturity_of(certificate, root)
    c1 = guarantee.provide(core, 100, maturity, {"from": guarantor}).return_value
    n1 = guarantee.provide(core, 1_000, maturity - 1, {"from": guarantor}).return_value
    other = guarantee.provide(tier1, 1_000, maturity + DAY, {"from": guarantor}).return_value
    c2 = guarantee.provide(core, 120, maturity + 90 * DAY, {"from": guarantor}).return_value
    n2 = guarantee.provide(core, 1_000, maturity - DAY, {"from": guarantor}).return_value
    c3 = guarantee.provide(core, 10_000, maturity + DAY, {"from": guarantor}).return_value
    c4 = guarantee.provide(core, 10_000, maturity + DAY, {"from": guarantor}).return_value

    tx = _declare(escrow, certificate, root, core)

    assert events(tx, "GuaranteeCalled") == [
        {"guaranteeId": c1, "rootId": root, "amount": 100},
        {"guaranteeId": c2, "rootId": root, "amount": 120},
        {"guaranteeId": c3, "rootId": root, "amount": 30},
    ]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 0, "covered": 250}]
    assert [guarantee.guarantee(g)[3] for g in (c1, n1, other, c2, n2, c3, c4)] == [100, 0, 0, 120, 0, 30, 0]


def test_laterDefault_skipsGuaranteesUsedUpByEarlierOnes(
    system, escrow, certificate, guarantee, core, guarantor, tier1
):
    # Every time here is the chain's, set exactly: one maturity for both receivables, taken from the latest block
    # (not brownie's wall-clock chain.time(), which an earlier test's mine_at leaves behind the node's clock), and
    # the two defaults in blocks stamped one and two seconds after the grace period ends.
    maturity = now() + 30 * DAY
    first = certificate.issue(tier1, 150, maturity, doc_hash("later-default-1"), {"from": core}).return_value
    second = certificate.issue(tier1, 100, maturity, doc_hash("later-default-2"), {"from": core}).return_value
    assert maturity_of(certificate, first) == maturity_of(certificate, second) == maturity
    g1 = guarantee.provide(core, 100, maturity, {"from": guarantor}).return_value
    g2 = guarantee.provide(core, 100, maturity, {"from": guarantor}).return_value
    g3 = guarantee.provide(core, 100, maturity, {"from": guarantor}).return_value

    mine_at(maturity + GRACE_PERIOD)  # the first moment a default may be declared

    next_block_at(maturity + GRACE_PERIOD + 1)
    tx1 = escrow.declareDefault(first, {"from": core})
    next_block_at(maturity + GRACE_PERIOD + 2)
    tx2 = escrow.declareDefault(second, {"from": core})
    assert [web3.eth.get_block(tx.block_number).timestamp for tx in (tx1, tx2)] == [
        maturity + GRACE_PERIOD + 1, maturity + GRACE_PERIOD + 2]

    assert events(tx1, "GuaranteeCalled") == [
        {"guaranteeId": g1, "rootId": first, "amount": 100},
        {"guaranteeId": g2, "rootId": first, "amount": 50},
    ]
    assert events(tx2, "GuaranteeCalled") == [
        {"guaranteeId": g2, "rootId": second, "amount": 50},
        {"guaranteeId": g3, "rootId": second, "amount": 50},
    ]
    assert events(tx2, "DefaultDeclared") == [{"rootId": second, "paid": 0, "covered": 100}]


def test_default_drawsExpiredButUnreleasedCoveringGuarantee(
    system, escrow, certificate, guarantee, token, core, guarantor, issue
):
    """A guarantee expiring at maturity covers it; at default (a grace period later) it has expired, so
    `available` no longer counts it, yet until released it is drawn. One expiring before maturity is not."""
    root = issue(face=FACE, maturity_days=30)
    maturity = maturity_of(certificate, root)
    short = guarantee.provide(core, FACE, maturity - 1, {"from": guarantor}).return_value
    at_maturity = guarantee.provide(core, FACE // 4, maturity, {"from": guarantor}).return_value
    mine_at(maturity + GRACE_PERIOD)
    assert guarantee.available(core) == 0

    tx = escrow.declareDefault(root, {"from": core})

    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": at_maturity, "rootId": root, "amount": FACE // 4}]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 0, "covered": FACE // 4}]
    assert guarantee.guarantee(short)[3] == 0
    assert token.balanceOf(guarantee) == FACE


def test_releaseBeforeDefault_leavesTheNextCoveringGuaranteeToDraw(
    system, escrow, certificate, guarantee, token, core, guarantor, issue
):
    """Release and default race once both are allowed (expiry + grace + 1 >= maturity + grace): a
    guarantee released first pays nothing; the default goes on to the next covering one."""
    root = issue(face=FACE, maturity_days=30)
    maturity = maturity_of(certificate, root)
    first = guarantee.provide(core, FACE // 2, maturity, {"from": guarantor}).return_value
    second = guarantee.provide(core, FACE // 5, maturity + 60 * DAY, {"from": guarantor}).return_value
    mine_at(guarantee.releasableAt(first))
    before = token.balanceOf(guarantor)

    rel = guarantee.release(first, {"from": guarantor})
    tx = escrow.declareDefault(root, {"from": core})

    assert events(rel, "GuaranteeReleased") == [{"guaranteeId": first, "amount": FACE // 2}]
    assert token.balanceOf(guarantor) == before + FACE // 2
    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": second, "rootId": root, "amount": FACE // 5}]
    assert events(tx, "DefaultDeclared") == [{"rootId": root, "paid": 0, "covered": FACE // 5}]


def test_defaultBeforeRelease_drawsFirst_andReleaseReturnsOnlyTheRest(
    system, escrow, certificate, guarantee, token, core, guarantor, issue
):
    root = issue(face=FACE // 4, maturity_days=30)
    maturity = maturity_of(certificate, root)
    g = guarantee.provide(core, FACE, maturity, {"from": guarantor}).return_value
    mine_at(guarantee.releasableAt(g))
    before = token.balanceOf(guarantor)

    tx = escrow.declareDefault(root, {"from": core})
    rel = guarantee.release(g, {"from": guarantor})

    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": g, "rootId": root, "amount": FACE // 4}]
    assert events(rel, "GuaranteeReleased") == [{"guaranteeId": g, "amount": FACE - FACE // 4}]
    assert token.balanceOf(guarantor) == before + FACE - FACE // 4
    assert token.balanceOf(guarantee) == 0
    with reverts("GuaranteeAlreadyReleased", g):
        guarantee.release(g, {"from": guarantor})


def test_releasedGuarantee_isSkippedByLaterDefaults_andLeavesAvailable(
    system, escrow, certificate, guarantee, token, core, guarantor, issue
):
    early = issue(face=FACE, maturity_days=10)
    late = issue(face=FACE, maturity_days=200)
    short = guarantee.provide(core, FACE, maturity_of(certificate, early), {"from": guarantor}).return_value
    long = guarantee.provide(core, FACE // 2, maturity_of(certificate, late), {"from": guarantor}).return_value
    mine_at(guarantee.releasableAt(short))
    assert guarantee.available(core) == FACE // 2
    guarantee.release(short, {"from": guarantor})
    assert guarantee.available(core) == FACE // 2

    tx = escrow.declareDefault(early, {"from": core})

    assert events(tx, "GuaranteeCalled") == [{"guaranteeId": long, "rootId": early, "amount": FACE // 2}]
    assert guarantee.available(core) == 0
    assert token.balanceOf(guarantee) == 0


def test_available_countsOnlyUnexpiredUnreleasedCollateralLeft(system, guarantee, core, guarantor, tier1):
    t = now()
    g1 = guarantee.provide(core, 100, t + 10 * DAY, {"from": guarantor}).return_value
    guarantee.provide(core, 200, t + 20 * DAY, {"from": guarantor})
    guarantee.provide(tier1, 400, t + 30 * DAY, {"from": guarantor})
    guarantee.provide(core, 800, t + 5 * DAY, {"from": guarantor})
    assert guarantee.available(core) == 1_100
    mine_at(t + 5 * DAY + 1)
    assert guarantee.available(core) == 300
    mine_at(t + 10 * DAY)
    assert guarantee.available(core) == 300  # expiry itself still counts
    mine_at(t + 10 * DAY + 1)
    assert guarantee.available(core) == 200
    assert guarantee.available(tier1) == 400
    assert guarantee.guarantee(g1)[3] == 0

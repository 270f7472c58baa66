"""Splitting: a holder turns part of its balance into child certificates for its own suppliers."""
import pytest
from brownie import chain

from tests.cert_helpers import (
    STATUS_ACTIVE,
    STATUS_DEFAULTED,
    STATUS_PAID,
    ZERO_ADDRESS,
    assert_event,
    assert_events_unordered,
    balances,
    cert_state,
    expected_lineage,
    lineage,
)
from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY, ROLE, reverts

DEFAULT_MAX_TIER = 16
MAX_CHILDREN = 64


@pytest.fixture
def root(issue):
    """A FACE-unit root held by tier1."""
    return issue()


@pytest.fixture
def maturity(certificate, root):
    return certificate.certificate(root)[5]


@pytest.fixture
def snapshot(certificate, core, suppliers, bank, outsider):
    holders = suppliers + [core, bank, outsider]
    return lambda: cert_state(certificate, core, holders, list(range(1, certificate.nextId() + 3)))


# ---------------------------------------------------------------- success
def test_split_mintsChildrenAndBurnsParent(system, certificate, core, tier1, tier2a, tier2b, root, maturity):
    next_id = certificate.nextId()

    tx = certificate.split(root, [tier2a, tier2b], [300_00, 200_00], {"from": tier1})

    child_a, child_b = tx.return_value
    assert [child_a, child_b] == [next_id, next_id + 1]
    assert certificate.nextId() == next_id + 2
    assert certificate.balanceOf(tier1, root) == FACE - 500_00
    assert certificate.balanceOf(tier2a, child_a) == 300_00
    assert certificate.balanceOf(tier2b, child_b) == 200_00
    assert certificate.balanceOf(tier1, child_a) == 0 and certificate.balanceOf(tier2a, child_b) == 0
    assert_event(
        tx,
        "CertificateSplit",
        {
            "parentId": root,
            "rootId": root,
            "holder": tier1,
            "childIds": [child_a, child_b],
            "recipients": [tier2a, tier2b],
            "amounts": [300_00, 200_00],
        },
        count=1,
        emitter=certificate,
    )
    # One burn of the parent and one mint per child (ERC-1155 leaves their order free).
    assert_events_unordered(
        tx,
        "TransferSingle",
        [
            {"operator": tier1, "from": tier1, "to": ZERO_ADDRESS, "id": root, "value": 500_00},
            {"operator": tier1, "from": ZERO_ADDRESS, "to": tier2a, "id": child_a, "value": 300_00},
            {"operator": tier1, "from": ZERO_ADDRESS, "to": tier2b, "id": child_b, "value": 200_00},
        ],
    )
    assert lineage(certificate, child_a) == expected_lineage(root, root, 2, 300_00, core, maturity, STATUS_ACTIVE)
    assert lineage(certificate, child_b) == expected_lineage(root, root, 2, 200_00, core, maturity, STATUS_ACTIVE)
    # The root's own record is unchanged and the debt is not: splitting is not issuing.
    assert lineage(certificate, root) == expected_lineage(root, 0, 1, FACE, core, maturity, STATUS_ACTIVE)
    assert certificate.outstanding(core) == FACE


def test_split_remainderKeptByHolder(system, certificate, tier1, tier2a, root):
    certificate.split(root, [tier2a], [FACE - 1], {"from": tier1})
    assert certificate.balanceOf(tier1, root) == 1


def test_split_wholeBalance(system, certificate, tier1, tier2a, tier2b, root):
    tx = certificate.split(root, [tier2a, tier2b], [FACE - 10, 10], {"from": tier1})
    assert certificate.balanceOf(tier1, root) == 0
    assert balances(certificate, [tier2a, tier2b], tx.return_value) == [FACE - 10, 0, 0, 10]


def test_split_toSelfAndToAnyActiveMember(system, certificate, core, tier1, bank, root, maturity):
    tx = certificate.split(root, [tier1, bank], [600, 400], {"from": tier1})
    own, financier = tx.return_value
    assert certificate.balanceOf(tier1, own) == 600
    assert certificate.balanceOf(bank, financier) == 400
    assert certificate.balanceOf(tier1, root) == FACE - 1000
    assert lineage(certificate, own) == expected_lineage(root, root, 2, 600, core, maturity, STATUS_ACTIVE)


def test_split_ofChild(system, certificate, core, tier1, tier2a, sme, root, maturity):
    (child,) = certificate.split(root, [tier2a], [500_00], {"from": tier1}).return_value

    tx = certificate.split(child, [sme, tier2a], [120_00, 30_00], {"from": tier2a})

    grand_sme, grand_own = tx.return_value
    assert_event(
        tx,
        "CertificateSplit",
        {
            "parentId": child,
            "rootId": root,
            "holder": tier2a,
            "childIds": [grand_sme, grand_own],
            "recipients": [sme, tier2a],
            "amounts": [120_00, 30_00],
        },
        count=1,
    )
    assert certificate.balanceOf(tier2a, child) == 350_00
    assert certificate.balanceOf(sme, grand_sme) == 120_00
    assert certificate.balanceOf(tier2a, grand_own) == 30_00
    assert lineage(certificate, grand_sme) == expected_lineage(root, child, 3, 120_00, core, maturity, STATUS_ACTIVE)
    assert lineage(certificate, grand_own) == expected_lineage(root, child, 3, 30_00, core, maturity, STATUS_ACTIVE)


def test_split_sameRecipientTwice(system, certificate, tier1, tier2a, root):
    first, second = certificate.split(root, [tier2a, tier2a], [7, 8], {"from": tier1}).return_value
    assert first != second
    assert certificate.balanceOf(tier2a, first) == 7
    assert certificate.balanceOf(tier2a, second) == 8


def test_split_childIdsInterleaveWithIssue(system, certificate, tier1, tier2a, root, issue):
    (child,) = certificate.split(root, [tier2a], [5], {"from": tier1}).return_value
    other_root = issue()
    (child2,) = certificate.split(other_root, [tier2a], [5], {"from": tier1}).return_value
    assert [root, child, other_root, child2] == [1, 2, 3, 4]
    assert certificate.certificate(child2)[0] == other_root


# ---------------------------------------------------------------- tiers
def _chain(certificate, start_id, holders, depth):
    """Splits `start_id` down to `depth` tiers, each holder passing one child to the next; returns ids."""
    ids = [start_id]
    for k in range(1, depth):
        holder, recipient = holders[(k - 1) % len(holders)], holders[k % len(holders)]
        (child,) = certificate.split(ids[-1], [recipient], [1000 - k], {"from": holder}).return_value
        ids.append(child)
    return ids


def test_split_chain16TiersDeep_thenTierLimitExceeded(system, certificate, core, suppliers, root, maturity, snapshot):
    assert certificate.maxTier() == DEFAULT_MAX_TIER

    ids = _chain(certificate, root, suppliers, DEFAULT_MAX_TIER)

    assert len(ids) == DEFAULT_MAX_TIER
    for tier, (parent, cert) in enumerate(zip(ids, ids[1:]), start=2):
        assert lineage(certificate, cert) == expected_lineage(root, parent, tier, 1000 - (tier - 1), core, maturity, STATUS_ACTIVE)
    last_holder = suppliers[(DEFAULT_MAX_TIER - 1) % len(suppliers)]
    assert certificate.balanceOf(last_holder, ids[-1]) == 1000 - (DEFAULT_MAX_TIER - 1)

    before = snapshot()
    with reverts("TierLimitExceeded", DEFAULT_MAX_TIER + 1, DEFAULT_MAX_TIER):
        certificate.split(ids[-1], [suppliers[0]], [1], {"from": last_holder})
    assert snapshot() == before
    # The deepest certificate still moves; it just cannot be split further.
    certificate.safeTransferFrom(last_holder, suppliers[0], ids[-1], 1, "", {"from": last_holder})
    assert certificate.balanceOf(suppliers[0], ids[-1]) == 1


def test_setMaxTier_raisesLimit(system, certificate, admin, core, suppliers, root, maturity):
    ids = _chain(certificate, root, suppliers, DEFAULT_MAX_TIER)
    holder = suppliers[(DEFAULT_MAX_TIER - 1) % len(suppliers)]

    tx = certificate.setMaxTier(DEFAULT_MAX_TIER + 2, {"from": admin})

    assert_event(tx, "MaxTierSet", {"maxTier": DEFAULT_MAX_TIER + 2}, count=1, emitter=certificate)
    assert certificate.maxTier() == DEFAULT_MAX_TIER + 2
    (t17,) = certificate.split(ids[-1], [suppliers[0]], [2], {"from": holder}).return_value
    (t18,) = certificate.split(t17, [suppliers[1]], [1], {"from": suppliers[0]}).return_value
    assert lineage(certificate, t18) == expected_lineage(root, t17, 18, 1, core, maturity, STATUS_ACTIVE)
    with reverts("TierLimitExceeded", 19, 18):
        certificate.split(t18, [suppliers[2]], [1], {"from": suppliers[1]})


def test_setMaxTier_lowerLimit(system, certificate, admin, tier1, tier2a, sme, root):
    certificate.setMaxTier(2, {"from": admin})
    assert certificate.maxTier() == 2
    (child,) = certificate.split(root, [tier2a], [10], {"from": tier1}).return_value
    assert certificate.certificate(child)[2] == 2
    with reverts("TierLimitExceeded", 3, 2):
        certificate.split(child, [sme], [1], {"from": tier2a})


def test_setMaxTier_uint32Max(system, certificate, admin):
    tx = certificate.setMaxTier(2**32 - 1, {"from": admin})
    assert_event(tx, "MaxTierSet", {"maxTier": 2**32 - 1})
    assert certificate.maxTier() == 2**32 - 1


@pytest.mark.parametrize("caller_name", ["core", "tier1", "bank", "outsider"])
def test_revert_setMaxTier_whenNotAdmin(system, certificate, request, caller_name):
    caller = request.getfixturevalue(caller_name)
    with reverts("AccessControlUnauthorizedAccount", caller, ROLE["DEFAULT_ADMIN_ROLE"]):
        certificate.setMaxTier(20, {"from": caller})
    assert certificate.maxTier() == DEFAULT_MAX_TIER


def test_revert_setMaxTier_whenOperatorOnly(system, certificate, consortium, admin, extra_accounts):
    operator = extra_accounts[1]
    consortium.grantRole(ROLE["OPERATOR_ROLE"], operator, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount", operator, ROLE["DEFAULT_ADMIN_ROLE"]):
        certificate.setMaxTier(20, {"from": operator})


@pytest.mark.parametrize("value", [0, 1, 2**32, 2**256 - 1])
def test_revert_setMaxTier_whenInvalid(system, certificate, admin, value):
    with reverts("InvalidMaxTier", value):
        certificate.setMaxTier(value, {"from": admin})
    assert certificate.maxTier() == DEFAULT_MAX_TIER


# ---------------------------------------------------------------- width
def test_split_intoMaximumNumberOfChildren(system, certificate, core, suppliers, tier1, root, maturity):
    assert certificate.maxSplitChildren() == MAX_CHILDREN
    recipients = [suppliers[i % len(suppliers)] for i in range(MAX_CHILDREN)]
    amounts = [i + 1 for i in range(MAX_CHILDREN)]
    first = certificate.nextId()

    tx = certificate.split(root, recipients, amounts, {"from": tier1})

    child_ids = list(tx.return_value)
    assert child_ids == list(range(first, first + MAX_CHILDREN))
    assert certificate.nextId() == first + MAX_CHILDREN
    assert list(certificate.balanceOfBatch(recipients, child_ids)) == amounts
    assert certificate.balanceOf(tier1, root) == FACE - sum(amounts)
    assert_event(
        tx,
        "CertificateSplit",
        {"parentId": root, "rootId": root, "holder": tier1, "childIds": child_ids, "recipients": recipients, "amounts": amounts},
        count=1,
    )
    assert_events_unordered(
        tx,
        "TransferSingle",
        [{"operator": tier1, "from": tier1, "to": ZERO_ADDRESS, "id": root, "value": sum(amounts)}]
        + [
            {"operator": tier1, "from": ZERO_ADDRESS, "to": to, "id": cid, "value": amount}
            for to, cid, amount in zip(recipients, child_ids, amounts)
        ],
    )
    for i in (0, 31, 63):
        assert lineage(certificate, child_ids[i]) == expected_lineage(root, root, 2, amounts[i], core, maturity, STATUS_ACTIVE)


@pytest.mark.parametrize("n_to, n_amounts", [(0, 0), (2, 1), (1, 2), (0, 1), (MAX_CHILDREN + 1, MAX_CHILDREN + 1)])
def test_revert_whenInvalidSplitLength(system, certificate, suppliers, tier1, root, snapshot, n_to, n_amounts):
    recipients = [suppliers[i % len(suppliers)] for i in range(n_to)]
    amounts = [1] * n_amounts
    before = snapshot()
    with reverts("InvalidSplitLength", n_to, n_amounts, MAX_CHILDREN):
        certificate.split(root, recipients, amounts, {"from": tier1})
    assert snapshot() == before


# ---------------------------------------------------------------- reverts
@pytest.mark.parametrize("amounts, index", [([0], 0), ([5, 0], 1), ([1, 2, 0, 4], 2)])
def test_revert_whenZeroSplitAmount(system, certificate, tier1, tier2a, root, snapshot, amounts, index):
    before = snapshot()
    with reverts("ZeroSplitAmount", index):
        certificate.split(root, [tier2a] * len(amounts), amounts, {"from": tier1})
    assert snapshot() == before


def test_revert_whenInsufficientBalance(system, certificate, tier1, tier2a, tier2b, root, snapshot):
    before = snapshot()
    with reverts("ERC1155InsufficientBalance", tier1, FACE, FACE + 1, root):
        certificate.split(root, [tier2a, tier2b], [FACE, 1], {"from": tier1})
    assert snapshot() == before


def test_revert_whenNotHolder(system, certificate, tier1, tier2a, tier2b, root, snapshot):
    before = snapshot()
    with reverts("ERC1155InsufficientBalance", tier2a, 0, 5, root):
        certificate.split(root, [tier2b], [5], {"from": tier2a})
    assert snapshot() == before


def test_revert_whenSplittingOwnChildOnlyNotParent(system, certificate, tier1, tier2a, sme, root, snapshot):
    """A holder of a child has no claim on the parent's units."""
    certificate.split(root, [tier2a], [100], {"from": tier1})
    before = snapshot()
    with reverts("ERC1155InsufficientBalance", tier2a, 0, 1, root):
        certificate.split(root, [sme], [1], {"from": tier2a})
    assert snapshot() == before


def test_revert_whenCallerSuspended(system, certificate, consortium, admin, tier1, tier2a, root, snapshot):
    consortium.suspend(tier1, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", tier1):
        certificate.split(root, [tier2a], [5], {"from": tier1})
    assert snapshot() == before


def test_revert_whenCallerNotMember(system, certificate, tier2a, outsider, root, snapshot):
    before = snapshot()
    with reverts("InactiveMember", outsider):
        certificate.split(root, [tier2a], [5], {"from": outsider})
    assert snapshot() == before


@pytest.mark.parametrize("position", [0, 1, 2])
def test_revert_whenRecipientNotMember(system, certificate, tier1, tier2a, tier2b, outsider, root, snapshot, position):
    recipients = [tier2a, tier2b]
    recipients.insert(position, outsider)
    before = snapshot()
    with reverts("InactiveMember", outsider):
        certificate.split(root, recipients, [1, 2, 3], {"from": tier1})
    assert snapshot() == before


def test_revert_whenRecipientSuspended(system, certificate, consortium, admin, tier1, tier2a, tier2b, root, snapshot):
    consortium.suspend(tier2b, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", tier2b):
        certificate.split(root, [tier2a, tier2b], [1, 2], {"from": tier1})
    assert snapshot() == before


def test_revert_whenRecipientZeroAddress(system, certificate, tier1, tier2a, root, snapshot):
    before = snapshot()
    with reverts("InactiveMember", ZERO_ADDRESS):
        certificate.split(root, [tier2a, ZERO_ADDRESS], [1, 2], {"from": tier1})
    assert snapshot() == before


@pytest.mark.parametrize("cert_id", [0, 2, 999])
def test_revert_whenUnknownCertificate(system, certificate, tier1, tier2a, root, snapshot, cert_id):
    before = snapshot()
    with reverts("UnknownCertificate", cert_id):
        certificate.split(cert_id, [tier2a], [1], {"from": tier1})
    assert snapshot() == before


def test_revert_whenPaused(system, certificate, admin, tier1, tier2a, root, snapshot):
    certificate.pause({"from": admin})
    before = snapshot()
    with reverts("EnforcedPause"):
        certificate.split(root, [tier2a], [1], {"from": tier1})
    assert snapshot() == before
    certificate.unpause({"from": admin})
    (child,) = certificate.split(root, [tier2a], [1], {"from": tier1}).return_value
    assert certificate.balanceOf(tier2a, child) == 1


def test_revert_whenRootClosedAsPaid(system, certificate, escrow, core, tier1, tier2a, sme, root, snapshot):
    (child,) = certificate.split(root, [tier2a], [100], {"from": tier1}).return_value
    escrow.repay(root, FACE, {"from": core})
    assert certificate.certificate(child)[6] == STATUS_PAID
    before = snapshot()
    with reverts("RootClosed", root, STATUS_PAID):
        certificate.split(root, [tier2a], [1], {"from": tier1})
    with reverts("RootClosed", root, STATUS_PAID):
        certificate.split(child, [sme], [1], {"from": tier2a})
    assert snapshot() == before


def test_revert_whenRootClosedAsDefaulted(system, certificate, escrow, tier1, tier2a, root, maturity, snapshot):
    chain.sleep(maturity + GRACE_PERIOD - chain.time() + DAY)
    escrow.declareDefault(root, {"from": tier1})
    before = snapshot()
    with reverts("RootClosed", root, STATUS_DEFAULTED):
        certificate.split(root, [tier2a], [1], {"from": tier1})
    assert snapshot() == before


def test_split_partialRepaymentKeepsRootOpen(system, certificate, escrow, core, tier1, tier2a, root):
    escrow.repay(root, FACE - 1, {"from": core})
    (child,) = certificate.split(root, [tier2a], [1], {"from": tier1}).return_value
    assert certificate.balanceOf(tier2a, child) == 1
    assert certificate.certificate(child)[6] == STATUS_ACTIVE


def test_rootStatusOf_givesEachCertificatesRootMaturityAndStatus(system, certificate, escrow, core, tier1, tier2a, sme,
                                                             issue):
    maturity = chain.time() + 30 * DAY
    tx = certificate.issue(tier1, FACE, maturity, "0x" + "ab" * 32, {"from": core})
    root = tx.return_value
    (child,) = certificate.split(root, [tier2a], [500_00], {"from": tier1}).return_value
    (grandchild,) = certificate.split(child, [sme], [1], {"from": tier2a}).return_value
    other = issue()

    def state(cert_id):
        return tuple(int(v) for v in certificate.rootStatusOf(cert_id))

    number = certificate.debtorNumber(core)
    assert number == 1
    assert state(root) == (root, maturity, STATUS_ACTIVE, number)
    assert state(child) == (root, maturity, STATUS_ACTIVE, number)
    assert state(grandchild) == (root, maturity, STATUS_ACTIVE, number)
    assert state(other)[0] == other
    assert state(certificate.nextId()) == (0, 0, 0, 0)  # unknown id
    assert state(0) == (0, 0, 0, 0)
    escrow.repay(root, FACE, {"from": core})
    for cert_id in (root, child, grandchild):
        assert state(cert_id) == (root, maturity, STATUS_PAID, number)
    assert state(other)[2] == STATUS_ACTIVE

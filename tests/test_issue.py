"""Issuing receivables: a core enterprise confirms its debt to a supplier as a root certificate."""
import pytest
from brownie import chain

from tests.cert_helpers import (
    MAX_UINT128,
    STATUS_ACTIVE,
    ZERO_ADDRESS,
    ZERO_BYTES32,
    assert_event,
    cert_state,
    expected_lineage,
    lineage,
    latest_timestamp,
    set_next_timestamp,
)
from tests.conftest import CREDIT, FACE
from tests.helpers import DAY, ROLE, doc_hash, reverts


@pytest.fixture
def maturity():
    return chain.time() + 90 * DAY


@pytest.fixture
def snapshot(certificate, core, suppliers, bank, outsider):
    """State that a failed issue must leave untouched (ids 1..3 cover any id it could have created)."""
    return lambda: cert_state(certificate, core, suppliers + [bank, outsider], [1, 2, 3]) | {
        "receivable": certificate.receivableOf(doc_hash("the-invoice")),
        "debtor number": certificate.debtorNumber(core),
    }


# ---------------------------------------------------------------- success
def test_issue_mintsRootToSupplier(system, certificate, core, tier1, maturity):
    doc = doc_hash("the-invoice")
    assert certificate.nextId() == 1

    tx = certificate.issue(tier1, FACE, maturity, doc, {"from": core})

    root = tx.return_value
    assert root == 1
    assert certificate.balanceOf(tier1, root) == FACE
    assert certificate.balanceOf(core, root) == 0
    assert_event(
        tx,
        "ReceivableIssued",
        {"rootId": root, "debtor": core, "supplier": tier1, "faceValue": FACE, "maturity": maturity, "documentHash": doc},
        count=1,
        emitter=certificate,
    )
    assert_event(
        tx,
        "TransferSingle",
        {"operator": core, "from": ZERO_ADDRESS, "to": tier1, "id": root, "value": FACE},
        count=1,
        emitter=certificate,
    )
    assert lineage(certificate, root) == expected_lineage(root, 0, 1, FACE, core, maturity, STATUS_ACTIVE)
    assert certificate.receivableOf(doc) == root
    assert certificate.outstanding(core) == FACE
    assert certificate.creditLimit(core) == CREDIT
    assert certificate.nextId() == root + 1


def test_issue_idsStartAtOneAndIncrease(system, certificate, core, tier1, tier2a, sme, maturity):
    assert certificate.nextId() == 1
    ids = []
    for n, supplier in enumerate([tier1, tier2a, sme, tier1]):
        tx = certificate.issue(supplier, 100 + n, maturity + n, doc_hash(f"inv-{n}"), {"from": core})
        ids.append(tx.return_value)
        assert certificate.balanceOf(supplier, tx.return_value) == 100 + n
        assert certificate.receivableOf(doc_hash(f"inv-{n}")) == tx.return_value
    assert ids == [1, 2, 3, 4]
    assert certificate.nextId() == 5
    assert certificate.outstanding(core) == 100 + 101 + 102 + 103
    # Each root keeps its own data.
    assert lineage(certificate, 3) == expected_lineage(3, 0, 1, 102, core, maturity + 2, STATUS_ACTIVE)
    assert certificate.balanceOf(tier1, 1) == 100 and certificate.balanceOf(tier1, 4) == 103


def test_issue_unknownIdViewsAreZero(system, certificate, issue):
    root = issue()
    assert lineage(certificate, root + 1) == expected_lineage(0, 0, 0, 0, ZERO_ADDRESS, 0, 0)
    assert lineage(certificate, 0) == expected_lineage(0, 0, 0, 0, ZERO_ADDRESS, 0, 0)
    assert certificate.receivableOf(doc_hash("never-used")) == 0


def test_issue_maxFaceValue(system, certificate, bank, core, tier1, maturity):
    certificate.setCreditLine(core, MAX_UINT128, {"from": bank})
    tx = certificate.issue(tier1, MAX_UINT128, maturity, doc_hash("max"), {"from": core})
    assert certificate.balanceOf(tier1, tx.return_value) == MAX_UINT128
    # The root's word packs the face value beside the maturity, the status and the debtor's number: none spills.
    assert lineage(certificate, tx.return_value) == expected_lineage(
        tx.return_value, 0, 1, MAX_UINT128, core, maturity, STATUS_ACTIVE)
    assert tuple(certificate.rootStatusOf(tx.return_value)) == (tx.return_value, maturity, STATUS_ACTIVE, 1)
    assert certificate.outstanding(core) == MAX_UINT128


def test_issue_numbersEachDebtorAtItsFirstReceivable(
    system, certificate, consortium, admin, bank, core, tier1, tier2a, maturity
):
    """A root keeps its debtor's number: 1, 2, ... in the order of the debtors' first receivables, never changed."""
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    certificate.setCreditLine(tier1, FACE, {"from": bank})
    assert (certificate.debtorNumber(core), certificate.debtorNumber(tier1)) == (0, 0)

    first = certificate.issue(tier2a, FACE // 2, maturity, doc_hash("n-1"), {"from": tier1}).return_value
    second = certificate.issue(tier1, FACE, maturity + 1, doc_hash("n-2"), {"from": core}).return_value
    third = certificate.issue(tier2a, FACE // 2, maturity + 2, doc_hash("n-3"), {"from": tier1}).return_value

    assert (certificate.debtorNumber(tier1), certificate.debtorNumber(core)) == (1, 2)
    assert certificate.debtorNumber(tier2a) == 0
    for root, debtor, number, face, due in ((first, tier1, 1, FACE // 2, maturity), (second, core, 2, FACE, maturity + 1),
                                            (third, tier1, 1, FACE // 2, maturity + 2)):
        assert lineage(certificate, root) == expected_lineage(root, 0, 1, face, debtor, due, STATUS_ACTIVE)
        assert tuple(certificate.rootStatusOf(root)) == (root, due, STATUS_ACTIVE, number)


def test_issue_maturityOneSecondAhead(system, certificate, core, tier1):
    timestamp = latest_timestamp() + 10
    set_next_timestamp(timestamp)
    tx = certificate.issue(tier1, FACE, timestamp + 1, doc_hash("tight"), {"from": core})
    assert certificate.certificate(tx.return_value)[5] == timestamp + 1


def test_issue_byMemberHoldingBothRoles(system, certificate, consortium, admin, bank, tier1, tier2a, maturity):
    """A tier-1 supplier can be the core enterprise of its own suppliers."""
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    certificate.setCreditLine(tier1, FACE, {"from": bank})

    tx = certificate.issue(tier2a, FACE, maturity, doc_hash("tier1-po"), {"from": tier1})

    assert_event(
        tx,
        "ReceivableIssued",
        {
            "rootId": tx.return_value,
            "debtor": tier1,
            "supplier": tier2a,
            "faceValue": FACE,
            "maturity": maturity,
            "documentHash": doc_hash("tier1-po"),
        },
    )
    assert certificate.outstanding(tier1) == FACE
    assert certificate.outstanding(tier1) <= certificate.creditLimit(tier1)
    assert certificate.certificate(tx.return_value)[4] == tier1


# ---------------------------------------------------------------- reverts
@pytest.mark.parametrize("caller_name", ["tier1", "bank", "outsider"])
def test_revert_whenNotCoreEnterprise(system, certificate, tier2a, maturity, snapshot, request, caller_name):
    caller = request.getfixturevalue(caller_name)
    before = snapshot()
    with reverts("AccessControlUnauthorizedAccount", caller, ROLE["CORE_ENTERPRISE_ROLE"]):
        certificate.issue(tier2a, FACE, maturity, doc_hash("the-invoice"), {"from": caller})
    assert snapshot() == before


def test_revert_whenCoreSuspended(system, certificate, consortium, admin, core, tier1, maturity, snapshot):
    consortium.suspend(core, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", core):
        certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenCoreRoleButNeverOnboarded(system, certificate, consortium, admin, bank, tier1, extra_accounts, maturity, snapshot):
    debtor = extra_accounts[4]
    consortium.grantRole(ROLE["CORE_ENTERPRISE_ROLE"], debtor, {"from": admin})
    certificate.setCreditLine(debtor, FACE, {"from": bank})
    before = snapshot()
    with reverts("InactiveMember", debtor):
        certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": debtor})
    assert snapshot() == before
    assert certificate.outstanding(debtor) == 0


def test_issue_worksAgainAfterReinstate(system, certificate, consortium, admin, core, tier1, maturity):
    consortium.suspend(core, {"from": admin})
    consortium.reinstate(core, {"from": admin})
    tx = certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert certificate.balanceOf(tier1, tx.return_value) == FACE


@pytest.mark.parametrize("supplier_name", ["bank", "guarantor", "core", "outsider"])
def test_revert_whenSupplierWithoutSupplierRole(system, certificate, core, maturity, snapshot, request, supplier_name):
    supplier = request.getfixturevalue(supplier_name)
    before = snapshot()
    with reverts("AccessControlUnauthorizedAccount", supplier, ROLE["SUPPLIER_ROLE"]):
        certificate.issue(supplier, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenSupplierSuspended(system, certificate, consortium, admin, core, tier1, maturity, snapshot):
    consortium.suspend(tier1, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", tier1):
        certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenSupplierRoleButNeverOnboarded(system, certificate, consortium, admin, core, outsider, maturity, snapshot):
    consortium.grantRole(ROLE["SUPPLIER_ROLE"], outsider, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", outsider):
        certificate.issue(outsider, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenSupplierZeroAddress(system, certificate, core, maturity, snapshot):
    before = snapshot()
    with reverts("AccessControlUnauthorizedAccount", ZERO_ADDRESS, ROLE["SUPPLIER_ROLE"]):
        certificate.issue(ZERO_ADDRESS, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenZeroFaceValue(system, certificate, core, tier1, maturity, snapshot):
    before = snapshot()
    with reverts("InvalidFaceValue", 0):
        certificate.issue(tier1, 0, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenFaceValueAboveUint128(system, certificate, bank, core, tier1, maturity, snapshot):
    certificate.setCreditLine(core, MAX_UINT128, {"from": bank})
    before = snapshot()
    for face in (MAX_UINT128 + 1, 2**256 - 1):
        with reverts("InvalidFaceValue", face):
            certificate.issue(tier1, face, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenMaturityEqualsBlockTime(system, certificate, core, tier1, snapshot):
    before = snapshot()
    timestamp = latest_timestamp() + 10
    set_next_timestamp(timestamp)
    with reverts("MaturityNotInFuture", timestamp, timestamp):
        certificate.issue(tier1, FACE, timestamp, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


@pytest.mark.parametrize("maturity_offset", [None, -DAY, -1])
def test_revert_whenMaturityInPast(system, certificate, core, tier1, snapshot, maturity_offset):
    before = snapshot()
    timestamp = latest_timestamp() + 10
    maturity = 0 if maturity_offset is None else timestamp + maturity_offset
    set_next_timestamp(timestamp)
    with reverts("MaturityNotInFuture", maturity, timestamp):
        certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenZeroDocumentHash(system, certificate, core, tier1, maturity, snapshot):
    before = snapshot()
    with reverts("InvalidDocumentHash"):
        certificate.issue(tier1, FACE, maturity, ZERO_BYTES32, {"from": core})
    assert snapshot() == before
    assert certificate.receivableOf(ZERO_BYTES32) == 0


def test_revert_whenDocumentHashReused(system, certificate, core, tier1, tier2a, maturity, snapshot):
    doc = doc_hash("the-invoice")
    root = certificate.issue(tier1, FACE, maturity, doc, {"from": core}).return_value
    before = snapshot()
    # Same document, whatever the supplier, amount or maturity.
    with reverts("DocumentAlreadyUsed", doc, root):
        certificate.issue(tier2a, 1, maturity + DAY, doc, {"from": core})
    assert snapshot() == before
    assert certificate.receivableOf(doc) == root


def test_revert_whenDocumentHashReusedByOtherDebtor(system, certificate, consortium, admin, bank, core, tier1, tier2a, maturity, snapshot):
    doc = doc_hash("the-invoice")
    root = certificate.issue(tier1, FACE, maturity, doc, {"from": core}).return_value
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    certificate.setCreditLine(tier1, FACE, {"from": bank})
    before = snapshot()
    with reverts("DocumentAlreadyUsed", doc, root):
        certificate.issue(tier2a, FACE, maturity, doc, {"from": tier1})
    assert snapshot() == before
    assert certificate.outstanding(tier1) == 0
    assert certificate.receivableOf(doc) == root


def test_revert_whenCreditLimitExceeded(system, certificate, core, tier1, maturity, snapshot):
    certificate.issue(tier1, CREDIT - 100, maturity, doc_hash("big"), {"from": core})
    before = snapshot()
    with reverts("CreditLimitExceeded", core, CREDIT - 100, 101, CREDIT):
        certificate.issue(tier1, 101, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before
    # Exactly up to the limit is fine.
    certificate.issue(tier1, 100, maturity, doc_hash("the-invoice"), {"from": core})
    assert certificate.outstanding(core) == CREDIT


def test_revert_whenNoCreditLine(system, certificate, consortium, admin, tier1, tier2a, maturity):
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    next_id = certificate.nextId()
    with reverts("CreditLimitExceeded", tier1, 0, 1, 0):
        certificate.issue(tier2a, 1, maturity, doc_hash("the-invoice"), {"from": tier1})
    assert certificate.nextId() == next_id
    assert certificate.outstanding(tier1) == 0


def test_revert_whenSingleIssueAboveLimit(system, certificate, core, tier1, maturity, snapshot):
    before = snapshot()
    with reverts("CreditLimitExceeded", core, 0, CREDIT + 1, CREDIT):
        certificate.issue(tier1, CREDIT + 1, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before


def test_revert_whenPaused(system, certificate, admin, core, tier1, maturity, snapshot):
    certificate.pause({"from": admin})
    before = snapshot()
    with reverts("EnforcedPause"):
        certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert snapshot() == before
    certificate.unpause({"from": admin})
    tx = certificate.issue(tier1, FACE, maturity, doc_hash("the-invoice"), {"from": core})
    assert certificate.balanceOf(tier1, tx.return_value) == FACE

"""ERC-1155 movements: transfers, batches, operators, receiver hooks, membership/closure/pause rules."""
import pytest
from brownie import CertificateReceiverMock, PlainContractMock, chain, history
from eth_utils import function_signature_to_4byte_selector

from tests.cert_helpers import STATUS_DEFAULTED, STATUS_PAID, ZERO_ADDRESS, assert_event, cert_state, norm, raw_log_args
from tests.conftest import FACE, GRACE_PERIOD
from tests.helpers import DAY, ROLE, doc_hash, reverts

ACCEPT, WRONG_SELECTOR, REVERT_EMPTY, REVERT_WITH_ERROR = range(4)


@pytest.fixture
def root(issue):
    """A FACE-unit root held by tier1."""
    return issue()


@pytest.fixture
def two_ids(certificate, tier1, root):
    """tier1 holds FACE - 1000 of the root and 1000 of a child it split to itself."""
    (child,) = certificate.split(root, [tier1], [1000], {"from": tier1}).return_value
    return root, child


@pytest.fixture
def snapshot(certificate, core, suppliers, bank, outsider):
    holders = suppliers + [core, bank, outsider]
    return lambda extra=(): cert_state(certificate, core, holders + list(extra), list(range(1, certificate.nextId() + 3)))


@pytest.fixture
def onboarded_contract(consortium, admin):
    """Deploys a contract and onboards it as a supplier (an active member that is a contract)."""

    def _make(kind, mode=ACCEPT):
        contract = CertificateReceiverMock.deploy(mode, {"from": admin}) if kind == "receiver" else PlainContractMock.deploy({"from": admin})
        consortium.onboard(contract, ROLE["SUPPLIER_ROLE"], f"{kind} contract", {"from": admin})
        return contract

    return _make


@pytest.fixture
def receiver(system, onboarded_contract):
    return onboarded_contract("receiver", ACCEPT)


# ---------------------------------------------------------------- standard transfers
def test_safeTransferFrom_movesUnits(system, certificate, tier1, tier2a, root):
    tx = certificate.safeTransferFrom(tier1, tier2a, root, 400_00, "", {"from": tier1})

    assert certificate.balanceOf(tier1, root) == FACE - 400_00
    assert certificate.balanceOf(tier2a, root) == 400_00
    assert_event(tx, "TransferSingle", {"operator": tier1, "from": tier1, "to": tier2a, "id": root, "value": 400_00}, count=1, emitter=certificate)


def test_safeTransferFrom_onwardsToFinancier(system, certificate, tier1, tier2a, factor, root):
    certificate.safeTransferFrom(tier1, tier2a, root, 500, "", {"from": tier1})
    certificate.safeTransferFrom(tier2a, factor, root, 200, "", {"from": tier2a})
    assert list(certificate.balanceOfBatch([tier1, tier2a, factor], [root] * 3)) == [FACE - 500, 300, 200]


def test_safeTransferFrom_ofChild(system, certificate, tier1, tier2a, sme, root):
    (child,) = certificate.split(root, [tier2a], [300], {"from": tier1}).return_value
    tx = certificate.safeTransferFrom(tier2a, sme, child, 300, "", {"from": tier2a})
    assert_event(tx, "TransferSingle", {"operator": tier2a, "from": tier2a, "to": sme, "id": child, "value": 300}, count=1)
    assert certificate.balanceOf(sme, child) == 300
    assert certificate.balanceOf(tier2a, child) == 0


def test_safeBatchTransferFrom_movesAll(system, certificate, tier1, tier2a, two_ids):
    root, child = two_ids

    tx = certificate.safeBatchTransferFrom(tier1, tier2a, [root, child], [600, 1000], "", {"from": tier1})

    assert_event(
        tx, "TransferBatch", {"operator": tier1, "from": tier1, "to": tier2a, "ids": [root, child], "values": [600, 1000]}, count=1, emitter=certificate
    )
    assert "TransferSingle" not in tx.events
    assert list(certificate.balanceOfBatch([tier1, tier1, tier2a, tier2a], [root, child, root, child])) == [FACE - 1600, 0, 600, 1000]


def test_revert_balanceOfBatch_whenLengthMismatch(system, certificate, tier1, root):
    # OpenZeppelin reports (ids length, accounts length).
    with reverts("ERC1155InvalidArrayLength", 2, 1):
        certificate.balanceOfBatch([tier1], [root, root])


def test_revert_safeBatchTransferFrom_whenLengthMismatch(system, certificate, tier1, tier2a, two_ids, snapshot):
    root, child = two_ids
    before = snapshot()
    with reverts("ERC1155InvalidArrayLength", 2, 1):
        certificate.safeBatchTransferFrom(tier1, tier2a, [root, child], [1], "", {"from": tier1})
    assert snapshot() == before


def test_revert_transfer_whenInsufficientBalance(system, certificate, tier1, tier2a, root, snapshot):
    before = snapshot()
    with reverts("ERC1155InsufficientBalance", tier1, FACE, FACE + 1, root):
        certificate.safeTransferFrom(tier1, tier2a, root, FACE + 1, "", {"from": tier1})
    assert snapshot() == before


def test_revert_batchTransfer_whenInsufficientBalance(system, certificate, tier1, tier2a, two_ids, snapshot):
    root, child = two_ids
    before = snapshot()
    with reverts("ERC1155InsufficientBalance", tier1, 1000, 1001, child):
        certificate.safeBatchTransferFrom(tier1, tier2a, [root, child], [1, 1001], "", {"from": tier1})
    assert snapshot() == before


def test_revert_transfer_whenToZeroAddress(system, certificate, tier1, root, snapshot):
    before = snapshot()
    with reverts("ERC1155InvalidReceiver", ZERO_ADDRESS):
        certificate.safeTransferFrom(tier1, ZERO_ADDRESS, root, 1, "", {"from": tier1})
    assert snapshot() == before


def test_revert_transfer_whenUnknownCertificate(system, certificate, tier1, tier2a, root, snapshot):
    before = snapshot()
    with reverts("UnknownCertificate", 77):
        certificate.safeTransferFrom(tier1, tier2a, 77, 0, "", {"from": tier1})
    assert snapshot() == before


# ---------------------------------------------------------------- operators
def test_setApprovalForAll_emitsAndRecords(system, certificate, tier1, tier2b):
    tx = certificate.setApprovalForAll(tier2b, True, {"from": tier1})
    assert_event(tx, "ApprovalForAll", {"account": tier1, "operator": tier2b, "approved": True}, count=1, emitter=certificate)
    assert certificate.isApprovedForAll(tier1, tier2b)
    assert not certificate.isApprovedForAll(tier2b, tier1)

    tx = certificate.setApprovalForAll(tier2b, False, {"from": tier1})
    assert_event(tx, "ApprovalForAll", {"account": tier1, "operator": tier2b, "approved": False}, count=1)
    assert not certificate.isApprovedForAll(tier1, tier2b)


def test_approvedOperator_movesOwnersUnits(system, certificate, tier1, tier2b, sme, two_ids):
    root, child = two_ids
    certificate.setApprovalForAll(tier2b, True, {"from": tier1})

    tx = certificate.safeTransferFrom(tier1, sme, root, 250, "", {"from": tier2b})
    assert_event(tx, "TransferSingle", {"operator": tier2b, "from": tier1, "to": sme, "id": root, "value": 250}, count=1)
    tx = certificate.safeBatchTransferFrom(tier1, sme, [child, root], [10, 1], "", {"from": tier2b})
    assert_event(tx, "TransferBatch", {"operator": tier2b, "from": tier1, "to": sme, "ids": [child, root], "values": [10, 1]}, count=1)

    assert list(certificate.balanceOfBatch([tier1, sme, tier2b], [root] * 3)) == [FACE - 1000 - 251, 251, 0]
    assert certificate.balanceOf(sme, child) == 10


def test_approvedOperator_needNotBeMember(system, certificate, tier1, tier2a, outsider, root):
    """Only `from` and `to` must be members: a contract such as the financing desk can be the operator."""
    certificate.setApprovalForAll(outsider, True, {"from": tier1})
    certificate.safeTransferFrom(tier1, tier2a, root, 7, "", {"from": outsider})
    assert certificate.balanceOf(tier2a, root) == 7


@pytest.mark.parametrize("approved_someone_else", [False, True])
def test_revert_whenOperatorNotApproved(system, certificate, tier1, tier2a, tier2b, sme, two_ids, snapshot, approved_someone_else):
    root, child = two_ids
    if approved_someone_else:
        certificate.setApprovalForAll(tier2b, True, {"from": tier1})
    before = snapshot()
    with reverts("ERC1155MissingApprovalForAll", sme, tier1):
        certificate.safeTransferFrom(tier1, sme, root, 1, "", {"from": sme})
    with reverts("ERC1155MissingApprovalForAll", tier2a, tier1):
        certificate.safeBatchTransferFrom(tier1, tier2a, [root, child], [1, 1], "", {"from": tier2a})
    assert snapshot() == before


def test_revert_whenApprovalRevoked(system, certificate, tier1, tier2b, sme, root, snapshot):
    certificate.setApprovalForAll(tier2b, True, {"from": tier1})
    certificate.setApprovalForAll(tier2b, False, {"from": tier1})
    before = snapshot()
    with reverts("ERC1155MissingApprovalForAll", tier2b, tier1):
        certificate.safeTransferFrom(tier1, sme, root, 1, "", {"from": tier2b})
    assert snapshot() == before


def test_revert_setApprovalForAll_whenZeroOperator(system, certificate, tier1):
    with reverts("ERC1155InvalidOperator", ZERO_ADDRESS):
        certificate.setApprovalForAll(ZERO_ADDRESS, True, {"from": tier1})


def test_approvedOperator_cannotSplitOwnersUnits(system, certificate, tier1, tier2b, root, snapshot):
    certificate.setApprovalForAll(tier2b, True, {"from": tier1})
    before = snapshot()
    with reverts("ERC1155InsufficientBalance", tier2b, 0, 1, root):
        certificate.split(root, [tier2b], [1], {"from": tier2b})
    assert snapshot() == before


# ---------------------------------------------------------------- receiver hooks
def assert_received(tx, receiver, operator, sender, cert_id, value, data=b""):
    """The mock's Received event, decoded from the raw log (exact about empty `data`)."""
    logs = raw_log_args(tx, receiver, ["address", "address", "uint256", "uint256", "bytes"])
    assert [(op.lower(), frm.lower(), i, v, d) for op, frm, i, v, d in logs] == [
        (norm(operator), norm(sender), cert_id, value, data)
    ]


def test_transfer_toAcceptingContractMember(system, certificate, tier1, receiver, root):
    tx = certificate.safeTransferFrom(tier1, receiver, root, 100, "0x1234", {"from": tier1})

    assert certificate.balanceOf(receiver, root) == 100
    assert_event(tx, "TransferSingle", {"operator": tier1, "from": tier1, "to": receiver, "id": root, "value": 100}, count=1)
    assert_event(tx, "Received", {"operator": tier1, "from": tier1, "id": root, "value": 100, "data": "0x1234"}, count=1, emitter=receiver)


def test_batchTransfer_toAcceptingContractMember(system, certificate, tier1, receiver, two_ids):
    root, child = two_ids
    tx = certificate.safeBatchTransferFrom(tier1, receiver, [root, child], [5, 6], "0xabcd", {"from": tier1})
    assert list(certificate.balanceOfBatch([receiver, receiver], [root, child])) == [5, 6]
    assert_event(
        tx, "BatchReceived", {"operator": tier1, "from": tier1, "ids": [root, child], "values": [5, 6], "data": "0xabcd"}, count=1, emitter=receiver
    )


def test_issue_toAcceptingContractMember(system, certificate, core, receiver, issue):
    root = issue(to=receiver)
    assert certificate.balanceOf(receiver, root) == FACE
    tx = history[-1]
    assert tx.fn_name == "issue" and tx.return_value == root
    assert_received(tx, receiver, core, ZERO_ADDRESS, root, FACE)


def test_split_toAcceptingContractMember(system, certificate, tier1, tier2a, receiver, root):
    tx = certificate.split(root, [tier2a, receiver], [10, 20], {"from": tier1})
    _, to_contract = tx.return_value
    assert certificate.balanceOf(receiver, to_contract) == 20
    assert_received(tx, receiver, tier1, ZERO_ADDRESS, to_contract, 20)


def test_contractMember_passesCertificatesOn(system, certificate, tier1, tier2a, sme, receiver, root):
    certificate.safeTransferFrom(tier1, receiver, root, 100, "", {"from": tier1})

    receiver.forward(certificate, certificate.safeTransferFrom.encode_input(receiver, tier2a, root, 40, ""), {"from": tier1})
    tx = receiver.forward(certificate, certificate.split.encode_input(root, [sme], [25]), {"from": tier1})

    assert_event(tx, "CertificateSplit", {"parentId": root, "rootId": root, "holder": receiver, "childIds": [root + 1], "recipients": [sme], "amounts": [25]})
    assert certificate.balanceOf(receiver, root) == 35
    assert certificate.balanceOf(tier2a, root) == 40
    assert certificate.balanceOf(sme, root + 1) == 25


REFUSERS = [("receiver", WRONG_SELECTOR), ("receiver", REVERT_EMPTY), ("plain", None)]
REFUSER_IDS = ["wrongSelector", "revertEmpty", "noHooks"]


@pytest.mark.parametrize("kind, mode", REFUSERS, ids=REFUSER_IDS)
def test_revert_transfer_whenReceiverRefuses(system, certificate, tier1, two_ids, onboarded_contract, snapshot, kind, mode):
    root, child = two_ids
    refuser = onboarded_contract(kind, mode)
    before = snapshot([refuser])
    with reverts("ERC1155InvalidReceiver", refuser):
        certificate.safeTransferFrom(tier1, refuser, root, 1, "", {"from": tier1})
    with reverts("ERC1155InvalidReceiver", refuser):
        certificate.safeBatchTransferFrom(tier1, refuser, [root, child], [1, 1], "", {"from": tier1})
    assert snapshot([refuser]) == before


@pytest.mark.parametrize("kind, mode", REFUSERS, ids=REFUSER_IDS)
def test_revert_issue_whenReceiverRefuses(system, certificate, core, onboarded_contract, snapshot, kind, mode):
    refuser = onboarded_contract(kind, mode)
    before = snapshot([refuser])
    maturity = chain.time() + 30 * DAY
    with reverts("ERC1155InvalidReceiver", refuser):
        certificate.issue(refuser, FACE, maturity, doc_hash("refused"), {"from": core})
    assert snapshot([refuser]) == before
    assert certificate.receivableOf(doc_hash("refused")) == 0


@pytest.mark.parametrize("kind, mode", REFUSERS, ids=REFUSER_IDS)
def test_revert_split_whenReceiverRefuses(system, certificate, tier1, tier2a, root, onboarded_contract, snapshot, kind, mode):
    refuser = onboarded_contract(kind, mode)
    before = snapshot([refuser])
    with reverts("ERC1155InvalidReceiver", refuser):
        certificate.split(root, [tier2a, refuser], [10, 20], {"from": tier1})
    assert snapshot([refuser]) == before


def test_revert_whenReceiverRevertsWithError_bubblesUp(system, certificate, core, tier1, root, onboarded_contract, snapshot):
    refuser = onboarded_contract("receiver", REVERT_WITH_ERROR)
    before = snapshot([refuser])
    with reverts("ReceiverRejected", tier1, tier1, root, 3):
        certificate.safeTransferFrom(tier1, refuser, root, 3, "", {"from": tier1})
    with reverts("ReceiverRejected", tier1, ZERO_ADDRESS, certificate.nextId(), 4):
        certificate.split(root, [refuser], [4], {"from": tier1})
    with reverts("ReceiverRejected", core, ZERO_ADDRESS, certificate.nextId(), 5):
        certificate.issue(refuser, 5, chain.time() + 30 * DAY, doc_hash("refused"), {"from": core})
    assert snapshot([refuser]) == before


def test_receiver_acceptsAfterModeChange(system, certificate, tier1, root, onboarded_contract):
    refuser = onboarded_contract("receiver", WRONG_SELECTOR)
    refuser.setMode(ACCEPT, {"from": tier1})
    certificate.safeTransferFrom(tier1, refuser, root, 3, "", {"from": tier1})
    assert certificate.balanceOf(refuser, root) == 3


# ---------------------------------------------------------------- ERC-165
@pytest.mark.parametrize("interface_id", ["0xd9b67a26", "0x0e89341c", "0x01ffc9a7"])
def test_supportsInterface_erc1155MetadataErc165(certificate, interface_id):
    assert certificate.supportsInterface(interface_id)


def test_supportsInterface_receivableCertificate(certificate):
    signatures = [
        "setCreditLine(address,uint256)", "creditLimit(address)", "creditLine(address,address)", "outstanding(address)",
        "debtorNumber(address)", "issue(address,uint256,uint64,bytes32)", "split(uint256,address[],uint256[])", "certificate(uint256)",
        "rootStatusOf(uint256)", "receivableOf(bytes32)", "pause()", "unpause()", "paused()", "maxTier()", "maxSplitChildren()", "nextId()",
        "settlementEscrow()", "close(uint256,uint8)", "redeem(address,uint256)",
        "setMaxTier(uint256)", "loanDesk()", "financingDesk()", "sell(address,address,uint256,uint256)",
    ]
    value = 0
    for sig in signatures:
        value ^= int.from_bytes(function_signature_to_4byte_selector(sig), "big")
    assert certificate.supportsInterface("0x" + value.to_bytes(4, "big").hex())


@pytest.mark.parametrize("interface_id", ["0xffffffff", "0x00000000", "0x4e2312e0", "0x7965db0b"])
def test_supportsInterface_falseForOthers(certificate, interface_id):
    assert not certificate.supportsInterface(interface_id)


# ---------------------------------------------------------------- membership, closure, pause
def test_revert_transfer_whenFromSuspended(system, certificate, consortium, admin, tier1, tier2a, two_ids, snapshot):
    root, child = two_ids
    consortium.suspend(tier1, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", tier1):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    with reverts("InactiveMember", tier1):
        certificate.safeBatchTransferFrom(tier1, tier2a, [root, child], [1, 1], "", {"from": tier1})
    assert snapshot() == before


def test_revert_transfer_whenFromSuspended_evenByOperator(system, certificate, consortium, admin, tier1, tier2a, tier2b, root, snapshot):
    certificate.setApprovalForAll(tier2b, True, {"from": tier1})
    consortium.suspend(tier1, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", tier1):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier2b})
    assert snapshot() == before


def test_revert_transfer_whenToNotMember(system, certificate, tier1, outsider, two_ids, snapshot):
    root, child = two_ids
    before = snapshot()
    with reverts("InactiveMember", outsider):
        certificate.safeTransferFrom(tier1, outsider, root, 1, "", {"from": tier1})
    with reverts("InactiveMember", outsider):
        certificate.safeBatchTransferFrom(tier1, outsider, [root, child], [1, 1], "", {"from": tier1})
    assert snapshot() == before


def test_revert_transfer_whenToSuspended(system, certificate, consortium, admin, tier1, tier2a, root, snapshot):
    consortium.suspend(tier2a, {"from": admin})
    before = snapshot()
    with reverts("InactiveMember", tier2a):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    assert snapshot() == before
    consortium.reinstate(tier2a, {"from": admin})
    certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    assert certificate.balanceOf(tier2a, root) == 1


def test_revert_transfer_whenRootClosedAsPaid(system, certificate, escrow, core, tier1, tier2a, sme, two_ids, snapshot, issue):
    root, child = two_ids
    open_root = issue()
    escrow.repay(root, FACE, {"from": core})
    before = snapshot()
    with reverts("RootClosed", root, STATUS_PAID):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    with reverts("RootClosed", root, STATUS_PAID):
        certificate.safeTransferFrom(tier1, tier2a, child, 1, "", {"from": tier1})
    # One closed root in a batch stops the whole batch.
    with reverts("RootClosed", root, STATUS_PAID):
        certificate.safeBatchTransferFrom(tier1, tier2a, [open_root, child], [1, 1], "", {"from": tier1})
    assert snapshot() == before
    certificate.safeTransferFrom(tier1, sme, open_root, 1, "", {"from": tier1})
    assert certificate.balanceOf(sme, open_root) == 1


def test_revert_transfer_whenRootClosedAsDefaulted(system, certificate, escrow, tier1, tier2a, root, snapshot):
    maturity = certificate.certificate(root)[5]
    chain.sleep(maturity + GRACE_PERIOD - chain.time() + DAY)
    escrow.declareDefault(root, {"from": tier2a})
    before = snapshot()
    with reverts("RootClosed", root, STATUS_DEFAULTED):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    assert snapshot() == before


def test_pause_emitsAndBlocksTransfers(system, certificate, admin, tier1, tier2a, two_ids, snapshot):
    root, child = two_ids
    assert not certificate.paused()

    tx = certificate.pause({"from": admin})

    assert_event(tx, "Paused", {"account": admin}, count=1, emitter=certificate)
    assert certificate.paused()
    before = snapshot()
    with reverts("EnforcedPause"):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    with reverts("EnforcedPause"):
        certificate.safeBatchTransferFrom(tier1, tier2a, [root, child], [1, 1], "", {"from": tier1})
    assert snapshot() == before


def test_unpause_emitsAndResumesTransfers(system, certificate, admin, tier1, tier2a, root):
    certificate.pause({"from": admin})

    tx = certificate.unpause({"from": admin})

    assert_event(tx, "Unpaused", {"account": admin}, count=1, emitter=certificate)
    assert not certificate.paused()
    certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier1})
    assert certificate.balanceOf(tier2a, root) == 1


def test_pause_doesNotStopRepaymentOrClaims(system, certificate, escrow, token, admin, core, tier1, tier2a, root):
    certificate.safeTransferFrom(tier1, tier2a, root, 300, "", {"from": tier1})
    certificate.pause({"from": admin})

    escrow.repay(root, FACE, {"from": core})
    balance_before = token.balanceOf(tier2a)
    escrow.claim([root], {"from": tier2a})

    assert certificate.certificate(root)[6] == STATUS_PAID
    assert certificate.balanceOf(tier2a, root) == 0
    assert token.balanceOf(tier2a) - balance_before == 300


def test_suspendedHolder_canStillBeRedeemed(system, certificate, consortium, escrow, token, admin, core, tier1, tier2a, root):
    """Claims never depend on membership: the escrow burns a suspended holder's units and pays it."""
    certificate.safeTransferFrom(tier1, tier2a, root, 300, "", {"from": tier1})
    consortium.suspend(tier2a, {"from": admin})
    escrow.repay(root, FACE, {"from": core})
    balance_before = token.balanceOf(tier2a)

    tx = escrow.claim([root], {"from": tier2a})

    assert_event(tx, "TransferSingle", {"operator": escrow, "from": tier2a, "to": ZERO_ADDRESS, "id": root, "value": 300}, count=1, emitter=certificate)
    assert certificate.balanceOf(tier2a, root) == 0
    assert token.balanceOf(tier2a) - balance_before == 300


@pytest.mark.parametrize("fn", ["pause", "unpause"])
@pytest.mark.parametrize("caller_name", ["core", "tier1", "bank", "outsider"])
def test_revert_pauseUnpause_whenNotAdmin(system, certificate, admin, request, fn, caller_name):
    caller = request.getfixturevalue(caller_name)
    if fn == "unpause":
        certificate.pause({"from": admin})
    state = certificate.paused()
    with reverts("AccessControlUnauthorizedAccount", caller, ROLE["DEFAULT_ADMIN_ROLE"]):
        getattr(certificate, fn)({"from": caller})
    assert certificate.paused() == state


def test_pause_bySecondAdmin(system, certificate, consortium, admin, extra_accounts):
    second = extra_accounts[5]
    consortium.grantRole(ROLE["DEFAULT_ADMIN_ROLE"], second, {"from": admin})
    tx = certificate.pause({"from": second})
    assert_event(tx, "Paused", {"account": second})


def test_revert_pause_whenAlreadyPaused(system, certificate, admin):
    certificate.pause({"from": admin})
    with reverts("EnforcedPause"):
        certificate.pause({"from": admin})
    assert certificate.paused()


def test_revert_unpause_whenNotPaused(system, certificate, admin):
    with reverts("ExpectedPause"):
        certificate.unpause({"from": admin})
    assert not certificate.paused()

"""The certificate's custodian hook: only the desk's own requestLoan puts units into it; the desk gives units back
whatever pause or membership say; the desk is fixed at the certificate's deployment."""

from brownie import Consortium, FinancingDesk, LoanDesk, PlainERC1155, ReceivableCertificate, SettlementEscrow

from tests.conftest import FACE
from tests.helpers import ROLE, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

UNITS = FACE // 4


def test_revert_whenDirectTransferToDesk(loans, pledged, certificate, sme):
    with reverts("LoanDeskDepositRefused", sme):
        certificate.safeTransferFrom(sme, loans, pledged, 1, "", {"from": sme})
    assert certificate.balanceOf(loans, pledged) == 0
    assert certificate.balanceOf(sme, pledged) == UNITS


def test_revert_whenDirectBatchTransferToDesk(loans, pledged, certificate, sme):
    with reverts("LoanDeskDepositRefused", sme):
        certificate.safeBatchTransferFrom(sme, loans, [pledged], [1], "", {"from": sme})
    assert certificate.balanceOf(loans, pledged) == 0


def test_revert_whenOperatorTransfersToDesk(loans, pledged, certificate, sme, tier2b):
    """An approved operator (not the desk) cannot deposit a holder's units either."""
    certificate.setApprovalForAll(tier2b, True, {"from": sme})
    with reverts("LoanDeskDepositRefused", tier2b):
        certificate.safeTransferFrom(sme, loans, pledged, 1, "", {"from": tier2b})


def test_revert_whenSplitToDesk(loans, pledged, certificate, sme):
    with reverts("InactiveMember", loans):
        certificate.split(pledged, [loans], [1], {"from": sme})


def test_revert_whenDeskIsMember_desksOwnHookRefuses(loans, pledged, certificate, consortium, admin, sme):
    """Even if the operator onboarded the desk by mistake, its receiver hook refuses units it did not move."""
    consortium.onboard(loans, ROLE["SUPPLIER_ROLE"], "desk by mistake", {"from": admin})
    with reverts("UnsolicitedTransfer", certificate, sme):
        certificate.safeTransferFrom(sme, loans, pledged, 1, "", {"from": sme})
    with reverts("UnsolicitedTransfer", certificate, sme):
        certificate.safeBatchTransferFrom(sme, loans, [pledged], [1], "", {"from": sme})
    # and requestLoan still works
    request(loans, sme, pledged, 10, 10)
    assert certificate.balanceOf(loans, pledged) == 10


def test_revert_whenOtherTokenSentToDesk(loans, admin, sme):
    other = PlainERC1155.deploy({"from": admin})
    other.mint(sme, 1, 10, "", {"from": admin})
    with reverts("UnsolicitedTransfer", other, sme):
        other.safeTransferFrom(sme, loans, 1, 5, "", {"from": sme})
    with reverts("UnsolicitedTransfer", other, sme):
        other.safeBatchTransferFrom(sme, loans, [1], [5], "", {"from": sme})


def test_revert_whenHookCalledDirectly(loans, sme):
    with reverts("UnsolicitedTransfer", sme, loans):
        loans.onERC1155Received(loans, sme, 1, 1, "", {"from": sme})


def test_desk_supportsReceiverInterfaces(loans):
    assert loans.supportsInterface("0x4e2312e0")  # IERC1155Receiver
    assert loans.supportsInterface("0x01ffc9a7")  # IERC165
    assert not loans.supportsInterface("0xffffffff")


def test_unitsComeBack_whenPausedAndBorrowerSuspended_andOthersStillBlocked(
    loans, pledged, certificate, consortium, admin, sme, tier1, factor
):
    request(loans, sme, pledged, UNITS, UNITS // 2)
    loans.fundLoan(1, {"from": factor})
    certificate.pause({"from": admin})
    consortium.suspend(sme, {"from": admin})
    with reverts("EnforcedPause"):
        certificate.safeTransferFrom(tier1, sme, pledged, 1, "", {"from": tier1})

    tx = loans.repayLoan(1, 2**255, {"from": sme})

    assert tx.events["LoanRepaid"]["remainingDebt"] == 0
    assert certificate.balanceOf(sme, pledged) == UNITS
    assert certificate.balanceOf(loans, pledged) == 0
    assert loan_of(loans, 1)[-1] == L_REPAID


def test_deskHoldsNoMembership(loans, consortium):
    assert not consortium.isActive(loans)


# ---------------------------------------------------------------- wiring, fixed at deployment
def test_certificate_namesItsEscrowAndDesks_fromItsConstruction(system, certificate, escrow, loans, desk):
    assert (certificate.settlementEscrow(), certificate.loanDesk(), certificate.financingDesk()) == (escrow, loans, desk)
    assert events(certificate.tx, "SettlementEscrowSet") == [{"escrow": escrow}]
    assert events(certificate.tx, "LoanDeskSet") == [{"desk": loans}]
    assert events(certificate.tx, "FinancingDeskSet") == [{"desk": desk}]


def test_revert_certificate_whenEscrowOrDeskIsZero_orTwoAreOne(system, consortium, admin, outsider, sme):
    z = ZERO_ADDRESS
    # (escrow, loan desk, financing desk) and the error naming the address refused
    for wiring, error, refused in (((z, outsider, sme), "InvalidSettlementEscrow", z),
                                   ((outsider, z, sme), "InvalidLoanDesk", z),
                                   ((outsider, outsider, sme), "InvalidLoanDesk", outsider),
                                   ((outsider, sme, z), "InvalidFinancingDesk", z),
                                   ((outsider, sme, outsider), "InvalidFinancingDesk", outsider),
                                   ((outsider, sme, sme), "InvalidFinancingDesk", sme)):
        with reverts(error, refused):
            ReceivableCertificate.deploy(consortium, "", *wiring, {"from": admin})


def test_revert_escrowOrDesk_deployedWhereTheCertificateDoesNotName(
    system, consortium, certificate, guarantee, escrow, loans, desk, token, admin, outsider
):
    """The certificate fixed its escrow's and desk's addresses: another escrow or desk for it cannot be built, nor a
    desk at the named address over an escrow the certificate does not name."""
    with reverts("NotTheCertificatesEscrow", certificate, escrow):
        SettlementEscrow.deploy(consortium, certificate, guarantee, token, 0, {"from": admin})
    with reverts("NotTheCertificatesLoanDesk", certificate, loans):
        LoanDesk.deploy(consortium, certificate, escrow, token, {"from": admin})
    with reverts("NotTheCertificatesFinancingDesk", certificate, desk):
        FinancingDesk.deploy(consortium, certificate, token, {"from": admin})
    # A certificate of its own consortium (a consortium serves one) whose desk is the admin's next contract.
    other = Consortium.deploy(admin, admin.get_deployment_address(admin.nonce + 1), {"from": admin})
    cert = ReceivableCertificate.deploy(other, "", outsider, admin.get_deployment_address(admin.nonce + 1),
                                        admin, {"from": admin})
    with reverts("NotTheCertificatesEscrow", cert, outsider):
        LoanDesk.deploy(other, cert, escrow, token, {"from": admin})


def test_desk_wiring_views(loans, certificate, escrow, token, consortium):
    assert loans.certificates() == certificate
    assert loans.escrow() == escrow
    assert loans.token() == token
    assert loans.consortium() == consortium


def test_revert_transferToSuspended_stillRefused(loans, pledged, certificate, consortium, admin, sme, tier1):
    """The custodian exception is the desk's only: an inactive recipient is still refused."""
    consortium.suspend(sme, {"from": admin})
    with reverts("InactiveMember", sme):
        certificate.safeTransferFrom(tier1, sme, pledged, 1, "", {"from": tier1})



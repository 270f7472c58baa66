"""Holders' approvals of the two desks live in the certificate beside their member flags (one slot per account), and
the financing desk moves units by the certificate's desk-only `sell`: approvals still behave exactly as ERC-1155's
(events, views, other operators untouched), whatever the consortium pushes, and `sell` is refused to anyone else."""
import pytest

from tests.cert_helpers import events_of
from tests.helpers import DAY, ROLE, reverts
from tests.money_support import now

RATE = 600


@pytest.fixture
def root(issue):
    return issue()


@pytest.fixture
def newcomer(extra_accounts):
    return extra_accounts[1]


def _approvals(certificate, account, desk, loan_desk, other):
    return [certificate.isApprovedForAll(account, op) for op in (desk, loan_desk, other)]


def test_approvalsOfEachDesk_andOfAnyOtherOperator_areSeparate_withTheirEvents(
    system, certificate, desk, loan_desk, tier1, tier2a
):
    assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == [False, False, False]
    for operator, expected in ((desk, [True, False, False]), (loan_desk, [True, True, False]),
                               (tier2a, [True, True, True])):
        tx = certificate.setApprovalForAll(operator, True, {"from": tier1})
        assert events_of(tx, "ApprovalForAll") == [{"account": tier1, "operator": operator, "approved": True}]
        assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == expected
    tx = certificate.setApprovalForAll(desk, False, {"from": tier1})
    assert events_of(tx, "ApprovalForAll") == [{"account": tier1, "operator": desk, "approved": False}]
    assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == [False, True, True]
    certificate.setApprovalForAll(loan_desk, False, {"from": tier1})
    assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == [False, False, True]
    # Approving twice, or revoking what was never given, changes nothing else.
    certificate.setApprovalForAll(desk, False, {"from": tier1})
    certificate.setApprovalForAll(tier2a, True, {"from": tier1})
    assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == [False, False, True]
    assert certificate.activeFlag(tier1)
    # Another account's approvals are its own.
    assert _approvals(certificate, tier2a, desk, loan_desk, tier1) == [False, False, False]


def test_suspensionAndReinstatement_keepTheDeskApprovals(
    system, certificate, consortium, desk, loan_desk, admin, tier1, tier2a
):
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    certificate.setApprovalForAll(loan_desk, True, {"from": tier1})
    consortium.suspend(tier1, {"from": admin})
    assert not certificate.activeFlag(tier1)
    assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == [True, True, False]
    consortium.reinstate(tier1, {"from": admin})
    assert certificate.activeFlag(tier1)
    assert _approvals(certificate, tier1, desk, loan_desk, tier2a) == [True, True, False]


def test_approvalBeforeOnboarding_makesNoMember_andSurvivesTheOnboarding(
    system, certificate, consortium, desk, loan_desk, admin, tier1, newcomer, root
):
    certificate.setApprovalForAll(desk, True, {"from": newcomer})
    assert certificate.isApprovedForAll(newcomer, desk) and not certificate.activeFlag(newcomer)
    with reverts("InactiveMember", newcomer):
        certificate.safeTransferFrom(tier1, newcomer, root, 1, "", {"from": tier1})
    consortium.onboard(newcomer, ROLE["SUPPLIER_ROLE"], "Newcomer", {"from": admin})
    assert certificate.activeFlag(newcomer) and certificate.isApprovedForAll(newcomer, desk)
    assert not certificate.isApprovedForAll(newcomer, loan_desk)
    certificate.safeTransferFrom(tier1, newcomer, root, 1, "", {"from": tier1})
    assert certificate.balanceOf(newcomer, root) == 1


def test_revokedDeskApproval_stopsTheSale_andTheMemberStaysActive(
    system, certificate, desk, token, core, tier1, factor, root
):
    offer = desk.postOffer(core, RATE, 100_000_00, 0, now() + 30 * DAY, {"from": factor}).return_value
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    certificate.setApprovalForAll(desk, False, {"from": tier1})
    before = (certificate.balanceOf(tier1, root), certificate.balanceOf(factor, root), token.balanceOf(tier1))
    with reverts("ERC1155MissingApprovalForAll", desk, tier1):
        desk.finance(offer, root, 1_000, 0, now() + DAY, {"from": tier1})
    assert (certificate.balanceOf(tier1, root), certificate.balanceOf(factor, root), token.balanceOf(tier1)) == before
    assert certificate.activeFlag(tier1)
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    tx = desk.finance(offer, root, 1_000, 0, now() + DAY, {"from": tier1})
    assert certificate.balanceOf(factor, root) == 1_000
    assert events_of(tx, "TransferSingle") == [
        {"operator": desk, "from": tier1, "to": factor, "id": root, "value": 1_000}]


def test_anotherOperator_cannotUseADesksApproval(system, certificate, desk, tier1, tier2a, root):
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    with reverts("ERC1155MissingApprovalForAll", tier2a, tier1):
        certificate.safeTransferFrom(tier1, tier2a, root, 1, "", {"from": tier2a})


@pytest.mark.parametrize("caller", ["tier1", "factor", "admin"])
def test_revert_sell_whenCallerIsNotTheFinancingDesk(system, certificate, desk, tier1, factor, admin, root, caller):
    who = {"tier1": tier1, "factor": factor, "admin": admin}[caller]
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    with reverts("NotFinancingDesk", who):
        certificate.sell(tier1, factor, root, 1, {"from": who})
    assert certificate.balanceOf(factor, root) == 0


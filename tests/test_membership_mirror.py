"""The certificate's copy of the consortium's active flags: every onboarding, suspension and reinstatement reaches
it in the same transaction, only the consortium can write it, and a consortium serves the one certificate it
names at its construction."""
import pytest
from brownie import Consortium, ReceivableCertificate
from eth_utils import function_signature_to_4byte_selector

from tests.cert_helpers import ZERO_ADDRESS, assert_event
from tests.helpers import ROLE, reverts


@pytest.fixture
def root(issue):
    return issue()


def _moves(certificate, root, sender, recipient) -> bool:
    """`sender` can move one unit of `root` to `recipient` (a dry run, which raises on a revert: nothing is sent)."""
    certificate.safeTransferFrom.call(sender, recipient, root, 1, "", {"from": sender})
    return True


def test_consortium_namesItsCertificate_andTheCertificateMirrors(consortium, certificate):
    assert consortium.certificates() == certificate
    interface_id = 0
    for signature in ("onMembershipChanged(address,bool)", "activeFlag(address)"):
        interface_id ^= int.from_bytes(function_signature_to_4byte_selector(signature), "big")
    assert certificate.supportsInterface("0x" + interface_id.to_bytes(4, "big").hex())


def test_onboard_suspend_reinstate_reachTheCertificateInTheSameTransaction(
    system, consortium, certificate, admin, tier1, extra_accounts, root
):
    newcomer = extra_accounts[4]
    with reverts("InactiveMember", newcomer):
        certificate.safeTransferFrom(tier1, newcomer, root, 1, "", {"from": tier1})

    assert (consortium.isActive(newcomer), certificate.activeFlag(newcomer)) == (False, False)
    tx = consortium.onboard(newcomer, ROLE["SUPPLIER_ROLE"], "Newcomer", {"from": admin})
    assert (consortium.isActive(newcomer), certificate.activeFlag(newcomer)) == (True, True)
    assert_event(tx, "MemberOnboarded", {"account": newcomer, "role": ROLE["SUPPLIER_ROLE"], "name": "Newcomer"})
    certificate.safeTransferFrom(tier1, newcomer, root, 2, "", {"from": tier1})
    assert certificate.balanceOf(newcomer, root) == 2

    consortium.suspend(newcomer, {"from": admin})
    assert (consortium.isActive(newcomer), certificate.activeFlag(newcomer)) == (False, False)
    with reverts("InactiveMember", newcomer):
        certificate.safeTransferFrom(tier1, newcomer, root, 1, "", {"from": tier1})
    with reverts("InactiveMember", newcomer):
        certificate.safeTransferFrom(newcomer, tier1, root, 1, "", {"from": newcomer})
    with reverts("InactiveMember", newcomer):
        certificate.split(root, [newcomer], [1], {"from": tier1})
    with reverts("InactiveMember", newcomer):
        certificate.split(root, [tier1], [1], {"from": newcomer})

    consortium.reinstate(newcomer, {"from": admin})
    assert (consortium.isActive(newcomer), certificate.activeFlag(newcomer)) == (True, True)
    certificate.safeTransferFrom(newcomer, tier1, root, 1, "", {"from": newcomer})
    (child,) = certificate.split(root, [tier1], [1], {"from": newcomer}).return_value
    assert certificate.balanceOf(newcomer, root) == 0 and certificate.balanceOf(tier1, child) == 1


def test_secondRole_ofAnActiveMember_keepsItActive_roleGrantAloneDoesNot(
    system, consortium, certificate, admin, tier1, extra_accounts, root
):
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    assert _moves(certificate, root, tier1, tier1)
    # AccessControl's grantRole gives a role, not membership: neither the consortium nor the certificate counts
    # the account active.
    granted = extra_accounts[5]
    consortium.grantRole(ROLE["SUPPLIER_ROLE"], granted, {"from": admin})
    assert not consortium.isActive(granted)
    with reverts("InactiveMember", granted):
        certificate.safeTransferFrom(tier1, granted, root, 1, "", {"from": tier1})


@pytest.mark.parametrize("caller_name", ["admin", "tier1", "outsider"])
def test_revert_onMembershipChanged_whenNotTheConsortium(system, certificate, request, caller_name, outsider, root,
                                                        tier1):
    caller = request.getfixturevalue(caller_name)
    with reverts("NotConsortium", caller):
        certificate.onMembershipChanged(outsider, True, {"from": caller})
    with reverts("NotConsortium", caller):
        certificate.onMembershipChanged(tier1, False, {"from": caller})
    with reverts("InactiveMember", outsider):
        certificate.safeTransferFrom.call(tier1, outsider, root, 1, "", {"from": tier1})
    assert _moves(certificate, root, tier1, tier1)


def test_revert_consortium_whenItsCertificatesAddressIsZero(admin):
    with reverts("InvalidCertificates", ZERO_ADDRESS):
        Consortium.deploy(admin, ZERO_ADDRESS, {"from": admin})


def test_revert_certificate_whenItsConsortiumNamesAnother(consortium, certificate, admin, outsider):
    """A second certificate over a consortium that serves another is refused: its members would never reach it."""
    with reverts("NotTheConsortiumsCertificates", consortium, certificate):
        ReceivableCertificate.deploy(consortium, "", outsider, admin, certificate, {"from": admin})


def test_revert_memberChange_beforeTheCertificateExists_namedError(admin, extra_accounts):
    """A deployer that onboards before deploying the certificate its consortium names gets a named error, and
    the member stays unknown (no flag the certificate would miss)."""
    future = admin.get_deployment_address(admin.nonce + 5)
    c = Consortium.deploy(admin, future, {"from": admin})
    member = extra_accounts[6]
    with reverts("CertificatesNotDeployed", future):
        c.onboard(member, ROLE["SUPPLIER_ROLE"], "Too early", {"from": admin})
    assert not c.isActive(member) and not c.hasRole(ROLE["SUPPLIER_ROLE"], member)

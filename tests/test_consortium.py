"""Consortium: onboarding, suspension, reinstatement, role constants, ERC-165."""
import pytest
from eth_utils import keccak, function_signature_to_4byte_selector

from tests.cert_helpers import ZERO_ADDRESS, assert_event
from tests.helpers import ROLE, reverts

MEMBER_ROLES = ["CORE_ENTERPRISE_ROLE", "SUPPLIER_ROLE", "FINANCIER_ROLE", "GUARANTOR_ROLE", "CLEARING_ROLE"]


def _member_state(consortium, account):
    return (
        consortium.isActive(account),
        consortium.nameOf(account),
        tuple(consortium.hasRole(ROLE[r], account) for r in MEMBER_ROLES + ["OPERATOR_ROLE", "DEFAULT_ADMIN_ROLE"]),
    )


# ---------------------------------------------------------------- deployment and constants
def test_deployer_holdsAdminAndOperatorRoles(consortium, admin, outsider):
    assert consortium.hasRole(ROLE["DEFAULT_ADMIN_ROLE"], admin)
    assert consortium.hasRole(ROLE["OPERATOR_ROLE"], admin)
    assert not consortium.hasRole(ROLE["OPERATOR_ROLE"], outsider)
    assert not consortium.isActive(outsider)
    assert consortium.nameOf(outsider) == ""


@pytest.mark.parametrize("name", ["OPERATOR_ROLE"] + MEMBER_ROLES)
def test_roleConstant_equalsKeccakOfName(consortium, name):
    assert getattr(consortium, name)() == "0x" + keccak(text=name).hex()


def test_defaultAdminRole_isZero(consortium):
    assert consortium.DEFAULT_ADMIN_ROLE() == "0x" + "00" * 32


def test_supportsInterface_erc165AccessControlAndConsortium(consortium):
    consortium_fns = [
        "onboard(address,bytes32,string)",
        "suspend(address)",
        "reinstate(address)",
        "isActive(address)",
        "isActiveWithRole(address,bytes32)",
        "areActiveWithRoles(address,bytes32,address,bytes32)",
        "certificates()",
        "nameOf(address)",
        "OPERATOR_ROLE()",
        "CORE_ENTERPRISE_ROLE()",
        "SUPPLIER_ROLE()",
        "FINANCIER_ROLE()",
        "GUARANTOR_ROLE()",
        "CLEARING_ROLE()",
    ]
    access_control_fns = [
        "hasRole(bytes32,address)",
        "getRoleAdmin(bytes32)",
        "grantRole(bytes32,address)",
        "revokeRole(bytes32,address)",
        "renounceRole(bytes32,address)",
    ]

    def interface_id(signatures):
        value = 0
        for sig in signatures:
            value ^= int.from_bytes(function_signature_to_4byte_selector(sig), "big")
        return "0x" + value.to_bytes(4, "big").hex()

    assert interface_id(access_control_fns) == "0x7965db0b"
    assert consortium.supportsInterface("0x01ffc9a7")
    assert consortium.supportsInterface("0x7965db0b")
    assert consortium.supportsInterface(interface_id(consortium_fns))
    assert not consortium.supportsInterface("0xffffffff")
    assert not consortium.supportsInterface("0xd9b67a26")


# ---------------------------------------------------------------- onboard
@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_onboard_grantsRoleAndActivates(consortium, admin, outsider, role):
    tx = consortium.onboard(outsider, ROLE[role], "Acme Ltd.", {"from": admin})

    assert_event(
        tx, "MemberOnboarded", {"account": outsider, "role": ROLE[role], "name": "Acme Ltd."}, count=1, emitter=consortium
    )
    assert_event(tx, "RoleGranted", {"role": ROLE[role], "account": outsider, "sender": admin}, count=1)
    assert consortium.hasRole(ROLE[role], outsider)
    assert consortium.isActive(outsider)
    assert consortium.isActiveWithRole(outsider, ROLE[role])
    assert consortium.nameOf(outsider) == "Acme Ltd."
    others = [r for r in MEMBER_ROLES if r != role]
    assert not any(consortium.hasRole(ROLE[r], outsider) for r in others)
    assert not consortium.isActiveWithRole(outsider, ROLE[others[0]])


def test_onboard_secondRoleForSameAccount(consortium, admin, outsider):
    consortium.onboard(outsider, ROLE["SUPPLIER_ROLE"], "Tier-1 Components", {"from": admin})

    tx = consortium.onboard(outsider, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})

    assert_event(
        tx,
        "MemberOnboarded",
        {"account": outsider, "role": ROLE["CORE_ENTERPRISE_ROLE"], "name": "Tier-1 Components"},
        count=1,
    )
    assert consortium.hasRole(ROLE["SUPPLIER_ROLE"], outsider)
    assert consortium.hasRole(ROLE["CORE_ENTERPRISE_ROLE"], outsider)
    assert consortium.isActive(outsider)
    # The member keeps the name it was first onboarded with, and the event says so: the two agree.
    assert consortium.nameOf(outsider) == "Tier-1 Components"
    assert tx.events["MemberOnboarded"]["name"] == consortium.nameOf(outsider)


def test_onboard_existingMemberWithEmptyName_keepsFirstNameInEvent(consortium, admin, outsider):
    consortium.onboard(outsider, ROLE["SUPPLIER_ROLE"], "Acme Ltd.", {"from": admin})

    tx = consortium.onboard(outsider, ROLE["FINANCIER_ROLE"], "", {"from": admin})

    assert [dict(e) for e in tx.events["MemberOnboarded"]] == [
        {"account": outsider, "role": ROLE["FINANCIER_ROLE"], "name": "Acme Ltd."}
    ]
    assert consortium.nameOf(outsider) == "Acme Ltd."


def test_onboard_byGrantedOperator(consortium, admin, extra_accounts):
    operator, member = extra_accounts[1], extra_accounts[2]
    consortium.grantRole(ROLE["OPERATOR_ROLE"], operator, {"from": admin})

    tx = consortium.onboard(member, ROLE["FINANCIER_ROLE"], "Bank B", {"from": operator})

    assert_event(tx, "MemberOnboarded", {"account": member, "role": ROLE["FINANCIER_ROLE"], "name": "Bank B"})
    assert_event(tx, "RoleGranted", {"role": ROLE["FINANCIER_ROLE"], "account": member, "sender": operator})
    assert consortium.isActiveWithRole(member, ROLE["FINANCIER_ROLE"])
    # An operator is not a member by holding the operator role.
    assert not consortium.isActive(operator)


def test_grantRole_withoutOnboarding_isNotActive(consortium, admin, outsider):
    consortium.grantRole(ROLE["SUPPLIER_ROLE"], outsider, {"from": admin})

    assert consortium.hasRole(ROLE["SUPPLIER_ROLE"], outsider)
    assert not consortium.isActive(outsider)
    assert not consortium.isActiveWithRole(outsider, ROLE["SUPPLIER_ROLE"])


def test_areActiveWithRoles_bothEndsActiveWithTheirRole(members, consortium, admin, core, tier1, outsider):
    core_role, supplier_role = ROLE["CORE_ENTERPRISE_ROLE"], ROLE["SUPPLIER_ROLE"]
    assert consortium.areActiveWithRoles(core, core_role, tier1, supplier_role)
    # Each end's role is its own: swapped roles, or one end without its role, fail.
    assert not consortium.areActiveWithRoles(core, supplier_role, tier1, core_role)
    assert not consortium.areActiveWithRoles(core, core_role, outsider, supplier_role)
    assert not consortium.areActiveWithRoles(outsider, core_role, tier1, supplier_role)
    consortium.grantRole(supplier_role, outsider, {"from": admin})  # the role without onboarding: not active
    assert not consortium.areActiveWithRoles(core, core_role, outsider, supplier_role)
    consortium.suspend(core, {"from": admin})
    assert not consortium.areActiveWithRoles(core, core_role, tier1, supplier_role)
    consortium.suspend(tier1, {"from": admin})
    consortium.reinstate(core, {"from": admin})
    assert not consortium.areActiveWithRoles(core, core_role, tier1, supplier_role)


# ---------------------------------------------------------------- onboard reverts
@pytest.mark.parametrize("caller_name", ["core", "tier1", "outsider"])
def test_revert_onboard_whenNotOperator(members, consortium, request, caller_name, extra_accounts):
    caller = request.getfixturevalue(caller_name)
    target = extra_accounts[3]
    with reverts("AccessControlUnauthorizedAccount", caller, ROLE["OPERATOR_ROLE"]):
        consortium.onboard(target, ROLE["SUPPLIER_ROLE"], "x", {"from": caller})
    assert not consortium.hasRole(ROLE["SUPPLIER_ROLE"], target)
    assert not consortium.isActive(target)


def test_revert_onboard_whenOperatorRoleRevoked(consortium, admin, extra_accounts):
    operator, member = extra_accounts[1], extra_accounts[2]
    consortium.grantRole(ROLE["OPERATOR_ROLE"], operator, {"from": admin})
    consortium.revokeRole(ROLE["OPERATOR_ROLE"], operator, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount", operator, ROLE["OPERATOR_ROLE"]):
        consortium.onboard(member, ROLE["SUPPLIER_ROLE"], "x", {"from": operator})
    assert not consortium.isActive(member)


def test_revert_onboard_whenZeroAddress(consortium, admin):
    with reverts("InvalidMember", ZERO_ADDRESS):
        consortium.onboard(ZERO_ADDRESS, ROLE["SUPPLIER_ROLE"], "nobody", {"from": admin})
    assert not consortium.isActive(ZERO_ADDRESS)
    assert not consortium.hasRole(ROLE["SUPPLIER_ROLE"], ZERO_ADDRESS)


@pytest.mark.parametrize("role_name", ["OPERATOR_ROLE", "DEFAULT_ADMIN_ROLE", "UNKNOWN_ROLE"])
def test_revert_onboard_whenUnsupportedRole(consortium, admin, outsider, role_name):
    role = ROLE.get(role_name) or "0x" + keccak(text=role_name).hex()
    with reverts("UnsupportedRole", role):
        consortium.onboard(outsider, role, "would-be operator", {"from": admin})
    assert not consortium.hasRole(role, outsider)
    assert not consortium.isActive(outsider)
    assert consortium.nameOf(outsider) == ""


def test_revert_onboard_whenAlreadyOnboarded(members, consortium, admin, tier1):
    before = _member_state(consortium, tier1)
    with reverts("AlreadyOnboarded", tier1, ROLE["SUPPLIER_ROLE"]):
        consortium.onboard(tier1, ROLE["SUPPLIER_ROLE"], "again", {"from": admin})
    assert _member_state(consortium, tier1) == before


def test_revert_onboard_whenSuspended(members, consortium, admin, tier1):
    consortium.suspend(tier1, {"from": admin})
    before = _member_state(consortium, tier1)
    with reverts("MemberIsSuspended", tier1):
        consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "as buyer", {"from": admin})
    assert _member_state(consortium, tier1) == before
    assert not consortium.hasRole(ROLE["CORE_ENTERPRISE_ROLE"], tier1)


# ---------------------------------------------------------------- suspend / reinstate
def test_suspend_deactivatesMember(members, consortium, admin, tier1):
    tx = consortium.suspend(tier1, {"from": admin})

    assert_event(tx, "MemberSuspended", {"account": tier1}, count=1, emitter=consortium)
    assert not consortium.isActive(tier1)
    assert not consortium.isActiveWithRole(tier1, ROLE["SUPPLIER_ROLE"])
    # Suspension keeps the role and the name: the member can be reinstated as it was.
    assert consortium.hasRole(ROLE["SUPPLIER_ROLE"], tier1)
    assert consortium.nameOf(tier1) == "Tier-1 Components"


def test_reinstate_reactivatesMember(members, consortium, admin, tier1):
    consortium.suspend(tier1, {"from": admin})

    tx = consortium.reinstate(tier1, {"from": admin})

    assert_event(tx, "MemberReinstated", {"account": tier1}, count=1, emitter=consortium)
    assert consortium.isActive(tier1)
    assert consortium.isActiveWithRole(tier1, ROLE["SUPPLIER_ROLE"])


def test_suspend_thenReinstate_again(members, consortium, admin, sme):
    for _ in range(2):
        consortium.suspend(sme, {"from": admin})
        assert not consortium.isActive(sme)
        consortium.reinstate(sme, {"from": admin})
        assert consortium.isActive(sme)


def test_suspend_onlyAffectsThatMember(members, consortium, admin, tier1, tier2a):
    consortium.suspend(tier1, {"from": admin})
    assert consortium.isActive(tier2a)


@pytest.mark.parametrize("fn", ["suspend", "reinstate"])
def test_revert_suspendReinstate_whenNotOperator(members, consortium, admin, core, tier1, outsider, fn):
    if fn == "reinstate":
        consortium.suspend(tier1, {"from": admin})
    before = _member_state(consortium, tier1)
    for caller in (core, outsider):
        with reverts("AccessControlUnauthorizedAccount", caller, ROLE["OPERATOR_ROLE"]):
            getattr(consortium, fn)(tier1, {"from": caller})
    assert _member_state(consortium, tier1) == before


@pytest.mark.parametrize("fn", ["suspend", "reinstate"])
def test_revert_suspendReinstate_whenUnknownMember(members, consortium, admin, outsider, fn):
    with reverts("UnknownMember", outsider):
        getattr(consortium, fn)(outsider, {"from": admin})
    assert not consortium.isActive(outsider)


def test_revert_suspend_whenRoleGrantedButNeverOnboarded(consortium, admin, outsider):
    consortium.grantRole(ROLE["SUPPLIER_ROLE"], outsider, {"from": admin})
    with reverts("UnknownMember", outsider):
        consortium.suspend(outsider, {"from": admin})


def test_revert_suspend_whenAlreadySuspended(members, consortium, admin, tier1):
    consortium.suspend(tier1, {"from": admin})
    with reverts("MemberIsSuspended", tier1):
        consortium.suspend(tier1, {"from": admin})
    assert not consortium.isActive(tier1)


def test_revert_reinstate_whenNotSuspended(members, consortium, admin, tier1):
    with reverts("MemberNotSuspended", tier1):
        consortium.reinstate(tier1, {"from": admin})
    assert consortium.isActive(tier1)

"""Access matrix: every privileged function, called by every role that must not call it, reverts with the
access-control error (and changes nothing); the deploy script grants exactly the roles SPEC names.

Callers: the platform admin (DEFAULT_ADMIN_ROLE + OPERATOR_ROLE, the deployer), an operator-only account,
a core enterprise, a supplier, a financier, a guarantor, a clearing institution and an outsider.
"""
import pytest
from brownie import web3

from tests.conftest import FACE
from tests.helpers import DAY, ROLE, reverts
from tests.money_support import now

ADMIN = ROLE["DEFAULT_ADMIN_ROLE"]
CALLERS = ["admin", "operator", "core", "supplier", "financier", "guarantor", "clearing", "outsider"]


@pytest.fixture
def who(system, consortium, admin, core, tier1, bank, guarantor, clearing, outsider, extra_accounts):
    operator = extra_accounts[1]
    consortium.grantRole(ROLE["OPERATOR_ROLE"], operator, {"from": admin})
    return {"admin": admin, "operator": operator, "core": core, "supplier": tier1, "financier": bank,
            "guarantor": guarantor, "clearing": clearing, "outsider": outsider}


@pytest.fixture
def setup_ids(system, issue, desk, guarantee, escrow, core, bank, guarantor, tier1):
    """A root (repaid: closed), an open root, an offer of the bank and a guarantee of the guarantor."""
    closed = issue(face=FACE)
    open_root = issue(face=FACE)
    escrow.repay(closed, FACE, {"from": core})
    offer = desk.postOffer(core, 600, FACE, 0, now() + 30 * DAY, {"from": bank}).return_value
    gid = guarantee.provide(core, FACE, now() + 30 * DAY, {"from": guarantor}).return_value
    return {"closed": closed, "open": open_root, "offer": offer, "guarantee": gid}


def _role_gated(name, role, allowed, call):
    """A function gated by `role`: every caller outside `allowed` gets AccessControlUnauthorizedAccount."""
    return pytest.param(role, allowed, call, id=name)


# (role the error names, callers allowed, the call) — `c` holds contracts, accounts and ids.
ROLE_GATED = [
    _role_gated("Consortium.onboard", "OPERATOR_ROLE", {"admin", "operator"},
                lambda c, a: c["consortium"].onboard(c["fresh"], ROLE["SUPPLIER_ROLE"], "x", {"from": a})),
    _role_gated("Consortium.suspend", "OPERATOR_ROLE", {"admin", "operator"},
                lambda c, a: c["consortium"].suspend(c["tier2a"], {"from": a})),
    _role_gated("Consortium.reinstate", "OPERATOR_ROLE", {"admin", "operator"},
                lambda c, a: c["consortium"].reinstate(c["tier2a"], {"from": a})),
    _role_gated("Consortium.grantRole", "DEFAULT_ADMIN_ROLE", {"admin"},
                lambda c, a: c["consortium"].grantRole(ROLE["CLEARING_ROLE"], c["fresh"], {"from": a})),
    _role_gated("Consortium.revokeRole", "DEFAULT_ADMIN_ROLE", {"admin"},
                lambda c, a: c["consortium"].revokeRole(ROLE["SUPPLIER_ROLE"], c["tier2a"], {"from": a})),
    _role_gated("ReceivableCertificate.setMaxTier", "DEFAULT_ADMIN_ROLE", {"admin"},
                lambda c, a: c["certificate"].setMaxTier(8, {"from": a})),
    _role_gated("ReceivableCertificate.pause", "DEFAULT_ADMIN_ROLE", {"admin"},
                lambda c, a: c["certificate"].pause({"from": a})),
    _role_gated("ReceivableCertificate.setCreditLine", "FINANCIER_ROLE", {"financier"},
                lambda c, a: c["certificate"].setCreditLine(c["core"], FACE, {"from": a})),
    _role_gated("ReceivableCertificate.issue", "CORE_ENTERPRISE_ROLE", {"core"},
                lambda c, a: c["certificate"].issue(c["tier2a"], FACE, now() + 30 * DAY, "0x" + "42" * 32, {"from": a})),
    _role_gated("CreditGuarantee.setSettlementEscrow", "DEFAULT_ADMIN_ROLE", {"admin"},
                lambda c, a: c["guarantee"].setSettlementEscrow(c["fresh"], {"from": a})),
    _role_gated("CreditGuarantee.provide", "GUARANTOR_ROLE", {"guarantor"},
                lambda c, a: c["guarantee"].provide(c["core"], FACE, now() + 30 * DAY, {"from": a})),
    _role_gated("FinancingDesk.postOffer", "FINANCIER_ROLE", {"financier"},
                lambda c, a: c["desk"].postOffer(c["core"], 600, FACE, 0, now() + 30 * DAY, {"from": a})),
    _role_gated("SettlementEscrow.settle", "CLEARING_ROLE", {"clearing"},
                lambda c, a: c["escrow"].settle([c["ids"]["closed"]], [c["tier1"]], {"from": a})),
]


@pytest.fixture
def c(system, who, setup_ids, consortium, certificate, guarantee, desk, escrow, token, core, tier1, tier2a, extra_accounts):
    return {**system, "who": who, "ids": setup_ids, "core": core, "tier1": tier1, "tier2a": tier2a,
            "fresh": extra_accounts[2]}


def _state(c):
    """What a refused call must leave as it was."""
    cert, escrow, desk, guarantee, consortium = c["certificate"], c["escrow"], c["desk"], c["guarantee"], c["consortium"]
    return (
        cert.paused(), cert.maxTier(), cert.nextId(), cert.creditLimit(c["core"]), cert.settlementEscrow(),
        cert.loanDesk(),
        guarantee.guaranteeCount(), guarantee.settlementEscrow(), desk.offerCount(), desk.offer(c["ids"]["offer"]),
        consortium.isActive(c["tier2a"]), consortium.isActive(c["fresh"]),
        consortium.hasRole(ROLE["CLEARING_ROLE"], c["fresh"]), consortium.hasRole(ROLE["SUPPLIER_ROLE"], c["tier2a"]),
        cert.balanceOf(c["tier1"], c["ids"]["closed"]), escrow.claimable(c["ids"]["closed"], c["tier1"]),
        c["token"].totalSupply(),
    )


@pytest.mark.parametrize("role,allowed,call", ROLE_GATED)
def test_roleGatedFunction_refusesEveryOtherRole(c, role, allowed, call):
    before = _state(c)
    refused = [name for name in CALLERS if name not in allowed]
    assert refused
    for name in refused:
        caller = c["who"][name]
        with reverts("AccessControlUnauthorizedAccount", caller, ROLE[role]):
            call(c, caller)
    assert _state(c) == before


def test_unpause_refusesEveryRoleButAdmin(c):
    c["certificate"].pause({"from": c["who"]["admin"]})
    for name in CALLERS[1:]:
        with reverts("AccessControlUnauthorizedAccount", c["who"][name], ADMIN):
            c["certificate"].unpause({"from": c["who"][name]})
    assert c["certificate"].paused()


@pytest.mark.parametrize("fn", ["close", "redeem", "cover"])
def test_escrowOnlyFunction_refusesEveryRole(c, fn):
    """The escrow's hooks into the certificate and the guarantee: nobody else, admin included."""
    ids = c["ids"]
    before = _state(c)
    for name in CALLERS:
        caller = c["who"][name]
        with reverts("NotSettlementEscrow", caller):
            if fn == "close":
                c["certificate"].close(ids["open"], 2, {"from": caller})
            elif fn == "redeem":
                c["certificate"].redeem(c["tier1"], ids["closed"], {"from": caller})
            else:
                c["guarantee"].cover(c["core"], ids["open"], now() + DAY, FACE, {"from": caller})
    assert _state(c) == before
    assert c["certificate"].certificate(ids["open"])[6] == 1


def test_settleOne_refusesEveryone_evenClearing(c):
    before = _state(c)
    for name in CALLERS:
        caller = c["who"][name]
        with reverts("OnlySelf", caller):
            c["escrow"].settleOne(c["ids"]["closed"], c["tier1"], {"from": caller})
    assert _state(c) == before


def test_ownerOnlyActions_refuseEveryOtherRole(c):
    """The offer's financier cancels it, the guarantee's guarantor releases it, the deployer mints."""
    ids, who = c["ids"], c["who"]
    before = _state(c)
    for name in CALLERS:
        caller = who[name]
        if name != "financier":
            with reverts("NotOfferFinancier", ids["offer"], caller):
                c["desk"].cancelOffer(ids["offer"], {"from": caller})
        if name != "guarantor":
            with reverts("NotGuarantor", ids["guarantee"], caller):
                c["guarantee"].release(ids["guarantee"], {"from": caller})
        if name != "admin":
            with reverts("OwnableUnauthorizedAccount", caller):
                c["token"].mint(caller, 1, {"from": caller})
    assert _state(c) == before


def test_anotherFinancier_cannotCancelTheBanksOffer(c, factor):
    with reverts("NotOfferFinancier", c["ids"]["offer"], factor):
        c["desk"].cancelOffer(c["ids"]["offer"], {"from": factor})


# ---------------------------------------------------------------- the deploy script's role grants
def test_deployScript_grantsOnlyAdminAndOperatorToTheDeployer(tmp_path, monkeypatch, accounts):
    """`brownie run scripts/deploy.py`: read back from RoleGranted events, the deployer holds exactly
    DEFAULT_ADMIN_ROLE and OPERATOR_ROLE, granted by itself, and nobody else holds anything."""
    import json

    from scripts.deploy import main

    monkeypatch.setenv("SCFCHAIN_DEPLOYMENT_OUT", str(tmp_path / "dep.json"))
    deployment = main()
    dep = json.loads((tmp_path / "dep.json").read_text())
    deployer = dep["deployer"]
    assert deployer == accounts[0].address
    consortium = web3.eth.contract(address=dep["contracts"]["Consortium"]["address"],
                                   abi=dep["contracts"]["Consortium"]["abi"])
    granted = consortium.events.RoleGranted.get_logs(from_block=deployment.block)
    assert sorted((e["args"]["role"], e["args"]["account"], e["args"]["sender"]) for e in granted) == sorted([
        (bytes.fromhex(ADMIN[2:]), deployer, deployer),
        (bytes.fromhex(ROLE["OPERATOR_ROLE"][2:]), deployer, deployer),
    ])
    assert not list(consortium.events.RoleRevoked.get_logs(from_block=deployment.block))
    # The other contracts grant nothing of their own: they read roles from the consortium.
    for name, entry in dep["contracts"].items():
        topics = web3.eth.get_logs({"fromBlock": deployment.block, "address": entry["address"]})
        role_granted = web3.keccak(text="RoleGranted(bytes32,address,address)")
        assert name == "Consortium" or all(log["topics"][0] != role_granted for log in topics)
    for role in ROLE:
        for account in accounts[1:10]:
            assert not consortium.functions.hasRole(bytes.fromhex(ROLE[role][2:]), account.address).call()
    # The wiring the script does is admin-only and done once.
    cert = web3.eth.contract(address=dep["contracts"]["ReceivableCertificate"]["address"],
                             abi=dep["contracts"]["ReceivableCertificate"]["abi"])
    assert cert.functions.settlementEscrow().call() == dep["contracts"]["SettlementEscrow"]["address"]
    assert cert.functions.loanDesk().call() == dep["contracts"]["LoanDesk"]["address"]


# ---------------------------------------------------------------- LoanDesk
@pytest.fixture
def desk_case(c, loan_desk, certificate, token, escrow, tier1, sme, bank, factor, core, admin, issue):
    """sme's open request (loan 1), sme's request naming the factor (loan 2), tier1's loan funded by the bank
    (loan 3); all on a root certificate sme and tier1 hold."""
    root = issue(face=FACE)
    certificate.safeTransferFrom(tier1, sme, root, FACE // 2, "", {"from": tier1})
    for who in (tier1, sme):
        certificate.setApprovalForAll(loan_desk, True, {"from": who})
    for who in (bank, factor):
        token.approve(loan_desk, 2**256 - 1, {"from": who})
    zero = "0x" + "00" * 20
    loan_desk.requestLoan(root, 100, 50, 600, zero, now() + DAY, {"from": sme})
    loan_desk.requestLoan(root, 100, 50, 600, factor, now() + DAY, {"from": sme})
    loan_desk.requestLoan(root, 100, 50, 600, zero, now() + DAY, {"from": tier1})
    loan_desk.fundLoan(3, {"from": bank})
    return {"desk": loan_desk, "root": root}


def _desk_state(d, certificate, token):
    desk = d["desk"]
    return ([tuple(desk.loan(i)) for i in (1, 2, 3)], desk.debtParts(3)[0], desk.loanCount(),
            certificate.balanceOf(desk, d["root"]), token.balanceOf(desk))


def test_loanDesk_fundLoan_refusesEveryRoleButFinancier(c, desk_case, certificate, token):
    desk = desk_case["desk"]
    before = _desk_state(desk_case, certificate, token)
    for name in CALLERS:
        if name == "financier":
            continue
        caller = c["who"][name]
        with reverts("AccessControlUnauthorizedAccount", caller, ROLE["FINANCIER_ROLE"]):
            desk.fundLoan(1, {"from": caller})
    assert _desk_state(desk_case, certificate, token) == before


def test_loanDesk_fundLoan_namedLenderOnly(c, desk_case, bank, factor):
    with reverts("NotNamedLender", 2, factor, bank):
        desk_case["desk"].fundLoan(2, {"from": bank})
    desk_case["desk"].fundLoan(2, {"from": factor})


def test_loanDesk_cancelLoanRequest_refusesEveryoneButTheBorrower(c, desk_case, certificate, token):
    desk = desk_case["desk"]
    before = _desk_state(desk_case, certificate, token)
    for name in CALLERS:
        caller = c["who"][name]
        with reverts("NotBorrower", 1, caller):
            desk.cancelLoanRequest(1, {"from": caller})
    assert _desk_state(desk_case, certificate, token) == before


def test_loanDesk_requestLoan_needsAnActiveMember(c, desk_case, certificate):
    outsider = c["who"]["outsider"]
    certificate.setApprovalForAll(desk_case["desk"], True, {"from": outsider})
    with reverts("InactiveMember", outsider):
        desk_case["desk"].requestLoan(desk_case["root"], 1, 1, 0, outsider, now() + DAY, {"from": outsider})


def test_loanDesk_repayAndSettle_areOpenToAnyone_butMoveOnlyTheLoansMoney(c, desk_case, escrow, certificate, token,
                                                                          admin, tier1, bank):
    """Anyone may pay a loan's debt (their own money, to the lender) or settle it once the root closed (the
    payout goes to lender and borrower, never to the caller)."""
    desk, outsider = desk_case["desk"], c["who"]["outsider"]
    token.mint(outsider, 1_000, {"from": admin})
    token.approve(desk, 2**256 - 1, {"from": outsider})
    before = (token.balanceOf(bank), token.balanceOf(tier1))
    desk.repayLoan(3, 10, {"from": outsider})
    assert (token.balanceOf(outsider), token.balanceOf(bank)) == (990, before[0] + 10)
    escrow.repay(desk_case["root"], FACE, {"from": c["core"]})
    tx = desk.settleLoan(3, {"from": outsider})
    assert token.balanceOf(outsider) == 990
    settled = tx.events["LoanSettled"]
    assert token.balanceOf(bank) == before[0] + 10 + settled["toLender"]
    assert token.balanceOf(tier1) == before[1] + settled["toBorrower"]


def test_loanDesk_withdraw_anyonePaysOnlyThemselves(c, desk_case, certificate, token):
    """withdraw() is open to every caller (pause and suspension never stop it), and pays the caller only what is
    held for it: nothing is held for anyone here, so each caller's attempt names itself and changes nothing."""
    desk = desk_case["desk"]
    before = _desk_state(desk_case, certificate, token)
    for name in CALLERS:
        caller = c["who"][name]
        with reverts("NothingOwed", caller):
            desk.withdraw({"from": caller})
    assert _desk_state(desk_case, certificate, token) == before


def test_loanDesk_receiverHook_refusesEveryCaller(c, desk_case):
    desk = desk_case["desk"]
    for name in CALLERS:
        caller = c["who"][name]
        with reverts("UnsolicitedTransfer", caller, caller):
            desk.onERC1155Received(caller, caller, 1, 1, "", {"from": caller})
        with reverts("UnsolicitedTransfer", caller, caller):
            desk.onERC1155BatchReceived(caller, caller, [1], [1], "", {"from": caller})

"""Deploying the system in brownie tests, as `scfchain deploy` does: the consortium fixes its certificate's address
(its deployer's next contract), the certificate its escrow's, loan desk's and financing desk's (the 4th, 5th and 3rd
from there)."""
from __future__ import annotations

from typing import Any

from brownie import Consortium, CreditGuarantee, FinancingDesk, LoanDesk, ReceivableCertificate, SettlementEscrow

from tests.helpers import ROLE


def deploy_contracts(token: Any, admin: Any, grace_period: int, uri: str = "") -> dict[str, Any]:
    """Consortium, certificate, guarantee, financing desk, escrow and loan desk (in that order, from `admin`),
    wired: the consortium names the certificate (its next contract), which names the escrow and both desks."""
    nonce = admin.nonce
    consortium = Consortium.deploy(admin, admin.get_deployment_address(nonce + 1), {"from": admin})
    certificate = ReceivableCertificate.deploy(
        consortium, uri, admin.get_deployment_address(nonce + 4), admin.get_deployment_address(nonce + 5),
        admin.get_deployment_address(nonce + 3), {"from": admin})
    guarantee = CreditGuarantee.deploy(consortium, token, {"from": admin})
    desk = FinancingDesk.deploy(consortium, certificate, token, {"from": admin})
    escrow = SettlementEscrow.deploy(consortium, certificate, guarantee, token, grace_period, {"from": admin})
    loan_desk = LoanDesk.deploy(consortium, certificate, escrow, token, {"from": admin})
    guarantee.setSettlementEscrow(escrow, {"from": admin})
    return {"consortium": consortium, "certificate": certificate, "guarantee": guarantee, "desk": desk, "escrow": escrow,
            "loan_desk": loan_desk}


def deploy_with_members(token: Any, admin: Any, grace_period: int, members: list[tuple[Any, str, str]]) -> dict[str, Any]:
    """A second system (a consortium serves one certificate contract) with the same members onboarded: `members`
    is conftest's plan, (account, role name, name) each."""
    c = deploy_contracts(token, admin, grace_period)
    for account, role, name in members:
        c["consortium"].onboard(account, ROLE[role], name, {"from": admin})
    return c

"""Deploying the contracts around a certificate in brownie tests, as `scfchain deploy` does: the certificate fixes
its escrow's and loan desk's addresses (immutables), which are its deployer's 4th and 5th next contracts."""
from __future__ import annotations

from typing import Any

from brownie import CreditGuarantee, FinancingDesk, LoanDesk, ReceivableCertificate, SettlementEscrow


def deploy_contracts(consortium: Any, token: Any, admin: Any, grace_period: int, uri: str = "") -> dict[str, Any]:
    """Certificate, guarantee, financing desk, escrow and loan desk (in that order, from `admin`), wired."""
    nonce = admin.nonce
    certificate = ReceivableCertificate.deploy(
        consortium, uri, admin.get_deployment_address(nonce + 3), admin.get_deployment_address(nonce + 4),
        {"from": admin})
    guarantee = CreditGuarantee.deploy(consortium, token, {"from": admin})
    desk = FinancingDesk.deploy(consortium, certificate, token, {"from": admin})
    escrow = SettlementEscrow.deploy(consortium, certificate, guarantee, token, grace_period, {"from": admin})
    loan_desk = LoanDesk.deploy(consortium, certificate, escrow, token, {"from": admin})
    guarantee.setSettlementEscrow(escrow, {"from": admin})
    return {"certificate": certificate, "guarantee": guarantee, "desk": desk, "escrow": escrow,
            "loan_desk": loan_desk}

"""Helpers and fixtures shared by the money-leg tests (guarantee, financing, settlement).

Test modules import the fixtures with `from tests.money_support import *`; they build on tests/conftest.py.
"""
from __future__ import annotations

import pytest
from brownie import (
    BlocklistToken,
    CreditGuarantee,
    ReceivableCertificate,
    SettlementEscrow,
    chain,
    web3,
)

from tests.conftest import CREDIT, FACE, GRACE_PERIOD
from tests.deploy_support import deploy_with_members
from tests.helpers import DAY

ZERO_ADDRESS = "0x" + "00" * 20
YEAR = 365 * DAY
BPS = 10_000

# Root status as returned by certificate()
NONE, ACTIVE, PAID, DEFAULTED = 0, 1, 2, 3

__all__ = [
    "ZERO_ADDRESS",
    "YEAR",
    "BPS",
    "NONE",
    "ACTIVE",
    "PAID",
    "DEFAULTED",
    "next_block_at",
    "mine_at",
    "now",
    "expected_proceeds",
    "maturity_of",
    "events",
    "blocklist_system",
    "flush_pending_timestamp",
]


# ---------------------------------------------------------------- time
def next_block_at(timestamp: int) -> None:
    """The next block (and gas estimates for it, where brownie sees reverts) gets exactly `timestamp`."""
    response = web3.provider.make_request("evm_setNextBlockTimestamp", [int(timestamp)])
    assert "error" not in response, response


def mine_at(timestamp: int) -> None:
    """Mines one empty block at exactly `timestamp` (brownie's chain.mine(timestamp=) is broken on Anvil)."""
    next_block_at(timestamp)
    chain.mine()
    assert chain[-1].timestamp == timestamp


@pytest.fixture(autouse=True)
def flush_pending_timestamp():
    """A timestamp set for a block that never came (the test only checked a revert) survives Anvil's
    snapshot revert; mining one block before the revert uses it up so the next test starts clean."""
    yield
    chain.mine()


def now() -> int:
    """Timestamp of the latest block (what views see)."""
    return chain[-1].timestamp


# ---------------------------------------------------------------- formulas
def expected_proceeds(amount: int, rate_bps: int, time_to_maturity: int) -> int:
    """SPEC: amount - ceil(amount * rate * ttm / (10000 * 365 days)), floored at 0."""
    numerator = amount * rate_bps * time_to_maturity
    discount = -(-numerator // (BPS * YEAR))
    return max(amount - discount, 0)


def maturity_of(certificate, cert_id: int) -> int:
    return certificate.certificate(cert_id)[5]


def events(tx, name: str) -> list[dict]:
    """The decoded events `name` of `tx`, as plain dicts (empty list when none)."""
    if name not in tx.events:
        return []
    return [dict(e) for e in tx.events[name]]


# ---------------------------------------------------------------- a system paid in a token with a blocklist
@pytest.fixture(scope="module")
def blocklist_system(members, admin, core, bank):
    """A second certificate/guarantee/escrow set whose payment token can block holders.

    Its own consortium with the members of `members`; the bank sets core's credit line here too,
    and core holds and has approved plenty of the blocklist token.
    """
    btoken = BlocklistToken.deploy(admin, {"from": admin})
    c = deploy_with_members(btoken, admin, GRACE_PERIOD, members)
    certificate, guarantee, escrow = c["certificate"], c["guarantee"], c["escrow"]
    certificate.setCreditLine(core, CREDIT, {"from": bank})
    btoken.mint(core, 10 * FACE, {"from": admin})
    btoken.approve(escrow, 2**256 - 1, {"from": core})
    return {"token": btoken, "certificate": certificate, "guarantee": guarantee, "escrow": escrow,
            "loan_desk": c["loan_desk"], "consortium": c["consortium"]}

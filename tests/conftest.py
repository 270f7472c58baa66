"""Fixtures per actor and per contract (brownie-mix style), on a local Anvil started by brownie.

Every test runs in its own EVM snapshot (autouse `isolate`), so fixtures may be module-scoped.
"""
from __future__ import annotations

import pytest
from brownie import (
    PaymentToken,
    accounts,
    chain,
    web3,
)

from tests.deploy_support import deploy_contracts
from tests.helpers import ROLE, DAY, doc_hash

import time

from brownie.network.transaction import TransactionReceipt
from web3.exceptions import TransactionNotFound

_await_confirmation = TransactionReceipt._await_confirmation


def _receipt_first(self, block_number=None, required_confs=1):
    """Brownie loses a race under load: Anvil counts the sender's nonce before it serves the receipt, and
    brownie then calls the transaction "dropped without known replacement". Waiting for the receipt first
    (at most 30 s; a transaction really dropped falls through to brownie's own handling) closes it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if web3.eth.get_transaction_receipt(self.txid):
                break
        except TransactionNotFound:
            time.sleep(0.02)
    return _await_confirmation(self, block_number, required_confs)


TransactionReceipt._await_confirmation = _receipt_first

GRACE_PERIOD = 7 * DAY
FACE = 1_000_000_00  # 1,000,000.00 dCNY in cents
CREDIT = 10 * FACE


@pytest.fixture(autouse=True)
def isolate(fn_isolation):
    pass


# ---------------------------------------------------------------- actors
@pytest.fixture(scope="session")
def admin():
    return accounts[0]


@pytest.fixture(scope="session")
def core():
    return accounts[1]


@pytest.fixture(scope="session")
def tier1():
    return accounts[2]


@pytest.fixture(scope="session")
def tier2a():
    return accounts[3]


@pytest.fixture(scope="session")
def tier2b():
    return accounts[4]


@pytest.fixture(scope="session")
def sme():
    """Tier-3 small business (household appliances): no contract with the core enterprise."""
    return accounts[5]


@pytest.fixture(scope="session")
def bank():
    return accounts[6]


@pytest.fixture(scope="session")
def factor():
    """Financing guarantee company that buys certificates."""
    return accounts[7]


@pytest.fixture(scope="session")
def guarantor():
    return accounts[8]


@pytest.fixture(scope="session")
def clearing():
    return accounts[9]


@pytest.fixture(scope="session")
def outsider(extra_accounts):
    """Never onboarded."""
    return extra_accounts[0]


@pytest.fixture(scope="session")
def extra_accounts():
    """Anvil funds ten accounts; more actors get deterministic keys and some ether from accounts[0]."""
    extra = []
    for i in range(1, 11):
        account = accounts.add(f"0x{i:064x}")
        if account.balance() == 0:
            accounts[0].transfer(account, "100 ether")
        extra.append(account)
    return extra


@pytest.fixture(scope="session")
def suppliers(tier1, tier2a, tier2b, sme):
    return [tier1, tier2a, tier2b, sme]


# ---------------------------------------------------------------- contracts
@pytest.fixture(scope="module")
def token(admin):
    return PaymentToken.deploy(admin, {"from": admin})


@pytest.fixture(scope="module")
def contracts(token, admin):
    """Consortium, certificate, guarantee, financing desk, escrow and loan desk, deployed together: the consortium
    fixes its certificate's address, the certificate its escrow's and loan desk's, at their construction."""
    return deploy_contracts(token, admin, GRACE_PERIOD)


@pytest.fixture(scope="module")
def consortium(contracts):
    return contracts["consortium"]


@pytest.fixture(scope="module")
def certificate(contracts):
    return contracts["certificate"]


@pytest.fixture(scope="module")
def guarantee(contracts):
    return contracts["guarantee"]


@pytest.fixture(scope="module")
def desk(contracts):
    return contracts["desk"]


@pytest.fixture(scope="module")
def escrow(contracts):
    return contracts["escrow"]


@pytest.fixture(scope="module")
def loan_desk(contracts):
    """The LoanDesk, the certificate's custodian (needs `system` for members and money)."""
    return contracts["loan_desk"]


@pytest.fixture(scope="module")
def members(consortium, admin, core, tier1, tier2a, tier2b, sme, bank, factor, guarantor, clearing):
    """The SPEC demo case's consortium, every member active."""
    plan = [
        (core, "CORE_ENTERPRISE_ROLE", "Sichuan Tech Co."),
        (tier1, "SUPPLIER_ROLE", "Tier-1 Components"),
        (tier2a, "SUPPLIER_ROLE", "Tier-2 Castings"),
        (tier2b, "SUPPLIER_ROLE", "Tier-2 Wiring"),
        (sme, "SUPPLIER_ROLE", "Household Appliance SME"),
        (bank, "FINANCIER_ROLE", "Bank"),
        (factor, "FINANCIER_ROLE", "Financing Guarantee Co."),
        (guarantor, "GUARANTOR_ROLE", "Credit Enhancement Institution"),
        (clearing, "CLEARING_ROLE", "Clearing House"),
    ]
    for account, role, name in plan:
        consortium.onboard(account, ROLE[role], name, {"from": admin})
    return plan


@pytest.fixture(scope="module")
def system(members, certificate, escrow, desk, guarantee, token, consortium, bank, core, factor, guarantor, admin):
    """Everything deployed and wired, members onboarded, the bank's credit line set, money minted."""
    certificate.setCreditLine(core, CREDIT, {"from": bank})
    for who in (core, factor, bank, guarantor):
        token.mint(who, 100 * FACE, {"from": admin})
        for spender in (escrow, desk, guarantee):
            token.approve(spender, 2**256 - 1, {"from": who})
    return {
        "consortium": consortium,
        "certificate": certificate,
        "escrow": escrow,
        "desk": desk,
        "guarantee": guarantee,
        "token": token,
    }


@pytest.fixture(scope="module")
def issue(system, certificate, core, tier1):
    """Issues a receivable from `core` to `tier1` (or as given) and returns the root id."""
    counter = {"n": 0}

    def _issue(face=FACE, to=None, maturity_days=90, debtor=None, doc=None):
        counter["n"] += 1
        maturity = chain.time() + maturity_days * DAY
        tx = certificate.issue(
            to or tier1, face, maturity, doc or doc_hash(f"invoice-{counter['n']}"), {"from": debtor or core}
        )
        return tx.return_value

    return _issue

"""SPEC invariants of the certificate layer.

1. For every root: live units of all its certificates + units claimed = faceValue.
2. A split conserves units; a child's root, debtor and maturity are its parent's.
4. A document hash backs at most one receivable; outstanding(debtor) <= creditLimit(debtor) at issue.
"""
import random
from collections import defaultdict

import pytest
from brownie import chain

from tests.cert_helpers import STATUS_ACTIVE, ZERO_ADDRESS, balances, norm
from tests.conftest import CREDIT, FACE, GRACE_PERIOD
from tests.helpers import DAY, ROLE, doc_hash, reverts


# ---------------------------------------------------------------- a ledger rebuilt from events
class Ledger:
    """Balances rebuilt from the certificate's TransferSingle/TransferBatch events, units claimed from
    the escrow's Claimed events: what an auditor sees from events alone."""

    def __init__(self, certificate, escrow):
        self.certificate = norm(certificate)
        self.escrow = norm(escrow)
        self.balance = defaultdict(int)
        self.claimed = defaultdict(int)  # rootId -> units
        self.paid_out = defaultdict(int)  # rootId -> tokens

    def record(self, tx):
        for log in tx.events:
            address = norm(log.address)
            if address == self.certificate and log.name == "TransferSingle":
                self._move(log["from"], log["to"], [log["id"]], [log["value"]])
            elif address == self.certificate and log.name == "TransferBatch":
                self._move(log["from"], log["to"], log["ids"], log["values"])
            elif address == self.escrow and log.name == "Claimed":
                self.claimed[log["rootId"]] += log["units"]
                self.paid_out[log["rootId"]] += log["payout"]
        return tx

    def _move(self, sender, receiver, ids, values):
        for cert_id, value in zip(ids, values):
            if norm(sender) != ZERO_ADDRESS:
                self.balance[(norm(sender), cert_id)] -= value
                assert self.balance[(norm(sender), cert_id)] >= 0
            if norm(receiver) != ZERO_ADDRESS:
                self.balance[(norm(receiver), cert_id)] += value

    def holders(self):
        return sorted({holder for (holder, _), units in self.balance.items() if units > 0})


_ROOT_OF = {}


@pytest.fixture(autouse=True)
def _fresh_root_cache():
    """Each test starts from a reverted chain where ids may mean other certificates."""
    _ROOT_OF.clear()
    yield
    _ROOT_OF.clear()


def _root_of(certificate, cert_id):
    """A certificate's root never changes within a test: cache it."""
    key = (norm(certificate), cert_id)
    if key not in _ROOT_OF:
        _ROOT_OF[key] = certificate.certificate(cert_id)[0]
    return _ROOT_OF[key]


def _ids_of(certificate, root_id):
    return [i for i in range(1, certificate.nextId()) if _root_of(certificate, i) == root_id]


def _live_units(certificate, root_id, holders):
    ids = _ids_of(certificate, root_id)
    return sum(balances(certificate, holders, ids)) if ids else 0


def _check_invariant_1(certificate, ledger, roots, holders):
    """live + claimed == face for every root, on chain and in the event-rebuilt ledger."""
    ids = list(range(1, certificate.nextId()))
    on_chain = dict(zip([(norm(h), i) for h in holders for i in ids], balances(certificate, holders, ids)))
    for root_id in roots:
        face = certificate.certificate(root_id)[3]
        live = sum(units for (_, i), units in on_chain.items() if _root_of(certificate, i) == root_id)
        assert live + ledger.claimed[root_id] == face, f"root {root_id}: {live} live + {ledger.claimed[root_id]} claimed != {face}"
    # The event ledger and the chain agree on every single balance, and nobody outside `holders` holds any.
    assert set(ledger.holders()) <= {norm(h) for h in holders}
    for key, units in on_chain.items():
        assert ledger.balance.get(key, 0) == units, key


def _random_moves(rng, certificate, ledger, roots, holders, steps, checker):
    """Random splits, transfers and batch transfers among active `holders`; `checker()` after each step."""
    done = defaultdict(int)
    for _ in range(steps):
        positions = [
            (holder, cert_id, units)
            for (holder, cert_id), units in sorted(ledger.balance.items())
            if units > 0
        ]
        holder_addr, cert_id, units = rng.choice(positions)
        holder = next(h for h in holders if norm(h) == holder_addr)
        action = rng.choice(["split", "split", "transfer", "batch"])
        if action == "split":
            n = rng.randint(1, min(4, units))
            cuts = sorted(rng.sample(range(1, units + 1), n))
            amounts = [cuts[0]] + [b - a for a, b in zip(cuts, cuts[1:])]
            recipients = [rng.choice(holders) for _ in amounts]
            ledger.record(certificate.split(cert_id, recipients, amounts, {"from": holder}))
        elif action == "transfer":
            to = rng.choice([h for h in holders if h != holder])
            ledger.record(certificate.safeTransferFrom(holder, to, cert_id, rng.randint(1, units), "", {"from": holder}))
        else:
            own = [(i, u) for (h, i), u in sorted(ledger.balance.items()) if h == holder_addr and u > 0]
            picked = rng.sample(own, min(len(own), rng.randint(1, 3)))
            to = rng.choice([h for h in holders if h != holder])
            ids = [i for i, _ in picked]
            values = [rng.randint(1, u) for _, u in picked]
            ledger.record(certificate.safeBatchTransferFrom(holder, to, ids, values, "", {"from": holder}))
        done[action] += 1
        checker()
    return done


@pytest.fixture
def holders(tier1, tier2a, tier2b, sme, factor, bank):
    return [tier1, tier2a, tier2b, sme, factor, bank]


@pytest.fixture
def ledger(certificate, escrow):
    return Ledger(certificate, escrow)


def _issue(certificate, ledger, core, supplier, face, doc, maturity_days=90):
    tx = ledger.record(certificate.issue(supplier, face, chain.time() + maturity_days * DAY, doc_hash(doc), {"from": core}))
    return tx.return_value


# ---------------------------------------------------------------- invariant 1
@pytest.mark.parametrize("seed", [1, 2])
def test_invariant1_liveUnitsEqualFace_afterRandomMovesAndFullRepayment(
    system, certificate, escrow, token, core, tier1, tier2a, holders, ledger, seed
):
    rng = random.Random(seed)
    roots = [
        _issue(certificate, ledger, core, tier1, 1_000_003, f"inv1-a-{seed}"),
        _issue(certificate, ledger, core, tier2a, 777_777, f"inv1-b-{seed}"),
    ]
    check = lambda: _check_invariant_1(certificate, ledger, roots, holders)  # noqa: E731
    check()

    done = _random_moves(rng, certificate, ledger, roots, holders, 24, check)
    assert done["split"] > 0 and done["transfer"] + done["batch"] > 0

    # Repay the first root; its holders claim one by one. The other root is untouched throughout.
    paid_root, open_root = roots
    escrow.repay(paid_root, 1_000_003, {"from": core})
    check()
    paid_ids = _ids_of(certificate, paid_root)
    for holder in holders:
        mine = [i for i in paid_ids if certificate.balanceOf(holder, i) > 0]
        if not mine:
            continue
        units = sum(certificate.balanceOf(holder, i) for i in mine)
        before = token.balanceOf(holder)
        ledger.record(escrow.claim(mine, {"from": holder}))
        # Fully repaid: one token per unit.
        assert token.balanceOf(holder) - before == units
        check()
    assert _live_units(certificate, paid_root, holders) == 0
    assert ledger.claimed[paid_root] == 1_000_003
    assert ledger.paid_out[paid_root] == 1_000_003 == escrow.recovered(paid_root)
    assert ledger.claimed[open_root] == 0
    assert _live_units(certificate, open_root, holders) == 777_777


def test_invariant1_holdsAfterDefaultWithPartialRecovery(system, certificate, escrow, core, tier1, clearing, holders, ledger):
    rng = random.Random(7)
    root = _issue(certificate, ledger, core, tier1, 100_001, "inv1-default", maturity_days=30)
    check = lambda: _check_invariant_1(certificate, ledger, [root], holders)  # noqa: E731
    _random_moves(rng, certificate, ledger, [root], holders, 12, check)

    escrow.repay(root, 33_333, {"from": core})
    chain.sleep(31 * DAY + GRACE_PERIOD)
    escrow.declareDefault(root, {"from": tier1})
    check()

    # Every other position is claimed by its holder (when it pays anything: a claim of nothing reverts),
    # the clearing house settles the rest, dust positions included.
    ids = _ids_of(certificate, root)
    positions = [(h, i) for h in holders for i in ids if certificate.balanceOf(h, i) > 0]
    rest = []
    for n, (holder, cert_id) in enumerate(positions):
        if n % 2 == 0 and escrow.claimable(cert_id, holder) > 0:
            ledger.record(escrow.claim([cert_id], {"from": holder}))
            check()
        else:
            rest.append((holder, cert_id))
    ledger.record(escrow.settle([i for _, i in rest], [h for h, _ in rest], {"from": clearing}))
    check()

    assert _live_units(certificate, root, holders) == 0
    assert ledger.claimed[root] == 100_001
    recovered = escrow.recovered(root)
    assert recovered == 33_333
    assert recovered - len(positions) < ledger.paid_out[root] <= recovered


# ---------------------------------------------------------------- invariant 2
def _split_and_check(certificate, holder, parent_id, recipients, amounts, holders):
    parent = certificate.certificate(parent_id)
    root_id = parent[0]
    live_before = _live_units(certificate, root_id, holders)
    parent_balance = certificate.balanceOf(holder, parent_id)

    tx = certificate.split(parent_id, recipients, amounts, {"from": holder})

    child_ids = list(tx.return_value)
    assert certificate.balanceOf(holder, parent_id) == parent_balance - sum(amounts)
    minted = defaultdict(int)
    for to, child_id, amount in zip(recipients, child_ids, amounts):
        minted[(norm(to), child_id)] += amount
    for (to, child_id), amount in minted.items():
        assert certificate.balanceOf(to, child_id) == amount
    assert _live_units(certificate, root_id, holders) == live_before
    for child_id, amount in zip(child_ids, amounts):
        child = certificate.certificate(child_id)
        assert child[0] == parent[0]  # root
        assert child[1] == parent_id  # parent
        assert child[2] == parent[2] + 1  # tier
        assert child[3] == amount
        assert norm(child[4]) == norm(parent[4])  # debtor
        assert child[5] == parent[5]  # maturity
        assert child[6] == parent[6] == STATUS_ACTIVE
    return child_ids


@pytest.mark.parametrize("seed", [3, 4])
def test_invariant2_splitConservesUnitsAndInheritsRoot(
    system, certificate, consortium, admin, bank, core, tier1, holders, seed
):
    # Two debtors, so that an inherited debtor cannot be right by accident.
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    certificate.setCreditLine(tier1, FACE, {"from": bank})
    rng = random.Random(seed)
    suppliers = [h for h in holders if consortium.hasRole(ROLE["SUPPLIER_ROLE"], h)]
    roots = [
        certificate.issue(tier1, 50_000, chain.time() + 60 * DAY, doc_hash(f"inv2-core-{seed}"), {"from": core}).return_value,
        certificate.issue(suppliers[1], 40_000, chain.time() + 45 * DAY, doc_hash(f"inv2-t1-{seed}"), {"from": tier1}).return_value,
    ]
    assert norm(certificate.certificate(roots[1])[4]) == norm(tier1)

    for _ in range(14):
        ids = list(range(1, certificate.nextId()))
        held = zip([(h, i) for h in holders for i in ids], balances(certificate, holders, ids))
        positions = [(key, units) for key, units in held if units > 1]
        (holder, parent_id), balance = rng.choice(positions)
        n = rng.randint(1, min(5, balance))
        amounts = [rng.randint(1, balance // n) for _ in range(n)]
        recipients = [rng.choice(holders) for _ in range(n)]
        _split_and_check(certificate, holder, parent_id, recipients, amounts, holders)

    for root_id in roots:
        face = certificate.certificate(root_id)[3]
        assert _live_units(certificate, root_id, holders) == face
    # Every certificate's lineage leads back, parent by parent, to its root, one tier per step.
    records = {i: tuple(certificate.certificate(i)) for i in range(1, certificate.nextId())}
    for cert_id, (root_id, parent_id, tier, _, debtor, maturity, _) in records.items():
        steps = 1
        while parent_id != 0:
            parent = records[parent_id]
            assert parent[2] == tier - steps
            assert (parent[0], norm(parent[4]), parent[5]) == (root_id, norm(debtor), maturity)
            parent_id = parent[1]
            steps += 1
        assert steps == tier


# ---------------------------------------------------------------- invariant 4
def test_invariant4_documentHashBacksAtMostOneReceivable(
    system, certificate, consortium, escrow, admin, bank, core, tier1, tier2a
):
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    certificate.setCreditLine(tier1, FACE, {"from": bank})
    maturity = chain.time() + 30 * DAY
    docs = [doc_hash(f"po-{n}") for n in range(5)]
    roots = [certificate.issue(tier1, 100 + n, maturity, doc, {"from": core}).return_value for n, doc in enumerate(docs)]
    assert [certificate.receivableOf(d) for d in docs] == roots
    assert len(set(roots)) == len(roots)

    escrow.repay(roots[0], 100, {"from": core})  # even a closed receivable keeps its document
    next_id = certificate.nextId()
    for doc, root_id in zip(docs, roots):
        for debtor, supplier in ((core, tier1), (tier1, tier2a)):
            with reverts("DocumentAlreadyUsed", doc, root_id):
                certificate.issue(supplier, 1, maturity, doc, {"from": debtor})
    assert certificate.nextId() == next_id
    assert [certificate.receivableOf(d) for d in docs] == roots
    assert certificate.outstanding(tier1) == 0


def test_invariant4_outstandingWithinLimitAtEveryIssue(system, certificate, escrow, bank, factor, core, tier1):
    rng = random.Random(11)
    maturity = chain.time() + 30 * DAY
    limit = certificate.creditLimit(core)
    assert limit == CREDIT
    roots, n = [], 0

    def try_issue(face):
        nonlocal n
        n += 1
        outstanding = certificate.outstanding(core)
        if outstanding + face <= certificate.creditLimit(core):
            roots.append(certificate.issue(tier1, face, maturity, doc_hash(f"lim-{n}"), {"from": core}).return_value)
            assert certificate.outstanding(core) == outstanding + face
            assert certificate.outstanding(core) <= certificate.creditLimit(core)
        else:
            with reverts("CreditLimitExceeded", core, outstanding, face, certificate.creditLimit(core)):
                certificate.issue(tier1, face, maturity, doc_hash(f"lim-{n}"), {"from": core})
            assert certificate.outstanding(core) == outstanding

    for _ in range(8):
        try_issue(rng.randint(1, CREDIT // 3))
    # Exactly up to the limit, then one unit over.
    room = certificate.creditLimit(core) - certificate.outstanding(core)
    if room:
        try_issue(room)
    assert certificate.outstanding(core) == CREDIT
    try_issue(1)
    assert certificate.outstanding(core) == CREDIT

    # Partial repayment does not free the line; closing a root does, by exactly its face value.
    first_face = certificate.certificate(roots[0])[3]
    escrow.repay(roots[0], first_face - 1, {"from": core})
    assert certificate.outstanding(core) == CREDIT
    try_issue(1)
    escrow.repay(roots[0], 1, {"from": core})
    assert certificate.outstanding(core) == CREDIT - first_face
    try_issue(first_face + 1)
    try_issue(first_face)
    assert certificate.outstanding(core) == CREDIT

    # A second financier's line adds room; lowering lines never lets an issue exceed the total.
    certificate.setCreditLine(core, 5_000, {"from": factor})
    try_issue(5_001)
    try_issue(5_000)
    certificate.setCreditLine(core, CREDIT // 2, {"from": bank})
    try_issue(1)
    assert certificate.outstanding(core) > certificate.creditLimit(core)  # lowered after the fact only


def test_invariant4_defaultFreesTheLine(system, certificate, escrow, core, tier1):
    maturity_days = 10
    root = certificate.issue(tier1, CREDIT, chain.time() + maturity_days * DAY, doc_hash("all-in"), {"from": core}).return_value
    with reverts("CreditLimitExceeded", core, CREDIT, 1, CREDIT):
        certificate.issue(tier1, 1, chain.time() + 90 * DAY, doc_hash("one-more"), {"from": core})
    chain.sleep((maturity_days + 1) * DAY + GRACE_PERIOD)
    escrow.declareDefault(root, {"from": tier1})
    assert certificate.outstanding(core) == 0
    certificate.issue(tier1, CREDIT, chain.time() + 90 * DAY, doc_hash("one-more"), {"from": core})
    assert certificate.outstanding(core) == CREDIT

"""Stateful property test: random sequences of every action by random actors, against a Python model.

Hypothesis draws steps (issue, split, transfer, batch transfer, approve, credit line, guarantee provide and
release, offer, finance, cancel, repay, default, claim, settle (the loan desk's holding too), loan request,
cancel, fund, repay and settle, suspend, reinstate, pause, unpause, max tier, time travel) with actors drawn mostly from the right role and sometimes from anyone, and amounts, ids and
times drawn around the edges (zero, the whole balance, one more, 2**256-1, exact maturity and grace
boundaries). Each step runs first on the model in tests/fuzz_model.py, which either applies it or names the
custom error the chain must revert with; then on the chain. After every step the whole chain state is read
back in one batch and must equal the model, and SPEC invariants 1-8 are checked on the chain's values.

`make test` runs a fixed seed (FUZZ_SEED, default below) for at least FUZZ_MIN_STEPS steps. `make fuzz` runs a
campaign for FUZZ_SECONDS with a random seed it prints; each chunk prints its own seed, and a failure names
the seed that reproduces it: `FUZZ_SEED=<seed> FUZZ_SECONDS=0 make fuzz`. FUZZ_SHRINK=1 lets hypothesis
shrink a failure (slow: every shrink step replays transactions).
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter, defaultdict

import brownie
import pytest
from brownie import chain, web3
from eth_utils import keccak
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests import fuzz_model as fm
from tests.chain_reader import BatchReader
from tests.conftest import CREDIT
from scfchain.constants import DAY
from tests.fuzz_model import U32, U96, U128, ZERO, ZERO32, Model, Revert
from tests.helpers import ROLE, error

MAX_UINT = 2**256 - 1
SEED = int(os.environ.get("FUZZ_SEED", "20251125"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "0"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
STEPS = int(os.environ.get("FUZZ_STEPS", "50"))
MIN_STEPS = int(os.environ.get("FUZZ_MIN_STEPS", "1000"))
SHRINK = os.environ.get("FUZZ_SHRINK") == "1"
GRACE = 7 * DAY  # tests/conftest.py GRACE_PERIOD
# SPEC invariant 5: a claim or settle costs the same per certificate whatever the tree (depth, width,
# holders). Bounds per call and per redeemed position, with room for cold/warm storage differences.
CLAIM_GAS_BASE = 60_000
CLAIM_GAS_PER_POSITION = 40_000

ACTORS = ["admin", "core", "tier1", "tier2a", "tier2b", "sme", "bank", "factor", "guarantor", "clearing", "outsider"]
DEBTORS = ["core", "tier1"]
SUPPLIERS = ["tier1", "tier2a", "tier2b", "sme"]
FINANCIERS = ["bank", "factor"]
DOCS = ["0x" + keccak(text=f"fuzz-document-{i}").hex() for i in range(10)] + [ZERO32]


def say(text: str) -> None:
    """Progress of the fuzz run, past pytest's sys-level capture (`make fuzz` runs with --capture=sys)."""
    print(text, file=sys.__stderr__, flush=True)


def _low(x) -> str:
    return (x.address if hasattr(x, "address") else str(x)).lower()


class Context:
    """Everything the machine needs that outlives one example: contracts, actors, the base model."""

    def __init__(self, contracts, accounts):
        self.c = contracts
        self.acct = accounts  # name -> brownie account
        self.addr = {name: _low(a) for name, a in accounts.items()}
        self.name_of = {a: n for n, a in self.addr.items()}
        for name in ("escrow", "desk", "guarantee", "loans"):
            self.name_of[_low(contracts[name])] = name
        self.name_of[ZERO] = "zero"
        self.holders = [self.addr[n] for n in ACTORS] + [
            _low(contracts[n]) for n in ("escrow", "desk", "guarantee", "loans")]
        self.base: Model | None = None
        self.stats: Counter = Counter()
        self.outcomes: Counter = Counter()
        self.gas: dict[str, list] = defaultdict(list)


class Stepper:
    """Runs one action on the model and on the chain, and checks they agree."""

    def __init__(self, ctx: Context, model: Model):
        self.ctx = ctx
        self.model = model
        self.touched: set[str] = set()
        self.ev_claimed: dict[int, int] = defaultdict(int)

    def set_time(self, timestamp: int) -> None:
        response = web3.provider.make_request("evm_setNextBlockTimestamp", [int(timestamp)])
        assert "error" not in response, response

    def do(self, label: str, predict, send, touched=()):
        """`predict(model)` on a copy of the model at the step's timestamp, `send()` on the chain.

        Returns (tx, result): tx is None when the step reverted as the model said it must."""
        ctx = self.ctx
        t = self.model.now + 1
        self.set_time(t)
        trial = self.model.clone()
        trial.now = t
        try:
            expected, result = None, predict(trial)
        except Revert as exc:
            expected, result = exc, None
        try:
            tx, got = send(), None
        except brownie.exceptions.VirtualMachineError as exc:
            tx, got = None, exc.revert_msg
        ctx.stats[label] += 1
        if expected is not None:
            want = error(expected.name, *expected.error_args)
            assert got == want, f"{label}: the model expects revert {want!r}, the chain gave {got or 'success'!r}"
            ctx.outcomes[f"{label}: {expected.name}"] += 1
            self.model.now = t
            self.touched = set()
            return None, None
        assert got is None, f"{label}: the model expects success, the chain reverted with {got!r}"
        assert tx.timestamp == t
        ctx.outcomes[f"{label}: ok"] += 1
        self.model = trial
        self.touched = {_low(a) for a in touched}
        return tx, result


def _events(tx, name):
    return list(tx.events[name]) if name in tx.events else []


class FuzzMachine(RuleBasedStateMachine):
    ctx: Context = None  # set by the test

    def __init__(self):
        super().__init__()
        chain.revert()
        ctx = self.ctx
        self.s = Stepper(ctx, ctx.base.clone())
        self.s.model.now = chain[-1].timestamp
        self.prev = None
        self.reader = BatchReader()

    # ------------------------------------------------------------ drawing helpers
    @property
    def m(self) -> Model:
        return self.s.model

    @staticmethod
    def rare(data, label, percent):
        """True `percent` % of the time. The rare branch is the high draws: hypothesis favours small values."""
        return data.draw(st.integers(0, 99), label=label) >= 100 - percent

    def who(self, data, proper, label, anyone=10):
        """A name from `proper` most of the time, else (`anyone` %) anyone: wrong role, suspended, outsider."""
        if proper and not self.rare(data, f"{label} anyone?", anyone):
            return data.draw(st.sampled_from(proper), label=label)
        return data.draw(st.sampled_from(ACTORS), label=label)

    def a(self, name):
        """Address of a name (actor, contract or 'zero')."""
        if name == "zero":
            return ZERO
        if name in self.ctx.addr:
            return self.ctx.addr[name]
        return _low(self.ctx.c[name])

    def acct(self, name):
        return self.ctx.acct[name]

    def units(self, data, held, label):
        """An amount around a balance: some, all, none, one more, or 2**256-1."""
        mode = data.draw(st.sampled_from(["part"] * 4 + ["all"] * 3 + ["zero", "over", "max"]), label=f"{label} mode")
        if mode == "part":
            return data.draw(st.integers(1, max(held, 1)), label=label)
        return {"all": held, "zero": 0, "over": held + 1, "max": MAX_UINT}[mode]

    def time_delta(self, data, label, high=120 * DAY):
        """Seconds from the step's timestamp: mostly ahead, sometimes exactly now, one second off, or a day ago."""
        if self.rare(data, f"{label} edge?", 10):
            return data.draw(st.sampled_from([0, 1, -1, -DAY]), label=label)
        return data.draw(st.integers(1, high), label=label)

    def existing(self, data, ids, label):
        """Mostly one of `ids`, sometimes 0 or the next unused id."""
        if ids and not self.rare(data, f"{label} unknown?", 10):
            return data.draw(st.sampled_from(sorted(ids)), label=label)
        return data.draw(st.sampled_from([0, max(ids, default=0) + 1]), label=label)

    def position(self, data, label):
        """(holder name, id, units) of a held position, else of a random id and actor (maybe nothing held)."""
        positions = [(self.ctx.name_of[h], i, u) for h, i, u in self.m.positions() if self.ctx.name_of.get(h) in ACTORS]
        if positions and not self.rare(data, f"{label} any id?", 10):
            return data.draw(st.sampled_from(positions), label=label)
        holder = data.draw(st.sampled_from(ACTORS), label=f"{label} holder")
        cert_id = data.draw(st.integers(0, self.m.next_id), label=f"{label} id")
        return holder, cert_id, self.m.bal[(self.a(holder), cert_id)]

    def root_id(self, data, label):
        """Mostly an open root, sometimes a closed one, sometimes any id (a child, 0, unknown)."""
        roots = sorted(self.m.roots)
        open_roots = [r for r in roots if self.m.roots[r].status == fm.ACTIVE]
        kind = data.draw(st.integers(0, 99), label=f"{label} kind")
        if open_roots and kind < 70:
            return data.draw(st.sampled_from(open_roots), label=label)
        if roots and kind < 90:
            return data.draw(st.sampled_from(roots), label=label)
        return data.draw(st.integers(0, self.m.next_id), label=label)

    # ------------------------------------------------------------ certificates
    @rule(data=st.data())
    def issue(self, data):
        sender = self.who(data, DEBTORS, "debtor")
        supplier = self.who(data, SUPPLIERS, "supplier")
        if not self.rare(data, "face edge?", 15):
            face = data.draw(st.integers(1, 1_500_000), label="face")
        else:
            face = data.draw(st.sampled_from([0, U128, U128 + 1, MAX_UINT]), label="face")
        maturity = self.m.now + 1 + self.time_delta(data, "maturity", 100 * DAY)
        doc = data.draw(st.sampled_from(DOCS), label="document")
        s, c = self.s, self.ctx.c
        tx, root_id = s.do(
            "issue",
            lambda m: m.issue(self.a(sender), self.a(supplier), face, maturity, doc),
            lambda: c["certificate"].issue(self.a(supplier), face, maturity, doc, {"from": self.acct(sender)}),
            [self.a(supplier)],
        )
        if tx:
            ev = tx.events["ReceivableIssued"]
            assert ev["rootId"] == root_id and ev["faceValue"] == face
            # SPEC invariant 4: at issue, outstanding + faceValue <= creditLimit.
            debtor = self.acct(sender)
            assert c["certificate"].outstanding(debtor) <= c["certificate"].creditLimit(debtor)

    @rule(data=st.data())
    def split(self, data):
        holder, cert_id, held = self.position(data, "parent")
        sender = self.who(data, [holder], "sender")
        shape = "ok" if not self.rare(data, "bad shape?", 12) else data.draw(
            st.sampled_from(["empty", "mismatch", "too-many"]), label="shape")
        if shape == "too-many":
            to, amounts = [holder] * 65, [1] * 65
        else:
            n = data.draw(st.integers(1, 4), label="children")
            to = [self.who(data, SUPPLIERS + FINANCIERS + ["core"], f"to{i}", 9) for i in range(n)]
            if not self.rare(data, "any amounts?", 20) and held >= n:
                cuts = sorted(data.draw(st.lists(st.integers(1, held), min_size=n, max_size=n, unique=True), label="cuts"))
                if data.draw(st.booleans(), label="keep remainder?"):
                    amounts = [b - a for a, b in zip([0] + cuts[:-1], cuts)]
                else:
                    amounts = [b - a for a, b in zip([0] + cuts[:-1], cuts[:-1] + [held])]
                    amounts = [x if x > 0 else 1 for x in amounts]
            else:
                amounts = [self.units(data, max(held // n, 1), f"amount{i}") for i in range(n)]
            if shape == "empty":
                to, amounts = [], []
            elif shape == "mismatch":
                amounts = amounts + [1]
        recipients = [self.a(x) for x in to]
        s, c = self.s, self.ctx.c
        tx, child_ids = s.do(
            "split",
            lambda m: m.split(self.a(sender), cert_id, recipients, amounts),
            lambda: c["certificate"].split(cert_id, recipients, amounts, {"from": self.acct(sender)}),
            [self.a(sender), *recipients],
        )
        if tx:
            ev = tx.events["CertificateSplit"]
            assert list(ev["childIds"]) == child_ids and list(ev["amounts"]) == amounts
            # SPEC invariant 2: children inherit root, debtor and maturity; units are conserved.
            parent = self.m.certs[cert_id]
            for child_id, amount in zip(child_ids, amounts):
                child = c["certificate"].certificate(child_id)
                assert child[0] == parent.root and child[1] == cert_id and child[2] == parent.tier + 1
                assert child[3] == amount
                assert (child[4].lower(), child[5]) == (self.m.roots[parent.root].debtor, self.m.roots[parent.root].maturity)
            minted = sum(e["value"] for e in _events(tx, "TransferSingle") if int(e["from"], 16) == 0)
            burned = sum(e["value"] for e in _events(tx, "TransferSingle") if int(e["to"], 16) == 0)
            assert minted == burned == sum(amounts)

    @rule(data=st.data())
    def transfer(self, data):
        holder, cert_id, held = self.position(data, "position")
        operator = self.who(data, [holder], "operator", 25)
        to = self.who(data, SUPPLIERS + FINANCIERS + ["core"], "to")
        if self.rare(data, "to zero?", 3):
            to = "zero"
        elif self.rare(data, "to the loan desk?", 4):
            to = "loans"  # custody: refused unless the desk moves the units itself
        value = self.units(data, held, "value")
        s, c = self.s, self.ctx.c
        s.do(
            "transfer",
            lambda m: m.transfer(self.a(operator), self.a(holder), self.a(to), cert_id, value),
            lambda: c["certificate"].safeTransferFrom(self.a(holder), self.a(to), cert_id, value, "",
                                                      {"from": self.acct(operator)}),
            [self.a(holder), self.a(to)],
        )

    @rule(data=st.data())
    def batch_transfer(self, data):
        holder = self.who(data, [self.ctx.name_of[h] for h, _, _ in self.m.positions()
                                 if self.ctx.name_of.get(h) in ACTORS], "holder", 9)
        mine = [(i, u) for h, i, u in self.m.positions() if h == self.a(holder)]
        k = data.draw(st.integers(0, 4), label="entries")
        ids, values = [], []
        for j in range(k):
            if mine and not self.rare(data, f"any id{j}?", 10):
                cert_id, held = data.draw(st.sampled_from(mine), label=f"entry{j}")
            else:
                cert_id = data.draw(st.integers(0, self.m.next_id), label=f"id{j}")
                held = self.m.bal[(self.a(holder), cert_id)]
            ids.append(cert_id)
            values.append(self.units(data, held, f"value{j}"))
        if self.rare(data, "mismatch?", 8):
            values = values + [1]
        operator = self.who(data, [holder], "operator", 20)
        to = self.who(data, SUPPLIERS + FINANCIERS + ["core"], "to")
        s, c = self.s, self.ctx.c
        s.do(
            "batch transfer",
            lambda m: m.batch_transfer(self.a(operator), self.a(holder), self.a(to), ids, values),
            lambda: c["certificate"].safeBatchTransferFrom(self.a(holder), self.a(to), ids, values, "",
                                                           {"from": self.acct(operator)}),
            [self.a(holder), self.a(to)],
        )

    @rule(data=st.data())
    def approve(self, data):
        owner = self.who(data, [], "owner")
        operator = data.draw(st.sampled_from(["desk"] * 4 + ["loans"] * 4 + ACTORS + ["zero"]), label="operator")
        approved = data.draw(st.booleans(), label="approved")
        s, c = self.s, self.ctx.c
        s.do(
            "approve",
            lambda m: m.set_approval(self.a(owner), self.a(operator), approved),
            lambda: c["certificate"].setApprovalForAll(self.a(operator), approved, {"from": self.acct(owner)}),
        )

    @rule(data=st.data())
    def set_max_tier(self, data):
        sender = self.who(data, ["admin"], "sender")
        value = data.draw(st.sampled_from([0, 1, 2, 3, 4, 5, 16, U32 + 1]), label="maxTier")
        s, c = self.s, self.ctx.c
        s.do("max tier", lambda m: m.set_max_tier(self.a(sender), value),
             lambda: c["certificate"].setMaxTier(value, {"from": self.acct(sender)}))

    # ------------------------------------------------------------ credit and guarantees
    @rule(data=st.data())
    def credit_line(self, data):
        sender = self.who(data, FINANCIERS, "financier")
        debtor = self.who(data, DEBTORS, "debtor")
        if self.rare(data, "zero debtor?", 5):
            debtor = "zero"
        if not self.rare(data, "limit edge?", 20):
            value = data.draw(st.integers(0, 4_000_000), label="limit")
        else:
            value = data.draw(st.sampled_from([U128, U128 + 1, MAX_UINT]), label="limit")
        s, c = self.s, self.ctx.c
        s.do("credit line", lambda m: m.set_credit_line(self.a(sender), self.a(debtor), value),
             lambda: c["certificate"].setCreditLine(self.a(debtor), value, {"from": self.acct(sender)}))

    @rule(data=st.data())
    def provide_guarantee(self, data):
        sender = self.who(data, ["guarantor"], "guarantor")
        debtor = self.who(data, DEBTORS, "debtor")
        if not self.rare(data, "amount edge?", 15):
            amount = data.draw(st.integers(1, 1_500_000), label="amount")
        else:
            amount = data.draw(st.sampled_from([0, U128, U128 + 1, MAX_UINT]), label="amount")
        expiry = self.m.now + 1 + self.time_delta(data, "expiry", 150 * DAY)
        s, c = self.s, self.ctx.c
        tx, gid = s.do("provide guarantee", lambda m: m.provide(self.a(sender), self.a(debtor), amount, expiry),
                       lambda: c["guarantee"].provide(self.a(debtor), amount, expiry, {"from": self.acct(sender)}),
                       [self.a(sender)])
        if tx:
            assert tx.events["GuaranteeProvided"]["guaranteeId"] == gid

    @rule(data=st.data())
    def crowd_guarantees(self, data):
        """A burst of tiny guarantees for one debtor, expiring just before, at or after the maturity of one of
        its roots (or anywhere): the crowd a later default must get past, or draw on, oldest first."""
        debtor = self.who(data, DEBTORS, "debtor", anyone=0)
        maturities = sorted({r.maturity for r in self.m.roots.values() if r.debtor == self.a(debtor)})
        count = data.draw(st.integers(1, 12), label="crowd size")
        s, c = self.s, self.ctx.c
        touched = set()
        for k in range(count):
            if maturities and not self.rare(data, "crowd anywhere?", 20):
                expiry = data.draw(st.sampled_from(maturities), label="near maturity") + data.draw(
                    st.sampled_from([-DAY, -1, 0, 1]), label="offset")
            else:
                expiry = self.m.now + 1 + self.time_delta(data, "crowd expiry", 150 * DAY)
            amount = data.draw(st.integers(1, 3), label="tiny amount")
            tx, gid = s.do("crowd guarantee", lambda m: m.provide(self.a("guarantor"), self.a(debtor), amount, expiry),
                           lambda: c["guarantee"].provide(self.a(debtor), amount, expiry,
                                                          {"from": self.acct("guarantor")}),
                           [self.a("guarantor")])
            if tx:
                assert tx.events["GuaranteeProvided"]["guaranteeId"] == gid
            touched |= s.touched
        s.touched = touched  # the whole burst is one step for the invariants' "who may have moved" check

    @rule(data=st.data())
    def release_guarantee(self, data):
        t = self.m.now + 1
        due = [g for g, x in self.m.guarantees.items() if not x.released and self.m.releasable_at(g) <= t]
        gid = self.existing(data, due if due and not self.rare(data, "any guarantee?", 40) else self.m.guarantees, "guarantee")
        owner = self.ctx.name_of[self.m.guarantees[gid].guarantor] if gid in self.m.guarantees else "guarantor"
        sender = self.who(data, [owner], "sender")
        s, c = self.s, self.ctx.c
        tx, refund = s.do("release guarantee", lambda m: m.release(self.a(sender), gid),
                          lambda: c["guarantee"].release(gid, {"from": self.acct(sender)}), [self.a(sender)])
        if tx:
            assert tx.events["GuaranteeReleased"]["amount"] == refund

    # ------------------------------------------------------------ financing
    @rule(data=st.data())
    def post_offer(self, data):
        sender = self.who(data, FINANCIERS, "financier")
        debtor = self.who(data, DEBTORS, "debtor")
        edge = self.rare(data, "edge?", 10)
        rate = data.draw(st.sampled_from([10_000, 10_001]) if edge else st.integers(0, 3_000), label="rate")
        budget = data.draw(st.sampled_from([0, MAX_UINT]) if edge else st.integers(1, 2_000_000), label="budget")
        min_amount = data.draw(st.sampled_from([U96, U96 + 1]) if edge else st.integers(0, 2_000), label="minAmount")
        expiry = self.m.now + 1 + self.time_delta(data, "expiry", 90 * DAY)
        s, c = self.s, self.ctx.c
        tx, offer_id = s.do(
            "post offer",
            lambda m: m.post_offer(self.a(sender), self.a(debtor), rate, budget, min_amount, expiry),
            lambda: c["desk"].postOffer(self.a(debtor), rate, budget, min_amount, expiry, {"from": self.acct(sender)}),
            [self.a(sender)],
        )
        if tx:
            assert tx.events["OfferPosted"]["offerId"] == offer_id

    @rule(data=st.data())
    def finance(self, data):
        t = self.m.now + 1
        open_debtors = {x.debtor for x in self.m.offers.values() if not x.cancelled and t < x.expiry and x.budget}
        sellable = [
            (self.ctx.name_of[h], i, u) for h, i, u in self.m.positions()
            if self.ctx.name_of.get(h) in ACTORS and self.m.roots[self.m.certs[i].root].status == fm.ACTIVE and t < self.m.roots[self.m.certs[i].root].maturity
            and self.m.roots[self.m.certs[i].root].debtor in open_debtors
        ]
        if sellable and not self.rare(data, "any position?", 30):
            holder, cert_id, held = data.draw(st.sampled_from(sellable), label="sellable position")
        else:
            holder, cert_id, held = self.position(data, "position")
        seller = self.who(data, [holder], "seller")
        cert = self.m.certs.get(cert_id)
        t = self.m.now + 1
        matching = [o for o, x in self.m.offers.items()
                    if cert and x.debtor == self.m.roots[cert.root].debtor and not x.cancelled and t < x.expiry]
        offer_id = self.existing(data, self.m.offers if not matching or self.rare(data, "any offer?", 25) else matching, "offer")
        if not self.rare(data, "any amount?", 30) and offer_id in self.m.offers:
            o = self.m.offers[offer_id]
            amount = data.draw(st.integers(max(o.min_amount, 1), max(o.min_amount, held, 1)), label="amount")
        else:
            amount = self.units(data, held, "amount")
        probe = self.m.clone()
        probe.now = t
        try:
            quote = probe.quote(offer_id, cert_id, amount)
        except Revert:
            quote = 0
        min_proceeds = quote if not self.rare(data, "other minProceeds?", 25) else data.draw(
            st.sampled_from([quote + 1, 0]), label="minProceeds")
        deadline = t + (600 if not self.rare(data, "deadline edge?", 15) else data.draw(st.sampled_from([0, -1]), label="deadline"))
        s, c = self.s, self.ctx.c
        financier = self.m.offers[offer_id].financier if offer_id in self.m.offers else ZERO
        tx, paid = s.do(
            "finance",
            lambda m: m.finance(self.a(seller), offer_id, cert_id, amount, min_proceeds, deadline),
            lambda: c["desk"].finance(offer_id, cert_id, amount, min_proceeds, deadline, {"from": self.acct(seller)}),
            [self.a(seller), financier],
        )
        if tx:
            ev = tx.events["Financed"]
            assert ev["proceeds"] == paid == quote and ev["amount"] == amount

    @rule(data=st.data())
    def cancel_offer(self, data):
        live = [o for o, x in self.m.offers.items() if not x.cancelled]
        offer_id = self.existing(data, live if live and self.rare(data, "a live offer?", 40) else self.m.offers, "offer")
        owner = self.ctx.name_of[self.m.offers[offer_id].financier] if offer_id in self.m.offers else "bank"
        sender = self.who(data, [owner], "sender")
        s, c = self.s, self.ctx.c
        tx, refund = s.do("cancel offer", lambda m: m.cancel_offer(self.a(sender), offer_id),
                          lambda: c["desk"].cancelOffer(offer_id, {"from": self.acct(sender)}), [self.a(sender)])
        if tx:
            assert tx.events["OfferCancelled"]["refund"] == refund

    # ------------------------------------------------------------ settlement
    @rule(data=st.data())
    def repay(self, data):
        # Half the time a root some funded loan pledges, so that loans often see their root close.
        pledged = sorted({self.m.certs[x.cert].root for x in self.m.loans.values() if x.state == fm.L_FUNDED
                          and self.m.roots[self.m.certs[x.cert].root].status == fm.ACTIVE})
        if pledged and data.draw(st.booleans(), label="a pledged root?"):
            root_id = data.draw(st.sampled_from(pledged), label="pledged root")
        else:
            root_id = self.root_id(data, "root")
        root = self.m.roots.get(root_id)
        payer = self.who(data, [self.ctx.name_of[root.debtor]] if root else DEBTORS, "payer")
        remaining = root.face - root.paid if root else 1
        amount = remaining if not self.rare(data, "partial?", 50) else self.units(data, remaining, "amount")
        s, c = self.s, self.ctx.c
        tx, total = s.do("repay", lambda m: m.repay(self.a(payer), root_id, amount),
                         lambda: c["escrow"].repay(root_id, amount, {"from": self.acct(payer)}), [self.a(payer)])
        if tx:
            assert tx.events["Repaid"]["totalPaid"] == total
            assert ("ReceivableClosed" in tx.events) == (self.m.roots[root_id].status == fm.PAID)

    @rule(data=st.data())
    def declare_default(self, data):
        t = self.m.now + 1
        overdue = [r for r, x in self.m.roots.items() if x.status == fm.ACTIVE and x.maturity + GRACE <= t]
        root_id = self.root_id(data, "root") if not overdue or self.rare(data, "any root?", 40) else data.draw(
            st.sampled_from(sorted(overdue)), label="overdue root")
        sender = self.who(data, [], "sender")
        s, c = self.s, self.ctx.c
        tx, result = s.do("declare default", lambda m: m.declare_default(self.a(sender), root_id),
                          lambda: c["escrow"].declareDefault(root_id, {"from": self.acct(sender)}))
        if tx:
            paid, covered, calls = result
            ev = tx.events["DefaultDeclared"]
            assert (ev["paid"], ev["covered"]) == (paid, covered)
            assert [(e["guaranteeId"], e["amount"]) for e in _events(tx, "GuaranteeCalled")] == calls

    def _closed_ids(self, holder=None):
        return [
            (self.ctx.name_of.get(h, h), i)
            for h, i, _ in self.m.positions()
            if self.m.roots[self.m.certs[i].root].status != fm.ACTIVE and (holder is None or h == holder)
        ]

    def _check_claims(self, tx, claimed, label, positions):
        got = [(e["id"], e["rootId"], e["holder"].lower(), e["units"], e["payout"]) for e in _events(tx, "Claimed")]
        assert got == claimed, f"{label}: Claimed events {got} != model {claimed}"
        for _, root_id, _, units, _ in got:
            self.s.ev_claimed[root_id] += units
        if positions:
            self.ctx.gas[label].append(tx.gas_used)
            assert tx.gas_used <= CLAIM_GAS_BASE + CLAIM_GAS_PER_POSITION * positions, (
                f"SPEC invariant 5: {label} of {positions} positions used {tx.gas_used} gas"
            )

    @rule(data=st.data())
    def claim(self, data):
        closed = self._closed_ids()
        holders = sorted({h for h, _ in closed if h in ACTORS})
        sender = self.who(data, holders, "claimer", 9)
        mine = [i for h, i in closed if h == sender]
        ids = []
        for j in range(data.draw(st.integers(0, 4), label="ids")):
            if mine and not self.rare(data, f"any id{j}?", 20):
                ids.append(data.draw(st.sampled_from(mine), label=f"id{j}"))
            else:
                ids.append(data.draw(st.integers(0, self.m.next_id), label=f"id{j}"))
        s, c = self.s, self.ctx.c
        tx, result = s.do("claim", lambda m: m.claim(self.a(sender), ids),
                          lambda: c["escrow"].claim(ids, {"from": self.acct(sender)}), [self.a(sender)])
        if tx:
            total, claimed = result
            self._check_claims(tx, claimed, "claim", len(ids))

    @rule(data=st.data())
    def settle(self, data):
        sender = self.who(data, ["clearing"], "sender")
        closed = self._closed_ids()
        ids, holders = [], []
        for j in range(data.draw(st.integers(0, 6), label="pairs")):
            if closed and not self.rare(data, f"any pair{j}?", 20):
                holder, cert_id = data.draw(st.sampled_from(closed), label=f"pair{j}")
            else:
                holder = data.draw(st.sampled_from(ACTORS), label=f"holder{j}")
                cert_id = data.draw(st.integers(0, self.m.next_id), label=f"id{j}")
            ids.append(cert_id)
            holders.append(self.a(holder))
        if self.rare(data, "mismatch?", 5):
            holders = holders + [self.a("tier1")]
        s, c = self.s, self.ctx.c
        tx, result = s.do("settle", lambda m: m.settle(self.a(sender), ids, holders),
                          lambda: c["escrow"].settle(ids, holders, {"from": self.acct(sender)}), holders)
        if tx:
            total, claimed = result
            assert "SettlementFailed" not in tx.events
            self._check_claims(tx, claimed, "settle", len(ids))

    # ------------------------------------------------------------ loans
    def _loan_id(self, data, states, label):
        """Mostly a loan in one of `states`, sometimes any loan, 0 or the next id."""
        ids = [i for i, x in self.m.loans.items() if x.state in states]
        if ids and not self.rare(data, f"{label} any?", 15):
            return data.draw(st.sampled_from(ids), label=label)
        return self.existing(data, self.m.loans, label)

    def _probe(self):
        probe = self.m.clone()
        probe.now = self.m.now + 1
        return probe

    @rule(data=st.data())
    def request_loan(self, data):
        holder, cert_id, held = self.position(data, "pledge")
        sender = self.who(data, [holder], "borrower")
        if self.rare(data, "units edge?", 25):
            units = self.units(data, held, "units")
        else:
            units = data.draw(st.integers(1, max(held, 1)), label="units")
        principal = data.draw(st.sampled_from(["part"] * 6 + ["all", "zero", "over"]), label="principal mode")
        principal = {"part": max(units // 2, 1), "all": units, "zero": 0, "over": min(units + 1, MAX_UINT)}[principal]
        rate = data.draw(st.sampled_from([0, 1, 700, 700, 3_000, 3_000, 10_000, 10_001]), label="rate")
        lender = data.draw(st.sampled_from(["zero", "zero"] + FINANCIERS + ["sme"]), label="lender")
        expiry = self.m.now + 1 + self.time_delta(data, "expiry", 60 * DAY)
        s, c = self.s, self.ctx.c
        tx, loan_id = s.do(
            "request loan",
            lambda m: m.request_loan(self.a(sender), cert_id, units, principal, rate, self.a(lender), expiry),
            lambda: c["loans"].requestLoan(cert_id, units, principal, rate, self.a(lender), expiry,
                                           {"from": self.acct(sender)}),
            [self.a(sender), self.a("loans")],
        )
        if tx:
            ev = tx.events["LoanRequested"]
            assert (ev["loanId"], ev["certId"], ev["units"], ev["principal"], ev["expiry"]) == (
                loan_id, cert_id, units, principal, expiry)

    @rule(data=st.data())
    def cancel_loan(self, data):
        loan_id = self._loan_id(data, (fm.L_REQUESTED,), "loan")
        loan = self.m.loans.get(loan_id)
        sender = self.who(data, [self.ctx.name_of[loan.borrower]] if loan else [], "sender")
        s, c = self.s, self.ctx.c
        tx, share = s.do("cancel loan", lambda m: m.cancel_loan(self.a(sender), loan_id),
                         lambda: c["loans"].cancelLoanRequest(loan_id, {"from": self.acct(sender)}),
                         [self.a(sender), self.a("loans")])
        if tx:
            settled = _events(tx, "LoanSettled")
            assert [(e["payout"], e["toLender"], e["toBorrower"]) for e in settled] == (
                [] if share is None else [(share, 0, share)])
            self._check_desk_claim(tx)

    @rule(data=st.data())
    def fund_loan(self, data):
        loan_id = self._loan_id(data, (fm.L_REQUESTED,), "loan")
        loan = self.m.loans.get(loan_id)
        named = [self.ctx.name_of[loan.lender]] if loan and loan.lender != ZERO else FINANCIERS
        sender = self.who(data, named, "lender")
        s, c = self.s, self.ctx.c
        borrower = loan.borrower if loan else ZERO
        tx, _ = s.do("fund loan", lambda m: m.fund_loan(self.a(sender), loan_id),
                     lambda: c["loans"].fundLoan(loan_id, {"from": self.acct(sender)}), [self.a(sender), borrower])
        if tx:
            assert tx.events["LoanFunded"]["principal"] == loan.principal

    @rule(data=st.data())
    def repay_loan(self, data):
        loan_id = self._loan_id(data, (fm.L_FUNDED,), "loan")
        loan = self.m.loans.get(loan_id)
        payer = self.who(data, [self.ctx.name_of[loan.borrower]] if loan else [], "payer", 20)
        probe = self._probe()
        debt = probe.loan_debt(loan_id)
        interest = probe.loan_interest(probe.loans[loan_id]) if debt else 0
        amount = data.draw(st.sampled_from(
            [1, max(interest - 1, 1), max(interest, 1), interest + 1, max(debt // 3, 1), debt, debt + 1, MAX_UINT, 0]),
            label="amount")
        s, c = self.s, self.ctx.c
        touched = [self.a(payer), self.a("loans")] + ([loan.lender, loan.borrower] if loan else [])
        tx, result = s.do("repay loan", lambda m: m.repay_loan(self.a(payer), loan_id, amount),
                          lambda: c["loans"].repayLoan(loan_id, amount, {"from": self.acct(payer)}), touched)
        if tx:
            pulled, remaining, share = result
            ev = tx.events["LoanRepaid"]
            # SPEC 8: a repayment never takes more than the debt.
            assert (ev["amount"], ev["remainingDebt"]) == (pulled, remaining) and pulled <= debt
            settled = _events(tx, "LoanSettled")
            assert [(e["payout"], e["toLender"], e["toBorrower"]) for e in settled] == (
                [] if share is None else [(share, 0, share)])
            self._check_desk_claim(tx)

    @rule(data=st.data())
    def settle_loan(self, data):
        t = self.m.now + 1
        due = [i for i, x in self.m.loans.items()
               if x.state == fm.L_FUNDED and self.m.roots[self.m.certs[x.cert].root].status != fm.ACTIVE]
        loan_id = data.draw(st.sampled_from(due), label="due loan") if due and not self.rare(
            data, "any loan?", 25) else self._loan_id(data, (fm.L_FUNDED,), "loan")
        sender = self.who(data, [], "sender")
        loan = self.m.loans.get(loan_id)
        probe = self._probe()
        debt = probe.loan_debt(loan_id)
        s, c = self.s, self.ctx.c
        touched = [self.a("loans")] + ([loan.lender, loan.borrower] if loan else [])
        tx, result = s.do("settle loan", lambda m: m.settle_loan(self.a(sender), loan_id),
                          lambda: c["loans"].settleLoan(loan_id, {"from": self.acct(sender)}), touched)
        if tx:
            share, to_lender, to_borrower = result
            ev = tx.events["LoanSettled"]
            assert (ev["payout"], ev["toLender"], ev["toBorrower"]) == result
            # SPEC 7: the lender never gets more than the debt.
            assert to_lender <= debt and t == tx.timestamp
            self._check_desk_claim(tx)

    # Loans take several steps each (request, fund, repay or settle): their rules are drawn twice as often.
    @rule(data=st.data())
    def request_loan_again(self, data):
        self.request_loan(data)

    @rule(data=st.data())
    def request_loan_more(self, data):
        self.request_loan(data)

    @rule(data=st.data())
    def fund_loan_again(self, data):
        self.fund_loan(data)

    @rule(data=st.data())
    def repay_loan_again(self, data):
        self.repay_loan(data)

    @rule(data=st.data())
    def settle_loan_again(self, data):
        self.settle_loan(data)

    def _check_desk_claim(self, tx):
        """A settlement-type loan action that redeemed the pool by `claim`: count the units as claimed."""
        got = [(e["id"], e["rootId"], e["holder"].lower(), e["units"], e["payout"]) for e in _events(tx, "Claimed")]
        for _, root_id, holder, units, _ in got:
            assert holder == self.a("loans")
            self.s.ev_claimed[root_id] += units

    # ------------------------------------------------------------ membership, pause, time
    @rule(data=st.data())
    def membership(self, data):
        """Suspends an active member or reinstates a suspended one (reinstating first when any is suspended,
        so that suspensions do not pile up)."""
        sender = self.who(data, ["admin"], "operator")
        suspended = [n for n in ACTORS if self.m.member[self.a(n)] == fm.MEMBER_SUSPENDED]
        s, c = self.s, self.ctx.c
        if (suspended and not self.rare(data, "suspend another?", 25)) or not self.rare(data, "suspend?", 50):
            target = self.who(data, suspended, "member")
            s.do("reinstate", lambda m: m.reinstate(self.a(sender), self.a(target)),
                 lambda: c["consortium"].reinstate(self.a(target), {"from": self.acct(sender)}))
        else:
            target = self.who(data, [n for n in ACTORS if self.m.active(self.a(n))], "member")
            s.do("suspend", lambda m: m.suspend(self.a(sender), self.a(target)),
                 lambda: c["consortium"].suspend(self.a(target), {"from": self.acct(sender)}))

    @rule(data=st.data())
    def pause(self, data):
        sender = self.who(data, ["admin"], "sender")
        # Paused, most actions revert: unpause soon, pause rarely.
        if self.m.paused:
            unpause = not self.rare(data, "pause again?", 10)
        else:
            unpause = not self.rare(data, "pause?", 20)
        s, c = self.s, self.ctx.c
        if unpause:
            s.do("unpause", lambda m: m.unpause(self.a(sender)),
                 lambda: c["certificate"].unpause({"from": self.acct(sender)}))
        else:
            s.do("pause", lambda m: m.pause(self.a(sender)),
                 lambda: c["certificate"].pause({"from": self.acct(sender)}))

    @rule(data=st.data())
    def time_travel_far(self, data):
        """Days to weeks pass (maturities and grace periods go by): a second time rule, so time moves often."""
        self.m.now += data.draw(st.integers(2 * DAY, 30 * DAY), label="seconds")
        self.ctx.stats["time travel"] += 1
        self.s.touched = set()

    @rule(data=st.data())
    def time_travel(self, data):
        """Jumps ahead; half the time so that the next transaction lands exactly on, or one second before,
        a boundary: a maturity, the end of a grace period, an offer's expiry, a guarantee's release time."""
        m = self.m
        edges = [r.maturity for r in m.roots.values()] + [r.maturity + GRACE for r in m.roots.values()]
        edges += [o.expiry for o in m.offers.values()] + [m.releasable_at(g) for g in m.guarantees]
        edges = sorted({e + d for e in edges for d in (-1, 0) if e + d > m.now + 1})
        if edges and data.draw(st.booleans(), label="to an edge?"):
            target = data.draw(st.sampled_from(edges), label="edge")
            m.now = target - 1  # the next transaction is mined at `target`
        else:
            m.now += data.draw(st.sampled_from([60, 3600, DAY, 7 * DAY, 30 * DAY]), label="seconds")
        self.ctx.stats["time travel"] += 1
        self.s.touched = set()

    # ------------------------------------------------------------ after every step
    @invariant()
    def chain_equals_model_and_spec_invariants_hold(self):
        check_everything(self)


def check_everything(machine: FuzzMachine) -> None:
    ctx, m, s, reader = machine.ctx, machine.m, machine.s, machine.reader
    c = ctx.c
    cert, escrow, desk, guarantee, token, consortium = (
        c["certificate"], c["escrow"], c["desk"], c["guarantee"], c["token"], c["consortium"])
    tracked = ctx.holders
    ids = list(range(1, m.next_id + 1))  # and the next id, still unknown
    roots = sorted(m.roots)
    debtors = [ctx.addr[d] for d in DEBTORS]
    financiers = [ctx.addr[f] for f in FINANCIERS]
    owners = [h for h in tracked for _ in ids]
    q = {
        "token": [reader.add(token.balanceOf, a) for a in tracked],
        "supply": reader.add(token.totalSupply),
        "balances": reader.add(cert.balanceOfBatch, owners, [i for _ in tracked for i in ids]),
        "nextId": reader.add(cert.nextId),
        "paused": reader.add(cert.paused),
        "maxTier": reader.add(cert.maxTier),
        "lineage": [reader.add(cert.certificate, i) for i in ids],
        "paid": [reader.add(escrow.paid, r) for r in roots],
        "recovered": [reader.add(escrow.recovered, r) for r in roots],
        "outstanding": [reader.add(cert.outstanding, d) for d in debtors],
        "limit": [reader.add(cert.creditLimit, d) for d in debtors],
        "lines": [reader.add(cert.creditLine, f, d) for f in financiers for d in debtors],
        "active": [reader.add(consortium.isActive, a) for a in tracked],
        "flags": [reader.add(cert.activeFlag, a) for a in tracked],  # the certificate's copy, what movements check
        "approved": [reader.add(cert.isApprovedForAll, o, op) for o, op in sorted(m.approved)],
        "offerCount": reader.add(desk.offerCount),
        "offers": [reader.add(desk.offer, o) for o in sorted(m.offers)],
        "guaranteeCount": reader.add(guarantee.guaranteeCount),
        "guarantees": [reader.add(guarantee.guarantee, g) for g in sorted(m.guarantees)],
        "available": [reader.add(guarantee.available, d) for d in debtors],
        "docs": [reader.add(cert.receivableOf, d) for d in DOCS],
    }
    r = reader.run()

    def get(key):
        v = q[key]
        return [r[i] for i in v] if isinstance(v, list) else r[v]

    # ---- the model equals the chain
    chain_tokens = dict(zip(tracked, get("token")))
    assert chain_tokens == {a: m.token[a] for a in tracked}, "payment-token balances differ from the model"
    chain_bal = dict(zip(zip(owners, [i for _ in tracked for i in ids]), get("balances")))
    assert chain_bal == {k: m.bal[k] for k in chain_bal}, "certificate balances differ from the model"
    assert (get("nextId"), get("paused"), get("maxTier")) == (m.next_id, m.paused, m.max_tier)
    for cert_id, got in zip(ids, get("lineage")):
        if cert_id in m.certs:
            mc = m.certs[cert_id]
            root = m.roots[mc.root]
            want = (mc.root, mc.parent, mc.tier, mc.amount, root.debtor, root.maturity, root.status)
        else:
            want = (0, 0, 0, 0, ZERO, 0, 0)
        assert (got[0], got[1], got[2], got[3], got[4].lower(), got[5], got[6]) == want, f"certificate {cert_id}"
    assert get("paid") == [m.roots[x].paid for x in roots]
    assert get("recovered") == [m.roots[x].recovered if m.roots[x].status != fm.ACTIVE else 0 for x in roots]
    assert get("outstanding") == [m.outstanding[d] for d in debtors]
    assert get("limit") == [m.limit[d] for d in debtors]
    assert get("lines") == [m.lines[(f, d)] for f in financiers for d in debtors]
    assert get("active") == [m.active(a) for a in tracked]
    assert get("flags") == [m.active(a) for a in tracked], "the certificate's member flags differ from the model"
    assert get("approved") == [m.approved[k] for k in sorted(m.approved)]
    assert get("offerCount") == len(m.offers)
    for (oid, o), got in zip(sorted(m.offers.items()), get("offers")):
        assert (got[0].lower(), got[1].lower(), got[2], got[3], got[4], got[5]) == (
            o.financier, o.debtor, o.rate, o.budget, o.min_amount, o.expiry), f"offer {oid}"
    assert get("guaranteeCount") == len(m.guarantees)
    for (gid, g), got in zip(sorted(m.guarantees.items()), get("guarantees")):
        assert (got[0].lower(), got[1].lower(), got[2], got[3], got[4], got[5]) == (
            g.guarantor, g.debtor, g.amount, g.used, g.expiry, g.released), f"guarantee {gid}"
    # Views run at the latest block's time; a step that reverted mined no block, so it can be behind the model's.
    view_time = web3.eth.get_block("latest")["timestamp"]
    assert get("available") == [m.available(d, view_time) for d in debtors], "available() differs from the model"
    assert get("docs") == [m.docs.get(d, 0) for d in DOCS]

    # From here on only chain values are used (they equal the model's).
    supply = get("supply")
    assert sum(chain_tokens.values()) == supply, "money was created or destroyed"
    live = defaultdict(int)
    for (holder, cert_id), units in chain_bal.items():
        if units:
            live[m.certs[cert_id].root] += units
    recovered = dict(zip(roots, get("recovered")))
    paid = dict(zip(roots, get("paid")))

    # ---- SPEC 1: live units + units claimed (from Claimed events) = faceValue, for every root.
    for root_id in roots:
        assert live[root_id] + s.ev_claimed[root_id] == m.roots[root_id].face, f"invariant 1, root {root_id}"

    # ---- SPEC 2: a child's root, debtor and maturity are its parent's; tiers count down the tree.
    lineage = dict(zip(ids, get("lineage")))
    for cert_id in m.certs:
        child = lineage[cert_id]
        if child[1]:
            parent = lineage[child[1]]
            assert (child[0], child[4], child[5], child[2]) == (parent[0], parent[4], parent[5], parent[2] + 1)
        else:
            assert child[0] == cert_id and child[2] == 1

    # ---- SPEC 3: payouts <= recovered; the escrow covers every unclaimed payout; dust is bounded.
    escrow_balance = chain_tokens[_low(escrow)]
    owed = sum(paid[x] for x in roots if m.roots[x].status == fm.ACTIVE)
    for root_id in roots:
        root = m.roots[root_id]
        if root.status == fm.ACTIVE:
            assert recovered[root_id] == 0 and m.payouts[root_id] == 0
            continue
        unclaimed = sum(
            units * recovered[root_id] // root.face
            for (holder, cert_id), units in chain_bal.items()
            if units and m.certs[cert_id].root == root_id
        )
        assert m.payouts[root_id] + unclaimed <= recovered[root_id], f"invariant 3, root {root_id}"
        owed += recovered[root_id] - m.payouts[root_id]
        if live[root_id] == 0 and m.claims[root_id]:
            dust = recovered[root_id] - m.payouts[root_id]
            # One rounding per (certificate, holder) position redeemed: below the positions, and below the
            # SPEC's bound (certificates of the root) when no certificate had two holders.
            assert dust < m.claims[root_id], f"invariant 3 (dust), root {root_id}"
            if m.claims[root_id] <= len(m.certificates_of(root_id)):
                assert dust < len(m.certificates_of(root_id))
    assert escrow_balance == owed, "the escrow holds exactly what it owes (repayments + recovered - paid out)"

    # ---- SPEC 4: a document hash backs at most one receivable.
    backed = [x for x in get("docs") if x]
    assert len(backed) == len(set(backed))
    for doc, root_id in zip(DOCS, get("docs")):
        if root_id:
            assert lineage[root_id][0] == root_id

    # ---- the desk's loans equal the model's (debt at the chain's own latest timestamp)
    loans = c["loans"]
    desk_addr = _low(loans)
    loan_ids = sorted(m.loans)
    lq = {
        "count": reader.add(loans.loanCount),
        "loans": [reader.add(loans.loan, i) for i in loan_ids],
        "debts": [reader.add(loans.debt, i) for i in loan_ids],
    }
    lr = reader.run()
    assert lr[lq["count"]] == len(m.loans)
    probe = m.clone()
    probe.now = chain[-1].timestamp
    for loan_id, got, debt in zip(loan_ids, [lr[i] for i in lq["loans"]], [lr[i] for i in lq["debts"]]):
        x = m.loans[loan_id]
        want = (x.borrower, x.lender, x.cert, x.units, x.principal, x.rate, x.funded_at, x.state)
        assert (got[0].lower(), got[1].lower(), *got[2:]) == want, f"loan {loan_id}"
        assert debt == probe.loan_debt(loan_id), f"loan {loan_id}: debt"
        # SPEC 8: interest never accrues past maturity.
        if x.state == fm.L_FUNDED and probe.now > x.maturity:
            at_maturity = probe.clone()
            at_maturity.now = x.maturity
            assert debt == at_maturity.loan_debt(loan_id), f"loan {loan_id}: interest past maturity"

    # ---- SPEC 7: the desk holds exactly its live loans' units (or their payout, once redeemed), plus worthless
    #      units of zero payouts, and no money beyond the payouts of loans not yet settled.
    for cert_id in ids:
        redeemed = cert_id in m.pools or cert_id in m.desk_pushed
        expected = m.worthless.get(cert_id, 0) + (0 if redeemed else m.live_loan_units(cert_id))
        assert chain_bal.get((desk_addr, cert_id), 0) == expected, f"invariant 7: desk units of {cert_id}"
    pending = sum(p[1] for p in m.pools.values()) + sum(m.desk_pushed.values())
    assert chain_tokens[desk_addr] == pending, "invariant 7: the desk's money"
    for cert_id, (units_left, payout_left) in m.pools.items():
        if units_left == 0:
            assert payout_left == 0, f"invariant 7: payout of {cert_id} left with no loan to take it"

    # ---- SPEC 6: only the step's own parties' certificates and money moved.
    if machine.prev is not None:
        prev_bal, prev_tok = machine.prev
        contracts = {_low(c[n]) for n in ("escrow", "desk", "guarantee", "loans")}
        for key, units in chain_bal.items():
            if prev_bal.get(key, 0) != units:
                assert key[0] in s.touched, f"invariant 6: {key} changed in a step that did not involve it"
        for holder, amount in chain_tokens.items():
            if prev_tok.get(holder) != amount:
                assert holder in s.touched | contracts, f"invariant 6: money of {holder} moved"
    machine.prev = (chain_bal, chain_tokens)
    s.touched = set()


# ---------------------------------------------------------------- the test
@pytest.fixture
def fuzz_context(system, loan_desk, consortium, certificate, escrow, desk, guarantee, token, admin, core, tier1,
                 tier2a, tier2b, sme, bank, factor, guarantor, clearing, outsider):
    names = dict(admin=admin, core=core, tier1=tier1, tier2a=tier2a, tier2b=tier2b, sme=sme, bank=bank,
                 factor=factor, guarantor=guarantor, clearing=clearing, outsider=outsider)
    contracts = dict(consortium=consortium, certificate=certificate, escrow=escrow, desk=desk, guarantee=guarantee,
                     token=token, loans=loan_desk)
    ctx = Context(contracts, names)
    # tier1 is also a core enterprise (of its own suppliers): two debtors.
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as a core enterprise", {"from": admin})
    for name, account in names.items():
        if token.balanceOf(account) == 0:
            token.mint(account, 10**10, {"from": admin})
        for spender in (escrow, desk, guarantee, loan_desk):
            token.approve(spender, MAX_UINT, {"from": account})

    m = Model(now=chain[-1].timestamp, grace=GRACE, escrow=_low(escrow), desk=_low(desk),
              guarantee_contract=_low(guarantee), loan_desk=_low(loan_desk))
    m.roles[ctx.addr["admin"]] |= {fm.ADMIN, fm.OPERATOR}
    for name, roles in [("core", [fm.CORE]), ("tier1", [fm.SUPPLIER, fm.CORE]), ("tier2a", [fm.SUPPLIER]),
                        ("tier2b", [fm.SUPPLIER]), ("sme", [fm.SUPPLIER]), ("bank", [fm.FINANCIER]),
                        ("factor", [fm.FINANCIER]), ("guarantor", [fm.GUARANTOR]), ("clearing", [fm.CLEARING])]:
        m.roles[ctx.addr[name]] |= set(roles)
        m.member[ctx.addr[name]] = fm.MEMBER_ACTIVE
    m.lines[(ctx.addr["bank"], ctx.addr["core"])] = CREDIT
    m.limit[ctx.addr["core"]] = CREDIT
    for a in ctx.holders:
        m.token[a] = token.balanceOf(a)

    # A starting position, built step by step through the model too: tight credit lines, a lower tier cap,
    # two receivables of two debtors, a split, a guarantee and an offer, and desk approvals for most holders.
    s = Stepper(ctx, m)
    A, acct = ctx.addr, names

    def step(label, predict, send, touched=()):
        tx, result = s.do(label, predict, send, touched)
        assert tx is not None, label
        return result

    step("credit line", lambda m: m.set_credit_line(A["bank"], A["core"], 4_000_000),
         lambda: certificate.setCreditLine(core, 4_000_000, {"from": bank}))
    step("credit line", lambda m: m.set_credit_line(A["factor"], A["tier1"], 2_500_000),
         lambda: certificate.setCreditLine(tier1, 2_500_000, {"from": factor}))
    step("max tier", lambda m: m.set_max_tier(A["admin"], 4), lambda: certificate.setMaxTier(4, {"from": admin}))
    for name in ("tier1", "tier2a", "tier2b", "bank", "factor"):
        step("approve", lambda m, n=name: m.set_approval(A[n], _low(desk), True),
             lambda n=name: certificate.setApprovalForAll(desk, True, {"from": acct[n]}))
    for name in ("tier1", "tier2a", "tier2b", "sme"):
        step("approve", lambda m, n=name: m.set_approval(A[n], _low(loan_desk), True),
             lambda n=name: certificate.setApprovalForAll(loan_desk, True, {"from": acct[n]}))
    t0 = m.now
    root1 = step("issue", lambda m: m.issue(A["core"], A["tier1"], 1_000_000, t0 + 90 * DAY, DOCS[0]),
                 lambda: certificate.issue(tier1, 1_000_000, t0 + 90 * DAY, DOCS[0], {"from": core}), [tier1])
    step("issue", lambda m: m.issue(A["tier1"], A["tier2a"], 400_000, t0 + 45 * DAY, DOCS[1]),
         lambda: certificate.issue(tier2a, 400_000, t0 + 45 * DAY, DOCS[1], {"from": tier1}), [tier2a])
    step("split", lambda m: m.split(A["tier1"], root1, [A["tier2a"], A["tier2b"]], [300_000, 200_000]),
         lambda: certificate.split(root1, [tier2a, tier2b], [300_000, 200_000], {"from": tier1}), [tier1, tier2a, tier2b])
    step("provide guarantee", lambda m: m.provide(A["guarantor"], A["core"], 500_000, t0 + 90 * DAY),
         lambda: guarantee.provide(core, 500_000, t0 + 90 * DAY, {"from": guarantor}), [guarantor])
    step("post offer", lambda m: m.post_offer(A["bank"], A["core"], 800, 700_000, 1_000, t0 + 100 * DAY),
         lambda: desk.postOffer(core, 800, 700_000, 1_000, t0 + 100 * DAY, {"from": bank}), [bank])
    step("post offer", lambda m: m.post_offer(A["factor"], A["tier1"], 1_500, 300_000, 0, t0 + 100 * DAY),
         lambda: desk.postOffer(tier1, 1_500, 300_000, 0, t0 + 100 * DAY, {"from": factor}), [factor])
    ctx.base = s.model
    ctx.stats.clear()
    ctx.outcomes.clear()
    chain.snapshot()
    yield ctx
    web3.provider.make_request("evm_mine", [])  # use up a timestamp set for a block that never came


def _run(ctx: Context, seed: int, examples: int) -> None:
    class Machine(FuzzMachine):
        pass

    Machine.ctx = ctx
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else [])

    def factory():
        return Machine()

    factory._hypothesis_internal_use_seed = seed
    run_state_machine_as_test(
        factory,
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            phases=phases,
            suppress_health_check=HealthCheck.all(),
            print_blob=False,
            verbosity=Verbosity.normal,
        ),
    )


def _report(ctx: Context, seconds: float) -> str:
    steps = sum(ctx.stats.values())
    lines = [f"fuzz: {steps} steps in {seconds:.0f}s"]
    lines += [f"  {name}: {count}" for name, count in sorted(ctx.stats.items())]
    lines += ["  outcomes:"] + [f"    {name}: {count}" for name, count in sorted(ctx.outcomes.items())]
    for label, gas in sorted(ctx.gas.items()):
        lines.append(f"  {label} gas: min {min(gas)} max {max(gas)} over {len(gas)} calls")
    return "\n".join(lines)


def test_stateful_fuzz_modelEqualsChain_andSpecInvariantsHold(fuzz_context):
    ctx = fuzz_context
    started = time.monotonic()
    if SECONDS <= 0:
        say(f"\nfuzz seed {SEED}: {EXAMPLES} examples of up to {STEPS} steps")
        try:
            _run(ctx, SEED, EXAMPLES)
        except Exception as exc:
            raise AssertionError(f"stateful fuzz failed with FUZZ_SEED={SEED}: {exc}") from exc
        steps = sum(ctx.stats.values())
        say(_report(ctx, time.monotonic() - started))
        assert steps >= MIN_STEPS, f"only {steps} steps fuzzed"
        return
    master = random.Random(SEED)
    say(f"\nfuzz campaign: seed {SEED}, {SECONDS:.0f}s")
    chunk = 0
    while time.monotonic() - started < SECONDS:
        chunk += 1
        seed = master.randrange(2**32)
        before = sum(ctx.stats.values())
        try:
            _run(ctx, seed, EXAMPLES)
        except Exception as exc:
            say(_report(ctx, time.monotonic() - started))
            raise AssertionError(
                f"stateful fuzz failed in chunk {chunk}: reproduce with FUZZ_SEED={seed} FUZZ_SECONDS=0 "
                f"FUZZ_EXAMPLES={EXAMPLES} FUZZ_STEPS={STEPS}: {exc}"
            ) from exc
        say(f"chunk {chunk}: seed {seed}, {sum(ctx.stats.values()) - before} steps, "
              f"{time.monotonic() - started:.0f}s")
    say(_report(ctx, time.monotonic() - started))

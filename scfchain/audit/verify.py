"""Verifying the system from its events: SPEC invariants 1–4 per root, every token balance of the
escrow, the desk and the guarantee contract against the events that moved it, each certificate's
lineage and holdings against the chain, and the settlement state of every receivable."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from ..abi import Calls
from ..constants import ROOT_STATUS, YEAR
from ..deploy import Deployment
from ..errors import ScfError
from ..rpc import Rpc
from .integrity import check_index, check_members
from .replay import Ledger
from .store import Store

CHECKS = {
    "inv1-units": "invariant 1: live units + units claimed = face value, per root",
    "inv2-split": "invariant 2: splits conserve units; a child's root, debtor and maturity are its parent's",
    "inv3-payouts": "invariant 3: payouts within recovered, escrow covers unclaimed payouts, dust < certificates",
    "inv4-documents": "invariant 4: a document hash backs at most one receivable (and receivableOf agrees)",
    "inv4-credit-limit": "invariant 4: outstanding <= credit limit at every issue",
    "balance-escrow": "escrow token balance reconciles with repayments, guarantee calls and payouts",
    "balance-desk": "desk token balance reconciles with offers, financings and refunds",
    "balance-guarantee": "guarantee contract token balance reconciles with deposits, calls and releases",
    "lineage": "every certificate's lineage matches certificate() on-chain",
    "holdings": "every holder's certificate balance matches balanceOf() on-chain",
    "settlement-state": "paid, recovered, status and outstanding match the contracts",
    "inv7-loan-custody": "invariant 7: the loan desk holds exactly its open loans' units and unsettled payouts",
    "inv8-loans": "invariant 8: repayments within the debt, no interest past maturity, no loan's units lost",
    "loan-state": "every loan's loan() and debt() on-chain match the events",
    "members": "every member's isActive, hasRole and nameOf match the membership events",
    "index-complete": "every log of the deployment on chain is in the index exactly once, unchanged, and nothing else",
}
MAX_IDS = 12


LOAN_STATE = {"none": 0, "requested": 1, "funded": 2, "repaid": 3, "settled": 4, "cancelled": 5}


@dataclass
class Violation:
    message: str
    ids: tuple[int, ...] = ()


@dataclass
class Check:
    name: str
    checked: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def ids(self) -> list[int]:
        return sorted({i for v in self.violations for i in v.ids})

    def fail(self, message: str, *ids: int) -> None:
        self.violations.append(Violation(message, tuple(ids)))


@dataclass
class Verdict:
    block: int
    events: int
    roots: int
    certificates: int
    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks.values() if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "block": self.block, "events": self.events, "roots": self.roots,
            "certificates": self.certificates,
            "checks": {n: {"ok": c.ok, "title": CHECKS[n], "checked": c.checked, "ids": c.ids,
                           "violations": [{"message": v.message, "ids": list(v.ids)} for v in c.violations]}
                       for n, c in self.checks.items()},
        }

    def text(self) -> str:
        lines = [f"verified {self.events} events up to block {self.block}: {self.roots} receivables, "
                 f"{self.certificates} certificates"]
        for name, c in self.checks.items():
            if c.ok:
                lines.append(f"  ok    {name:18} {CHECKS[name]} ({c.checked} checked)")
            else:
                ids = ", ".join(map(str, c.ids[:MAX_IDS])) + (" …" if len(c.ids) > MAX_IDS else "")
                lines.append(f"  FAIL  {name:18} {CHECKS[name]}" + (f" — ids {ids}" if ids else ""))
                for v in c.violations[:MAX_IDS]:
                    lines.append(f"          {v.message}")
                if len(c.violations) > MAX_IDS:
                    lines.append(f"          … and {len(c.violations) - MAX_IDS} more")
        failed = self.failed
        lines.append("all checks hold" if not failed else
                     f"{len(failed)} check(s) violated: " + ", ".join(c.name for c in failed))
        return "\n".join(lines)


def _words(hexdata: str) -> list[int]:
    data = hexdata[2:]
    return [int(data[i : i + 64], 16) for i in range(0, len(data), 64)]


class OnChain:
    """Batched read-only calls at one block; `abi` encodes them (the deployment's ABIs)."""

    def __init__(self, node: Rpc, block: int, abi: Calls):
        self.node, self.block, self.abi = node, hex(block), abi

    def calls(self, requests: list[tuple[str, str]]) -> list[list[int] | None]:
        results = self.node.batch([("eth_call", [{"to": to, "data": data}, self.block]) for to, data in requests])
        return [None if isinstance(r, Exception) or not r or r == "0x" else _words(r) for r in results]


def verify(ledger: Ledger, node: Rpc, block: int | None = None,
           progress: Callable[[str], None] | None = None, store: Store | None = None,
           deployment: Deployment | None = None) -> Verdict:
    """Every check against the chain at `block`; given the index (`store`) and its `deployment`, also that
    the index holds exactly the chain's logs."""
    say = progress or (lambda _m: None)
    block = ledger.last_block if block is None else block
    checks = {name: Check(name) for name in CHECKS}
    for a in ledger.anomalies:
        checks[a.check].fail(a.message, *a.ids)
    if deployment is None:
        raise ScfError("verify needs the deployment (its ABIs encode the calls that read the chain)")
    chain = OnChain(node, block, Calls(deployment.contracts))
    enc = chain.abi.data
    addr = ledger.addresses
    escrow, desk, guarantee = addr.get("SettlementEscrow"), addr.get("FinancingDesk"), addr.get("CreditGuarantee")
    cert_addr, token = addr.get("ReceivableCertificate"), addr.get("PaymentToken")

    # ---------------------------------------------------------------- on-chain reads
    say("reading certificates on-chain")
    ids = sorted(ledger.certs)
    top = max(ids, default=0)
    probe = list(range(1, top + 2))  # every id up to one past the last: gaps and unseen ids show up
    onchain = dict(zip(probe, chain.calls([(cert_addr, enc("ReceivableCertificate", "certificate", i)) for i in probe])))
    pairs = [(c.id, h) for c in ledger.certs.values() for h in sorted(c.seen)]
    say("reading holdings on-chain")
    bal = dict(zip(pairs, chain.calls([(cert_addr, enc("ReceivableCertificate", "balanceOf", h, i))
                                       for i, h in pairs])))

    # ---------------------------------------------------------------- invariant 1
    c1 = checks["inv1-units"]
    for root in ledger.roots.values():
        c1.checked += 1
        live = sum(ledger.certs[i].live for i in root.certs)
        if live + root.claimed_units != root.face:
            c1.fail(f"receivable {root.id}: live {live} + claimed {root.claimed_units} = "
                    f"{live + root.claimed_units}, face value {root.face}", root.id)

    # ---------------------------------------------------------------- invariant 2
    c2 = checks["inv2-split"]
    split_sum: dict[tuple[str, int], int] = defaultdict(int)
    for s in ledger.splits:
        split_sum[(s.tx, s.parent_id)] += sum(s.amounts)
    for s in ledger.splits:
        c2.checked += 1
        burned = sum(u for h, u in ledger.tx_burns.get((s.tx, s.parent_id), []) if h == s.holder)
        if burned != split_sum[(s.tx, s.parent_id)]:
            c2.fail(f"split of {s.parent_id}: {burned} units burned for {split_sum[(s.tx, s.parent_id)]} "
                    "split off", s.parent_id, *s.child_ids)
        parent_chain = onchain.get(s.parent_id)
        for cid, to, amount in zip(s.child_ids, s.recipients, s.amounts):
            minted = ledger.tx_mints.get((s.tx, cid), [])
            if minted != [(to, amount)]:
                got = ", ".join(f"{u} to {h}" for h, u in minted) or "nothing"
                c2.fail(f"child {cid} of {s.parent_id}: split {amount} to {to}, minted {got}", s.parent_id, cid)
            child_chain = onchain.get(cid)
            if parent_chain and child_chain:
                if (child_chain[0], child_chain[4], child_chain[5]) != (parent_chain[0], parent_chain[4],
                                                                        parent_chain[5]):
                    c2.fail(f"child {cid} has another root, debtor or maturity than its parent {s.parent_id}",
                            s.parent_id, cid)
                if child_chain[2] != parent_chain[2] + 1:
                    c2.fail(f"child {cid} is tier {child_chain[2]}, its parent {s.parent_id} tier "
                            f"{parent_chain[2]}", s.parent_id, cid)

    # ---------------------------------------------------------------- invariant 3
    c3 = checks["inv3-payouts"]
    unclaimed_due = 0
    for root in ledger.roots.values():
        c3.checked += 1
        if root.status == "active":
            if root.claimed_units or root.payouts:
                c3.fail(f"receivable {root.id} paid out {root.payouts} while still active", root.id)
            continue
        expected = root.face if root.status == "paid" else root.paid + root.covered
        if root.recovered != expected:
            c3.fail(f"receivable {root.id} closed {root.status} with recovered {root.recovered}, expected "
                    f"{expected}", root.id)
        if root.payouts > root.recovered:
            c3.fail(f"receivable {root.id}: payouts {root.payouts} exceed recovered {root.recovered}", root.id)
        due = sum(u * root.recovered // root.face for i in root.certs for u in ledger.certs[i].balances.values())
        unclaimed_due += due
        dust = root.recovered - root.payouts - due
        if not 0 <= dust < len(root.certs):
            c3.fail(f"receivable {root.id}: rounding dust {dust} outside [0, {len(root.certs)})", root.id)
    for cl in ledger.claims:
        root = ledger.roots.get(cl.root_id)
        cert = ledger.certs.get(cl.id)
        if root is None or cert is None or cert.root_id != cl.root_id:
            c3.fail(f"payout for certificate {cl.id} names root {cl.root_id}, its root is "
                    f"{cert.root_id if cert else 'unknown'}", cl.id, cl.root_id)
            continue
        if root.face and cl.payout != cl.units * root.recovered // root.face:
            c3.fail(f"certificate {cl.id}: {cl.units} units paid {cl.payout}, due "
                    f"{cl.units * root.recovered // root.face}", cl.id, cl.root_id)
        burned = sum(u for h, u in ledger.tx_burns.get((cl.tx, cl.id), []) if h == cl.holder)
        if burned < cl.units:
            c3.fail(f"certificate {cl.id}: {cl.holder} paid for {cl.units} units, {burned} burned", cl.id,
                    cl.root_id)
    escrow_held = ledger.token.get(escrow, 0) if escrow else 0
    if unclaimed_due > escrow_held:
        c3.fail(f"unclaimed payouts {unclaimed_due} exceed the escrow's balance {escrow_held}")

    # ---------------------------------------------------------------- invariant 4
    c4 = checks["inv4-documents"]
    docs = sorted(ledger.documents)
    backed = chain.calls([(cert_addr, enc("ReceivableCertificate", "receivableOf",
                                          bytes.fromhex(doc[2:].rjust(64, "0")))) for doc in docs])
    for doc, got in zip(docs, backed):
        roots = ledger.documents[doc]
        c4.checked += 1
        if len(roots) > 1:
            c4.fail(f"document {doc} backs receivables {', '.join(map(str, roots))}", *roots)
        elif got is None or got[0] != roots[0]:
            c4.fail(f"document {doc} backs receivable {got[0] if got else '?'} on-chain, {roots[0]} by the events",
                    roots[0])
    c4b = checks["inv4-credit-limit"]
    for rid, outstanding, limit in ledger.issue_checks:
        c4b.checked += 1
        if outstanding > limit:
            c4b.fail(f"receivable {rid} took its debtor to {outstanding} outstanding, over the limit {limit}", rid)

    # ---------------------------------------------------------------- token balances
    _balances(ledger, chain, checks, escrow, desk, guarantee, token)

    # ---------------------------------------------------------------- loans (invariants 7 and 8)
    if ledger.loan_desk:
        say("checking loans on-chain")
        block_time = int(node.block(block)["timestamp"], 16)
        _loan_state(ledger, chain, checks["loan-state"], block_time)
        _loan_custody(ledger, chain, checks["inv7-loan-custody"], cert_addr or "", token or "")
        _loan_debts(ledger, checks["inv8-loans"])

    # ---------------------------------------------------------------- lineage and holdings
    cl = checks["lineage"]
    for i in probe:
        got = onchain.get(i)
        mine = ledger.certs.get(i)
        if mine is None:
            if got and got[0] != 0:
                cl.fail(f"certificate {i} exists on-chain (root {got[0]}, parent {got[1]}), no event created it", i)
            continue
        cl.checked += 1
        root = ledger.roots.get(mine.root_id)
        want = (mine.root_id, mine.parent_id, mine.tier, mine.amount, int(mine.debtor, 16), mine.maturity)
        status = root.status if root else "none"
        if got is None or len(got) < 7:
            cl.fail(f"certificate {i}: certificate() gave no answer", i)
        elif tuple(got[:6]) != want or ROOT_STATUS.get(got[6]) != status:
            have = f"root {got[0]}, parent {got[1]}, tier {got[2]}, amount {got[3]}, status {ROOT_STATUS.get(got[6])}"
            cl.fail(f"certificate {i}: events say root {want[0]}, parent {want[1]}, tier {want[2]}, amount "
                    f"{want[3]}, status {status}; chain says {have}", i)
    ch = checks["holdings"]
    for (i, h), got in bal.items():
        ch.checked += 1
        mine = ledger.certs[i].balances.get(h, 0)
        if got is None or got[0] != mine:
            ch.fail(f"certificate {i}: {h} holds {got[0] if got else '?'} on-chain, the events say {mine}", i)

    # ---------------------------------------------------------------- settlement state
    cs = checks["settlement-state"]
    roots = sorted(ledger.roots.values(), key=lambda r: r.id)
    reads = chain.calls([(escrow, enc("SettlementEscrow", "paid", r.id)) for r in roots]
                        + [(escrow, enc("SettlementEscrow", "recovered", r.id)) for r in roots])
    for r, paid, rec in zip(roots, reads[: len(roots)], reads[len(roots):]):
        cs.checked += 1
        if paid is None or paid[0] != r.paid:
            cs.fail(f"receivable {r.id}: paid {paid[0] if paid else '?'} on-chain, {r.paid} by the events", r.id)
        if r.status != "active" and (rec is None or rec[0] != r.recovered):
            cs.fail(f"receivable {r.id}: recovered {rec[0] if rec else '?'} on-chain, {r.recovered} by the events",
                    r.id)
    debtors = sorted({r.debtor for r in roots})
    outs = chain.calls([(cert_addr, enc("ReceivableCertificate", "outstanding", d)) for d in debtors])
    for d, got in zip(debtors, outs):
        cs.checked += 1
        if got is None or got[0] != ledger.outstanding(d):
            ids = [r.id for r in roots if r.debtor == d and r.status == "active"]
            cs.fail(f"debtor {d}: outstanding {got[0] if got else '?'} on-chain, {ledger.outstanding(d)} by the "
                    "events", *ids)
    _integrity(ledger, chain, checks, store, deployment, say)
    return Verdict(block, ledger.events, len(ledger.roots), len(ledger.certs), checks)


def _integrity(ledger: Ledger, chain: OnChain, checks: dict[str, Check], store: Store | None,
               deployment: Deployment, say: Callable[[str], None]) -> None:
    """Membership against the chain; the index against the chain's logs (only when the index is given)."""
    say("reading membership on-chain")
    block = int(chain.block, 16)
    check_members(checks["members"], ledger, chain.node, block, chain.abi)
    if store is None:
        del checks["index-complete"]
        return
    check_index(checks["index-complete"], store, deployment, chain.node, block, say)


def _net_flows(ledger: Ledger, address: str) -> dict[str, Counter[str]]:
    """The payment token's net movements into `address` per transaction, by counterparty (out negative)."""
    flows: dict[str, Counter[str]] = defaultdict(Counter)
    for tx, moves in ledger.token_moves.items():
        for frm, to, value in moves:
            if value and to == address:
                flows[tx][frm] += value
            if value and frm == address:
                flows[tx][to] -= value
    return flows


def _balances(ledger: Ledger, chain: OnChain, checks: dict[str, Check], escrow: str | None, desk: str | None,
              guarantee: str | None, token: str | None) -> None:
    """Per transaction, the token transfers each business event implies must be the ones that happened;
    and each contract's balance must be what the business events add up to, and what the token says."""
    # per contract and transaction: counterparty -> net tokens in (+) or out (-)
    expect: dict[str, dict[str, Counter[str]]] = {k: defaultdict(Counter) for k in ("escrow", "desk", "guarantee")}
    who: dict[tuple[str, str], list[int]] = defaultdict(list)  # (contract, tx) -> ids involved
    totals = {"escrow": 0, "desk": 0, "guarantee": 0}

    def want(kind: str, tx: str, frm: str, to: str, value: int, ident: int, sign: int) -> None:
        totals[kind] += sign * value
        who[(kind, tx)].append(ident)
        if value:
            expect[kind][tx][frm if sign > 0 else to] += sign * value

    for root in ledger.roots.values():
        for rp in root.repayments:
            want("escrow", rp.tx, rp.payer, escrow or "", rp.amount, root.id, +1)
    for cl in ledger.claims:
        want("escrow", cl.tx, escrow or "", cl.holder, cl.payout, cl.root_id, -1)
    for g in ledger.guarantees.values():
        want("guarantee", g.tx, g.guarantor, guarantee or "", g.amount, g.id, +1)
        for rid, amount, _t, tx in g.called:
            want("guarantee", tx, guarantee or "", escrow or "", amount, g.id, -1)
            want("escrow", tx, guarantee or "", escrow or "", amount, rid, +1)
        if g.released is not None:
            want("guarantee", g.released_tx, guarantee or "", g.guarantor, g.released, g.id, -1)
    for o in ledger.offers.values():
        want("desk", o.tx, o.financier, desk or "", o.budget, o.id, +1)
        if o.refund is not None:
            want("desk", o.refund_tx, desk or "", o.financier, o.refund, o.id, -1)
    for f in ledger.financings:
        want("desk", f.tx, desk or "", f.seller, f.proceeds, f.cert_id, -1)

    onchain = chain.calls([(token or "", chain.abi.data("PaymentToken", "balanceOf", a))
                           for a in (escrow, desk, guarantee)])
    for kind, address, real in zip(("escrow", "desk", "guarantee"), (escrow, desk, guarantee), onchain):
        check = checks[f"balance-{kind}"]
        if address is None:
            continue
        actual = _net_flows(ledger, address)
        for tx in sorted(set(actual) | set(expect[kind])):
            check.checked += 1
            got = {k: v for k, v in actual[tx].items() if v}
            meant = {k: v for k, v in expect[kind][tx].items() if v}
            if got != meant:
                ids = who.get((kind, tx)) or sorted(ledger.tx_ids.get(tx, ()))
                check.fail(f"transaction {tx[:12]}…: tokens moved {sum(got.values()):+d} for the {kind}, the "
                           f"events account for {sum(meant.values()):+d}", *ids)
        from_tokens = ledger.token.get(address, 0)
        if from_tokens != totals[kind]:
            check.fail(f"{kind} holds {from_tokens} by the token's transfers, the business events account for "
                       f"{totals[kind]}")
        if real is None or real[0] != from_tokens:
            check.fail(f"{kind} holds {real[0] if real else '?'} on-chain, {from_tokens} by the token's transfers")


def _loan_state(ledger: Ledger, chain: OnChain, check: Check, block_time: int) -> None:
    """loan() of every id up to one past the last (unseen ids show up) and debt() of every loan, against the
    events; debt() is the interest rule replayed (simple, per second, rounded up, stopping at maturity)."""
    desk, enc = ledger.loan_desk, chain.abi.data
    probe = list(range(1, max(ledger.loans, default=0) + 2))
    reads = chain.calls([(desk, enc("LoanDesk", "loan", i)) for i in probe]
                        + [(desk, enc("LoanDesk", "debt", i)) for i in probe[:-1]])
    loans, debts = reads[: len(probe)], reads[len(probe):]
    for i, got in zip(probe, loans):
        mine = ledger.loans.get(i)
        if mine is None:
            if got and len(got) >= 8 and got[7] != 0:
                check.fail(f"loan {i} exists on-chain (state {got[7]}), no event requested it", i)
            continue
        check.checked += 1
        lender = mine.lender if mine.funded_at else mine.named_lender
        want = (int(mine.borrower, 16), int(lender, 16), mine.cert_id, mine.units, mine.principal, mine.rate_bps,
                mine.funded_at, LOAN_STATE[mine.state])
        if got is None or len(got) < 8:
            check.fail(f"loan {i}: loan() gave no answer", i)
        elif tuple(got[:8]) != want:
            fields = ("borrower", "lender", "certId", "units", "principal", "annualRateBps", "fundedAt", "state")
            diff = ", ".join(f"{f} {hex(g) if f in ('borrower', 'lender') else g} on-chain, "
                             f"{hex(w) if f in ('borrower', 'lender') else w} by the events"
                             for f, g, w in zip(fields, got, want) if g != w)
            check.fail(f"loan {i}: {diff}", i)
    for i, got in zip(probe, debts):
        mine = ledger.loans.get(i)
        want_debt = mine.debt_at(block_time) if mine else 0
        if got is None or got[0] != want_debt:
            check.fail(f"loan {i}: debt() {got[0] if got else '?'} on-chain, {want_debt} by the events "
                       f"({mine.state if mine else 'unknown'})", i)


def _loan_custody(ledger: Ledger, chain: OnChain, check: Check, cert_addr: str, token: str) -> None:
    """Invariant 7: per certificate, the desk's units (by the events and on-chain) are those of its requested and
    funded loans until the clearing redeems them (then none), plus the worthless units of loans redeemed for
    nothing; custody() agrees; its tokens are the pooled payouts not yet taken by the loans on them, every token
    movement of the desk is a payout in or a share out, and a pool whose loans are all done is empty."""
    desk, enc = ledger.loan_desk, chain.abi.data
    by_cert: dict[int, list[Any]] = defaultdict(list)
    for loan in ledger.loans.values():
        by_cert[loan.cert_id].append(loan)
    held = {cid for cid, c in ledger.certs.items() if c.balances.get(desk)}
    ids = sorted(set(by_cert) | held)
    real = chain.calls([(cert_addr, enc("ReceivableCertificate", "balanceOf", desk, i)) for i in ids]
                       + [(token, enc("PaymentToken", "balanceOf", desk))])
    custody = dict(zip(ids, chain.calls([(desk, enc("LoanDesk", "custody", i)) for i in ids])))
    for cid, got in zip(ids, real):
        check.checked += 1
        loans = by_cert.get(cid, [])
        lids = [ln.id for ln in loans]
        pool = ledger.loan_pools.get(cid)
        worthless = [ln for ln in loans if ln.payout == 0 and not ln.pledged]
        want = 0 if pool else sum(ln.units for ln in loans if ln.pledged) + sum(ln.units for ln in worthless)
        cert = ledger.certs.get(cid)
        by_events = cert.balances.get(desk, 0) if cert else 0
        if by_events != want:
            check.fail(f"certificate {cid}: the desk holds {by_events} units by the events, its loans account for "
                       f"{want}", cid, *lids)
        if got is None or got[0] != want:
            check.fail(f"certificate {cid}: the desk holds {got[0] if got else '?'} units on-chain, its loans account "
                       f"for {want}", cid, *lids)
        # custody(): the desk's own accounting, replayed (counted from a second live loan, then the pool)
        mirror = ledger.loan_custody.get(cid, {"units": 0, "payout": 0, "redeemed": False})
        want_custody = (mirror["units"], mirror["payout"], int(mirror["redeemed"]))
        view = custody.get(cid)
        if view is None or tuple(view[:3]) != want_custody:
            check.fail(f"certificate {cid}: custody() on-chain is {tuple(view[:3]) if view else '?'} (units, payout, "
                       f"redeemed), the events say {want_custody}", cid, *lids)
        if pool is not None:
            if pool.taken > pool.payout:
                check.fail(f"certificate {cid}: loans took {pool.taken} of a pooled payout of {pool.payout}", cid,
                           *lids)
            if not any(ln.pledged for ln in loans) and pool.left:
                check.fail(f"certificate {cid}: every loan on it is done, {pool.left} of its payout is left in the "
                           "desk", cid, *lids)
    # every token movement of the desk, per transaction: pooled payouts in, shares out
    expect: dict[str, Counter[str]] = defaultdict(Counter)
    escrow = ledger.addresses.get("SettlementEscrow", "")
    for cl in ledger.claims:
        if cl.holder == desk and cl.payout:
            expect[cl.tx][escrow] += cl.payout
    for ln in ledger.loans.values():
        if ln.payout is not None:
            expect[ln.closed_tx][ln.lender or ln.named_lender] -= ln.to_lender
            expect[ln.closed_tx][ln.borrower] -= ln.to_borrower
    # a payment the token refused: a repayment came into the desk from its payer, or a share stayed in the desk;
    # a withdrawal pays it out
    for tx, _, payee, amount, payer in ledger.loan_held:
        expect[tx][payer or payee] += amount
    for tx, _, to, amount in ledger.loan_withdrawals:
        expect[tx][to] -= amount
    actual = _net_flows(ledger, desk)
    for tx in sorted(set(actual) | set(expect)):
        got_tx = {k: v for k, v in actual[tx].items() if v}
        meant = {k: v for k, v in expect[tx].items() if v}
        if got_tx != meant:
            ids_tx = sorted({ln.id for ln in ledger.loans.values() if tx in (ln.closed_tx, ln.tx)}) \
                or sorted(ledger.tx_ids.get(tx, ()))
            check.fail(f"transaction {tx[:12]}…: tokens moved {sum(got_tx.values()):+d} for the loan desk, the "
                       f"events account for {sum(meant.values()):+d}", *ids_tx)
    unsettled = sum(p.left for p in ledger.loan_pools.values())
    held = sum(ledger.loan_owed.values())
    by_tokens = ledger.token.get(desk, 0)
    if by_tokens != unsettled + held:
        check.fail(f"the desk holds {by_tokens} payment-token units by the token's transfers, payouts pushed to it for "
                   f"loans not yet settled are {unsettled} and payments held for payees {held}")
    payees = sorted(ledger.loan_owed)
    owed = chain.calls([(desk, enc("LoanDesk", "owed", p)) for p in payees]) if payees else []
    for payee, got in zip(payees, owed):
        check.checked += 1
        if got is None or got[0] != ledger.loan_owed[payee]:
            check.fail(f"the desk owes {payee} {got[0] if got else '?'} on-chain (owed()), "
                       f"{ledger.loan_owed[payee]} by its PaymentHeld and PaymentWithdrawn events")
    token_real = real[-1]
    if token_real is None or token_real[0] != by_tokens:
        check.fail(f"the desk holds {token_real[0] if token_real else '?'} payment-token units on-chain, "
                   f"{by_tokens} by the token's transfers")


def _loan_debts(ledger: Ledger, check: Check) -> None:
    """Invariant 8 beyond what the replay flags: each repayment moved exactly its amount from the payer, a settled
    loan paid the lender at most its debt, and every closed loan's units came back or were redeemed."""
    desk = ledger.loan_desk
    for loan in ledger.loans.values():
        check.checked += 1
        for r in loan.repayments:
            # to the lender, or to the desk holding it for a lender the token refused (checked against PaymentHeld
            # with every other desk movement)
            paid = sum(v for f, t, v in ledger.token_moves.get(r.tx, []) if f == r.payer and t in (loan.lender, desk))
            if paid != r.amount:
                check.fail(f"loan {loan.id}: a repayment of {r.amount} moved {paid} from {r.payer} to the lender",
                           loan.id)
        if loan.funded_at:
            lent = sum(v for f, t, v in ledger.token_moves.get(loan.funded_tx, [])
                       if f == loan.lender and t == loan.borrower)
            if lent != loan.principal:
                check.fail(f"loan {loan.id}: funding moved {lent} from the lender to the borrower, the principal is "
                           f"{loan.principal}", loan.id)
        if loan.state in ("repaid", "cancelled", "settled") and not loan.closed_tx:
            check.fail(f"loan {loan.id} is {loan.state} but no event closed it", loan.id)
        if loan.state == "settled" and loan.to_lender > _max_debt(loan):
            check.fail(f"loan {loan.id}: the lender got {loan.to_lender} at settlement, more than the debt can reach",
                       loan.id)


def _max_debt(loan: Any) -> int:
    """The most a loan's debt can reach: its principal with interest over the whole span to maturity."""
    span = max(loan.maturity - loan.funded_at, 0)
    return loan.principal + -(-loan.principal * loan.rate_bps * span // (10_000 * YEAR))

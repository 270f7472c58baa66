"""Tracing a certificate: its ancestry up to the root and its whole subtree, with holders, amounts,
tiers, splits, transfers, financings (price and discount rate) and payouts, from the events alone."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from ..errors import ScfError
from ..lifecycle import Certificate, TreeNode
from ..constants import money
from .replay import Cert, Ledger


def when(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def day(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def _status(ledger: Ledger, cert: Cert) -> str:
    root = ledger.roots.get(cert.root_id)
    return root.status if root else "unknown"


def cert_json(ledger: Ledger, cert: Cert, children: bool = True) -> dict[str, Any]:
    parent = ledger.certs.get(cert.parent_id)
    creator = parent and next((s.holder for s in parent.splits if cert.id in s.child_ids), None)
    out: dict[str, Any] = {
        "id": cert.id, "rootId": cert.root_id, "parentId": cert.parent_id, "tier": cert.tier,
        "amount": cert.amount, "debtor": cert.debtor, "maturity": cert.maturity, "status": _status(ledger, cert),
        "created": {"how": "issued" if cert.parent_id == 0 else "split", "time": cert.time, "block": cert.block,
                    "tx": cert.tx, "to": cert.recipient, "toName": ledger.name(cert.recipient),
                    **({"by": creator, "byName": ledger.name(creator)} if creator else {})},
        "holders": [{"address": h, "name": ledger.name(h), "units": u}
                    for h, u in sorted(cert.balances.items(), key=lambda kv: (-kv[1], kv[0]))],
        "splits": [{"time": s.time, "block": s.block, "tx": s.tx, "holder": s.holder,
                    "children": [{"id": c, "to": t, "toName": ledger.name(t), "amount": a}
                                 for c, t, a in zip(s.child_ids, s.recipients, s.amounts)]} for s in cert.splits],
        "transfers": [{"time": m.time, "block": m.block, "tx": m.tx, "from": m.sender, "fromName": ledger.name(m.sender),
                       "to": m.recipient, "toName": ledger.name(m.recipient), "units": m.units,
                       "financing": m.financing} for m in cert.moves],
        "financings": [{"time": f.time, "block": f.block, "tx": f.tx, "offerId": f.offer_id, "seller": f.seller,
                        "sellerName": ledger.name(f.seller), "financier": f.financier,
                        "financierName": ledger.name(f.financier), "amount": f.amount, "proceeds": f.proceeds,
                        "price": round(f.proceeds / f.amount, 8) if f.amount else None, "discount": f.discount,
                        "offerRateBps": f.rate_bps, "annualisedDiscount": round(f.annualised, 8),
                        "daysToMaturity": round(f.days_to_maturity, 4)} for f in cert.financings],
        "payouts": [{"time": c.time, "block": c.block, "tx": c.tx, "holder": c.holder, "holderName": ledger.name(c.holder),
                     "units": c.units, "payout": c.payout} for c in cert.claims],
        "loans": [loan_json(ledger, ln) for ln in loans_on(ledger, cert.id)],
    }
    if children:
        out["children"] = [cert_json(ledger, ledger.certs[c]) for c in cert.children]
    return out


def loans_on(ledger: Ledger, cert_id: int) -> list[Any]:
    return sorted((ln for ln in ledger.loans.values() if ln.cert_id == cert_id), key=lambda ln: ln.id)


def loan_json(ledger: Ledger, ln: Any) -> dict[str, Any]:
    """A loan with its pledge, funding, repayments and, once settled, the waterfall of its units' payout."""
    lender = ln.lender or ln.named_lender
    out: dict[str, Any] = {
        "loanId": ln.id, "state": ln.state, "borrower": ln.borrower, "borrowerName": ledger.name(ln.borrower),
        "lender": lender, "lenderName": ledger.name(lender) if int(lender, 16) else "any financier",
        "units": ln.units, "principal": ln.principal, "annualRateBps": ln.rate_bps, "expiry": ln.expiry,
        "requested": {"time": ln.time, "block": ln.block, "tx": ln.tx},
        "funded": {"time": ln.funded_at, "tx": ln.funded_tx} if ln.funded_at else None,
        "repayments": [{"time": r.time, "block": r.block, "tx": r.tx, "payer": r.payer, "amount": r.amount,
                        "interest": r.interest, "principal": r.amount - r.interest, "remainingDebt": r.remaining,
                        "beforeMaturity": r.before_maturity} for r in ln.repayments],
        "debtNow": ln.debt_at(ledger.last_time),
        "closed": {"time": ln.closed_time, "tx": ln.closed_tx} if ln.closed_tx else None,
    }
    if ln.payout is not None:
        out["waterfall"] = {"payout": ln.payout, "debt": ln.settled_debt if ln.by_clearing else 0,
                            "toLender": ln.to_lender, "toBorrower": ln.to_borrower,
                            "shortfall": ln.settled_debt - ln.to_lender if ln.by_clearing else 0}
    return out


def trace_json(ledger: Ledger, cert_id: int) -> dict[str, Any]:
    cert = ledger.certs.get(cert_id)
    if cert is None:
        raise ScfError(f"certificate {cert_id} is not in the index (no event created it)")
    root = ledger.roots[cert.root_id]
    return {
        "id": cert_id,
        "receivable": {"rootId": root.id, "debtor": root.debtor, "debtorName": ledger.name(root.debtor),
                       "supplier": root.supplier, "supplierName": ledger.name(root.supplier), "faceValue": root.face,
                       "maturity": root.maturity, "documentHash": root.document, "status": root.status,
                       "paid": root.paid, "covered": root.covered, "recovered": root.recovered,
                       "closed": root.closed, "certificates": len(root.certs), "claimedUnits": root.claimed_units,
                       "payouts": root.payouts,
                       "repayments": [{"time": r.time, "payer": r.payer, "amount": r.amount, "totalPaid": r.total}
                                      for r in root.repayments]},
        "ancestry": [cert_json(ledger, ledger.certs[i], children=False) for i in ledger.lineage(cert_id)[:-1]],
        "tree": cert_json(ledger, cert),
        "asOfBlock": ledger.last_block,
    }


def _details(ledger: Ledger, c: Cert, m: Any) -> list[str]:
    n, lines = ledger.name, []
    how = "issued" if c.parent_id == 0 else f"split from #{c.parent_id}"
    lines.append(f"created {when(c.time)}: {how} to {n(c.recipient)}")
    for s in c.splits:
        parts = ", ".join(f"#{cid} {m(a)} to {n(t)}" for cid, t, a in zip(s.child_ids, s.recipients, s.amounts))
        lines.append(f"split {when(s.time)} by {n(s.holder)}: {parts}")
    for mv in c.moves:
        if not mv.financing:
            lines.append(f"transferred {when(mv.time)}: {m(mv.units)} {n(mv.sender)} → {n(mv.recipient)}")
    for f in c.financings:
        lines.append(f"financed {when(f.time)}: {n(f.seller)} sold {m(f.amount)} to {n(f.financier)} for "
                     f"{m(f.proceeds)} (price {f.proceeds / f.amount:.4f}, offer #{f.offer_id} at "
                     f"{f.rate_bps / 100:.2f}%/yr, annualised discount {100 * f.annualised:.2f}%, "
                     f"{f.days_to_maturity:.1f} days to maturity)")
    for cl in c.claims:
        lines.append(f"payout {when(cl.time)}: {n(cl.holder)} {m(cl.units)} units → {m(cl.payout)}")
    for ln in loans_on(ledger, c.id):
        lines += _loan_lines(ledger, ln, m)
    return lines


def _loan_lines(ledger: Ledger, ln: Any, m: Any) -> list[str]:
    n = ledger.name
    asked = n(ln.named_lender) if int(ln.named_lender, 16) else "any financier"
    lines = [f"pledged {when(ln.time)}: {n(ln.borrower)} pledges {m(ln.units)} units for loan #{ln.id} of "
             f"{m(ln.principal)} at {ln.rate_bps / 100:.2f}%/yr, asking {asked} [{ln.state}]"]
    if ln.funded_at:
        lines.append(f"loan #{ln.id} funded {when(ln.funded_at)} by {n(ln.lender)}: {m(ln.principal)} to "
                     f"{n(ln.borrower)}")
    for r in ln.repayments:
        lines.append(f"loan #{ln.id} repaid {when(r.time)} by {n(r.payer)}: {m(r.amount)} ({m(r.interest)} interest, "
                     f"{m(r.amount - r.interest)} principal), debt left {m(r.remaining)}"
                     + ("" if r.before_maturity else " (after maturity)"))
    if ln.state == "cancelled":
        lines.append(f"loan #{ln.id} request cancelled {when(ln.closed_time)}"
                     + (f": {m(ln.payout)} payout to {n(ln.borrower)}" if ln.payout else ": units back"))
    if ln.state == "repaid":
        lines.append(f"loan #{ln.id} repaid in full: " + (f"{m(ln.payout)} payout to {n(ln.borrower)}"
                                                           if ln.payout else "units back to the borrower"))
    if ln.by_clearing:
        short = ln.settled_debt - ln.to_lender
        lines.append(f"loan #{ln.id} settled {when(ln.closed_time)}: payout {m(ln.payout or 0)} → lender "
                     f"{n(ln.lender)} {m(ln.to_lender)} of a debt of {m(ln.settled_debt)}, borrower "
                     f"{n(ln.borrower)} {m(ln.to_borrower)}" + (f"; shortfall {m(short)} left to the lender"
                                                               if short else ""))
    elif ln.state == "funded":
        lines.append(f"loan #{ln.id} debt now {m(ln.debt_at(ledger.last_time))}")
    return lines


def trace_text(ledger: Ledger, cert_id: int) -> str:
    cert = ledger.certs.get(cert_id)
    if cert is None:
        raise ScfError(f"certificate {cert_id} is not in the index (no event created it)")
    root = ledger.roots[cert.root_id]
    d = ledger.decimals

    def m(units: int) -> str:
        return money(units, d)

    def holders(c: Cert) -> str:
        if not c.balances:
            return "no live units"
        return ", ".join(f"{ledger.name(h)} {m(u)}" for h, u in sorted(c.balances.items(), key=lambda kv: -kv[1]))

    head = (f"Receivable #{root.id}: {m(root.face)} owed by {ledger.name(root.debtor)} to "
            f"{ledger.name(root.supplier)}, matures {day(root.maturity)}, {root.status}")
    if root.status != "active":
        head += f", recovered {m(root.recovered)}"
        if root.covered:
            head += f" ({m(root.covered)} from guarantees)"
    head += f"; repaid {m(root.paid)}; paid out {m(root.payouts)}"
    lines = [head]
    ancestry = ledger.lineage(cert_id)[:-1]
    if ancestry:
        lines.append("Ancestry:")
        for depth, i in enumerate(ancestry):
            a = ledger.certs[i]
            lines.append(f"{'   ' * depth}#{a.id} tier {a.tier}  {m(a.amount)}  held by: {holders(a)}")
            for line in _details(ledger, a, m):
                lines.append(f"{'   ' * depth}   · {line}")
    lines.append(f"Certificate #{cert_id} and its subtree:")

    def walk(c: Cert, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else prefix + ("└─ " if last else "├─ ")
        lines.append(f"{branch}#{c.id} tier {c.tier}  {m(c.amount)}  [{_status(ledger, c)}]  held by: {holders(c)}")
        inner = ("" if top else prefix + ("   " if last else "│  "))
        pad = inner + ("│  " if c.children else "   ")
        for line in _details(ledger, c, m):
            lines.append(f"{pad}· {line}")
        for k, ch in enumerate(c.children):
            walk(ledger.certs[ch], inner, k == len(c.children) - 1, False)

    walk(cert, "", True, True)
    return "\n".join(lines)


def tree_node(ledger: Ledger, cert_id: int, with_ancestry: bool = True) -> TreeNode:
    """The lifecycle.TreeNode of `cert_id`'s subtree, under its ancestors: the one tree builder (Scf.tree, the
    CLI, the explorer, the demo and audit pictures). Holders in first-held order (Cert.holders)."""

    def node(c: Cert) -> TreeNode:
        return TreeNode(Certificate(c.id, c.root_id, c.parent_id, c.tier, c.amount, c.debtor, c.maturity,
                                    _status(ledger, c)), c.holders)

    def build(cid: int) -> TreeNode:
        n = node(ledger.certs[cid])
        n.children = [build(ch) for ch in ledger.certs[cid].children]
        return n

    top = build(cert_id)
    if with_ancestry:
        for anc in reversed(ledger.lineage(cert_id)[:-1]):
            parent = node(ledger.certs[anc])
            parent.children = [top]
            top = parent
    return top


def box_lines(ledger: Ledger) -> Callable[[TreeNode], list[str]]:
    """What a tree picture shows under each certificate, in full (Graphviz sizes each box to its text): whom it
    was issued or split to, its live holders (units in the loan desk's custody marked pledged), its sales, the
    loans against it and its payouts."""
    n = ledger.name
    desk = ledger.addresses.get("LoanDesk", "")

    def lines(node: TreeNode) -> list[str]:
        c = ledger.certs[node.certificate.id]
        m = lambda v: money(v, ledger.decimals)  # noqa: E731
        out = [f"{'issued' if c.parent_id == 0 else 'split'} to {n(c.recipient)}"]
        for h, u in sorted(c.balances.items(), key=lambda kv: -kv[1]):
            out.append(f"{n(h)} (pledged): {m(u)}" if desk and h == desk else f"{n(h)}: {m(u)}")
        out += [f"{n(f.seller)} sold {m(f.amount)} to {n(f.financier)} for {m(f.proceeds)}" for f in c.financings]
        for ln in loans_on(ledger, c.id):
            lender = ln.lender or ln.named_lender
            by = f" from {n(lender)}" if lender and int(lender, 16) else ""
            out.append(f"loan #{ln.id}: {n(ln.borrower)} pledged {m(ln.units)} for {m(ln.principal)}{by} "
                       f"({ln.state})")
        out += [f"paid out {m(cl.payout)} to {n(cl.holder)}" for cl in c.claims]
        return out

    return lines

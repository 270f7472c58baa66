"""A member's credit profile from the events: what it received and at which tier, what it sold for
early cash and at what discount, what it was paid out, and, for a debtor, how it repays."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..errors import ScfError
from ..lifecycle import checked_address
from ..constants import money
from .replay import DAY, Ledger
from .trace import day


def credit_profile(ledger: Ledger, address: str) -> dict[str, Any]:
    address = checked_address(address, "member")
    member = ledger.members.get(address)
    touched = (member is not None or any(r.debtor == address for r in ledger.roots.values())
               or any(address in c.seen for c in ledger.certs.values())
               or any(address in (ln.borrower, ln.lender) for ln in ledger.loans.values()))
    if not touched:
        raise ScfError(f"{address} appears in no event of this deployment")
    now = ledger.last_time

    # ---- receivables received, by tier: issued to it, split to it, transferred or sold to it
    by_tier: dict[int, dict[str, int]] = defaultdict(lambda: {"certificates": 0, "units": 0})
    received_ids: set[int] = set()
    for c in ledger.certs.values():
        got = 0
        if c.recipient == address:
            got += c.amount
        got += sum(m.units for m in c.moves if m.recipient == address)
        if got:
            by_tier[c.tier]["units"] += got
            if c.id not in received_ids:
                by_tier[c.tier]["certificates"] += 1
                received_ids.add(c.id)

    # ---- financing as a seller (volume financed) and as a buyer
    sold = [f for f in ledger.financings if f.seller == address]
    bought = [f for f in ledger.financings if f.financier == address]

    def financing_summary(fs: list[Any]) -> dict[str, Any]:
        amount = sum(f.amount for f in fs)
        return {
            "count": len(fs), "amount": amount, "proceeds": sum(f.proceeds for f in fs),
            "discount": sum(f.discount for f in fs),
            # weighted by the units sold
            "averageAnnualisedDiscount": (sum(f.annualised * f.amount for f in fs) / amount) if amount else None,
            "averageOfferRateBps": (sum(f.rate_bps * f.amount for f in fs) / amount) if amount else None,
        }

    payouts = [c for c in ledger.claims if c.holder == address]
    holdings = {c.id: c.balances[address] for c in ledger.certs.values() if c.balances.get(address)}

    # ---- as a debtor: repayment record
    debts = sorted((r for r in ledger.roots.values() if r.debtor == address), key=lambda r: r.id)
    records = []
    for r in debts:
        repaid_at = r.fully_repaid_at
        due = r.maturity <= now or r.status != "active"
        on_time = r.status == "paid" and repaid_at is not None and repaid_at <= r.maturity
        late_days = 0.0
        if r.status == "paid" and repaid_at is not None:
            late_days = max(0, repaid_at - r.maturity) / DAY
        elif r.status == "defaulted" and r.closed is not None:
            late_days = max(0, r.closed - r.maturity) / DAY
        elif r.status == "active" and r.maturity < now:
            late_days = (now - r.maturity) / DAY
        records.append({
            "rootId": r.id, "faceValue": r.face, "maturity": r.maturity, "status": r.status, "paid": r.paid,
            "recovered": r.recovered, "covered": r.covered, "repayments": len(r.repayments),
            "repaidAt": repaid_at, "due": due, "onTime": on_time, "daysLate": round(late_days, 4),
        })
    due_records = [x for x in records if x["due"]]
    debtor = None
    if debts:
        debtor = {
            "receivables": len(debts), "faceValue": sum(r.face for r in debts),
            "outstanding": ledger.outstanding(address), "creditLimit": ledger.credit_limit(address),
            "due": len(due_records), "repaidOnTime": sum(1 for x in due_records if x["onTime"]),
            "onTimeRate": (sum(1 for x in due_records if x["onTime"]) / len(due_records)) if due_records else None,
            "paidLate": sum(1 for x in due_records if x["status"] == "paid" and not x["onTime"]),
            "daysLateTotal": round(sum(x["daysLate"] for x in due_records), 4),
            "daysLateMax": max((x["daysLate"] for x in due_records), default=0),
            "defaults": sum(1 for x in records if x["status"] == "defaulted"),
            "defaultedFaceValue": sum(x["faceValue"] for x in records if x["status"] == "defaulted"),
            "shortfall": sum(x["faceValue"] - x["paid"] for x in records if x["status"] == "defaulted"),
            "coveredByGuarantees": sum(x["covered"] for x in records),
            "records": records,
        }
    guarantees = [g for g in ledger.guarantees.values() if g.guarantor == address]
    return {
        "address": address,
        "name": member.name if member else "",
        "roles": sorted(member.roles) if member else [],
        "active": member.active if member else False,
        "asOfBlock": ledger.last_block, "asOfTime": now,
        "received": {"byTier": {str(t): v for t, v in sorted(by_tier.items())},
                     "certificates": len(received_ids), "units": sum(v["units"] for v in by_tier.values())},
        "financed": financing_summary(sold),
        "bought": financing_summary(bought),
        "payouts": {"count": len(payouts), "units": sum(c.units for c in payouts),
                    "amount": sum(c.payout for c in payouts)},
        "holdings": {str(k): v for k, v in sorted(holdings.items())},
        "debtor": debtor,
        "guarantor": {"guarantees": len(guarantees), "provided": sum(g.amount for g in guarantees),
                      "called": sum(g.called_total for g in guarantees),
                      "released": sum(g.released or 0 for g in guarantees)} if guarantees else None,
        "loans": loan_record(ledger, address),
    }


def loan_record(ledger: Ledger, address: str) -> dict[str, Any] | None:
    """The member's loans against certificates, as borrower and as lender: what was borrowed, repaid by the
    borrower before maturity (and after), repaid by the clearing out of the pledged units' payout, and the
    shortfalls the payouts left to lenders (no recourse)."""
    now = ledger.last_time

    def summary(loans: list[Any]) -> dict[str, Any]:
        funded = [ln for ln in loans if ln.funded_at]
        return {
            "requested": len(loans), "funded": len(funded), "borrowed": sum(ln.principal for ln in funded),
            "repaidBeforeMaturity": sum(r.amount for ln in loans for r in ln.repayments if r.before_maturity),
            "repaidAfterMaturity": sum(r.amount for ln in loans for r in ln.repayments if not r.before_maturity),
            "repaidByClearing": sum(ln.to_lender for ln in loans if ln.by_clearing),
            "repaidInFull": sum(1 for ln in loans if ln.state == "repaid"),
            "settled": sum(1 for ln in loans if ln.by_clearing),
            "shortfalls": sum(1 for ln in loans if ln.by_clearing and ln.settled_debt > ln.to_lender),
            "shortfallToLenders": sum(ln.settled_debt - ln.to_lender for ln in loans if ln.by_clearing),
            "open": sum(1 for ln in loans if ln.state == "funded"),
            "debtNow": sum(ln.debt_at(now) for ln in loans),
            "cancelled": sum(1 for ln in loans if ln.state == "cancelled"),
            "records": [{"loanId": ln.id, "certId": ln.cert_id, "units": ln.units, "principal": ln.principal,
                         "annualRateBps": ln.rate_bps, "state": ln.state, "borrower": ln.borrower,
                         "lender": ln.lender or ln.named_lender, "fundedAt": ln.funded_at or None,
                         "maturity": ln.maturity, "repaid": ln.repaid, "debtNow": ln.debt_at(now),
                         "toLender": ln.to_lender, "toBorrower": ln.to_borrower,
                         "shortfall": ln.settled_debt - ln.to_lender if ln.by_clearing else 0}
                        for ln in sorted(loans, key=lambda x: x.id)],
        }

    borrowed = [ln for ln in ledger.loans.values() if ln.borrower == address]
    lent = [ln for ln in ledger.loans.values() if ln.lender == address]
    if not borrowed and not lent:
        return None
    return {"asBorrower": summary(borrowed) if borrowed else None, "asLender": summary(lent) if lent else None}


def credit_text(profile: dict[str, Any], decimals: int = 2) -> str:
    def m(v: int) -> str:
        return money(v, decimals)

    p = profile
    lines = [f"{p['name'] or p['address']} ({p['address']})" + (f" — {', '.join(p['roles'])}" if p["roles"] else "")
             + ("" if p["active"] else " [not active]")]
    rec = p["received"]
    lines.append(f"Receivables received: {rec['certificates']} certificates, {m(rec['units'])} units")
    for tier, v in rec["byTier"].items():
        lines.append(f"  tier {tier}: {v['certificates']} certificates, {m(v['units'])}")
    for key, label in (("financed", "Financed (sold early)"), ("bought", "Bought as financier")):
        f = p[key]
        if f["count"]:
            rate = f"{100 * f['averageAnnualisedDiscount']:.2f}%" if f["averageAnnualisedDiscount"] is not None else "-"
            lines.append(f"{label}: {f['count']} sales, {m(f['amount'])} units for {m(f['proceeds'])} "
                         f"(discount {m(f['discount'])}, average annualised discount {rate}, "
                         f"average offer rate {f['averageOfferRateBps'] / 100:.2f}%)")
    po = p["payouts"]
    lines.append(f"Payouts received: {po['count']}, {m(po['amount'])} for {m(po['units'])} units")
    if p["holdings"]:
        lines.append("Holding now: " + ", ".join(f"#{k} {m(v)}" for k, v in p["holdings"].items()))
    d = p["debtor"]
    if d:
        rate = "-" if d["onTimeRate"] is None else f"{100 * d['onTimeRate']:.1f}%"
        lines.append(f"As debtor: {d['receivables']} receivables, {m(d['faceValue'])} issued, {m(d['outstanding'])} "
                     f"outstanding of a {m(d['creditLimit'])} credit limit")
        lines.append(f"  on-time repayment: {rate} ({d['repaidOnTime']} of {d['due']} due); paid late: "
                     f"{d['paidLate']}; days late: {d['daysLateTotal']:.1f} in total, {d['daysLateMax']:.1f} at most; "
                     f"defaults: {d['defaults']} ({m(d['defaultedFaceValue'])}, shortfall {m(d['shortfall'])}, "
                     f"{m(d['coveredByGuarantees'])} covered by guarantees)")
        for r in d["records"]:
            state = "on time" if r["onTime"] else (f"{r['daysLate']:.1f} days late" if r["daysLate"] else "not due")
            lines.append(f"  #{r['rootId']}: {m(r['faceValue'])} due {day(r['maturity'])}, {r['status']}, repaid "
                         f"{m(r['paid'])}, {state}")
    loans = p.get("loans") or {}
    for key, label in (("asBorrower", "Loans taken"), ("asLender", "Loans made")):
        x = loans.get(key)
        if x:
            lines.append(f"{label}: {x['funded']} funded of {x['requested']} requested, {m(x['borrowed'])} borrowed; "
                         f"repaid before maturity {m(x['repaidBeforeMaturity'])}, after {m(x['repaidAfterMaturity'])}"
                         f", by the clearing {m(x['repaidByClearing'])}; {x['repaidInFull']} repaid in full, "
                         f"{x['settled']} settled at maturity, shortfalls left to lenders {m(x['shortfallToLenders'])} "
                         f"({x['shortfalls']} loans); open {x['open']}, debt now {m(x['debtNow'])}")
            for r in x["records"]:
                lines.append(f"  loan #{r['loanId']}: {m(r['principal'])} against {m(r['units'])} units of "
                             f"#{r['certId']} at {r['annualRateBps'] / 100:.2f}%/yr, {r['state']}, repaid "
                             f"{m(r['repaid'])}" + (f", clearing paid the lender {m(r['toLender'])}"
                                                    if r["state"] == "settled" else "")
                             + (f", shortfall {m(r['shortfall'])}" if r["shortfall"] else ""))
    g = p["guarantor"]
    if g:
        lines.append(f"As guarantor: {g['guarantees']} guarantees, {m(g['provided'])} provided, {m(g['called'])} "
                     f"called, {m(g['released'])} released")
    return "\n".join(lines)

"""What the explorer shows, as plain data built from the audit Ledger: the JSON of /api/ and the context of
the HTML pages come from the same functions, so a page never says something its API does not.

Sentences that name members (history entries) are kept as parts — text, addresses, amounts, certificate ids
— and turned into plain text for JSON or into links for HTML by `phrase_text` / the templates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Union

from scfchain.audit.credit import credit_profile
from scfchain.audit.replay import Ledger
from scfchain.audit.store import Event
from scfchain.audit.trace import trace_json
from scfchain.errors import ScfError
from scfchain.lifecycle import checked_address
from scfchain.constants import DEFAULT_ADMIN_ROLE, ROLES, money

ROLE_ORDER = [*ROLES, DEFAULT_ADMIN_ROLE]
# Events that only accompany a business event (the ERC-1155 and ERC-20 legs, approvals, role grants of an
# onboarding): the live feed shows them on request.
MINOR_EVENTS = {"TransferSingle", "TransferBatch", "Transfer", "Approval", "ApprovalForAll", "RoleGranted", "URI",
                "RoleAdminChanged", "OwnershipTransferred", "SettlementEscrowSet"}


class NotFound(ScfError):
    """An id or address the index does not know (HTTP 404)."""


@dataclass(frozen=True)
class Addr:
    address: str


@dataclass(frozen=True)
class Amount:
    units: int


@dataclass(frozen=True)
class CertRef:
    id: int


Part = Union[str, Addr, Amount, CertRef]


def phrase_text(parts: Iterable[Part], ledger: Ledger) -> str:
    out = []
    for p in parts:
        if isinstance(p, Addr):
            out.append(ledger.name(p.address))
        elif isinstance(p, Amount):
            out.append(money(p.units, ledger.decimals))
        elif isinstance(p, CertRef):
            out.append(f"#{p.id}")
        else:
            out.append(p)
    return "".join(out)


def role_label(role: str) -> str:
    return role.removesuffix("_ROLE").replace("_", " ").lower()


# ---------------------------------------------------------------- overview
def receivable_rows(ledger: Ledger) -> list[dict[str, Any]]:
    rows = []
    for r in sorted(ledger.roots.values(), key=lambda r: r.id):
        rows.append({
            "rootId": r.id, "debtor": r.debtor, "debtorName": ledger.name(r.debtor), "supplier": r.supplier,
            "supplierName": ledger.name(r.supplier), "faceValue": r.face, "maturity": r.maturity, "issued": r.time,
            "documentHash": r.document, "status": r.status, "paid": r.paid, "covered": r.covered,
            "recovered": r.recovered if r.status != "active" else None, "payouts": r.payouts,
            "outstanding": r.face if r.status == "active" else 0, "certificates": len(r.certs),
            "tiers": max((ledger.certs[i].tier for i in r.certs if i in ledger.certs), default=1),
        })
    return rows


def _loans(ledger: Ledger) -> list[Any]:
    """The LoanDesk loans of a ledger that replays them (none otherwise), by id."""
    return sorted(ledger.loans.values(), key=lambda ln: ln.id)


def _lender(ln: Any) -> str:
    lender = getattr(ln, "lender", "") or getattr(ln, "named_lender", "")
    return lender if lender and int(lender, 16) else ""


def loan_row(ledger: Ledger, ln: Any) -> dict[str, Any]:
    cert = ledger.certs.get(ln.cert_id)
    debt = ln.debt_at(ledger.last_time) if hasattr(ln, "debt_at") else None
    return {
        "loanId": ln.id, "certId": ln.cert_id, "rootId": cert.root_id if cert else None, "state": ln.state,
        "borrower": ln.borrower, "borrowerName": ledger.name(ln.borrower), "lender": _lender(ln),
        "lenderName": ledger.name(_lender(ln)) if _lender(ln) else "any financier", "units": ln.units,
        "principal": ln.principal, "annualRateBps": getattr(ln, "rate_bps", None),
        "requested": getattr(ln, "time", None), "funded": getattr(ln, "funded_at", 0) or None,
        "repaid": getattr(ln, "repaid", 0), "debt": debt, "payout": getattr(ln, "payout", None),
        "toLender": getattr(ln, "to_lender", 0), "toBorrower": getattr(ln, "to_borrower", 0),
    }


def overview(ledger: Ledger) -> dict[str, Any]:
    """Members by role, receivables with status, outstanding per debtor, volume sold and lent, guarantees."""
    roles: dict[str, list[dict[str, Any]]] = {}
    for m in sorted(ledger.members.values(), key=lambda m: (m.name == "", m.name.lower(), m.address)):
        for role in m.roles:
            roles.setdefault(role, []).append({"address": m.address, "name": ledger.name(m.address),
                                               "active": m.active, "onboarded": m.onboarded})
    by_role = [{"role": r, "label": role_label(r), "members": roles[r]}
               for r in ROLE_ORDER + sorted(set(roles) - set(ROLE_ORDER)) if r in roles]
    rows = receivable_rows(ledger)
    debtors = sorted({r["debtor"] for r in rows} | {d for (_f, d) in ledger.credit_lines})
    outstanding = [{"debtor": d, "debtorName": ledger.name(d), "outstanding": ledger.outstanding(d),
                    "creditLimit": ledger.credit_limit(d),
                    "receivables": sum(1 for r in rows if r["debtor"] == d),
                    "active": sum(1 for r in rows if r["debtor"] == d and r["status"] == "active")}
                   for d in debtors]
    sold = ledger.financings
    loans = _loans(ledger)
    funded = [ln for ln in loans if getattr(ln, "funded_at", 0)]
    guarantees = []
    for g in sorted(ledger.guarantees.values(), key=lambda g: g.id):
        released = g.released or 0
        guarantees.append({
            "guaranteeId": g.id, "guarantor": g.guarantor, "guarantorName": ledger.name(g.guarantor),
            "debtor": g.debtor, "debtorName": ledger.name(g.debtor), "amount": g.amount, "expiry": g.expiry,
            "called": g.called_total, "calls": [{"rootId": c[0], "amount": c[1], "time": c[2], "tx": c[3]}
                                                for c in g.called],
            "released": g.released, "left": 0 if g.released is not None else g.amount - g.called_total,
            "expired": g.expiry < ledger.last_time,
        })
    return {
        "asOfBlock": ledger.last_block, "asOfTime": ledger.last_time, "events": ledger.events,
        "decimals": ledger.decimals, "symbol": ledger.symbol,
        "membersByRole": by_role, "receivables": rows, "outstandingByDebtor": outstanding,
        "totals": {
            "receivables": len(rows), "faceValue": sum(r["faceValue"] for r in rows),
            "outstanding": ledger.outstanding(), "certificates": len(ledger.certs),
            "paidOut": sum(c.payout for c in ledger.claims), "payouts": len(ledger.claims),
        },
        "sold": {"sales": len(sold), "units": sum(f.amount for f in sold), "proceeds": sum(f.proceeds for f in sold)},
        "lent": {"loans": len(loans), "funded": len(funded), "principal": sum(ln.principal for ln in funded),
                 "pledgedUnits": sum(ln.units for ln in loans if ln.state in ("requested", "funded"))},
        "loans": [loan_row(ledger, ln) for ln in loans],
        "guarantees": guarantees,
        "guaranteeTotals": {"provided": sum(g["amount"] for g in guarantees),
                            "called": sum(g["called"] for g in guarantees),
                            "released": sum(g["released"] or 0 for g in guarantees),
                            "left": sum(g["left"] for g in guarantees)},
    }


# ---------------------------------------------------------------- receivable and its history
def _root_of(ledger: Ledger, root_id: int) -> Any:
    root = ledger.roots.get(root_id)
    if root is None:
        cert = ledger.certs.get(root_id)
        if cert is not None:
            raise NotFound(f"certificate {root_id} is not a receivable: it was split from receivable #{cert.root_id}")
        raise NotFound(f"receivable {root_id} is not in the index (no event issued it)")
    return root


def history(ledger: Ledger, root_id: int) -> list[dict[str, Any]]:
    """Everything that happened to a receivable and its certificates, in time order: issue, splits, transfers,
    sales (price, annualised discount), loans, repayments, default and guarantee calls, closing, payouts."""
    root = _root_of(ledger, root_id)
    out: list[tuple[int, int, dict[str, Any]]] = []

    def add(time: int, order: int, kind: str, tx: str, parts: list[Part], **data: Any) -> None:
        out.append((time, order, {"time": time, "kind": kind, "tx": tx, "parts": parts, **data}))

    first = ledger.certs[root.id]
    add(root.time, 0, "issue", first.tx, [Addr(root.debtor), " issues receivable ", CertRef(root.id), " of ",
                                          Amount(root.face), " to ", Addr(root.supplier)])
    certs = [ledger.certs[i] for i in root.certs if i in ledger.certs]
    desk = ledger.addresses.get("LoanDesk", "")  # units into and out of its custody: the loan entries say so
    for c in certs:
        for s in c.splits:
            parts: list[Part] = [Addr(s.holder), " splits ", CertRef(c.id), ": "]
            for k, (cid, to, amount) in enumerate(zip(s.child_ids, s.recipients, s.amounts)):
                parts += [", " if k else "", CertRef(cid), " ", Amount(amount), " to ", Addr(to)]
            add(s.time, 1, "split", s.tx, parts)
        for mv in c.moves:
            if not mv.financing and not (desk and desk in (mv.sender, mv.recipient)):
                add(mv.time, 2, "transfer", mv.tx, [Addr(mv.sender), " transfers ", Amount(mv.units), " of ",
                                                    CertRef(c.id), " to ", Addr(mv.recipient)])
        for f in c.financings:
            add(f.time, 3, "sale", f.tx, [Addr(f.seller), " sells ", Amount(f.amount), " of ", CertRef(c.id), " to ",
                                          Addr(f.financier), " for ", Amount(f.proceeds),
                                          f" (price {f.proceeds / f.amount:.4f}, offer #{f.offer_id} at "
                                          f"{f.rate_bps / 100:.2f}%/yr, annualised discount "
                                          f"{100 * f.annualised:.2f}%, {f.days_to_maturity:.1f} days to maturity)"],
                price=round(f.proceeds / f.amount, 8) if f.amount else None,
                annualisedDiscount=round(f.annualised, 8))
    cert_ids = {c.id for c in certs}
    for ln in _loans(ledger):
        if ln.cert_id not in cert_ids:
            continue
        rate = f" at {ln.rate_bps / 100:.2f}%/yr" if getattr(ln, "rate_bps", None) is not None else ""
        add(getattr(ln, "time", 0), 4, "loan-requested", getattr(ln, "tx", ""),
            [Addr(ln.borrower), " pledges ", Amount(ln.units), " of ", CertRef(ln.cert_id), f" for loan #{ln.id} of ",
             Amount(ln.principal), rate])
        if getattr(ln, "funded_at", 0):
            add(ln.funded_at, 5, "loan-funded", getattr(ln, "funded_tx", ""),
                [Addr(_lender(ln)), f" funds loan #{ln.id}: ", Amount(ln.principal), " paid to ", Addr(ln.borrower)])
        for rp in getattr(ln, "repayments", []):
            add(rp.time, 6, "loan-repaid", getattr(rp, "tx", ""),
                [Addr(rp.payer), f" repays ", Amount(rp.amount), f" of loan #{ln.id}, ", Amount(rp.remaining),
                 " still owed"])
        if ln.state in ("settled", "cancelled") or (ln.state == "repaid" and getattr(ln, "closed_time", 0)):
            closed = getattr(ln, "closed_time", 0)
            if ln.state == "settled":
                parts = [f"loan #{ln.id} settled: payout ", Amount(getattr(ln, "payout", 0) or 0), ", ",
                         Amount(getattr(ln, "to_lender", 0)), " to ", Addr(_lender(ln)), ", ",
                         Amount(getattr(ln, "to_borrower", 0)), " to ", Addr(ln.borrower)]
            elif ln.state == "cancelled":
                parts = [f"loan #{ln.id} request cancelled, units back to ", Addr(ln.borrower)]
            else:
                parts = [f"loan #{ln.id} repaid in full, units back to ", Addr(ln.borrower)]
            add(closed, 7, f"loan-{ln.state}", getattr(ln, "closed_tx", ""), parts)
    for rp in root.repayments:
        add(rp.time, 8, "repayment", rp.tx, [Addr(rp.payer), " repays ", Amount(rp.amount), " (", Amount(rp.total),
                                             " of ", Amount(root.face), " in total)"])
    for g in ledger.guarantees.values():
        for rid, amount, time, tx in g.called:
            if rid == root.id:
                add(time, 9, "guarantee-call", tx, [f"guarantee #{g.id} of ", Addr(g.guarantor), " pays ",
                                                    Amount(amount)])
    if root.closed is not None:
        if root.status == "defaulted":
            add(root.closed, 10, "default", "", ["receivable ", CertRef(root.id), " defaulted: ", Amount(root.paid),
                                                 " repaid, ", Amount(root.covered), " covered by guarantees, ",
                                                 Amount(root.recovered), " recovered"])
        else:
            add(root.closed, 10, "closed", "", ["receivable ", CertRef(root.id), f" closed as {root.status}, ",
                                                Amount(root.recovered), " recovered"])
    for c in certs:
        for cl in c.claims:
            add(cl.time, 11, "payout", cl.tx, [Addr(cl.holder), " is paid ", Amount(cl.payout), " for ",
                                               Amount(cl.units), " units of ", CertRef(c.id)])
    out.sort(key=lambda x: (x[0], x[1]))
    return [entry for _t, _o, entry in out]


def history_json(ledger: Ledger, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in {**e, "text": phrase_text(e["parts"], ledger)}.items() if k != "parts"}
            for e in entries]


def receivable(ledger: Ledger, root_id: int) -> dict[str, Any]:
    root = _root_of(ledger, root_id)
    data = trace_json(ledger, root.id)
    entries = history(ledger, root.id)
    data["history"] = history_json(ledger, entries)
    data["loans"] = [loan_row(ledger, ln) for ln in _loans(ledger)
                     if ln.cert_id in ledger.certs and ledger.certs[ln.cert_id].root_id == root.id]
    data["guaranteeCalls"] = [{"guaranteeId": g.id, "guarantor": g.guarantor, "amount": amount, "time": time,
                               "tx": tx} for g in ledger.guarantees.values()
                              for rid, amount, time, tx in g.called if rid == root.id]
    data["decimals"], data["symbol"] = ledger.decimals, ledger.symbol
    return data


# ---------------------------------------------------------------- certificate
def descent(ledger: Ledger, cert_id: int) -> dict[str, Any]:
    """Whether the index shows an unbroken lineage from `cert_id` up to a receivable its debtor issued: every
    parent known, one tier per step, the same root, debtor and maturity all the way."""
    path = ledger.lineage(cert_id)
    problems = []
    if not path or ledger.certs[path[0]].parent_id != 0 or path[0] not in ledger.roots:
        problems.append(f"the lineage of #{cert_id} does not reach a receivable")
    top = ledger.certs[path[0]] if path else None
    for parent_id, child_id in zip(path, path[1:]):
        p, c = ledger.certs[parent_id], ledger.certs[child_id]
        if c.tier != p.tier + 1 or c.root_id != p.root_id or c.debtor != p.debtor or c.maturity != p.maturity:
            problems.append(f"#{child_id} does not continue #{parent_id} (tier, root, debtor or maturity differ)")
    root = ledger.roots.get(path[0]) if path else None
    debtor = root.debtor if root else ""
    return {"ok": not problems, "rootId": path[0] if path else None, "debtor": debtor,
            "debtorName": ledger.name(debtor) if debtor else "", "lineage": path, "problems": problems}


def certificate(ledger: Ledger, cert_id: int) -> dict[str, Any]:
    if cert_id not in ledger.certs:
        raise NotFound(f"certificate {cert_id} is not in the index (no event created it)")
    data = trace_json(ledger, cert_id)
    data["lineage"] = ledger.lineage(cert_id)
    data["descendsFrom"] = descent(ledger, cert_id)
    data["decimals"], data["symbol"] = ledger.decimals, ledger.symbol
    return data


# ---------------------------------------------------------------- member
def member(ledger: Ledger, address: str) -> dict[str, Any]:
    """A member's holdings and its credit profile (`scfchain audit credit`); for a contract of the deployment
    (the desks, the escrow), what it holds."""
    address = checked_address(address, "member")
    contract = next((name for name, a in ledger.addresses.items() if a == address), None)
    if contract is not None:
        profile: dict[str, Any] = {"address": address, "name": ledger.name(address), "roles": [], "active": False,
                                   "asOfBlock": ledger.last_block, "asOfTime": ledger.last_time,
                                   "holdings": {str(c.id): c.balances[address] for c in ledger.certs.values()
                                                if c.balances.get(address)},
                                   "tokenBalance": ledger.token.get(address, 0)}
    else:
        try:
            profile = credit_profile(ledger, address)
        except ScfError as exc:
            if "appears in no event" in str(exc):
                raise NotFound(str(exc)) from None
            raise
        # the loans it took or funded, one row each (the profile's own "loans" summary, where the ledger
        # replays loans, stays as `scfchain audit credit` gives it)
        profile["loanRows"] = [loan_row(ledger, ln) for ln in _loans(ledger) if address in (ln.borrower, _lender(ln))]
    holdings = []
    for cid, units in profile["holdings"].items():
        c = ledger.certs[int(cid)]
        root = ledger.roots.get(c.root_id)
        holdings.append({"certId": c.id, "rootId": c.root_id, "tier": c.tier, "units": units, "debtor": c.debtor,
                         "debtorName": ledger.name(c.debtor), "maturity": c.maturity,
                         "status": root.status if root else "unknown"})
    profile["holdingsDetail"] = holdings
    profile["contract"] = contract
    profile["decimals"], profile["symbol"] = ledger.decimals, ledger.symbol
    return profile


# ---------------------------------------------------------------- events
def event_rows(events: Iterable[Event], ledger: Ledger, start: int = 0) -> list[dict[str, Any]]:
    """The live feed's rows: every stored event in chain order, numbered from `start` + 1, described in words,
    with the names of the addresses it mentions (for links)."""
    from scfchain.audit.export import describe

    rows = []
    for seq, e in enumerate(events, start + 1):
        names = {}
        for v in e.args.values():
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, str) and len(x) == 42 and x.startswith("0x") and int(x, 16):
                    names[x] = ledger.name(x)
        rows.append({"seq": seq, "block": e.block, "logIndex": e.log_index, "tx": e.tx_hash, "time": e.time,
                     "contract": e.contract, "event": e.name, "args": e.args, "text": describe(e, ledger),
                     "names": names, "minor": e.name in MINOR_EVENTS})
    return rows

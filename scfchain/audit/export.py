"""Exporting every indexed event, one row per event, with decoded human-readable fields."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any, Iterable

from ..constants import ROOT_STATUS, money
from .replay import Ledger, role_name
from .store import Event

MONEY = {"faceValue", "amount", "limit", "budget", "minAmount", "proceeds", "refund", "totalPaid", "paid", "covered",
         "recovered", "payout", "units", "value", "values", "amounts", "principal", "remainingDebt", "toLender",
         "toBorrower"}
TIMES = {"maturity", "expiry"}
FIXED = ["block", "time", "tx", "logIndex", "contract", "event", "description"]


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def human(name: str, value: Any, event: str, decimals: int) -> Any:
    if name in ("role", "previousAdminRole", "newAdminRole"):
        return role_name(value)
    if name == "status" and event == "ReceivableClosed":
        return ROOT_STATUS.get(value, value)
    if name in MONEY and event != "URI":
        if isinstance(value, list):
            return [money(v, decimals, grouped=False) for v in value]
        if isinstance(value, int):
            return money(value, decimals, grouped=False)
    if name in TIMES and isinstance(value, int):
        return _iso(value)
    if name == "annualRateBps":
        return f"{value / 100:.2f}%"
    return value


def describe(e: Event, ledger: Ledger) -> str:
    a, n, d = e.args, ledger.name, ledger.decimals

    def m(v: int) -> str:
        return money(v, d)

    s = {
        "MemberOnboarded": lambda: f"{a.get('name')} onboarded as {role_name(a.get('role', ''))}",
        "MemberSuspended": lambda: f"{n(a['account'])} suspended",
        "MemberReinstated": lambda: f"{n(a['account'])} reinstated",
        "CreditLineSet": lambda: f"{n(a['financier'])} sets a credit line of {m(a['limit'])} for {n(a['debtor'])}",
        "ReceivableIssued": lambda: f"{n(a['debtor'])} issues receivable #{a['rootId']} of {m(a['faceValue'])} to "
                                    f"{n(a['supplier'])}, maturing {_iso(a['maturity'])[:10]}",
        "CertificateSplit": lambda: f"{n(a['holder'])} splits #{a['parentId']}: " + ", ".join(
            f"#{c} {m(v)} to {n(t)}" for c, t, v in zip(a["childIds"], a["recipients"], a["amounts"])),
        "TransferSingle": lambda: _transfer(a["from"], a["to"], a["id"], a["value"], n, m),
        "TransferBatch": lambda: "; ".join(_transfer(a["from"], a["to"], i, v, n, m)
                                           for i, v in zip(a["ids"], a["values"])),
        "OfferPosted": lambda: f"{n(a['financier'])} posts offer #{a['offerId']} for {n(a['debtor'])}'s receivables at "
                               f"{a['annualRateBps'] / 100:.2f}%/yr, budget {m(a['budget'])}",
        "OfferCancelled": lambda: f"offer #{a['offerId']} cancelled, {m(a['refund'])} refunded",
        "Financed": lambda: f"{n(a['seller'])} sells {m(a['amount'])} of #{a['certId']} to {n(a['financier'])} for "
                            f"{m(a['proceeds'])}",
        "GuaranteeProvided": lambda: f"{n(a['guarantor'])} guarantees {n(a['debtor'])} with {m(a['amount'])} until "
                                     f"{_iso(a['expiry'])[:10]} (guarantee #{a['guaranteeId']})",
        "GuaranteeCalled": lambda: f"guarantee #{a['guaranteeId']} pays {m(a['amount'])} for receivable #{a['rootId']}",
        "GuaranteeReleased": lambda: f"guarantee #{a['guaranteeId']} released, {m(a['amount'])} returned",
        "Repaid": lambda: f"{n(a['payer'])} repays {m(a['amount'])} of receivable #{a['rootId']} "
                          f"({m(a['totalPaid'])} in total)",
        "DefaultDeclared": lambda: f"receivable #{a['rootId']} defaulted: {m(a['paid'])} paid, {m(a['covered'])} "
                                   "covered by guarantees",
        "ReceivableClosed": lambda: f"receivable #{a['rootId']} closed as {ROOT_STATUS.get(a['status'], a['status'])}, "
                                    f"{m(a['recovered'])} recovered",
        "Claimed": lambda: f"{n(a['holder'])} is paid {m(a['payout'])} for {m(a['units'])} units of #{a['id']}",
        "LoanRequested": lambda: f"{n(a['borrower'])} pledges {m(a['units'])} units of #{a['certId']} for loan "
                                 f"#{a['loanId']} of {m(a['principal'])} at {a['annualRateBps'] / 100:.2f}%/yr from "
                                 f"{n(a['lender']) if int(a['lender'], 16) else 'any financier'}",
        "LoanRequestCancelled": lambda: f"loan #{a['loanId']} request cancelled",
        "LoanFunded": lambda: f"{n(a['lender'])} funds loan #{a['loanId']}: {m(a['principal'])}",
        "LoanRepaid": lambda: f"{n(a['payer'])} repays {m(a['amount'])} of loan #{a['loanId']} "
                              f"({m(a['remainingDebt'])} debt left)",
        "LoanSettled": lambda: f"loan #{a['loanId']} settled: payout {m(a['payout'])}, {m(a['toLender'])} to the "
                               f"lender, {m(a['toBorrower'])} to the borrower",
        "SettlementFailed": lambda: f"settlement of #{a['id']} to {n(a['holder'])} failed",
        "Transfer": lambda: (f"{m(a['value'])} minted to {n(a['to'])}" if int(a["from"], 16) == 0 else
                             f"{m(a['value'])} from {n(a['from'])} to {n(a['to'])}"),
        "Approval": lambda: f"{n(a['owner'])} lets {n(a['spender'])} spend {m(a['value'])}",
        "ApprovalForAll": lambda: f"{n(a['account'])} {'approves' if a['approved'] else 'revokes'} "
                                  f"{n(a['operator'])} as operator",
        "RoleGranted": lambda: f"{role_name(a['role'])} granted to {n(a['account'])}",
        "RoleRevoked": lambda: f"{role_name(a['role'])} revoked from {n(a['account'])}",
        "Paused": lambda: "certificate movements paused",
        "Unpaused": lambda: "certificate movements resumed",
    }.get(e.name)
    try:
        return s() if s else ", ".join(f"{k}={v}" for k, v in a.items())
    except (KeyError, TypeError, ValueError):
        return ", ".join(f"{k}={v}" for k, v in a.items())


def _transfer(frm: str, to: str, cid: int, value: int, n: Any, m: Any) -> str:
    if int(frm, 16) == 0:
        return f"{m(value)} of #{cid} minted to {n(to)}"
    if int(to, 16) == 0:
        return f"{m(value)} of #{cid} burned from {n(frm)}"
    return f"{m(value)} of #{cid} from {n(frm)} to {n(to)}"


def rows(events: Iterable[Event], ledger: Ledger) -> list[dict[str, Any]]:
    out = []
    for e in events:
        row: dict[str, Any] = {"block": e.block, "time": _iso(e.time), "tx": e.tx_hash, "logIndex": e.log_index,
                               "contract": e.contract, "event": e.name, "description": describe(e, ledger)}
        for k, v in e.args.items():
            row[k] = human(k, v, e.name, ledger.decimals)
        out.append(row)
    return out


def to_json(table: list[dict[str, Any]]) -> str:
    return json.dumps(table, indent=1, ensure_ascii=False) + "\n"


def to_csv(table: list[dict[str, Any]]) -> str:
    columns = list(FIXED)
    for row in table:
        for k in row:
            if k not in columns:
                columns.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for row in table:
        w.writerow({k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()})
    return buf.getvalue()

"""The audit report: one Markdown file with summary tables, a Mermaid diagram of each receivable's
certificate tree, the tree pictures beside it, and a chart of outstanding volume over time."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import render
from ..constants import money
from ..render import write_tree
from .credit import credit_profile
from .replay import Ledger
from .trace import box_lines, day, tree_node, when
from .verify import CHECKS, Verdict


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def mermaid(ledger: Ledger, root_id: int) -> str:
    m = lambda v: money(v, ledger.decimals)  # noqa: E731
    lines = ["```mermaid", "graph TD"]
    for cid in ledger.subtree(root_id):
        c = ledger.certs[cid]
        holders = ", ".join(f"{ledger.name(h)} {m(u)}" for h, u in sorted(c.balances.items(), key=lambda kv: -kv[1]))
        label = f"#{c.id} · tier {c.tier}<br/>{m(c.amount)}"
        if holders:
            label += f"<br/>{holders}"
        if c.financings:
            label += "<br/>financed " + ", ".join(f"{m(f.amount)} → {m(f.proceeds)}" for f in c.financings)
        paid = sum(cl.payout for cl in c.claims)
        if c.claims:
            label += f"<br/>paid out {m(paid)}"
        label = label.replace('"', "'").replace("#", "#35;")  # Mermaid's escape for '#'
        lines.append(f'    c{c.id}["{label}"]')
        for ch in c.children:
            child = ledger.certs[ch]
            lines.append(f"    c{c.id} -->|{m(child.amount)}| c{ch}")
    root = ledger.roots[root_id]
    css = {"paid": "fill:#e6f5e9", "defaulted": "fill:#fdecea", "active": "fill:#e8f1fb"}[root.status] \
        if root.status in ("paid", "defaulted", "active") else "fill:#eee"
    lines.append(f"    classDef st {css}")
    lines.append("    class " + ",".join(f"c{i}" for i in ledger.subtree(root_id)) + " st")
    lines.append("```")
    return "\n".join(lines)


def outstanding_series(ledger: Ledger) -> list[tuple[int, int]]:
    """(time, total outstanding face value) at every issue and closing, ending at the last indexed time."""
    points = list(ledger.timeline)
    if points and ledger.last_time > points[-1][0]:
        points.append((ledger.last_time, points[-1][1]))
    return points


def outstanding_chart(ledger: Ledger, fmt: str = "svg") -> bytes:
    """The step chart of outstanding face value over time (render.outstanding_chart, drawn by matplotlib)."""
    unit = f"face value ({ledger.symbol})" if ledger.symbol else "face value"
    return render.outstanding_chart(outstanding_series(ledger), ledger.decimals, fmt, unit=unit)


def write_report(ledger: Ledger, out_dir: str | Path, verdict: Verdict | None = None,
                 title: str = "scfchain audit report") -> dict[str, Any]:
    """Writes report.md and its pictures into `out_dir`; returns the file names."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    m = lambda v: money(v, ledger.decimals)  # noqa: E731
    n = ledger.name
    files: list[str] = []
    md: list[str] = [f"# {title}", ""]
    md.append(f"Rebuilt from {ledger.events} on-chain events up to block {ledger.last_block} "
              f"({when(ledger.last_time)} UTC). Amounts in {ledger.symbol or 'token'} units of "
              f"{ledger.decimals} decimals.")
    md.append("")
    roots = sorted(ledger.roots.values(), key=lambda r: r.id)
    face = sum(r.face for r in roots)
    md += ["## Summary", "", "| measure | value |", "|---|---|",
           f"| members | {len([x for x in ledger.members.values() if x.name])} |",
           f"| receivables issued | {len(roots)} ({m(face)}) |",
           f"| certificates | {len(ledger.certs)} |",
           f"| outstanding now | {m(ledger.outstanding())} |",
           f"| paid / defaulted / active | {sum(r.status == 'paid' for r in roots)} / "
           f"{sum(r.status == 'defaulted' for r in roots)} / {sum(r.status == 'active' for r in roots)} |",
           f"| financed | {len(ledger.financings)} sales, {m(sum(f.amount for f in ledger.financings))} for "
           f"{m(sum(f.proceeds for f in ledger.financings))} |",
           f"| paid out to holders | {m(sum(c.payout for c in ledger.claims))} in {len(ledger.claims)} payouts |",
           f"| guarantees | {len(ledger.guarantees)}, {m(sum(g.amount for g in ledger.guarantees.values()))} "
           f"provided, {m(sum(g.called_total for g in ledger.guarantees.values()))} called |",
           f"| loans against certificates | {len(ledger.loans)}, "
           f"{m(sum(x.principal for x in ledger.loans.values() if x.funded_at))} lent |", ""]
    if verdict is not None:
        md += ["## Verification", "", f"{'All checks hold' if verdict.ok else 'Checks violated'} "
               f"(block {verdict.block}).", "", "| check | result | ids |", "|---|---|---|"]
        for name, c in verdict.checks.items():
            md.append(f"| {name}: {_md(CHECKS[name])} | {'ok' if c.ok else 'FAIL'} ({c.checked} checked) | "
                      f"{_md(', '.join(map(str, c.ids[:20])))} |")
        md.append("")
    md += ["## Members", "", "| name | address | roles | active |", "|---|---|---|---|"]
    for mem in sorted(ledger.members.values(), key=lambda x: (x.name == "", x.name)):
        if mem.name:
            md.append(f"| {_md(mem.name)} | `{mem.address}` | {', '.join(sorted(mem.roles))} | "
                      f"{'yes' if mem.active else 'no'} |")
    md += ["", "## Receivables", "",
           "| # | debtor | supplier | face value | maturity | status | repaid | recovered | paid out | certificates |",
           "|---|---|---|---:|---|---|---:|---:|---:|---:|"]
    for r in roots:
        md.append(f"| {r.id} | {_md(n(r.debtor))} | {_md(n(r.supplier))} | {m(r.face)} | {day(r.maturity)} | "
                  f"{r.status} | {m(r.paid)} | {m(r.recovered) if r.status != 'active' else '-'} | {m(r.payouts)} | "
                  f"{len(r.certs)} |")
    if ledger.financings:
        md += ["", "## Financings", "",
               "| certificate | seller | financier | amount | proceeds | price | offer rate | annualised discount |",
               "|---|---|---|---:|---:|---:|---:|---:|"]
        for f in ledger.financings:
            md.append(f"| #{f.cert_id} | {_md(n(f.seller))} | {_md(n(f.financier))} | {m(f.amount)} | "
                      f"{m(f.proceeds)} | {f.proceeds / f.amount:.4f} | {f.rate_bps / 100:.2f}% | "
                      f"{100 * f.annualised:.2f}% |")
    if ledger.loans:
        md += ["", "## Loans against certificates", "",
               "| loan | certificate | borrower | lender | units | principal | rate | state | repaid | to lender at "
               "settlement | to borrower | shortfall |", "|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|"]
        for ln in sorted(ledger.loans.values(), key=lambda x: x.id):
            lender = ln.lender or ln.named_lender
            md.append(f"| {ln.id} | #{ln.cert_id} | {_md(n(ln.borrower))} | "
                      f"{_md(n(lender)) if int(lender, 16) else 'any financier'} | {m(ln.units)} | {m(ln.principal)} | "
                      f"{ln.rate_bps / 100:.2f}% | {ln.state} | {m(ln.repaid)} | "
                      f"{m(ln.to_lender) if ln.by_clearing else '-'} | {m(ln.to_borrower)} | "
                      f"{m(ln.settled_debt - ln.to_lender) if ln.by_clearing else '-'} |")
    debtors = sorted({r.debtor for r in roots})
    if debtors:
        md += ["", "## Debtors", "", "| debtor | receivables | on-time rate | days late (max) | defaults | outstanding "
               "| credit limit |", "|---|---:|---:|---:|---:|---:|---:|"]
        for d in debtors:
            p = credit_profile(ledger, d)["debtor"]
            rate = "-" if p["onTimeRate"] is None else f"{100 * p['onTimeRate']:.1f}%"
            md.append(f"| {_md(n(d))} | {p['receivables']} | {rate} | {p['daysLateMax']:.1f} | {p['defaults']} | "
                      f"{m(p['outstanding'])} | {m(p['creditLimit'])} |")
    chart = "outstanding.svg"
    (out / chart).write_bytes(outstanding_chart(ledger))
    files.append(chart)
    md += ["", "## Outstanding volume over time", "", f"![outstanding receivables over time]({chart})", ""]
    md += ["## Certificate trees", ""]
    many = len(roots) > 50
    if many:
        md.append(f"{len(roots)} receivables: diagrams and pictures of the first 50 only.")
        md.append("")
    for r in roots[:50]:
        md += [f"### Receivable #{r.id} — {m(r.face)}, {r.status}", "", mermaid(ledger, r.id), ""]
        node = tree_node(ledger, r.id, with_ancestry=False)
        name = f"receivable-{r.id}.svg"
        title = f"Receivable #{r.id} — {r.status}"
        write_tree(node, out / name, n, title, box_lines(ledger), ledger.decimals)
        files.append(name)
        png = f"receivable-{r.id}.png"
        write_tree(node, out / png, n, title, box_lines(ledger), ledger.decimals)
        files.append(png)
        md += [f"![receivable #{r.id}]({name}) ([PNG]({png}))", ""]
    (out / "report.md").write_text("\n".join(md) + "\n")
    return {"report": str(out / "report.md"), "files": ["report.md", *files]}

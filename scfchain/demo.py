"""The SPEC demo case, told step by step: multi-tier credit penetration from a core enterprise's payable
down to a tier-3 small business, instant financing, repayment, and a default paid by the guarantee."""
from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

from eth_utils import keccak

from .anvil import Anvil
from .chain import Chain, connect
from .deploy import deploy
from .errors import ScfError
from .lifecycle import Scf
from .render import money, svg_tree, text_tree

DAY = 24 * 3600
UNIT = 100  # dCNY has 2 decimals

CAST = [
    ("operator", "Platform Operator", None),
    ("core", "Sichuan Tech Co.", "CORE_ENTERPRISE"),
    ("tier1", "Chengdu Precision Parts", "SUPPLIER"),
    ("tier2a", "Mianyang Castings", "SUPPLIER"),
    ("tier2b", "Deyang Wiring", "SUPPLIER"),
    ("sme", "Leshan Household Appliances", "SUPPLIER"),
    ("bank", "Bank of Chengdu", "FINANCIER"),
    ("factor", "Tianfu Financing Guarantee Co.", "FINANCIER"),
    ("guarantor", "Sichuan Credit Enhancement Inst.", "GUARANTOR"),
    ("clearing", "Western Clearing House", "CLEARING"),
]


def travel(scf: Scf, seconds: int) -> None:
    """Moves Anvil's clock forward (local chains only)."""
    scf.w3.provider.make_request("evm_increaseTime", [seconds])
    scf.w3.provider.make_request("evm_mine", [])


class Story:
    def __init__(self, scf: Scf, actors: dict[str, str], say: Callable[[str], None]):
        self.scf, self.a, self.say = scf, actors, say
        self.names = {addr: label for key, label, _ in CAST for k, addr in actors.items() if k == key}
        self.names[scf.desk.address] = "Financing Desk"
        self.record: dict[str, Any] = {"actors": {self.names[a]: a for a in actors.values()}, "steps": []}

    def name(self, address: str) -> str:
        return self.names.get(address, address[:10] + "…")

    def step(self, title: str, **data: Any) -> None:
        self.say(f"\n▶ {title}")
        self.record["steps"].append({"step": title, **data})


def run_demo(rpc_url: str | None = None, out_dir: str | Path = "demo-output", say: Callable[[str], None] = print) -> dict[str, Any]:
    """Runs the whole story; returns the JSON record it also writes to `out_dir/demo.json`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if rpc_url is None:
            say("Starting a local Anvil chain …")
            rpc_url = stack.enter_context(Anvil()).url
        w3 = connect(rpc_url)
        accounts = w3.eth.accounts
        if len(accounts) < len(CAST):
            raise ScfError(f"the demo needs {len(CAST)} unlocked accounts on the node, it has {len(accounts)}")
        actors = {key: accounts[i] for i, (key, _, _) in enumerate(CAST)}
        chain = Chain(w3)
        started = time.monotonic()
        deployment = deploy(chain, actors["operator"], progress=lambda m: say("  " + m))
        deployment.save(out / "deployment.json")
        scf = Scf(chain, deployment)
        record = _tell(Story(scf, actors, say))
        record["chainId"] = deployment.chain_id
        record["seconds"] = round(time.monotonic() - started, 2)
    write_pictures(record, out)
    (out / "demo.json").write_text(json.dumps(record, indent=2) + "\n")
    say(f"\nWrote {out / 'demo.json'}, {out / 'receivable-1.svg'} and {out / 'receivable-2.svg'}")
    return record


def _tell(s: Story) -> dict[str, Any]:
    scf, a, say = s.scf, s.a, s.say
    op = a["operator"]

    s.step("Onboarding the consortium")
    for key, label, role in CAST:
        if role:
            scf.onboard(op, a[key], role, label)
            say(f"  {label:34} {role.lower().replace('_', ' ')}")

    s.step("Funding participants with demo dCNY")
    for key, amount in (("core", 2_000_000), ("factor", 1_000_000), ("guarantor", 500_000)):
        scf.mint(op, a[key], amount * UNIT)
        say(f"  {s.name(a[key]):34} {money(amount * UNIT)} dCNY")

    now = scf.now()
    s.step("Credit enhancement and credit line")
    gid = scf.provide_guarantee(a["guarantor"], a["core"], 300_000 * UNIT, now + 200 * DAY)
    say(f"  {s.name(a['guarantor'])} guarantees {s.name(a['core'])}: 300,000.00 (guarantee #{gid}, 200 days)")
    limit = scf.set_credit_line(a["bank"], a["core"], 2_000_000 * UNIT)
    say(f"  {s.name(a['bank'])} grants a credit line: {money(limit)}")

    s.step("The core enterprise confirms its payable as receivable certificate #1")
    maturity = now + 90 * DAY
    root = scf.issue(a["core"], a["tier1"], 1_000_000 * UNIT, maturity, keccak(text="PO-2026-001 + delivery note"))
    say(f"  #{root}: 1,000,000.00 owed by {s.name(a['core'])} to {s.name(a['tier1'])}, matures in 90 days")

    s.step("Tier 1 splits it to its tier-2 suppliers")
    c_2a, c_2b = scf.split(a["tier1"], root, [a["tier2a"], a["tier2b"]], [400_000 * UNIT, 300_000 * UNIT])
    say(f"  #{c_2a} 400,000.00 → {s.name(a['tier2a'])};  #{c_2b} 300,000.00 → {s.name(a['tier2b'])}; keeps 300,000.00")

    s.step("A tier-2 supplier passes part down to a tier-3 small business with no contract with the core")
    (c_sme,) = scf.split(a["tier2a"], c_2a, [a["sme"]], [150_000 * UNIT])
    say(f"  #{c_sme} 150,000.00 → {s.name(a['sme'])} (tier {scf.certificate(c_sme).tier})")
    scf.transfer(a["tier2b"], a["tier2a"], c_2b, 50_000 * UNIT)
    say(f"  {s.name(a['tier2b'])} pays {s.name(a['tier2a'])} 50,000.00 of #{c_2b} by transfer")

    s.step("A second receivable, that will default")
    root2 = scf.issue(a["core"], a["tier1"], 500_000 * UNIT, maturity, keccak(text="PO-2026-002 + delivery note"))
    (c2_child,) = scf.split(a["tier1"], root2, [a["tier2b"]], [200_000 * UNIT])
    say(f"  #{root2}: 500,000.00 to {s.name(a['tier1'])}; #{c2_child} 200,000.00 split to {s.name(a['tier2b'])}")

    say("\nCertificate tree of receivable #1:\n" + text_tree(scf.tree(root), s.name))

    s.step("The financing guarantee company checks lineage on-chain, then buys the tier-3 certificate")
    offer = scf.post_offer(a["factor"], a["core"], 600, 500_000 * UNIT, 10_000 * UNIT, scf.now() + 30 * DAY)
    cert = scf.certificate(c_sme)
    lineage = []
    walk = cert
    while walk.parent_id:
        lineage.append(walk.id)
        walk = scf.certificate(walk.parent_id)
    lineage.append(walk.id)
    say(f"  offer #{offer}: 6.00% a year, budget 500,000.00")
    say(f"  lineage of #{c_sme}: " + " ← ".join(f"#{i}" for i in lineage) + f"; debtor {s.name(cert.debtor)} ✓")
    amount = 150_000 * UNIT
    quote = scf.quote(offer, c_sme, amount)
    t0 = time.monotonic()
    proceeds = scf.finance(a["sme"], offer, c_sme, amount, min_proceeds=quote)
    took = time.monotonic() - t0
    say(f"  quote {money(quote)} for {money(amount)}; paid {money(proceeds)} in one transaction ({took * 1000:.0f} ms)")
    s.record["financing"] = {"offerId": offer, "certId": c_sme, "amount": amount, "quote": quote,
                             "proceeds": proceeds, "rateBps": 600, "seconds": round(took, 3), "lineage": lineage}

    s.step("Maturity: the core enterprise repays receivable #1 in two parts")
    travel(scf, 90 * DAY)
    paid = scf.repay(a["core"], root, 600_000 * UNIT)
    say(f"  repaid 600,000.00 (total {money(paid)})")
    paid = scf.repay(a["core"], root, 400_000 * UNIT)
    say(f"  repaid 400,000.00 (total {money(paid)}) → receivable #{root} closed as {scf.certificate(root).status}")
    tree1 = scf.tree(root)

    s.step(f"Receivable #{root2}: partial repayment, then default after the grace period")
    scf.repay(a["core"], root2, 100_000 * UNIT)
    grace = scf.escrow.functions.gracePeriod().call()
    travel(scf, grace)
    paid2, covered = scf.declare_default(a["clearing"], root2)
    say(f"  paid {money(paid2)}, guarantee covered {money(covered)} → holders recover "
        f"{money(paid2 + covered)} of 500,000.00")
    tree2 = scf.tree(root2)

    s.step("Clearing: holders claim, the clearing house pushes the rest")
    payouts: list[dict[str, Any]] = []
    holders = scf.holders()
    ids = [i for i in sorted(holders) if scf.certificate(i).root_id in (root, root2)]
    pull = [(i, h) for i in ids for h in holders[i] if h == a["tier1"]]
    push = [(i, h) for i in ids for h in holders[i] if h != a["tier1"]]
    before = {h: scf.token_balance(h) for _, h in pull + push}
    got = scf.claim(a["tier1"], [i for i, _ in pull])
    say(f"  {s.name(a['tier1'])} claims {money(got)}")
    pushed = scf.settle(a["clearing"], [i for i, _ in push], [h for _, h in push])
    say(f"  {s.name(a['clearing'])} settles {len(push)} holdings: {money(pushed)}")
    for i, h in pull + push:
        payouts.append({"id": i, "rootId": scf.certificate(i).root_id, "holder": h, "name": s.name(h),
                        "units": holders[i][h]})
    for ev in scf.escrow.events.Claimed.get_logs(from_block=scf.deployment.block):
        for p in payouts:
            if p["id"] == ev["args"]["id"] and p["holder"] == ev["args"]["holder"]:
                p["payout"] = ev["args"]["payout"]

    say("\nFinal payouts")
    say(f"  {'holder':34} {'cert':>5} {'units':>14} {'payout':>14}")
    for p in payouts:
        say(f"  {p['name']:34} {'#' + str(p['id']):>5} {money(p['units']):>14} {money(p.get('payout', 0)):>14}")
    live = sum(scf.balance(h, i) for i, book in holders.items() for h in book)
    totals = {r: sum(p.get("payout", 0) for p in payouts if p["rootId"] == r) for r in (root, root2)}
    recovered = {r: scf.escrow.functions.recovered(r).call() for r in (root, root2)}
    say(f"\nSummary: receivable #{root} paid {money(totals[root])} of {money(recovered[root])} recovered; "
        f"#{root2} paid {money(totals[root2])} of {money(recovered[root2])} recovered; live units left {live}")
    say(f"  escrow holds {money(scf.token_balance(scf.escrow.address))} (rounding dust), "
        f"desk {money(scf.token_balance(scf.desk.address))} (unspent offer budget)")
    out_trees = {"receivable-1.svg": (tree1, f"Receivable #{root} — paid"),
                 "receivable-2.svg": (tree2, f"Receivable #{root2} — defaulted, guarantee called")}
    s.record.update({
        "receivables": [
            {"rootId": root, "faceValue": 1_000_000 * UNIT, "status": scf.certificate(root).status,
             "recovered": recovered[root], "paidOut": totals[root], "tree": text_tree(tree1, s.name)},
            {"rootId": root2, "faceValue": 500_000 * UNIT, "status": scf.certificate(root2).status,
             "recovered": recovered[root2], "paidOut": totals[root2], "covered": covered,
             "tree": text_tree(tree2, s.name)},
        ],
        "payouts": payouts,
        "liveUnits": live,
        "balances": {"escrow": scf.token_balance(scf.escrow.address), "desk": scf.token_balance(scf.desk.address),
                     "guarantee": scf.token_balance(scf.guarantee.address)},
        "beforeClearing": before,
    })
    s.record["_svg"] = {f: svg_tree(t, s.name, title) for f, (t, title) in out_trees.items()}
    return s.record


def write_pictures(record: dict[str, Any], out_dir: str | Path) -> None:
    for fname, svg in record.pop("_svg", {}).items():
        (Path(out_dir) / fname).write_text(svg)

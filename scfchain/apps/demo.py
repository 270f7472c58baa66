"""The SPEC demo case, told step by step: multi-tier credit penetration from a core enterprise's payable
down to a tier-3 small business, instant financing, repayment, and a default paid by the guarantee."""
from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

from eth_utils import keccak

from . import demo_documents as docs
from scfchain.anvil import Anvil
from scfchain.chain import Chain, connect
from scfchain.deploy import deploy, deployment_on_chain
from scfchain.errors import ScfError
from scfchain.lifecycle import Scf, holders_of, role_id
from scfchain.constants import DAY, money
from scfchain.render import svg_tree, text_tree

UNIT = 100  # dCNY has 2 decimals
AUDIT_DB = "deployment.audit.sqlite"  # the auditor's index of the demo's chain (beside deployment.json)
LOAN = {"units": 150_000 * UNIT, "principal": 120_000 * UNIT, "rateBps": 800, "repayOnDemand": 40_000 * UNIT}

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
    """Moves the clock of a local chain `seconds` past the latest block: the next block is stamped exactly then
    (not `evm_increaseTime`, which counts from the wall clock and which a node with a fixed block time interval,
    as the resume tests use for runs that must match, ignores)."""
    scf.w3.provider.make_request("evm_setNextBlockTimestamp", [scf.now() + seconds])
    scf.w3.provider.make_request("evm_mine", [])


class Story:
    pace = 0.0  # seconds to wait before each step, so that an audience can follow it in the explorer

    def __init__(self, scf: Scf, actors: dict[str, str], say: Callable[[str], None], out: Path = Path("."),
                 resumed: bool = False, rpc_url: str = ""):
        self.scf, self.a, self.say, self.rpc_url = scf, actors, say, rpc_url
        self.out, self.resumed = out, resumed  # the output folder keeps the invoice's salts for a resumed run
        self.names = {addr: label for key, label, _ in CAST for k, addr in actors.items() if k == key}
        self.names[scf.desk.address] = "Financing Desk"
        self.names[scf.loan_desk.address] = "Loan Desk (pledged)"
        self.record: dict[str, Any] = {"actors": {self.names[a]: a for a in actors.values()}, "steps": []}

    def name(self, address: str) -> str:
        return self.names.get(address, address[:10] + "…")

    def step(self, title: str, **data: Any) -> None:
        if self.pace:
            time.sleep(self.pace)
        self.say(f"\n▶ {title}")
        self.record["steps"].append({"step": title, **data})


def run_demo(rpc_url: str | None = None, out_dir: str | Path = "demo-output", say: Callable[[str], None] = print,
             on_deployed: Callable[[Path], None] | None = None, pace: float = 0.0) -> dict[str, Any]:
    """Runs the whole story; returns the JSON record it also writes to `out_dir/demo.json`.

    `on_deployed(deployment_file)` is called once the contracts are on the chain, before the story starts (the
    explorer of `scfchain demo --serve` starts there); `pace` seconds pass before each step.

    On a node given by `rpc_url`, a run that was cut short (the node or the client went away) is resumed by
    running the same command again: the deployment in `out_dir/deployment.json` is reused if its contracts
    are still on the chain, and every step first looks on chain for what it would do, so nothing is done twice."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    resume = rpc_url is not None
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
        deployment = _resumable(w3, out / "deployment.json", actors["operator"]) if resume else None
        resumed = deployment is not None
        if resumed:
            say(f"Resuming the demo on the deployment in {out / 'deployment.json'} (steps already on chain are skipped)")
        else:
            deployment = deploy(chain, actors["operator"], progress=lambda m: say("  " + m))
            docs.forget_invoice(out)
            deployment.save(out / "deployment.json")
            (out / AUDIT_DB).unlink(missing_ok=True)  # an index of an earlier run's deployment
        if on_deployed is not None:
            on_deployed(out / "deployment.json")
        scf = Scf(chain, deployment)
        story = Story(scf, actors, say, out, resumed, rpc_url)
        story.pace = pace
        record = _tell(story)
        record["chainId"] = deployment.chain_id
        record["seconds"] = round(time.monotonic() - started, 2)
    write_pictures(record, out)
    (out / "demo.json").write_text(json.dumps(record, indent=2) + "\n")
    say(f"\nWrote {out / 'demo.json'}, {out / 'receivable-1.svg'} and {out / 'receivable-2.svg'}")
    return record


def _resumable(w3: Any, path: Path, operator: str) -> Any:
    """The deployment of an earlier run, if every contract of it is still on this chain, else None."""
    deployment = deployment_on_chain(w3, path)
    return deployment if deployment and deployment.deployer.lower() == operator.lower() else None


def _travel_to(scf: Scf, timestamp: int) -> None:
    """Moves the clock to `timestamp` unless it is already past it (travel is not repeated on a resume)."""
    now = scf.now()
    if now < timestamp:
        travel(scf, timestamp - now)


def _split_once(scf: Scf, holder: str, parent: int, to: list[str], amounts: list[int]) -> list[int]:
    done = scf.events(scf.certificates, "CertificateSplit", parentId=parent, holder=holder)
    return list(done[0]["childIds"]) if done else scf.split(holder, parent, to, amounts)


def _issue_once(scf: Scf, core: str, supplier: str, face: int, maturity: int, document: bytes) -> int:
    root = scf.certificates.functions.receivableOf(document).call()
    return root or scf.issue(core, supplier, face, maturity, document)


def _tell(s: Story) -> dict[str, Any]:
    scf, a, say = s.scf, s.a, s.say
    op = a["operator"]

    s.step("Onboarding the consortium")
    for key, label, role in CAST:
        if role:
            if not scf.consortium.functions.hasRole(role_id(role), a[key]).call():
                scf.onboard(op, a[key], role, label)
            say(f"  {label:34} {role.lower().replace('_', ' ')}")

    s.step("Funding participants with demo dCNY")
    for key, amount in (("core", 2_000_000), ("factor", 1_000_000), ("bank", 1_000_000), ("guarantor", 500_000)):
        minted = sum(e["value"] for e in scf.events(scf.token, "Transfer", to=a[key]) if int(e["from"], 16) == 0)
        if minted < amount * UNIT:
            scf.mint(op, a[key], amount * UNIT - minted)
        say(f"  {s.name(a[key]):34} {money(amount * UNIT)} dCNY")

    invoice = docs.earlier_invoice(s.out) if s.resumed else None
    # The story's clock starts when the first run did; a resumed run reads it back from the invoice's due date.
    now = docs.invoice_due(invoice) - 90 * DAY if invoice else scf.now()
    s.step("Credit enhancement and credit line")
    provided = scf.events(scf.guarantee, "GuaranteeProvided", guarantor=a["guarantor"], debtor=a["core"])
    gid = provided[0]["guaranteeId"] if provided else scf.provide_guarantee(
        a["guarantor"], a["core"], 300_000 * UNIT, now + 200 * DAY)
    say(f"  {s.name(a['guarantor'])} guarantees {s.name(a['core'])}: 300,000.00 (guarantee #{gid}, 200 days)")
    if scf.certificates.functions.creditLine(a["bank"], a["core"]).call() != 2_000_000 * UNIT:
        scf.set_credit_line(a["bank"], a["core"], 2_000_000 * UNIT)
    limit = scf.certificates.functions.creditLimit(a["core"]).call()
    say(f"  {s.name(a['bank'])} grants a credit line: {money(limit)}")

    s.step("The core enterprise confirms its payable as receivable certificate #1")
    maturity = now + 90 * DAY
    invoice = invoice or docs.commit_invoice(s.out, (s.name(a["core"]), a["core"]), (s.name(a["tier1"]), a["tier1"]),
                                             1_000_000 * UNIT, maturity)
    say(f"  invoice committed: {len(invoice.fields)} fields, each salted; root 0x{invoice.root.hex()[:10]}… "
        f"is the documentHash")
    root = _issue_once(scf, a["core"], a["tier1"], 1_000_000 * UNIT, maturity, invoice.root)
    say(f"  #{root}: 1,000,000.00 owed by {s.name(a['core'])} to {s.name(a['tier1'])}, matures in 90 days")

    s.step("Tier 1 splits it to its tier-2 suppliers")
    c_2a, c_2b = _split_once(scf, a["tier1"], root, [a["tier2a"], a["tier2b"]], [400_000 * UNIT, 300_000 * UNIT])
    say(f"  #{c_2a} 400,000.00 → {s.name(a['tier2a'])};  #{c_2b} 300,000.00 → {s.name(a['tier2b'])}; keeps 300,000.00")

    s.step("A tier-2 supplier passes part down to a tier-3 small business with no contract with the core")
    (c_sme,) = _split_once(scf, a["tier2a"], c_2a, [a["sme"]], [150_000 * UNIT])
    say(f"  #{c_sme} 150,000.00 → {s.name(a['sme'])} (tier {scf.certificate(c_sme).tier})")
    if not scf.events(scf.certificates, "TransferSingle", **{"from": a["tier2b"], "to": a["tier2a"], "id": c_2b}):
        scf.transfer(a["tier2b"], a["tier2a"], c_2b, 50_000 * UNIT)
    say(f"  {s.name(a['tier2b'])} pays {s.name(a['tier2a'])} 50,000.00 of #{c_2b} by transfer")

    s.step("A second receivable, that will default")
    root2 = _issue_once(scf, a["core"], a["tier1"], 500_000 * UNIT, maturity, keccak(text="PO-2026-002 + delivery note"))
    (c2_child,) = _split_once(scf, a["tier1"], root2, [a["tier2b"]], [200_000 * UNIT])
    say(f"  #{root2}: 500,000.00 to {s.name(a['tier1'])}; #{c2_child} 200,000.00 split to {s.name(a['tier2b'])}")

    say("\nCertificate tree of receivable #1:\n" + text_tree(scf.tree(root), s.name))

    _discounting(s, c_2b)
    loan_id = _loan_application(s, c_sme, invoice)
    _repay_on_demand(s, loan_id, now + 30 * DAY)

    s.step("Maturity: the core enterprise repays receivable #1 in two parts")
    _travel_to(scf, maturity)
    paid = scf.escrow.functions.paid(root).call()
    if paid < 600_000 * UNIT:
        paid = scf.repay(a["core"], root, 600_000 * UNIT - paid)
    say(f"  repaid 600,000.00 (total {money(paid)})")
    if paid < 1_000_000 * UNIT:
        paid = scf.repay(a["core"], root, 1_000_000 * UNIT - paid)
    say(f"  repaid 400,000.00 (total {money(paid)}) → receivable #{root} closed as {scf.certificate(root).status}")
    tree1 = scf.tree(root)

    s.step(f"Receivable #{root2}: partial repayment, then default after the grace period")
    if scf.certificate(root2).status == "active" and scf.escrow.functions.paid(root2).call() == 0:
        scf.repay(a["core"], root2, 100_000 * UNIT)
    grace = scf.escrow.functions.gracePeriod().call()
    _travel_to(scf, maturity + grace)
    declared = scf.events(scf.escrow, "DefaultDeclared", rootId=root2)
    paid2, covered = (declared[0]["paid"], declared[0]["covered"]) if declared else scf.declare_default(
        a["clearing"], root2)
    say(f"  paid {money(paid2)}, guarantee covered {money(covered)} → holders recover "
        f"{money(paid2 + covered)} of 500,000.00")
    tree2 = scf.tree(root2)

    s.step("Clearing: holders claim, the clearing house pushes the rest")
    payouts: list[dict[str, Any]] = []
    ledger = scf.ledger()
    holders = holders_of(ledger)
    ids = [i for i in sorted(holders) if ledger.certs[i].root_id in (root, root2)]
    pull = [(i, h) for i in ids for h in holders[i] if h == a["tier1"]]
    push = [(i, h) for i in ids for h in holders[i] if h != a["tier1"]]
    before = {h: scf.token_balance(h) for _, h in pull + push}
    # Only positions still held are claimed or settled (on a resumed run, some may be paid already).
    got = scf.claim(a["tier1"], [i for i, _ in pull]) if pull else 0
    say(f"  {s.name(a['tier1'])} claims {money(got)}")
    pushed = scf.settle(a["clearing"], [i for i, _ in push], [h for _, h in push]) if push else 0
    say(f"  {s.name(a['clearing'])} settles {len(push)} holdings: {money(pushed)} (the pledged units' payout to "
        "the loan desk included)")
    _settle_loan(s, loan_id)
    # Every payout of the two receivables, from the Claimed events (whichever run made it).
    for e in scf.events(scf.escrow, "Claimed"):
        if e["rootId"] in (root, root2):
            payouts.append({"id": e["id"], "rootId": e["rootId"], "holder": e["holder"], "name": s.name(e["holder"]),
                            "units": e["units"], "payout": e["payout"]})

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
        f"desk {money(scf.token_balance(scf.desk.address))} (unspent offer budget), loan desk "
        f"{money(scf.token_balance(scf.loan_desk.address))}")
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
                     "loanDesk": scf.token_balance(scf.loan_desk.address),
                     "loanDeskUnits": scf.balance(scf.loan_desk.address, s.record["loan"]["certId"]),
                     "guarantee": scf.token_balance(scf.guarantee.address)},
        "beforeClearing": before,
    })
    s.record["_svg"] = {f: svg_tree(t, s.name, title) for f, (t, title) in out_trees.items()}
    return s.record


def _discounting(s: Story, cert_id: int) -> None:
    """A tier-2 supplier sells part of its certificate to the bank for instant cash (a true sale)."""
    scf, a, say = s.scf, s.a, s.say
    s.step("Discounting: a tier-2 supplier sells part of its certificate to the bank for instant cash")
    posted = scf.events(scf.desk, "OfferPosted", financier=a["bank"], debtor=a["core"])
    offer = posted[0]["offerId"] if posted else scf.post_offer(
        a["bank"], a["core"], 500, 500_000 * UNIT, 10_000 * UNIT, scf.now() + 30 * DAY)
    say(f"  {s.name(a['bank'])} offer #{offer}: 5.00% a year, budget 500,000.00")
    amount = 100_000 * UNIT
    sold = scf.events(scf.desk, "Financed", offerId=offer, certId=cert_id, seller=a["tier2b"])
    t0 = time.monotonic()
    if sold:  # a resumed run: the sale went through before (at the price quoted then)
        quote = proceeds = sold[0]["proceeds"]
    else:
        quote = scf.quote(offer, cert_id, amount)
        proceeds = scf.finance(a["tier2b"], offer, cert_id, amount, min_proceeds=quote)
    took = time.monotonic() - t0
    say(f"  {s.name(a['tier2b'])} sells {money(amount)} of #{cert_id}: quote {money(quote)}, paid {money(proceeds)} "
        f"in one transaction ({took * 1000:.0f} ms)")
    s.record["financing"] = {"offerId": offer, "certId": cert_id, "seller": a["tier2b"], "financier": a["bank"],
                             "amount": amount, "quote": quote, "proceeds": proceeds, "rateBps": 500,
                             "seconds": round(took, 3), "lineage": _lineage(scf, cert_id)}


def _lineage(scf: Scf, cert_id: int) -> list[int]:
    """The ids from `cert_id` up to its root, read from certificate() on chain."""
    ids, walk = [], scf.certificate(cert_id)
    while walk.parent_id:
        ids.append(walk.id)
        walk = scf.certificate(walk.parent_id)
    return ids + [walk.id]


def _credit_profile(s: Story, member: str, before: int | None = None) -> dict[str, Any]:
    """The member's credit profile as the auditor rebuilds it from the chain's events (its index beside
    deployment.json, brought up to date); only from the events of blocks before `before`, if given."""
    from scfchain.audit.credit import credit_profile
    from scfchain.audit.replay import load
    from scfchain.audit.session import open_session

    assert s.out is not None
    session = open_session(str(s.out / "deployment.json"), s.rpc_url, f"sqlite:///{s.out / AUDIT_DB}")
    try:
        session.update(confirmations=0)
        if before is None:
            return credit_profile(session.ledger(), member)
        return credit_profile(load(session.store, (e for e in session.store.events() if e.block < before)), member)
    finally:
        session.close()


def _loan_application(s: Story, cert_id: int, invoice: Any) -> int:
    """The paper's case: the tier-3 business applies for a loan against its certificate; the financing guarantee
    company reads its credit profile and the certificate's lineage from the chain, checks the invoice fields the
    business discloses against the document root on chain, then funds in one transaction. Returns the loan id."""
    scf, a, say = s.scf, s.a, s.say
    sme, lender = a["sme"], a["factor"]
    s.step("The tier-3 business applies for a loan against its certificate")
    asked = [e for e in scf.events(scf.loan_desk, "LoanRequested", borrower=sme, certId=cert_id)]
    loan_id = asked[0]["loanId"] if asked else scf.request_loan(
        sme, cert_id, LOAN["units"], LOAN["principal"], LOAN["rateBps"], lender, scf.now() + 7 * DAY)
    say(f"  loan #{loan_id}: {s.name(sme)} pledges {money(LOAN['units'])} of #{cert_id} (the units move into the "
        f"loan desk's custody) and asks {s.name(lender)} for {money(LOAN['principal'])} at "
        f"{LOAN['rateBps'] / 100:.2f}% a year")

    s.step("The financing guarantee company assesses the application from the chain")
    # A resumed run that funded the loan before assesses as the first run did: from the chain before the funding.
    funded_in = [e["blockNumber"] for e in scf.loan_desk.events.LoanFunded.get_logs(from_block=scf.deployment.block)
                 if e["args"]["loanId"] == loan_id]
    profile = _credit_profile(s, sme, before=funded_in[0] if funded_in else None)
    received = profile["received"]
    say(f"  credit profile of {s.name(sme)}: {received['certificates']} certificate(s) received, "
        f"{money(received['units'])} units, at tier(s) {', '.join(received['byTier']) or '-'}; "
        f"{profile['financed']['count']} earlier sales")
    cert = scf.certificate(cert_id)
    lineage = _lineage(scf, cert_id)
    root = scf.certificate(lineage[-1])
    say(f"  lineage of #{cert_id}: " + " ← ".join(f"#{i}" for i in lineage) + f"; root issued by "
        f"{s.name(root.debtor)} ({root.status}), matures with it; debtor {s.name(cert.debtor)} ✓")

    s.step("The tier-3 business shows the financing guarantee company its trade background")
    s.record["documents"] = docs.check_trade_background(scf, invoice, cert_id, s.out)
    for line in docs.describe(s.record["documents"], s.name(sme), s.name(lender)):
        say(line)

    s.step("Approved: the loan is paid out in one transaction")
    loan = scf.loan(loan_id)
    t0 = time.monotonic()
    if loan.state == "requested":
        principal = scf.fund_loan(lender, loan_id)
    else:  # a resumed run: funded before
        principal = loan.principal
    took = time.monotonic() - t0
    say(f"  {s.name(lender)} funds loan #{loan_id}: {money(principal)} to {s.name(sme)} in one transaction "
        f"({took * 1000:.0f} ms)")
    funded = scf.loan(loan_id)
    s.record["loan"] = {"loanId": loan_id, "certId": cert_id, "borrower": sme, "lender": funded.lender,
                        "units": funded.units, "principal": funded.principal, "rateBps": funded.annual_rate_bps,
                        "fundedAt": funded.funded_at, "maturity": cert.maturity, "fundSeconds": round(took, 3),
                        "lineage": lineage, "creditProfile": {"received": received,
                                                              "financed": profile["financed"]["count"],
                                                              "loans": profile.get("loans")}}
    return loan_id


def _repay_on_demand(s: Story, loan_id: int, when: int) -> None:
    """Some weeks later the business repays part of the loan, on demand (interest first)."""
    scf, a, say = s.scf, s.a, s.say
    s.step("On demand: the business repays part of its loan")
    _travel_to(scf, when)
    done = scf.events(scf.loan_desk, "LoanRepaid", loanId=loan_id, payer=a["sme"])
    if done:
        taken, left = done[0]["amount"], done[0]["remainingDebt"]
    else:
        debt = scf.debt(loan_id)
        taken, left = scf.repay_loan(a["sme"], loan_id, LOAN["repayOnDemand"])
        say(f"  debt was {money(debt)} after {(scf.now() - scf.loan(loan_id).funded_at) / DAY:.0f} days")
    say(f"  {s.name(a['sme'])} repays {money(taken)}; debt left {money(left)}")
    s.record["loan"]["repaidOnDemand"] = {"amount": taken, "remainingDebt": left}


def _settle_loan(s: Story, loan_id: int) -> None:
    """The clearing has paid the pledged units' payout to the desk: settling the loan pays the lender first
    (its debt) and the business the rest, in one transaction."""
    scf, a, say = s.scf, s.a, s.say
    done = scf.events(scf.loan_desk, "LoanSettled", loanId=loan_id)
    if done:
        settled = {"payout": done[0]["payout"], "toLender": done[0]["toLender"], "toBorrower": done[0]["toBorrower"]}
        debt = settled["toLender"]
    else:
        debt = scf.debt(loan_id)
        settled = scf.settle_loan(a["clearing"], loan_id)
    say(f"  loan #{loan_id} settled: payout {money(settled['payout'])} → {s.name(a['factor'])} "
        f"{money(settled['toLender'])} (its debt), {s.name(a['sme'])} {money(settled['toBorrower'])} (the rest)")
    s.record["loan"]["settlement"] = {**settled, "debt": debt}
    s.record["loan"]["state"] = scf.loan(loan_id).state


def write_pictures(record: dict[str, Any], out_dir: str | Path) -> None:
    for fname, svg in record.pop("_svg", {}).items():
        (Path(out_dir) / fname).write_text(svg)

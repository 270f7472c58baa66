"""The scripted lifecycle the audit tests check against: three receivables of one core enterprise, split
down three tiers, one transfer, two financings, repayment on time in two parts, one repaid five days
late, and one partial repayment followed by a default that the guarantee covers; then claims and a
clearing batch. Returns what the script did, for the tests to compare with the audit's output."""
from __future__ import annotations

from typing import Any

from eth_utils import keccak

from scfchain import Chain, Scf, deploy
from scfchain.constants import DAY

U = 100  # 2 decimals
NAMES = {
    "core": "Sichuan Tech Co.", "t1": "Chengdu Precision Parts", "t2a": "Mianyang Castings", "t2b": "Deyang Wiring",
    "sme": "Leshan Household Appliances", "bank": "Bank of Chengdu", "factor": "Tianfu Financing Guarantee Co.",
    "guarantor": "Sichuan Credit Enhancement Inst.", "clearing": "Western Clearing House",
}
ROLES = {"core": "CORE_ENTERPRISE", "t1": "SUPPLIER", "t2a": "SUPPLIER", "t2b": "SUPPLIER", "sme": "SUPPLIER",
         "bank": "FINANCIER", "factor": "FINANCIER", "guarantor": "GUARANTOR", "clearing": "CLEARING"}


def travel(w3: Any, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])
    w3.provider.make_request("evm_mine", [])


def deployed_with_members(w3: Any) -> tuple[dict[str, str], Chain, Any, Scf]:
    """A fresh deployment with the cast onboarded: (actor addresses by key, chain, deployment, Scf)."""
    acc = w3.eth.accounts
    a = {"op": acc[0], **{k: acc[i + 1] for i, k in enumerate(NAMES)}}
    chain = Chain(w3)
    dep = deploy(chain, a["op"])
    scf = Scf(chain, dep)
    for key, name in NAMES.items():
        scf.onboard(a["op"], a[key], ROLES[key], name)
    return a, chain, dep, scf


def run_scenario(w3: Any) -> dict[str, Any]:
    a, chain, dep, scf = deployed_with_members(w3)
    scf.mint(a["op"], a["core"], 3_000_000 * U)
    scf.mint(a["op"], a["factor"], 1_000_000 * U)
    scf.mint(a["op"], a["guarantor"], 500_000 * U)
    t0 = scf.now()
    gid = scf.provide_guarantee(a["guarantor"], a["core"], 300_000 * U, t0 + 200 * DAY)
    scf.set_credit_line(a["bank"], a["core"], 2_000_000 * U)

    m1, m2, m3 = t0 + 90 * DAY, t0 + 60 * DAY, t0 + 45 * DAY
    r1 = scf.issue(a["core"], a["t1"], 1_000_000 * U, m1, keccak(text="INV-1"))
    c2, c3 = scf.split(a["t1"], r1, [a["t2a"], a["t2b"]], [400_000 * U, 300_000 * U])
    (c4,) = scf.split(a["t2a"], c2, [a["sme"]], [150_000 * U])
    scf.transfer(a["t2b"], a["t2a"], c3, 50_000 * U)
    r2 = scf.issue(a["core"], a["t1"], 500_000 * U, m2, keccak(text="INV-2"))
    (c6,) = scf.split(a["t1"], r2, [a["t2b"]], [200_000 * U])
    r3 = scf.issue(a["core"], a["t2a"], 200_000 * U, m3, keccak(text="INV-3"))

    offer = scf.post_offer(a["factor"], a["core"], 600, 500_000 * U, 10_000 * U, scf.now() + 30 * DAY)
    fin1_time = scf.now()
    p1 = scf.finance(a["sme"], offer, c4, 150_000 * U)
    p1_time = w3.eth.get_block("latest")["timestamp"]
    p2 = scf.finance(a["t2b"], offer, c6, 100_000 * U)
    p2_time = w3.eth.get_block("latest")["timestamp"]

    travel(w3, 30 * DAY)
    scf.repay(a["core"], r1, 600_000 * U)
    scf.repay(a["core"], r2, 100_000 * U)  # partial; r2 will default
    travel(w3, 20 * DAY)  # day 50: r3 (due day 45) repaid 5 days late
    scf.repay(a["core"], r3, 200_000 * U)
    r3_repaid = w3.eth.get_block("latest")["timestamp"]
    travel(w3, 39 * DAY)  # day 89: r1 repaid on time
    scf.repay(a["core"], r1, 400_000 * U)
    grace = scf.escrow.functions.gracePeriod().call()
    travel(w3, grace)  # well past r2's maturity + grace
    paid2, covered2 = scf.declare_default(a["clearing"], r2)
    default_time = w3.eth.get_block("latest")["timestamp"]

    # claims: tier-1 claims its own, the clearing house pushes the rest except Deyang Wiring's #6 (left
    # unclaimed: the escrow must still hold its payout); r3's holder claims.
    holders = scf.holders()
    t1_ids = [i for i in (r1, r2) if holders.get(i, {}).get(a["t1"])]
    claimed_t1 = scf.claim(a["t1"], t1_ids)
    push = [(i, h) for i in sorted(holders) for h in holders[i]
            if h != a["t1"] and i != r3 and (i, h) != (c6, a["t2b"])]
    pushed = scf.settle(a["clearing"], [i for i, _ in push], [h for _, h in push])
    claimed_r3 = scf.claim(a["t2a"], [r3])
    final_block = w3.eth.block_number
    return {
        "dep": dep, "scf": scf, "a": a, "gid": gid, "offer": offer, "roots": (r1, r2, r3),
        "certs": {"r1": r1, "c2": c2, "c3": c3, "c4": c4, "r2": r2, "c6": c6, "r3": r3},
        "maturity": {r1: m1, r2: m2, r3: m3}, "proceeds": (p1, p2), "finance_times": (p1_time, p2_time),
        "fin1_time": fin1_time, "paid2": paid2, "covered2": covered2, "claimed_t1": claimed_t1,
        "pushed": pushed, "claimed_r3": claimed_r3, "r3_repaid": r3_repaid, "holders_before": holders,
        "final_block": final_block, "grace": grace,
        "default_time": default_time, "offer_rate": 600,
    }

"""Gas benchmark (`make bench`): whole-transaction gas (21,000 base included) of every action, next to
OpenZeppelin's plain ERC1155 measured in the same run, with the issues' targets. Writes bench/gas.json."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from eth_utils import keccak

from scfchain.anvil import Anvil
from scfchain.chain import Chain, connect
from scfchain.deploy import deploy
from scfchain.lifecycle import Scf
from scfchain.toolchain import ROOT
from tools.toolchain import compile_contracts  # the dev toolchain: run from the checkout (`make bench`)

DAY = 24 * 3600
ZERO = "0x" + "00" * 20

TARGETS = {
    "issue (2nd receivable of a debtor)": 160_000,
    "split into 2": 170_000,
    "split: each further child": 56_000,
    "safeTransferFrom to a new holder": 80_000,
    "finance": 125_000,
    "repay (partial)": 100_000,
    "claim of one certificate": 80_000,
    "settle: each further holder": 45_000,
    "requestLoan (not the desk's first; new id)": 170_000,
    "fundLoan (borrower holds tokens)": 85_000,
    "fundLoan (borrower's first tokens)": 85_000,
    "repayLoan (partial, first)": 76_000,
    "settleLoan (claims the pool)": 112_000,
}


def measure(scf: Scf, accounts: list[str], say: Callable[[str], None] = print) -> dict[str, Any]:
    chain, w3 = scf.chain, scf.w3
    op, core, bank, factor = accounts[0], accounts[1], accounts[2], accounts[3]
    pool = iter(accounts[4:])
    gas: dict[str, int] = {}

    def gas_of(fn: Any, signer: str) -> int:
        return chain.transact(fn, signer)["gasUsed"]

    scf.onboard(op, core, "CORE_ENTERPRISE", "core")
    for who in (bank, factor):
        scf.onboard(op, who, "FINANCIER", "financier")
    suppliers = [next(pool) for _ in range(34)]
    for s in suppliers:
        scf.onboard(op, s, "SUPPLIER", "supplier")
    scf.onboard(op, op, "CLEARING", "clearing")
    scf.set_credit_line(bank, core, 10**15)
    scf.mint(op, core, 10**14)
    scf.mint(op, factor, 10**14)
    cert = scf.certificates.functions
    maturity = scf.now() + 90 * DAY
    face = 1_000_000_00
    t1 = suppliers[0]

    def doc(i: int) -> bytes:
        return keccak(text=f"bench-{i}")

    say("measuring issue, split and transfer …")
    scf.issue(core, t1, face, maturity, doc(0))
    gas["issue (2nd receivable of a debtor)"] = gas_of(cert.issue(t1, face, maturity, doc(1)), core)
    root2 = 2
    gas["split into 2"] = gas_of(cert.split(1, suppliers[1:3], [1000, 1000]), t1)
    gas["split into 8"] = gas_of(cert.split(root2, suppliers[3:11], [1000] * 8), t1)
    gas["split: each further child"] = (gas["split into 8"] - gas["split into 2"]) // 6
    gas["safeTransferFrom to a new holder"] = gas_of(cert.safeTransferFrom(t1, suppliers[11], 1, 500, b""), t1)
    gas["safeTransferFrom to an existing holder"] = gas_of(cert.safeTransferFrom(t1, suppliers[11], 1, 500, b""), t1)

    plain_art = compile_contracts()["PlainERC1155"]
    factory = w3.eth.contract(abi=plain_art["abi"], bytecode=plain_art["bytecode"])
    plain = w3.eth.contract(address=chain.transact(factory.constructor(), op)["contractAddress"], abi=plain_art["abi"])
    gas["OZ ERC1155: mint to a new holder"] = gas_of(plain.functions.mint(t1, 1, face), op)
    gas["OZ ERC1155: transfer to a new holder"] = gas_of(
        plain.functions.safeTransferFrom(t1, suppliers[11], 1, 500, b""), t1
    )

    say("measuring finance, repay, claim and settle …")
    offer = scf.post_offer(factor, core, 600, 10**12, 1, scf.now() + 30 * DAY)
    seller = suppliers[1]
    chain.transact(cert.setApprovalForAll(scf.desk.address, True), seller)
    child = 3  # suppliers[1]'s child of root 1
    q = scf.quote(offer, child, 400)
    gas["finance"] = gas_of(scf.desk.functions.finance(offer, child, 400, q, scf.now() + 600), seller)
    scf._ensure_allowance(core, scf.escrow.address, 10**14)
    gas["repay (partial)"] = gas_of(scf.escrow.functions.repay(1, 1000), core)
    gas["repay (closing)"] = gas_of(scf.escrow.functions.repay(1, face - 1000), core)
    gas["claim of one certificate"] = gas_of(scf.escrow.functions.claim([child]), seller)
    # Root 2: eight holders of children 5..12; close it, then settle one vs. five holders.
    chain.transact(scf.escrow.functions.repay(root2, face), core)
    one = gas_of(scf.escrow.functions.settle([5], [suppliers[3]]), op)
    five = gas_of(scf.escrow.functions.settle([6, 7, 8, 9, 10], suppliers[4:9]), op)
    gas["settle: 1 holder"] = one
    gas["settle: 5 holders"] = five
    gas["settle: each further holder"] = (five - one) // 4

    say("measuring claim cost against tree size (256 certificates vs 1) …")
    big = scf.issue(core, t1, face, maturity, doc(2))
    first = scf.split(t1, big, [t1] * 64, [100] * 64)
    for parent, n in ((first[0], 64), (first[1], 64), (first[2], 63)):
        scf.split(t1, parent, [t1] * n, [1] * n)
    leaf_id = scf.certificates.functions.nextId().call() - 1
    count = leaf_id - big + 1
    small = scf.issue(core, suppliers[20], face, maturity, doc(3))
    x, y = suppliers[21], suppliers[22]
    scf.transfer(t1, x, leaf_id, 1)
    scf.transfer(suppliers[20], y, small, 1)
    chain.transact(scf.escrow.functions.repay(big, face), core)
    chain.transact(scf.escrow.functions.repay(small, face), core)
    gas[f"claim: root split into {count} certificates"] = gas_of(scf.escrow.functions.claim([leaf_id]), x)
    gas["claim: root with 1 certificate"] = gas_of(scf.escrow.functions.claim([small]), y)
    measure_guarantees(scf, op, core, suppliers[23], next(pool), gas, say)
    gas.update(measure_loans(scf, op, core, bank, factor, suppliers[28:32], say))
    return gas


def measure_loans(
    scf: Scf, op: str, core: str, bank: str, factor: str, borrowers: list[str], say: Callable[[str], None] = print
) -> dict[str, int]:
    """LoanDesk, with amounts past 2**96 (an 18-decimal token): each row the costlier case of its action."""
    chain = scf.chain
    desk = scf.deployment.contract(scf.w3, "LoanDesk")
    cert, loans = scf.certificates.functions, desk.functions
    gas: dict[str, int] = {}

    def gas_of(fn: Any, signer: str) -> int:
        return chain.transact(fn, signer)["gasUsed"]

    say("measuring loans …")
    face = 2**100
    units, principal = 2**97 + 12_345, 2**96 + 6_789
    scf.set_credit_line(bank, core, 2**102)
    scf.mint(op, factor, 4 * principal)
    scf.mint(op, core, 2 * face)
    chain.transact(scf.token.functions.approve(desk.address, 2**256 - 1), factor)
    a, b, c, d = borrowers
    maturity = scf.now() + 90 * DAY
    first = scf.issue(core, a, face, maturity, keccak(text="bench-loan-1"))
    second = scf.issue(core, b, face, maturity, keccak(text="bench-loan-2"))
    chain.transact(cert.safeTransferFrom(b, c, second, units, b""), b)
    for who in (a, b, c):
        chain.transact(cert.setApprovalForAll(desk.address, True), who)
        chain.transact(scf.token.functions.approve(desk.address, 2**256 - 1), who)
    expiry = scf.now() + 30 * DAY
    chain.transact(loans.requestLoan(first, units, principal, 1_000, factor, expiry), a)
    # Not the desk's first loan; the first on its certificate id (the desk's new balance of the id).
    gas["requestLoan (not the desk's first; new id)"] = gas_of(
        loans.requestLoan(second, units, principal, 1_000, factor, expiry), b
    )
    # A second loan on an id: the desk starts counting the id's units.
    gas["requestLoan (an id the desk holds)"] = gas_of(
        loans.requestLoan(second, units, principal, 1_000, ZERO, expiry), c
    )
    scf.mint(op, b, 1)
    gas["fundLoan (borrower holds tokens)"] = gas_of(loans.fundLoan(2), factor)
    # a holds no tokens yet: the payment token writes a new balance (17,100 gas of the token's own).
    gas["fundLoan (borrower's first tokens)"] = gas_of(loans.fundLoan(1), factor)
    chain.transact(loans.fundLoan(3), factor)
    scf.w3.provider.make_request("evm_increaseTime", [7 * DAY])
    # Pays the interest and part of the principal: writes the repayment slot for the first time.
    gas["repayLoan (partial, first)"] = gas_of(loans.repayLoan(1, principal // 3), a)
    gas["repayLoan (partial, again)"] = gas_of(loans.repayLoan(1, principal // 3), a)
    scf._ensure_allowance(core, scf.escrow.address, 2**256 - 1)
    chain.transact(scf.escrow.functions.repay(first, face), core)
    chain.transact(scf.escrow.functions.repay(second, face), core)
    gas["settleLoan (claims the pool)"] = gas_of(loans.settleLoan(1), d)
    gas["settleLoan (claims a pool of 2 loans)"] = gas_of(loans.settleLoan(2), d)
    gas["settleLoan (pool already claimed)"] = gas_of(loans.settleLoan(3), d)
    return gas


def measure_guarantees(scf: Scf, op: str, core: str, supplier: str, guarantor: str, gas: dict[str, int],
                       say: Callable[[str], None]) -> None:
    """provide, and declareDefault behind 120 and 1,000 crowding guarantees (1 unit each, expiring before the
    maturity) with a 600,000.00 covering one behind them, and the cost of each covering guarantee drawn."""
    chain, w3 = scf.chain, scf.w3
    g = scf.guarantee.functions
    scf.onboard(op, guarantor, "GUARANTOR", "guarantor")
    scf.mint(op, guarantor, 10**14)
    scf._ensure_allowance(guarantor, scf.guarantee.address, 10**14)
    face, big = 1_000_000_00, 600_000_00
    start = scf.now()

    def crowd(count: int, expiry: int) -> None:
        sent = [chain.submit(g.provide(core, 1, expiry), guarantor, "provide", gas=300_000) for _ in range(count)]
        for s in sent:
            chain.wait(s)

    def default_at(root: int, maturity: int) -> int:
        w3.provider.make_request("evm_mine", [maturity + scf.escrow.functions.gracePeriod().call()])
        return gas_of_tx(scf.escrow.functions.declareDefault(root))

    def gas_of_tx(fn: Any) -> int:
        return chain.transact(fn, op)["gasUsed"]

    def receivable(days: int, n: int) -> tuple[int, int]:
        maturity = start + days * DAY
        return scf.issue(core, supplier, face, maturity, keccak(text=f"bench-default-{n}")), maturity

    say("measuring provide and defaults behind 120 and 1,000 crowding guarantees …")
    first_root, first_maturity = receivable(100, 0)
    second_root, second_maturity = receivable(200, 1)
    gas["provide (debtor's first guarantee)"] = chain.transact(g.provide(core, 1, first_maturity - 1), guarantor)[
        "gasUsed"]
    crowd(119, first_maturity - 1)
    gas["provide (behind 120 guarantees)"] = chain.transact(g.provide(core, big, first_maturity + DAY), guarantor)[
        "gasUsed"]
    gas["declareDefault past 120 crowding guarantees"] = default_at(first_root, first_maturity)
    crowd(879, second_maturity - 1)
    gas["provide (behind 1,000 guarantees)"] = chain.transact(g.provide(core, big, second_maturity + DAY),
                                                               guarantor)["gasUsed"]
    gas["declareDefault past 1,000 crowding guarantees"] = default_at(second_root, second_maturity)

    say("measuring defaults drawing 1 and 1,000 covering guarantees …")
    one_root, one_maturity = receivable(300, 2)
    chain.transact(g.provide(core, face, one_maturity), guarantor)
    gas["declareDefault drawing 1 covering guarantee"] = default_at(one_root, one_maturity)
    many_root, many_maturity = receivable(400, 3)
    crowd(1000, many_maturity)
    many = default_at(many_root, many_maturity)
    gas["declareDefault drawing 1,000 covering guarantees"] = many
    gas["declareDefault: each further covering guarantee drawn"] = (
        many - gas["declareDefault drawing 1 covering guarantee"]) // 999


def report(gas: dict[str, int]) -> str:
    rows = [f"{'action':46} {'gas':>10} {'target':>10}  ok"]
    for name, value in gas.items():
        target = TARGETS.get(name)
        ok = "" if target is None else ("yes" if value <= target else "NO")
        rows.append(f"{name:46} {value:>10,} {'' if target is None else f'{target:,}':>10}  {ok}")
    claims = [v for k, v in gas.items() if k.startswith("claim: root")]
    if len(claims) == 2:
        rows.append(f"claim gas, big tree vs one certificate: {100 * (claims[0] - claims[1]) / claims[1]:+.2f}% (target within 1%)")
    return "\n".join(rows)


def throughput(receivables: int, tiers: int) -> dict[str, float]:
    """Raw Anvil throughput and the load's, measured in the same run on fresh nodes set up alike (the load's
    embedded node: blocks sealed on demand). Raw is measured before and after the load and the higher figure is
    compared, so noise on a shared machine cannot flatter the ratio; raw with automine is printed for reference."""
    from scfchain.apps.load import SEALED_NODE_ARGS, print_progress, raw_throughput, run_load

    def raw(seal: bool) -> float:
        with Anvil(extra_args=SEALED_NODE_ARGS if seal else None) as node:
            return raw_throughput(node.url, seal=seal)

    before, automine = raw(True), raw(False)
    result = run_load(receivables, tiers, progress=print_progress)
    best = max(before, raw(True))
    print(f"raw Anvil: {best:.0f} tx/s (pre-signed transfers, sealed like the load's node; {before:.0f} before the "
          f"load; {automine:.0f} with automine); load {receivables}x{tiers}: {result.transactions} tx at "
          f"{result.tps:.0f} tx/s ({result.resent} re-sent); ratio {result.tps / best:.2f} (target >= 0.5); "
          f"checks {'ok' if result.ok else 'FAILED'}")
    return {"raw tx/s": round(best, 1), "raw automine tx/s": round(automine, 1), "load tx/s": round(result.tps, 1),
            "load/raw": round(result.tps / best, 3)}


def main() -> int:
    with Anvil(accounts=40) as node:
        w3 = connect(node.url)
        chain = Chain(w3)
        accounts = w3.eth.accounts
        dep = deploy(chain, accounts[0])
        gas = measure(Scf(chain, dep), accounts)
    print(report(gas))
    gas.update(throughput(int(os.environ.get("LOAD_RECEIVABLES", "1000")), int(os.environ.get("LOAD_TIERS", "5"))))
    out = ROOT / "bench" / "gas.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(gas, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

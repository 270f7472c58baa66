"""The scripted loan lifecycle the loan audit tests check against. One receivable r1 (1,000,000.00, 90 days)
split to the tier-2 business (c2, 400,000.00); a second r2 (100,000.00) that defaults with half recovered.

- loan A: the business pledges 100,000.00 of c2 for 80,000.00 at 10 %, named lender the factor; funded, repaid in
  part; at maturity the clearing pushes the desk's c2 payout, then the loan is settled (lender first).
- loan B: 50,000.00 of c2 for 40,000.00 from any financier; the bank funds it; repaid in full before maturity
  (its units come back).
- loan C: 50,000.00 of c2, never funded, cancelled before maturity (its units come back).
- loan D: tier 1 pledges 100,000.00 of r1 itself for 90,000.00 at 12 % from the factor; settled after the clearing
  pushed the desk's r1 payout.
- loan E: 20,000.00 of c2, unfunded when r1 closes: cancelled after the clearing pushed the payout (the business
  gets its units' payout).
- loan F: tier 1 pledges all of r2 for 95,000.00 from the factor; r2 defaults with 50,000.00 recovered; settling
  claims the payout itself and leaves the lender a shortfall.
- loans G and H on r3 (issued to the business, maturing after the script ends): G funded by the factor and repaid in
  part, H only requested; both still open at the end (the desk counts r3's units itself, two loans being live).

Returns what the script did, read from the chain's own answers (events via Scf, loan(), debt(), balances)."""
from __future__ import annotations

from typing import Any

from eth_utils import keccak
from web3.logs import DISCARD

from tools.toolchain import compile_contracts
from tests.audit_scenario import DAY, U, deployed_with_members, travel


def run_loan_scenario(w3: Any) -> dict[str, Any]:
    a, chain, dep, scf = deployed_with_members(w3)
    scf.mint(a["op"], a["core"], 3_000_000 * U)
    scf.mint(a["op"], a["factor"], 1_000_000 * U)
    scf.mint(a["op"], a["bank"], 1_000_000 * U)
    scf.set_credit_line(a["bank"], a["core"], 2_000_000 * U)
    t0 = scf.now()
    m1, m2 = t0 + 90 * DAY, t0 + 60 * DAY
    r1 = scf.issue(a["core"], a["t1"], 1_000_000 * U, m1, keccak(text="LOAN-INV-1"))
    (c2,) = scf.split(a["t1"], r1, [a["t2a"]], [400_000 * U])
    r2 = scf.issue(a["core"], a["t1"], 100_000 * U, m2, keccak(text="LOAN-INV-2"))
    r3 = scf.issue(a["core"], a["t2a"], 100_000 * U, t0 + 400 * DAY, keccak(text="LOAN-INV-3"))
    biz, t1, factor, bank = a["t2a"], a["t1"], a["factor"], a["bank"]
    tokens0 = {k: scf.token_balance(a[k]) for k in ("t2a", "t1", "factor", "bank")}

    expiry = t0 + 30 * DAY
    loan_a = scf.request_loan(biz, c2, 100_000 * U, 80_000 * U, 1000, factor, expiry)
    loan_b = scf.request_loan(biz, c2, 50_000 * U, 40_000 * U, 900, None, expiry)
    loan_c = scf.request_loan(biz, c2, 50_000 * U, 45_000 * U, 900, bank, expiry)
    loan_d = scf.request_loan(t1, r1, 100_000 * U, 90_000 * U, 1200, factor, expiry)
    loan_f = scf.request_loan(t1, r2, 100_000 * U, 95_000 * U, 1000, factor, expiry)
    pledged_after_requests = scf.balance(scf.loan_desk.address, c2)
    scf.fund_loan(factor, loan_a)
    scf.fund_loan(bank, loan_b)
    scf.fund_loan(factor, loan_d)
    scf.fund_loan(factor, loan_f)
    scf.cancel_loan(biz, loan_c)

    travel(w3, 20 * DAY)
    repaid_a = scf.repay_loan(biz, loan_a, 30_000 * U)  # (taken, remaining)
    repaid_b1 = scf.repay_loan(biz, loan_b, 10_000 * U)
    repaid_d = scf.repay_loan(t1, loan_d, 20_000 * U)
    travel(w3, 10 * DAY)
    debt_b = scf.debt(loan_b)
    repaid_b2 = scf.repay_loan(biz, loan_b, 10**12)  # more than the debt: takes the debt only
    loan_e = scf.request_loan(biz, c2, 20_000 * U, 10_000 * U, 900, factor, m1 - DAY)

    travel(w3, 30 * DAY)  # day 60: r2 due; the core pays half of it
    scf.repay(a["core"], r2, 50_000 * U)
    travel(w3, 31 * DAY)  # day 91: past r1's maturity
    scf.repay(a["core"], r1, 1_000_000 * U)
    debts_at_maturity = {loan_a: scf.debt(loan_a), loan_d: scf.debt(loan_d)}
    # The clearing pushes every holder's payout of r1, the desk's pooled units (loans A, D and E) included.
    holders = scf.holders()
    push = [(i, h) for i in (r1, c2) for h in holders.get(i, {})]
    scf.settle(a["clearing"], [i for i, _ in push], [h for _, h in push])
    desk_tokens_after_push = scf.token_balance(scf.loan_desk.address)
    settled_a = scf.settle_loan(a["clearing"], loan_a)
    settled_d = scf.settle_loan(bank, loan_d)  # anyone may settle
    scf.cancel_loan(biz, loan_e)
    grace = scf.escrow.functions.gracePeriod().call()
    travel(w3, grace)
    scf.declare_default(a["clearing"], r2)
    debt_f = scf.debt(loan_f)
    settled_f = scf.settle_loan(a["clearing"], loan_f)
    loan_g = scf.request_loan(biz, r3, 40_000 * U, 30_000 * U, 1100, None, scf.now() + DAY)
    loan_h = scf.request_loan(biz, r3, 30_000 * U, 20_000 * U, 1100, bank, scf.now() + DAY)
    scf.fund_loan(factor, loan_g)
    travel(w3, 10 * DAY)
    repaid_g = scf.repay_loan(biz, loan_g, 1_000 * U)
    travel(w3, 5 * DAY)
    return {
        "dep": dep, "scf": scf, "a": a, "roots": (r1, r2), "certs": {"r1": r1, "c2": c2, "r2": r2, "r3": r3},
        "maturity": {r1: m1, r2: m2},
        "loans": {"A": loan_a, "B": loan_b, "C": loan_c, "D": loan_d, "E": loan_e, "F": loan_f, "G": loan_g,
                  "H": loan_h},
        "repaid": {"A": repaid_a, "B1": repaid_b1, "B2": repaid_b2, "D": repaid_d, "G": repaid_g}, "debt_b": debt_b,
        "debt_g": scf.debt(loan_g), "custody_r3": scf.loan_desk.functions.custody(r3).call(),
        "debts_at_maturity": debts_at_maturity, "debt_f": debt_f,
        "settled": {"A": settled_a, "D": settled_d, "F": settled_f},
        "pledged_after_requests": pledged_after_requests, "desk_tokens_after_push": desk_tokens_after_push,
        "tokens0": tokens0, "tokens": {k: scf.token_balance(a[k]) for k in ("t2a", "t1", "factor", "bank")},
        "final_block": w3.eth.block_number,
    }


def run_held_payment_scenario(w3: Any) -> dict[str, Any]:
    """A payment token that refuses blocked accounts (the deployed PaymentToken's code replaced on Anvil by the
    test BlocklistToken's, whose storage layout begins with the same ERC20 and Ownable slots), so the desk holds
    refused payments:

    - loan X: the business borrows 30,000.00 from the factor against r1; the factor is blocked; a partial and then
      a full repayment are held for it (the units go back to the business); the factor, unblocked, withdraws.
    - loan Y: the business borrows 20,000.00 from the bank against r2; r2 is repaid in full; the business is
      blocked; settling pays the bank its debt and holds the business's remainder, left owed at the end."""
    a, chain, dep, scf = deployed_with_members(w3)
    for who in ("core", "factor", "bank", "t2a"):
        scf.mint(a["op"], a[who], 1_000_000 * U)
    scf.set_credit_line(a["bank"], a["core"], 2_000_000 * U)
    art = compile_contracts()["BlocklistToken"]
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    probe = chain.transact(factory.constructor(a["op"]), a["op"])["contractAddress"]
    token_address = scf.loan_desk.functions.token().call()
    assert w3.provider.make_request("anvil_setCode", [token_address, w3.eth.get_code(probe).hex()]).get("error") is None
    btoken = w3.eth.contract(address=token_address, abi=art["abi"])

    t0 = scf.now()
    biz, factor, bank = a["t2a"], a["factor"], a["bank"]
    r1 = scf.issue(a["core"], biz, 100_000 * U, t0 + 90 * DAY, keccak(text="LOAN-HELD-1"))
    r2 = scf.issue(a["core"], biz, 50_000 * U, t0 + 60 * DAY, keccak(text="LOAN-HELD-2"))
    loan_x = scf.request_loan(biz, r1, 40_000 * U, 30_000 * U, 1000, factor, t0 + DAY)
    loan_y = scf.request_loan(biz, r2, 25_000 * U, 20_000 * U, 1000, bank, t0 + DAY)
    scf.fund_loan(factor, loan_x)
    scf.fund_loan(bank, loan_y)
    chain.transact(btoken.functions.blockAccount(factor), a["op"])
    travel(w3, 10 * DAY)
    repaid_x1 = scf.repay_loan(biz, loan_x, 10_000 * U)
    travel(w3, 10 * DAY)
    repaid_x2 = scf.repay_loan(biz, loan_x, 10**12)
    owed_factor = scf.loan_desk.functions.owed(factor).call()
    scf.repay(a["core"], r2, 50_000 * U)
    chain.transact(btoken.functions.blockAccount(biz), a["op"])
    settled_y = scf.settle_loan(a["clearing"], loan_y)
    chain.transact(btoken.functions.unblockAccount(factor), a["op"])
    withdrawn = chain.transact(scf.loan_desk.functions.withdraw(), factor)
    return {
        "dep": dep, "scf": scf, "a": a, "loans": {"X": loan_x, "Y": loan_y}, "certs": {"r1": r1, "r2": r2},
        "repaid": {"X1": repaid_x1, "X2": repaid_x2}, "settled_y": settled_y, "owed_factor_before": owed_factor,
        "withdrawn": scf.loan_desk.events.PaymentWithdrawn().process_receipt(withdrawn, errors=DISCARD)[0]["args"],
        "owed": {k: scf.loan_desk.functions.owed(a[k]).call() for k in ("factor", "t2a", "bank")},
        "desk_tokens": scf.token_balance(scf.loan_desk.address), "final_block": w3.eth.block_number,
    }

"""The CLI's loan subcommands against a real Anvil: request-loan, fund-loan, repay-loan, cancel-loan, settle-loan
and show, as JSON; errors as one decoded line, exit 1, nothing sent. Oracles: the chain's loan(), debt() and
balances."""
import pytest

from scfchain import Chain, Scf, load_deployment
from tests.test_cli_actions import cli, node, ok  # noqa: F401 — the module's Anvil fixture

DAY = 24 * 3600


@pytest.fixture(scope="module")
def world(node):  # noqa: F811
    op, core, biz, t2, bank, factor, clearing = node["acc"][:7]
    scf = Scf(Chain(node["w3"]), load_deployment(node["dep"]))
    for who, role in ((core, "CORE_ENTERPRISE"), (biz, "SUPPLIER"), (t2, "SUPPLIER"), (bank, "FINANCIER"),
                      (factor, "FINANCIER"), (clearing, "CLEARING")):
        scf.onboard(op, who, role, f"member {role}")
    scf.set_credit_line(bank, core, 10**9)
    scf.mint(op, factor, 10**7)
    scf.mint(op, core, 10**7)
    now = scf.now()
    root = scf.issue(core, biz, 100_000, now + 60 * DAY, b"\x01" * 32)
    return {"scf": scf, "op": op, "core": core, "biz": biz, "t2": t2, "bank": bank, "factor": factor,
            "clearing": clearing, "root": root, "maturity": now + 60 * DAY}


def test_loanLifecycle_throughCli(node, world):  # noqa: F811
    w, scf = world, world["scf"]
    root, biz, factor = w["root"], w["biz"], w["factor"]
    loan_id = ok(node, "request-loan", str(root), "40000", "30000", "1000", "--lender", factor, sender=biz)["loanId"]
    assert scf.loan(loan_id).state == "requested"
    assert scf.balance(scf.loan_desk.address, root) == 40_000
    assert scf.balance(biz, root) == 60_000
    shown = ok(node, "show", biz)
    assert shown["holdings"] == {str(root): 60_000} and shown["pledged"] == {str(root): 40_000}
    assert [x["loanId"] for x in shown["loans"]] == [loan_id] and shown["loans"][0]["state"] == "requested"

    assert ok(node, "fund-loan", str(loan_id), sender=factor) == {"loanId": loan_id, "principal": 30_000}
    assert scf.token_balance(biz) == 30_000
    loan = scf.loan(loan_id)
    assert (loan.state, loan.lender, loan.principal) == ("funded", factor, 30_000)

    w["scf"].w3.provider.make_request("evm_increaseTime", [10 * DAY])
    w["scf"].w3.provider.make_request("evm_mine", [])
    repaid = ok(node, "repay-loan", str(loan_id), "5000", sender=biz)
    assert repaid["repaid"] == 5000 and repaid["remainingDebt"] == scf.debt(loan_id)
    assert 25_000 < repaid["remainingDebt"] < 30_000  # ten days of 10 % interest on 30,000 paid first
    shown = ok(node, "show", biz)["loans"][0]
    assert shown["debt"] == scf.debt(loan_id) and shown["state"] == "funded"
    tree = ok(node, "show", str(root))
    assert [x["loanId"] for x in tree["loans"]] == [loan_id]

    # a second request on the same certificate, then cancelled: the units come back
    second = ok(node, "request-loan", str(root), "10000", "5000", "800", sender=biz)["loanId"]
    assert scf.loan(second).lender == "0x" + "00" * 20  # any financier
    assert ok(node, "cancel-loan", str(second), sender=biz) == {"cancelled": second}
    assert scf.loan(second).state == "cancelled" and scf.balance(biz, root) == 60_000

    # maturity: the core repays, anyone settles: the lender first, the business the rest
    w["scf"].w3.provider.make_request("evm_increaseTime", [60 * DAY])
    w["scf"].w3.provider.make_request("evm_mine", [])
    scf.repay(w["core"], root, 100_000)
    debt = scf.debt(loan_id)
    before = scf.token_balance(factor), scf.token_balance(biz)
    settled = ok(node, "settle-loan", str(loan_id), sender=w["clearing"])
    assert settled == {"loanId": loan_id, "payout": 40_000, "toLender": debt, "toBorrower": 40_000 - debt}
    assert scf.token_balance(factor) - before[0] == debt
    assert scf.token_balance(biz) - before[1] == 40_000 - debt
    assert scf.loan(loan_id).state == "settled" and scf.debt(loan_id) == 0
    assert ok(node, "show", biz)["pledged"] == {}

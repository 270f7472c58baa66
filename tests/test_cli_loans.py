"""The CLI's loan subcommands against a real Anvil: request-loan, fund-loan, repay-loan, cancel-loan, settle-loan
and show, as JSON; errors as one decoded line, exit 1, nothing sent. Oracles: the chain's loan(), debt() and
balances."""
import pytest

from scfchain import Chain, Scf, load_deployment
from scfchain.constants import DAY
from tests.test_cli_actions import cli, node, ok  # noqa: F401 — the module's Anvil fixture

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling



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


def test_loanErrors_areOneDecodedLine_andChangeNothing(node, world):  # noqa: F811
    w, scf = world, world["scf"]
    biz, t2, bank, factor = w["biz"], w["t2"], w["bank"], w["factor"]
    root = scf.issue(w["core"], biz, 50_000, scf.now() + 30 * DAY, b"\x02" * 32)  # a receivable still open
    count = scf.loan_desk.functions.loanCount().call()
    units = scf.balance(biz, root)
    cases = [
        (["request-loan", str(root), "100", "101", "500"], biz,
         "scfchain: InvalidPrincipal: principal 101 must be above 0 and at most the 100 units pledged"),
        (["request-loan", str(root), "0", "1", "500"], biz, "scfchain: units must be a whole number >= 1, got 0"),
        (["request-loan", str(root), "100", "50", "20000"], biz,
         "scfchain: InvalidRate: annual rate 20000 bps exceeds the maximum 10000 bps"),
        (["request-loan", str(root), "100", "50", "500", "--lender", "0x12"], biz,
         "scfchain: lender is not a valid address: '0x12'"),
        (["request-loan", "999", "100", "50", "500"], biz, "scfchain: UnknownCertificate: certificate 999 does not exist"),
        (["request-loan", str(root), "10", "5", "500"], t2,
         f"scfchain: ERC1155InsufficientBalance: holder {t2} has 0, needs 10 of certificate {root}"),
        (["fund-loan", "77"], factor, "scfchain: UnknownLoan: loan 77 does not exist"),
        (["repay-loan", "77", "5"], biz, "scfchain: UnknownLoan: loan 77 does not exist"),
        (["settle-loan", "77"], biz, "scfchain: UnknownLoan: loan 77 does not exist"),
        (["cancel-loan", "77"], biz, "scfchain: UnknownLoan: loan 77 does not exist"),
        (["repay-loan", "abc", "5"], biz, "scfchain: argument loan_id: not a whole number: 'abc'"),
    ]
    for args, sender, expected in cases:
        code, _, err = cli(node, *args, sender=sender)
        assert (code, err) == (1, expected), args
    assert scf.loan_desk.functions.loanCount().call() == count and scf.balance(biz, root) == units

    # a request for the factor alone: the bank may not fund it, a supplier may not fund at all, only the borrower
    # cancels; once cancelled it can be neither funded nor cancelled again
    loan_id = ok(node, "request-loan", str(root), "1000", "500", "500", "--lender", factor, sender=biz)["loanId"]
    code, _, err = cli(node, "fund-loan", str(loan_id), sender=bank)
    assert (code, err) == (1, f"scfchain: NotNamedLender: loan {loan_id} asks {factor}; {bank} may not fund it")
    code, _, err = cli(node, "fund-loan", str(loan_id), sender=t2)
    assert (code, err) == (1, f"scfchain: AccessControlUnauthorizedAccount: {t2} lacks role FINANCIER_ROLE")
    code, _, err = cli(node, "cancel-loan", str(loan_id), sender=t2)
    assert (code, err) == (1, f"scfchain: NotBorrower: {t2} is not the borrower of loan {loan_id}")
    code, _, err = cli(node, "settle-loan", str(loan_id), sender=t2)
    assert (code, err) == (1, f"scfchain: InvalidLoanState: loan {loan_id} is requested: not possible now")
    code, _, err = cli(node, "repay-loan", str(loan_id), "0", sender=biz)
    assert (code, err) == (1, "scfchain: amount must be a whole number >= 1, got 0")
    ok(node, "cancel-loan", str(loan_id), sender=biz)
    code, _, err = cli(node, "fund-loan", str(loan_id), sender=factor)
    assert (code, err) == (1, f"scfchain: InvalidLoanState: loan {loan_id} is cancelled: not possible now")
    assert scf.loan(loan_id).state == "cancelled" and scf.balance(biz, root) == units
    assert scf.token_balance(scf.loan_desk.address) == 0

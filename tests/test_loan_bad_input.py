"""Bad input to the LoanDesk (tests/test_bad_input.py's style): zero and 2**256-1 amounts, unknown and zero ids,
times in the past, closed roots, the zero address. Each case reverts with its custom error and leaves a
fingerprint of the desk and everything it touches (loans, debts, custody, certificate and token balances) as
it was."""
import pytest

from tests.chain_reader import BatchReader
from tests.conftest import FACE
from tests.helpers import DAY, reverts
from tests.loan_support import *  # noqa: F401,F403
from tests.money_support import *  # noqa: F401,F403

MAX = 2**256 - 1
Z = ZERO_ADDRESS


@pytest.fixture(scope="module")
def w(loans, pledged, certificate, escrow, token, issue, core, tier1, tier2a, sme, bank, factor, clearing, outsider):
    """Loans on the pledged id: 1 requested (sme), 2 funded (tier2a, by the factor); a repaid root `closed`."""
    request(loans, sme, pledged, 100_000_00, 50_000_00, lender=factor)
    request(loans, tier2a, pledged, 100_000_00, 50_000_00)
    loans.fundLoan(2, {"from": factor})
    closed = issue(face=FACE, maturity_days=30)
    escrow.repay(closed, FACE, {"from": core})
    actors = [core, tier1, tier2a, sme, bank, factor, clearing, outsider]
    return dict(loans=loans, certificate=certificate, token=token, escrow=escrow, pledged=pledged, closed=closed,
                actors=actors, core=core, tier1=tier1, tier2a=tier2a, sme=sme, bank=bank, factor=factor,
                clearing=clearing, outsider=outsider)


def fingerprint(w):
    r = BatchReader()
    desk, cert, token = w["loans"], w["certificate"], w["token"]
    holders = w["actors"] + [desk]
    ids = [w["pledged"], w["closed"]]
    r.add(cert.balanceOfBatch, [h for h in holders for _ in ids], [i for _ in holders for i in ids])
    for h in holders:
        r.add(token.balanceOf, h)
    for i in range(0, desk.loanCount() + 2):
        r.add(desk.loan, i)
    for i in ids:
        r.add(desk.custody, i)
    r.add(desk.loanCount)
    return [repr(x) for x in r.run()]


def case(name, call, error, *args):
    return pytest.param(call, error, args, id=name)


def v(key):
    return lambda w: w[key]


def _at(w):
    return w["at"]


def _req(w, who, cert, units, principal, rate=RATE, lender=Z, expiry=None):
    return w["loans"].requestLoan(cert, units, principal, rate, lender, expiry or now() + DAY, {"from": w[who]})


CASES = [
    # ---------------------------------------------------------------- zero and 2**256-1 amounts
    case("request: zero units", lambda w: _req(w, "sme", w["pledged"], 0, 0), "InvalidUnits", 0),
    case("request: zero principal", lambda w: _req(w, "sme", w["pledged"], 1, 0), "InvalidPrincipal", 0, 1),
    case("request: principal 2**256-1", lambda w: _req(w, "sme", w["pledged"], 1, MAX), "InvalidPrincipal", MAX, 1),
    case("request: units 2**256-1", lambda w: _req(w, "sme", w["pledged"], MAX, 1),
         "SafeCastOverflowedUintDowncast", 112, MAX),
    case("request: rate 2**256-1", lambda w: _req(w, "sme", w["pledged"], 1, 1, rate=MAX), "InvalidRate", MAX, 10_000),
    case("request: more units than held", lambda w: _req(w, "sme", w["pledged"], 150_000_01, 1),
         "ERC1155InsufficientBalance", v("sme"), 150_000_00, 150_000_01, v("pledged")),
    case("repay: zero", lambda w: w["loans"].repayLoan(2, 0, {"from": w["tier2a"]}), "InvalidAmount", 0),
    # ---------------------------------------------------------------- unknown ids
    case("request: certificate 0", lambda w: _req(w, "sme", 0, 1, 1), "UnknownCertificate", 0),
    case("request: certificate 2**256-1", lambda w: _req(w, "sme", MAX, 1, 1), "UnknownCertificate", MAX),
    case("fund: loan 0", lambda w: w["loans"].fundLoan(0, {"from": w["bank"]}), "UnknownLoan", 0),
    case("fund: loan 2**256-1", lambda w: w["loans"].fundLoan(MAX, {"from": w["bank"]}), "UnknownLoan", MAX),
    case("cancel: loan 2**256-1", lambda w: w["loans"].cancelLoanRequest(MAX, {"from": w["sme"]}), "UnknownLoan", MAX),
    case("repay: loan 0", lambda w: w["loans"].repayLoan(0, 1, {"from": w["sme"]}), "UnknownLoan", 0),
    case("repay: loan 2**256-1, amount 2**256-1", lambda w: w["loans"].repayLoan(MAX, MAX, {"from": w["sme"]}),
         "UnknownLoan", MAX),
    case("settle: loan 3 (next id)", lambda w: w["loans"].settleLoan(3, {"from": w["sme"]}), "UnknownLoan", 3),
    # ---------------------------------------------------------------- wrong state
    case("settle: a request", lambda w: w["loans"].settleLoan(1, {"from": w["sme"]}), "InvalidLoanState", 1, 1),
    case("repay: a request", lambda w: w["loans"].repayLoan(1, 1, {"from": w["sme"]}), "InvalidLoanState", 1, 1),
    case("cancel: a funded loan", lambda w: w["loans"].cancelLoanRequest(2, {"from": w["tier2a"]}),
         "InvalidLoanState", 2, 2),
    case("settle: root still open", lambda w: w["loans"].settleLoan(2, {"from": w["sme"]}), "RootNotClosed", v("pledged")),
    # ---------------------------------------------------------------- closed roots, times in the past
    case("request: a closed root", lambda w: _req(w, "tier1", w["closed"], 1, 1), "RootClosed", v("closed"), PAID),
    case("request: expiry now", lambda w: _req(w, "sme", w["pledged"], 1, 1, expiry=_at(w)),
         "ExpiryNotInFuture", lambda w: w["at"], lambda w: w["at"]),
    case("request: expiry in the past", lambda w: _req(w, "sme", w["pledged"], 1, 1, expiry=_at(w) - DAY),
         "ExpiryNotInFuture", lambda w: w["at"] - DAY, lambda w: w["at"]),
    # ---------------------------------------------------------------- the zero address and strangers
    case("transfer: straight to the desk", lambda w: w["certificate"].safeTransferFrom(
        w["sme"], w["loans"], w["pledged"], 1, "", {"from": w["sme"]}), "LoanDeskDepositRefused", v("sme")),
    case("batch: straight to the desk", lambda w: w["certificate"].safeBatchTransferFrom(
        w["sme"], w["loans"], [w["pledged"]], [1], "", {"from": w["sme"]}), "LoanDeskDepositRefused", v("sme")),
    case("transfer: zero units to the desk", lambda w: w["certificate"].safeTransferFrom(
        w["sme"], w["loans"], w["pledged"], 0, "", {"from": w["sme"]}), "LoanDeskDepositRefused", v("sme")),
    case("fund: by a stranger", lambda w: w["loans"].fundLoan(1, {"from": w["outsider"]}),
         "AccessControlUnauthorizedAccount", v("outsider"), lambda w: "0x" + __import__("eth_utils").keccak(
             text="FINANCIER_ROLE").hex()),
]


@pytest.mark.parametrize("call,error,args", CASES)
def test_badInput_revertsWithItsError_andChangesNothing(w, call, error, args):
    before = fingerprint(w)
    w["at"] = now() + 10
    next_block_at(w["at"])
    expected = [a(w) if callable(a) else a for a in args]
    with reverts(error, *expected):
        call(w)
    assert fingerprint(w) == before


def test_badInput_unitsJustPast112Bits(w, issue, tier1, certificate, bank, core):
    """A loan's units fit 112 bits: 2**112 is refused before anything else is counted."""
    certificate.setCreditLine(core, 2**113, {"from": bank})
    root = certificate.issue(tier1, 2**112, now() + 30 * DAY, "0x" + "5a" * 32, {"from": core}).return_value
    with reverts("SafeCastOverflowedUintDowncast", 112, 2**112):
        _req(w, "tier1", root, 2**112, 1)
    assert w["loans"].loanCount() == 2

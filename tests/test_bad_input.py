"""Bad input, across every entry point: zero and 2**256-1 amounts, empty and mismatched arrays, unknown ids,
the zero address, times in the past, a reused document hash, a split past the tier limit. Each case is one
test: it reverts with its custom error, and a fingerprint of the whole system (every balance of every
certificate and of the payment token, lineage, credit, repayments, offers, guarantees, documents,
membership, pause) is the same afterwards. A few inputs are valid by the standards (a zero-value ERC-1155
transfer, an empty batch or settlement): those are no-ops, and also leave the fingerprint as it was.
"""
import pytest
from brownie import ReceivableCertificate

from tests.chain_reader import BatchReader
from tests.conftest import FACE
from tests.helpers import DAY, ROLE, doc_hash, reverts
from tests.money_support import *  # noqa: F401,F403

MAX = 2**256 - 1
U128 = 2**128 - 1
Z = ZERO_ADDRESS
FAR = 2**63


@pytest.fixture(scope="module")
def w(system, certificate, escrow, desk, guarantee, token, consortium, issue, admin, core, tier1, tier2a, tier2b,
      sme, bank, factor, guarantor, clearing, outsider):
    """A world with an open root split once, a repaid root, an offer and a guarantee."""
    open_root = issue(face=FACE, maturity_days=90, doc=doc_hash("bad-input-open"))
    child = certificate.split(open_root, [tier2a, tier2b], [300_000_00, 200_000_00], {"from": tier1}).return_value[0]
    closed = issue(face=FACE, maturity_days=90, doc=doc_hash("bad-input-closed"))
    escrow.repay(closed, FACE, {"from": core})
    certificate.setApprovalForAll(desk, True, {"from": tier1})
    offer = desk.postOffer(core, 600, 2 * FACE, 1_000, now() + 60 * DAY, {"from": factor}).return_value
    gid = guarantee.provide(core, FACE, now() + 60 * DAY, {"from": guarantor}).return_value
    actors = [admin, core, tier1, tier2a, tier2b, sme, bank, factor, guarantor, clearing, outsider]
    return dict(system, open=open_root, child=child, closed=closed, offer=offer, gid=gid, actors=actors, admin=admin,
                core=core, tier1=tier1, tier2a=tier2a, tier2b=tier2b, sme=sme, bank=bank, factor=factor,
                guarantor=guarantor, clearing=clearing, outsider=outsider,
                docs=[doc_hash("bad-input-open"), doc_hash("bad-input-closed"), doc_hash("unused")])


def fingerprint(w):
    """Everything a refused call must leave as it was, read in one batch."""
    r = BatchReader()
    cert, escrow, desk, guarantee, token, consortium = (
        w["certificate"], w["escrow"], w["desk"], w["guarantee"], w["token"], w["consortium"])
    holders = w["actors"] + [escrow, desk, guarantee]
    ids = list(range(1, cert.nextId() + 1))
    r.add(cert.balanceOfBatch, [h for h in holders for _ in ids], [i for _ in holders for i in ids])
    for h in holders:
        r.add(token.balanceOf, h)
        r.add(consortium.isActive, h)
        r.add(cert.isApprovedForAll, h, desk)
    for i in ids:
        r.add(cert.certificate, i)
        r.add(escrow.paid, i)
        r.add(escrow.recovered, i)
    for d in w["docs"]:
        r.add(cert.receivableOf, d)
    for o in range(1, desk.offerCount() + 2):
        r.add(desk.offer, o)
    for g in range(1, guarantee.guaranteeCount() + 2):
        r.add(guarantee.guarantee, g)
    for x in (cert.nextId, cert.paused, cert.maxTier, desk.offerCount, guarantee.guaranteeCount, token.totalSupply,
              cert.settlementEscrow):
        r.add(x)
    r.add(cert.outstanding, w["core"])
    r.add(cert.creditLimit, w["core"])
    r.add(cert.creditLine, w["bank"], w["core"])
    return [repr(v) for v in r.run()]


def case(name, call, error, *args):
    """`call(w)` must revert with `error(*args(w))`; `args` entries may be functions of the world."""
    return pytest.param(call, error, args, id=name)


def ok(name, call):
    """`call(w)` is accepted and changes nothing."""
    return pytest.param(call, None, (), id=name)


def v(key):
    return lambda w: w[key]


CASES = [
    # ---------------------------------------------------------------- zero amounts
    case("issue: zero face value", lambda w: w["certificate"].issue(w["tier1"], 0, now() + DAY, doc_hash("z1"), {"from": w["core"]}),
         "InvalidFaceValue", 0),
    case("split: a zero amount", lambda w: w["certificate"].split(w["open"], [w["tier2a"], w["sme"]], [1, 0], {"from": w["tier1"]}),
         "ZeroSplitAmount", 1),
    case("repay: zero", lambda w: w["escrow"].repay(w["open"], 0, {"from": w["core"]}), "InvalidAmount", 0),
    case("provide: zero", lambda w: w["guarantee"].provide(w["core"], 0, now() + DAY, {"from": w["guarantor"]}),
         "InvalidAmount", 0),
    case("postOffer: zero budget", lambda w: w["desk"].postOffer(w["core"], 600, 0, 0, now() + DAY, {"from": w["bank"]}),
         "InvalidBudget", 0),
    case("finance: zero amount", lambda w: w["desk"].finance(w["offer"], w["open"], 0, 0, FAR, {"from": w["tier1"]}),
         "AmountBelowMinimum", 0, 1_000),
    case("claim: a position of zero units", lambda w: w["escrow"].claim([w["closed"]], {"from": w["sme"]}),
         "NothingToClaim", v("sme")),
    ok("transfer: zero units (ERC-1155 allows it)",
       lambda w: w["certificate"].safeTransferFrom(w["tier1"], w["sme"], w["open"], 0, "", {"from": w["tier1"]})),
    # ---------------------------------------------------------------- 2**256-1
    case("issue: face 2**256-1", lambda w: w["certificate"].issue(w["tier1"], MAX, now() + DAY, doc_hash("z2"), {"from": w["core"]}),
         "InvalidFaceValue", MAX),
    case("issue: face 2**128 (does not fit)", lambda w: w["certificate"].issue(w["tier1"], U128 + 1, now() + DAY, doc_hash("z3"), {"from": w["core"]}),
         "InvalidFaceValue", U128 + 1),
    case("split: amount 2**256-1", lambda w: w["certificate"].split(w["open"], [w["sme"]], [MAX], {"from": w["tier1"]}),
         "ERC1155InsufficientBalance", v("tier1"), 500_000_00, MAX, v("open")),
    case("split: two amounts of 2**256-1 (no overflow)", lambda w: w["certificate"].split(
        w["open"], [w["sme"], w["sme"]], [1, MAX], {"from": w["tier1"]}),
         "ERC1155InsufficientBalance", v("tier1"), 500_000_00, MAX, v("open")),
    case("transfer: 2**256-1 units", lambda w: w["certificate"].safeTransferFrom(w["tier1"], w["sme"], w["open"], MAX, "", {"from": w["tier1"]}),
         "ERC1155InsufficientBalance", v("tier1"), 500_000_00, MAX, v("open")),
    case("batch: the same id twice, together more than held", lambda w: w["certificate"].safeBatchTransferFrom(
        w["tier1"], w["sme"], [w["open"], w["open"]], [400_000_00, 400_000_00], "", {"from": w["tier1"]}),
         "ERC1155InsufficientBalance", v("tier1"), 100_000_00, 400_000_00, v("open")),
    case("repay: 2**256-1", lambda w: w["escrow"].repay(w["open"], MAX, {"from": w["core"]}),
         "Overpayment", v("open"), FACE, MAX),
    case("setCreditLine: 2**256-1", lambda w: w["certificate"].setCreditLine(w["core"], MAX, {"from": w["factor"]}),
         "InvalidCreditLine", MAX),
    case("setCreditLine: 2**128 - other lines + 1", lambda w: w["certificate"].setCreditLine(
        w["core"], U128 - w["certificate"].creditLimit(w["core"]) + 1, {"from": w["factor"]}),
         "InvalidCreditLine", lambda w: U128 - w["certificate"].creditLimit(w["core"]) + 1),
    case("provide: 2**256-1", lambda w: w["guarantee"].provide(w["core"], MAX, now() + DAY, {"from": w["guarantor"]}),
         "InvalidAmount", MAX),
    case("postOffer: budget 2**128-1 (more than held)", lambda w: w["desk"].postOffer(w["core"], 600, U128, 0, now() + DAY, {"from": w["bank"]}),
         "ERC20InsufficientBalance", v("bank"), lambda w: w["token"].balanceOf(w["bank"]), U128),
    case("postOffer: budget 2**256-1 (does not fit 128 bits)", lambda w: w["desk"].postOffer(w["core"], 600, MAX, 0, now() + DAY, {"from": w["bank"]}),
         "InvalidBudget", MAX),
    case("postOffer: rate 2**256-1", lambda w: w["desk"].postOffer(w["core"], MAX, FACE, 0, now() + DAY, {"from": w["bank"]}),
         "InvalidRate", MAX, 10_000),
    case("postOffer: minAmount 2**256-1", lambda w: w["desk"].postOffer(w["core"], 600, FACE, MAX, now() + DAY, {"from": w["bank"]}),
         "InvalidMinAmount", MAX),
    # The certificate moves the units before the desk prices them (`sell`): the balance refuses first.
    case("finance: 2**256-1 units", lambda w: w["desk"].finance(w["offer"], w["open"], MAX, 0, FAR, {"from": w["tier1"]}),
         "ERC1155InsufficientBalance", v("tier1"), 500_000_00, MAX, v("open")),
    case("setMaxTier: 2**256-1", lambda w: w["certificate"].setMaxTier(MAX, {"from": w["admin"]}), "InvalidMaxTier", MAX),
    case("claim: id 2**256-1", lambda w: w["escrow"].claim([MAX], {"from": w["tier1"]}), "UnknownCertificate", MAX),
    # ---------------------------------------------------------------- empty and mismatched arrays
    case("split: no recipients", lambda w: w["certificate"].split(w["open"], [], [], {"from": w["tier1"]}),
         "InvalidSplitLength", 0, 0, 64),
    case("split: 2 recipients, 1 amount", lambda w: w["certificate"].split(w["open"], [w["sme"], w["sme"]], [1], {"from": w["tier1"]}),
         "InvalidSplitLength", 2, 1, 64),
    case("split: 65 children", lambda w: w["certificate"].split(w["open"], [w["sme"]] * 65, [1] * 65, {"from": w["tier1"]}),
         "InvalidSplitLength", 65, 65, 64),
    case("batch: 2 ids, 1 value", lambda w: w["certificate"].safeBatchTransferFrom(
        w["tier1"], w["sme"], [w["open"], w["open"]], [1], "", {"from": w["tier1"]}), "ERC1155InvalidArrayLength", 2, 1),
    case("claim: no ids", lambda w: w["escrow"].claim([], {"from": w["tier1"]}), "NothingToClaim", v("tier1")),
    case("settle: 1 id, 2 holders", lambda w: w["escrow"].settle([w["closed"]], [w["tier1"], w["sme"]], {"from": w["clearing"]}),
         "LengthMismatch", 1, 2),
    ok("batch: no ids (ERC-1155 allows it)",
       lambda w: w["certificate"].safeBatchTransferFrom(w["tier1"], w["sme"], [], [], "", {"from": w["tier1"]})),
    ok("settle: no pairs", lambda w: w["escrow"].settle([], [], {"from": w["clearing"]})),
    # ---------------------------------------------------------------- unknown ids
    case("split: unknown id", lambda w: w["certificate"].split(999, [w["sme"]], [1], {"from": w["tier1"]}), "UnknownCertificate", 999),
    case("split: id 0", lambda w: w["certificate"].split(0, [w["sme"]], [1], {"from": w["tier1"]}), "UnknownCertificate", 0),
    case("transfer: unknown id", lambda w: w["certificate"].safeTransferFrom(w["tier1"], w["sme"], 999, 0, "", {"from": w["tier1"]}),
         "UnknownCertificate", 999),
    case("batch: one unknown id among known", lambda w: w["certificate"].safeBatchTransferFrom(
        w["tier1"], w["sme"], [w["open"], 999], [1, 0], "", {"from": w["tier1"]}), "UnknownCertificate", 999),
    case("repay: unknown id", lambda w: w["escrow"].repay(999, 1, {"from": w["core"]}), "UnknownCertificate", 999),
    case("repay: a child, not a root", lambda w: w["escrow"].repay(w["child"], 1, {"from": w["core"]}), "NotARoot", v("child")),
    case("declareDefault: unknown id", lambda w: w["escrow"].declareDefault(999, {"from": w["core"]}), "UnknownCertificate", 999),
    case("claim: unknown id", lambda w: w["escrow"].claim([w["closed"], 999], {"from": w["tier1"]}), "UnknownCertificate", 999),
    case("settle: unknown id", lambda w: w["escrow"].settle([999], [w["tier1"]], {"from": w["clearing"]}), "UnknownCertificate", 999),
    case("finance: unknown certificate", lambda w: w["desk"].finance(w["offer"], 999, 1_000, 0, FAR, {"from": w["tier1"]}),
         "UnknownCertificate", 999),
    case("finance: unknown offer", lambda w: w["desk"].finance(99, w["open"], 1_000, 0, FAR, {"from": w["tier1"]}), "UnknownOffer", 99),
    case("cancelOffer: unknown offer", lambda w: w["desk"].cancelOffer(99, {"from": w["factor"]}), "UnknownOffer", 99),
    case("release: unknown guarantee", lambda w: w["guarantee"].release(99, {"from": w["guarantor"]}), "UnknownGuarantee", 99),
    # ---------------------------------------------------------------- the zero address
    case("issue: to the zero address", lambda w: w["certificate"].issue(Z, FACE, now() + DAY, doc_hash("z4"), {"from": w["core"]}),
         "AccessControlUnauthorizedAccount", Z, ROLE["SUPPLIER_ROLE"]),
    case("split: to the zero address", lambda w: w["certificate"].split(w["open"], [w["sme"], Z], [1, 1], {"from": w["tier1"]}),
         "InactiveMember", Z),
    case("transfer: to the zero address", lambda w: w["certificate"].safeTransferFrom(w["tier1"], Z, w["open"], 1, "", {"from": w["tier1"]}),
         "ERC1155InvalidReceiver", Z),
    case("setApprovalForAll: the zero address", lambda w: w["certificate"].setApprovalForAll(Z, True, {"from": w["tier1"]}),
         "ERC1155InvalidOperator", Z),
    case("setCreditLine: for the zero address", lambda w: w["certificate"].setCreditLine(Z, FACE, {"from": w["bank"]}),
         "InvalidMember", Z),
    case("provide: for the zero address", lambda w: w["guarantee"].provide(Z, FACE, now() + DAY, {"from": w["guarantor"]}),
         "InvalidDebtor", Z),
    case("postOffer: for the zero address", lambda w: w["desk"].postOffer(Z, 600, FACE, 0, now() + DAY, {"from": w["bank"]}),
         "InvalidDebtor", Z),
    case("onboard: the zero address", lambda w: w["consortium"].onboard(Z, ROLE["SUPPLIER_ROLE"], "nobody", {"from": w["admin"]}),
         "InvalidMember", Z),
    case("suspend: the zero address", lambda w: w["consortium"].suspend(Z, {"from": w["admin"]}), "UnknownMember", Z),
    case("ReceivableCertificate: the zero address as escrow", lambda w: ReceivableCertificate.deploy(
        w["consortium"], "", Z, w["admin"], w["clearing"], {"from": w["admin"]}), "InvalidSettlementEscrow", Z),
    case("ReceivableCertificate: the zero address as loan desk", lambda w: ReceivableCertificate.deploy(
        w["consortium"], "", w["admin"], Z, w["clearing"], {"from": w["admin"]}), "InvalidLoanDesk", Z),
    case("ReceivableCertificate: the zero address as financing desk", lambda w: ReceivableCertificate.deploy(
        w["consortium"], "", w["admin"], w["clearing"], Z, {"from": w["admin"]}), "InvalidFinancingDesk", Z),
    ok("settle: the zero address as holder (nothing held: skipped)",
       lambda w: w["escrow"].settle([w["closed"]], [Z], {"from": w["clearing"]})),
    # ---------------------------------------------------------------- times in the past
    case("issue: maturity in the past", lambda w: w["certificate"].issue(w["tier1"], FACE, _at(w) - DAY, doc_hash("z5"), {"from": w["core"]}),
         "MaturityNotInFuture", lambda w: w["at"] - DAY, lambda w: w["at"]),
    case("issue: maturity now", lambda w: w["certificate"].issue(w["tier1"], FACE, _at(w), doc_hash("z6"), {"from": w["core"]}),
         "MaturityNotInFuture", lambda w: w["at"], lambda w: w["at"]),
    case("provide: expiry in the past", lambda w: w["guarantee"].provide(w["core"], FACE, _at(w) - 1, {"from": w["guarantor"]}),
         "ExpiryNotInFuture", lambda w: w["at"] - 1, lambda w: w["at"]),
    case("postOffer: expiry now", lambda w: w["desk"].postOffer(w["core"], 600, FACE, 0, _at(w), {"from": w["bank"]}),
         "ExpiryNotInFuture", lambda w: w["at"], lambda w: w["at"]),
    case("finance: deadline in the past", lambda w: w["desk"].finance(w["offer"], w["open"], 1_000, 0, _at(w) - 1, {"from": w["tier1"]}),
         "DeadlinePassed", lambda w: w["at"] - 1, lambda w: w["at"]),
    # ---------------------------------------------------------------- documents
    case("issue: reused document hash", lambda w: w["certificate"].issue(w["tier2a"], 1, now() + DAY, w["docs"][0], {"from": w["core"]}),
         "DocumentAlreadyUsed", lambda w: w["docs"][0], v("open")),
    case("issue: hash of a repaid receivable", lambda w: w["certificate"].issue(w["tier2a"], 1, now() + DAY, w["docs"][1], {"from": w["core"]}),
         "DocumentAlreadyUsed", lambda w: w["docs"][1], v("closed")),
    case("issue: zero document hash", lambda w: w["certificate"].issue(w["tier2a"], 1, now() + DAY, "0x" + "00" * 32, {"from": w["core"]}),
         "InvalidDocumentHash"),
]


def _at(w):
    """The next block's timestamp (fixed by the test before each call)."""
    return w["at"]


@pytest.mark.parametrize("call,error,args", CASES)
def test_badInput_revertsWithItsError_andChangesNothing(w, call, error, args):
    before = fingerprint(w)
    # The next block's time is fixed, so that errors naming a time or proceeds are known exactly.
    w["at"] = now() + 10
    next_block_at(w["at"])
    if error is None:
        call(w)
    else:
        expected = [a(w) if callable(a) else a for a in args]
        with reverts(error, *expected):
            call(w)
    assert fingerprint(w) == before


def test_badInput_repayMaxAfterPartialRepayment_overpayment_notAPanic(w):
    w["escrow"].repay(w["open"], 1, {"from": w["core"]})
    before = fingerprint(w)
    with reverts("Overpayment", w["open"], FACE - 1, MAX):
        w["escrow"].repay(w["open"], MAX, {"from": w["core"]})
    assert fingerprint(w) == before


def test_badInput_splitPastTheTierLimit(w):
    """Sixteen tiers by default: the sixteenth splits no further, and nothing changes."""
    certificate, holder = w["certificate"], w["tier2a"]
    cert_id = w["child"]  # tier 2
    for _ in range(certificate.maxTier() - 2):
        cert_id = certificate.split(cert_id, [holder], [1_000], {"from": holder}).return_value[0]
    assert certificate.certificate(cert_id)[2] == certificate.maxTier() == 16
    before = fingerprint(w)
    with reverts("TierLimitExceeded", 17, 16):
        certificate.split(cert_id, [holder], [1], {"from": holder})
    assert fingerprint(w) == before

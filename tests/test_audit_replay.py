"""The replay on hand-made events: chain order with creations first within a transaction (ERC-1155 emits
the mint before ReceivableIssued), batch transfers, and anomalies named by their check."""
import pytest
from scfchain.audit import replay
from scfchain.audit.store import Event

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ZERO = "0x" + "00" * 20
CORE, T1, T2, T3, DESK = ("0x" + c * 40 for c in "abcde")
DOC = "0x" + "11" * 32


def ev(block, idx, tx, name, contract="ReceivableCertificate", **args):
    return Event(block, idx, tx, 0, 1_000 + block, contract, name, args)


def single(block, idx, tx, frm, to, cid, value):
    return ev(block, idx, tx, "TransferSingle", operator=frm, **{"from": frm, "to": to, "id": cid, "value": value})


def lifecycle():
    return [
        single(1, 0, "0x01", ZERO, T1, 1, 100),  # mint first, then the issue event, as the contract emits them
        ev(1, 1, "0x01", "ReceivableIssued", rootId=1, debtor=CORE, supplier=T1, faceValue=100, maturity=9_999,
           documentHash=DOC),
        single(2, 0, "0x02", ZERO, T2, 2, 30),
        single(2, 1, "0x02", ZERO, T3, 3, 20),
        single(2, 2, "0x02", T1, ZERO, 1, 50),
        ev(2, 3, "0x02", "CertificateSplit", parentId=1, rootId=1, holder=T1, childIds=[2, 3], recipients=[T2, T3],
           amounts=[30, 20]),
        ev(3, 0, "0x03", "TransferBatch", operator=T2, **{"from": T2, "to": T3, "ids": [2], "values": [10]}),
        single(3, 1, "0x03", T1, T3, 1, 5),
    ]


def test_replay_buildsTreeAndBalances():
    ledger = replay(lifecycle())
    assert not ledger.anomalies
    assert sorted(ledger.certs) == [1, 2, 3]
    assert ledger.certs[1].children == [2, 3]
    assert (ledger.certs[3].tier, ledger.certs[3].root_id, ledger.certs[3].debtor) == (2, 1, CORE)
    assert ledger.certs[1].balances == {T1: 45, T3: 5}
    assert ledger.certs[2].balances == {T2: 20, T3: 10}
    assert ledger.certs[3].balances == {T3: 20}
    assert sum(ledger.certs[i].live for i in ledger.roots[1].certs) == 100
    assert [(m.cert_id, m.sender, m.recipient, m.units) for m in ledger.moves] == [(2, T2, T3, 10), (1, T1, T3, 5)]
    assert ledger.outstanding(CORE) == 100 and ledger.issue_checks == [(1, 100, 0)]  # no credit line was set


def test_replay_flagsOverdrawnAndOrphanEvents():
    events = lifecycle() + [
        single(4, 0, "0x04", T2, T1, 2, 500),  # more than T2 holds
        ev(4, 1, "0x04", "CertificateSplit", parentId=42, rootId=42, holder=T1, childIds=[43], recipients=[T1],
           amounts=[1]),
        ev(4, 2, "0x04", "Repaid", contract="SettlementEscrow", rootId=1, payer=CORE, amount=10, totalPaid=11),
    ]
    ledger = replay(events)
    # (the split comes first: within a transaction, events creating certificates are applied first)
    assert [(a.check, a.ids) for a in ledger.anomalies] == [("inv2-split", (42,)), ("inv1-units", (2,)),
                                                            ("inv3-payouts", (1,))]


def test_tree_holdersInFirstHeldOrder_afterAHolderEmptiesAndRefills():
    """Scf.tree, the CLI, the explorer and the pictures share trace.tree_node: holders listed in the order they
    first received units, so equal balances read the same whoever emptied and refilled a position."""
    from scfchain.audit.trace import tree_node

    events = lifecycle() + [
        single(4, 0, "0x04", T1, T2, 1, 45),  # T1 empties its root position...
        single(5, 0, "0x05", T2, T1, 1, 20),  # ...and gets units back, after T3 and T2 came in
    ]
    ledger = replay(events)
    assert ledger.certs[1].balances == {T3: 5, T2: 25, T1: 20}  # a refilled holder goes last here
    tree = tree_node(ledger, 1, with_ancestry=False)
    assert tree.holders == {T1: 20, T3: 5, T2: 25}  # first held: T1 (issue), T3, T2
    assert [c.certificate.id for c in tree.children] == [2, 3]
    assert tree.children[0].holders == {T2: 20, T3: 10} and tree.children[1].holders == {T3: 20}
    assert (tree.certificate.status, tree.children[1].certificate.tier) == ("active", 2)
    below = tree_node(ledger, 3)  # with ancestry: the root above, holding only the path down
    assert below.certificate.id == 1 and [c.certificate.id for c in below.children] == [3]


@pytest.mark.parametrize("financed_first", [False, True])
def test_replay_marksTheSalesMove_whicheverOfItsEventsComesFirst(financed_first):
    """A sale is a move and a Financed in one transaction. The desk moves the units first (`sell`), then emits
    Financed; a desk of an earlier version emitted Financed first. Either way exactly the sale's move counts as
    financing, not another move of the same units in that transaction."""
    posted = ev(4, 0, "0x04", "OfferPosted", contract="FinancingDesk", offerId=1, financier=T3, debtor=CORE,
                annualRateBps=600, budget=1_000, minAmount=0, expiry=9_000)
    plain = single(5, 0, "0x05", T1, T3, 1, 7)  # the same units, moved by the holder itself
    sold = ev(5, 1, "0x05", "TransferSingle", operator=DESK, **{"from": T1, "to": T3, "id": 1, "value": 7})
    financed = ev(5, 2, "0x05", "Financed", contract="FinancingDesk", offerId=1, certId=1, seller=T1, financier=T3,
                  amount=7, proceeds=6)
    sale = [plain, financed, sold] if financed_first else [plain, sold, financed]
    ledger = replay(lifecycle() + [posted] + sale, addresses={"FinancingDesk": DESK})
    assert not ledger.anomalies
    assert [(m.operator, m.units, m.financing) for m in ledger.moves if m.tx == "0x05"] == [(T1, 7, False),
                                                                                           (DESK, 7, True)]
    assert [(f.seller, f.financier, f.amount, f.proceeds) for f in ledger.financings] == [(T1, T3, 7, 6)]
    assert ledger.offers[1].spent == 6

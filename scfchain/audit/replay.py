"""Rebuilding the whole system's state from the stored events alone: members, receivables and their
certificate trees with holders, financings, guarantees, repayments, payouts and token balances.

Anything the events contradict while replaying (a balance going negative, a split of an unknown
certificate, a repayment total that does not add up) is recorded in `Ledger.anomalies`; `verify` turns
those and its own checks into a verdict."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any, Iterable

from ..constants import DAY, ROLE_IDS, ROOT_STATUS, YEAR
from ..deploy import Deployment
from .events import Decoder
from .store import Event, Store

ZERO = "0x0000000000000000000000000000000000000000"
_ROLE_BY_HEX = {"0x" + value.hex(): name for name, value in ROLE_IDS.items()}  # event args carry role ids as hex


def role_name(value: str) -> str:
    return _ROLE_BY_HEX.get(value.lower(), value)


@dataclass
class Member:
    address: str
    name: str = ""
    roles: set[str] = field(default_factory=set)
    active: bool = False
    onboarded: int | None = None


@dataclass
class Split:
    parent_id: int
    holder: str
    child_ids: list[int]
    recipients: list[str]
    amounts: list[int]
    time: int
    block: int
    tx: str


@dataclass
class Move:
    """Certificate units changing hands (not a mint or burn); `financing` when sold through the desk."""
    cert_id: int
    sender: str
    recipient: str
    units: int
    time: int
    block: int
    tx: str
    financing: bool = False
    operator: str = ""


@dataclass
class Financing:
    offer_id: int
    cert_id: int
    seller: str
    financier: str
    amount: int
    proceeds: int
    time: int
    block: int
    tx: str
    rate_bps: int
    maturity: int

    @property
    def discount(self) -> int:
        return self.amount - self.proceeds

    @property
    def days_to_maturity(self) -> float:
        return max(self.maturity - self.time, 0) / DAY

    @property
    def annualised(self) -> float:
        """Effective annual discount rate of this sale: discount / amount scaled to a year."""
        span = self.maturity - self.time
        return 0.0 if span <= 0 or not self.amount else (self.discount / self.amount) * YEAR / span


@dataclass
class Claim:
    id: int
    root_id: int
    holder: str
    units: int
    payout: int
    time: int
    block: int
    tx: str


@dataclass
class Repayment:
    payer: str
    amount: int
    total: int
    time: int
    block: int
    tx: str


@dataclass
class Cert:
    id: int
    root_id: int
    parent_id: int
    tier: int
    amount: int
    debtor: str
    maturity: int
    recipient: str
    time: int
    block: int
    tx: str
    children: list[int] = field(default_factory=list)
    balances: dict[str, int] = field(default_factory=dict)
    splits: list[Split] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    financings: list[Financing] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    seen: dict[str, None] = field(default_factory=dict)  # every account that ever held units, first holder first

    @property
    def live(self) -> int:
        return sum(self.balances.values())

    @property
    def holders(self) -> dict[str, int]:
        """Live balances, holders in the order they first received units: stable whoever empties and refills a
        position (`balances` reorders then), so ties in a by-balance listing always read the same."""
        return {h: self.balances[h] for h in self.seen if h in self.balances}


@dataclass
class Root:
    id: int
    debtor: str
    supplier: str
    face: int
    maturity: int
    document: str
    time: int
    block: int
    status: str = "active"
    paid: int = 0
    covered: int = 0
    recovered: int = 0
    closed: int | None = None
    repayments: list[Repayment] = field(default_factory=list)
    certs: list[int] = field(default_factory=list)
    claimed_units: int = 0
    payouts: int = 0

    @property
    def fully_repaid_at(self) -> int | None:
        """When the last repayment made the debt whole (None unless closed as paid)."""
        return self.repayments[-1].time if self.status == "paid" and self.repayments else None


@dataclass
class Offer:
    id: int
    financier: str
    debtor: str
    rate_bps: int
    budget: int
    min_amount: int
    expiry: int
    time: int
    tx: str
    spent: int = 0
    refund: int | None = None
    refund_tx: str = ""


@dataclass
class Guarantee:
    id: int
    guarantor: str
    debtor: str
    amount: int
    expiry: int
    time: int
    tx: str
    called: list[tuple[int, int, int, str]] = field(default_factory=list)  # (rootId, amount, time, tx)
    released: int | None = None
    released_tx: str = ""

    @property
    def called_total(self) -> int:
        return sum(c[1] for c in self.called)


@dataclass
class LoanRepayment:
    payer: str
    amount: int
    remaining: int
    interest: int  # the part of `amount` that paid interest (interest first)
    time: int
    block: int
    tx: str
    before_maturity: bool


@dataclass
class Loan:
    """A loan against certificate units, as the LoanDesk's events tell it; `debt_at` mirrors the desk's
    interest rule (simple, per second, rounded up, stopping at maturity; interest first)."""
    id: int
    borrower: str
    cert_id: int
    units: int
    principal: int
    rate_bps: int
    named_lender: str
    expiry: int
    maturity: int
    time: int
    block: int
    tx: str
    state: str = "requested"
    lender: str = ""
    funded_at: int = 0
    funded_tx: str = ""
    outstanding: int = 0  # principal outstanding
    clock: int = 0  # start of the current interest period: funding, or the last repayment that cut principal
    interest_paid: int = 0  # interest paid within the current period
    repayments: list[LoanRepayment] = field(default_factory=list)
    closed_tx: str = ""  # cancel, final repayment or settlement
    closed_time: int = 0
    payout: int | None = None  # the payout of its units when they were redeemed (settled, or cancelled or repaid
    to_lender: int = 0  # after the root closed)
    to_borrower: int = 0
    by_clearing: bool = False  # settled (the clearing repaid the lender out of the payout)
    settled_debt: int = 0  # the debt when it was settled
    closing: dict[str, Any] = field(default_factory=dict)  # how it ends, within its closing transaction

    @property
    def pledged(self) -> bool:
        return self.state in ("requested", "funded")

    def interest_at(self, t: int) -> int:
        """The period's interest, rounded up once for the whole period, less what was paid of it already (so that
        payments smaller than the interest neither lose nor re-count the rounding)."""
        span = max(min(t, self.maturity) - self.clock, 0)
        return -(-self.outstanding * self.rate_bps * span // (10_000 * YEAR)) - self.interest_paid

    def debt_at(self, t: int) -> int:
        return 0 if self.state != "funded" else self.outstanding + self.interest_at(t)

    @property
    def repaid(self) -> int:
        return sum(r.amount for r in self.repayments)


@dataclass
class LoanPool:
    """The payout of the desk's units of one certificate, claimed or pushed by the clearing at once, and what
    the loans on it have taken of it since."""
    cert_id: int
    units: int = 0
    payout: int = 0
    taken: int = 0
    units_taken: int = 0

    @property
    def left(self) -> int:
        return self.payout - self.taken


@dataclass
class Anomaly:
    check: str
    message: str
    ids: tuple[int, ...] = ()


class Ledger:
    """The state the events describe, as of the last indexed block."""

    def __init__(self, addresses: dict[str, str] | None = None, decimals: int = 2, symbol: str = ""):
        self.addresses = addresses or {}  # contract name -> address
        self.deployer = ""
        self.decimals = decimals
        self.symbol = symbol
        self.members: dict[str, Member] = {}
        self.roots: dict[int, Root] = {}
        self.certs: dict[int, Cert] = {}
        self.documents: dict[str, list[int]] = defaultdict(list)
        self.credit_lines: dict[tuple[str, str], int] = {}
        self.offers: dict[int, Offer] = {}
        self.guarantees: dict[int, Guarantee] = {}
        self.financings: list[Financing] = []
        self.claims: list[Claim] = []
        self.splits: list[Split] = []
        self.moves: list[Move] = []
        # A sale's move and its Financed are one transaction's: the desk moves the units (`sell`), then emits
        # Financed. A desk that emitted Financed first (before `sell`) left the move to come: (tx, cert, seller,
        # financier) of each sale whose move is still to come.
        self._sales_awaiting_move: dict[tuple[str, int, str, str], int] = defaultdict(int)
        self.failed_settlements: list[tuple[int, str, int]] = []
        self.token: dict[str, int] = defaultdict(int)
        self.token_moves: dict[str, list[tuple[str, str, int]]] = defaultdict(list)  # per tx
        self.tx_ids: dict[str, set[int]] = defaultdict(set)  # certificate and receivable ids each tx names
        self.token_minted = 0
        self.anomalies: list[Anomaly] = []
        self.issue_checks: list[tuple[int, int, int]] = []  # (rootId, outstanding incl. it, limit) at issue
        self.events = 0
        self.last_block = 0
        self.last_time = 0
        self.timeline: list[tuple[int, int]] = []  # (time, outstanding face value of all debtors)
        # (tx, certificate) -> [(holder, units)] burned / minted in that transaction, for the split and claim checks
        self.tx_burns: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
        self.tx_mints: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
        self._outstanding: dict[str, int] = defaultdict(int)
        self.loans: dict[int, Loan] = {}
        self.loan_pools: dict[int, LoanPool] = {}  # certificate id -> the payouts the desk was paid for it
        self.loan_custody: dict[int, dict[str, Any]] = {}  # certificate id -> LoanDesk's own accounting of it
        self._at_tx_end: list[Any] = []  # loan checks that need the whole transaction
        # Payments the token refused to a lender or borrower, which the desk holds until the payee withdraws:
        # (tx, loan id, payee, amount, payer) where `payer` paid the desk instead of the lender (a repayment) or
        # is "" (a share of a payout the desk kept); and (tx, payee, to, amount) per withdrawal.
        self.loan_held: list[tuple[str, int, str, int, str]] = []
        self.loan_withdrawals: list[tuple[str, str, str, int]] = []
        self.loan_owed: dict[str, int] = defaultdict(int)

    # ------------------------------------------------------------ helpers
    def name(self, address: str) -> str:
        m = self.members.get(address)
        if m and m.name:
            return m.name
        for cname, caddr in self.addresses.items():
            if caddr == address:
                return {"FinancingDesk": "Financing Desk", "LoanDesk": "Loan Desk",
                        "SettlementEscrow": "Settlement Escrow", "CreditGuarantee": "Credit Guarantee", "ReceivableCertificate": "Certificates"}.get(cname, cname)
        if address == self.deployer:
            return "Platform operator"
        return address[:10] + "…"

    def outstanding(self, debtor: str | None = None) -> int:
        if debtor is None:
            return sum(self._outstanding.values())
        return self._outstanding.get(debtor, 0)

    def credit_limit(self, debtor: str) -> int:
        return sum(v for (_f, d), v in self.credit_lines.items() if d == debtor)

    def lineage(self, cert_id: int) -> list[int]:
        """The ids from the root down to `cert_id`."""
        path = []
        c = self.certs.get(cert_id)
        while c is not None:
            path.append(c.id)
            c = self.certs.get(c.parent_id) if c.parent_id else None
        return path[::-1]

    def subtree(self, cert_id: int) -> list[int]:
        out, stack = [], [cert_id]
        while stack:
            cid = stack.pop()
            out.append(cid)
            stack.extend(reversed(self.certs[cid].children))
        return out

    def _flag(self, check: str, message: str, *ids: int) -> None:
        self.anomalies.append(Anomaly(check, message, tuple(ids)))

    # ------------------------------------------------------------ replay
    def apply(self, e: Event) -> None:
        handler = getattr(self, "_on_" + e.name, None)
        for key in ("rootId", "certId", "id"):
            value = e.args.get(key)
            if isinstance(value, int) and e.contract != "PaymentToken":
                self.tx_ids[e.tx_hash].add(value)
        self.events += 1
        self.last_block, self.last_time = e.block, e.time
        if handler is not None:
            handler(e, e.args)

    def _member(self, address: str) -> Member:
        m = self.members.get(address)
        if m is None:
            m = self.members[address] = Member(address)
        return m

    def _on_MemberOnboarded(self, e: Event, a: dict[str, Any]) -> None:
        m = self._member(a["account"])
        if m.onboarded is None:  # the consortium keeps the name given at the first onboarding
            m.name = a["name"]
        m.roles.add(role_name(a["role"]))
        m.active = True
        m.onboarded = m.onboarded or e.time

    def _on_MemberSuspended(self, e: Event, a: dict[str, Any]) -> None:
        self._member(a["account"]).active = False

    def _on_MemberReinstated(self, e: Event, a: dict[str, Any]) -> None:
        self._member(a["account"]).active = True

    def _on_RoleGranted(self, e: Event, a: dict[str, Any]) -> None:
        self._member(a["account"]).roles.add(role_name(a["role"]))

    def _on_RoleRevoked(self, e: Event, a: dict[str, Any]) -> None:
        self._member(a["account"]).roles.discard(role_name(a["role"]))

    def _on_CreditLineSet(self, e: Event, a: dict[str, Any]) -> None:
        self.credit_lines[(a["financier"], a["debtor"])] = a["limit"]

    def _on_ReceivableIssued(self, e: Event, a: dict[str, Any]) -> None:
        rid, debtor = a["rootId"], a["debtor"]
        if rid in self.certs:
            self._flag("lineage", f"certificate {rid} issued twice", rid)
            return
        root = Root(rid, debtor, a["supplier"], a["faceValue"], a["maturity"], a["documentHash"], e.time, e.block)
        root.certs.append(rid)
        self.roots[rid] = root
        self.certs[rid] = Cert(rid, rid, 0, 1, a["faceValue"], debtor, a["maturity"], a["supplier"], e.time,
                               e.block, e.tx_hash)
        self.documents[a["documentHash"]].append(rid)
        self._outstanding[debtor] += a["faceValue"]
        self.issue_checks.append((rid, self._outstanding[debtor], self.credit_limit(debtor)))
        self.timeline.append((e.time, self.outstanding()))

    def _on_CertificateSplit(self, e: Event, a: dict[str, Any]) -> None:
        parent = self.certs.get(a["parentId"])
        if parent is None:
            self._flag("inv2-split", f"split of certificate {a['parentId']}, which no event created", a["parentId"])
            return
        if a["rootId"] != parent.root_id:
            self._flag("inv2-split", f"split of {parent.id} names root {a['rootId']}, its root is {parent.root_id}",
                       parent.id)
        if not (len(a["childIds"]) == len(a["recipients"]) == len(a["amounts"])):
            self._flag("inv2-split", f"split of {parent.id} has mismatched child, recipient and amount lists",
                       parent.id)
        s = Split(parent.id, a["holder"], list(a["childIds"]), list(a["recipients"]), list(a["amounts"]), e.time,
                  e.block, e.tx_hash)
        parent.splits.append(s)
        self.splits.append(s)
        root = self.roots.get(parent.root_id)
        for cid, to, amount in zip(a["childIds"], a["recipients"], a["amounts"]):
            if cid in self.certs:
                self._flag("lineage", f"certificate {cid} created twice", cid)
                continue
            self.certs[cid] = Cert(cid, parent.root_id, parent.id, parent.tier + 1, amount, parent.debtor,
                                   parent.maturity, to, e.time, e.block, e.tx_hash)
            parent.children.append(cid)
            if root:
                root.certs.append(cid)

    def _move(self, e: Event, operator: str, sender: str, recipient: str, cid: int, units: int) -> None:
        cert = self.certs.get(cid)
        if cert is None:
            self._flag("lineage", f"units of certificate {cid} moved, but no event created it", cid)
            return
        if sender == ZERO:
            self.tx_mints[(e.tx_hash, cid)].append((recipient, units))
        else:
            have = cert.balances.get(sender, 0)
            if have < units:
                self._flag("inv1-units", f"{sender} moved {units} units of certificate {cid} holding only {have}",
                           cid)
            left = have - units
            if left:
                cert.balances[sender] = left
            else:
                cert.balances.pop(sender, None)
        if recipient == ZERO:
            self.tx_burns[(e.tx_hash, cid)].append((sender, units))
        else:
            cert.balances[recipient] = cert.balances.get(recipient, 0) + units
            cert.seen.setdefault(recipient)
        if sender != ZERO and recipient != ZERO:
            m = Move(cid, sender, recipient, units, e.time, e.block, e.tx_hash, operator=operator)
            sale = (e.tx_hash, cid, sender, recipient)
            if self._sales_awaiting_move.get(sale):
                self._sales_awaiting_move[sale] -= 1
                m.financing = True
            cert.moves.append(m)
            self.moves.append(m)

    def _on_TransferSingle(self, e: Event, a: dict[str, Any]) -> None:
        self._move(e, a["operator"], a["from"], a["to"], a["id"], a["value"])

    def _on_TransferBatch(self, e: Event, a: dict[str, Any]) -> None:
        for cid, value in zip(a["ids"], a["values"]):
            self._move(e, a["operator"], a["from"], a["to"], cid, value)

    def _on_OfferPosted(self, e: Event, a: dict[str, Any]) -> None:
        self.offers[a["offerId"]] = Offer(a["offerId"], a["financier"], a["debtor"], a["annualRateBps"], a["budget"],
                                          a["minAmount"], a["expiry"], e.time, e.tx_hash)

    def _on_OfferCancelled(self, e: Event, a: dict[str, Any]) -> None:
        offer = self.offers.get(a["offerId"])
        if offer is None:
            self._flag("balance-desk", f"offer {a['offerId']} cancelled, but no event posted it", a["offerId"])
            return
        offer.refund = a["refund"]
        offer.refund_tx = e.tx_hash

    def _on_Financed(self, e: Event, a: dict[str, Any]) -> None:
        cert = self.certs.get(a["certId"])
        offer = self.offers.get(a["offerId"])
        f = Financing(a["offerId"], a["certId"], a["seller"], a["financier"], a["amount"], a["proceeds"], e.time,
                      e.block, e.tx_hash, offer.rate_bps if offer else 0, cert.maturity if cert else 0)
        self.financings.append(f)
        if cert is not None:
            cert.financings.append(f)
            # The desk moved the units just before (`sell`), as their operator: the last such move of this
            # transaction not yet counted as a sale is this one. None (a desk that emitted Financed first): the next
            # such move is.
            desk = self.addresses.get("FinancingDesk", "")
            this_tx = takewhile(lambda m: m.tx == e.tx_hash, reversed(cert.moves))
            sold = next((m for m in this_tx if not m.financing and (not desk or m.operator == desk)
                         and (m.sender, m.recipient, m.units) == (f.seller, f.financier, f.amount)), None)
            if sold is not None:
                sold.financing = True
            else:
                self._sales_awaiting_move[(e.tx_hash, f.cert_id, f.seller, f.financier)] += 1
        if offer is not None:
            offer.spent += a["proceeds"]
        else:
            self._flag("balance-desk", f"financing through offer {a['offerId']}, which no event posted", a["offerId"])

    def _on_GuaranteeProvided(self, e: Event, a: dict[str, Any]) -> None:
        self.guarantees[a["guaranteeId"]] = Guarantee(a["guaranteeId"], a["guarantor"], a["debtor"], a["amount"],
                                                      a["expiry"], e.time, e.tx_hash)

    def _on_GuaranteeCalled(self, e: Event, a: dict[str, Any]) -> None:
        g = self.guarantees.get(a["guaranteeId"])
        if g is None:
            self._flag("balance-guarantee", f"guarantee {a['guaranteeId']} called, but no event provided it",
                       a["guaranteeId"])
            return
        g.called.append((a["rootId"], a["amount"], e.time, e.tx_hash))

    def _on_GuaranteeReleased(self, e: Event, a: dict[str, Any]) -> None:
        g = self.guarantees.get(a["guaranteeId"])
        if g is None:
            self._flag("balance-guarantee", f"guarantee {a['guaranteeId']} released, but no event provided it",
                       a["guaranteeId"])
            return
        g.released = a["amount"]
        g.released_tx = e.tx_hash

    def _root(self, rid: int, what: str) -> Root | None:
        root = self.roots.get(rid)
        if root is None:
            self._flag("inv3-payouts", f"{what} for receivable {rid}, which no event issued", rid)
        return root

    def _on_Repaid(self, e: Event, a: dict[str, Any]) -> None:
        root = self._root(a["rootId"], "repayment")
        if root is None:
            return
        if root.paid + a["amount"] != a["totalPaid"]:
            self._flag("inv3-payouts", f"receivable {root.id}: repaid {root.paid} + {a['amount']} but the event "
                       f"says {a['totalPaid']} in total", root.id)
        root.paid = root.paid + a["amount"]
        root.repayments.append(Repayment(a["payer"], a["amount"], a["totalPaid"], e.time, e.block, e.tx_hash))

    def _on_DefaultDeclared(self, e: Event, a: dict[str, Any]) -> None:
        root = self._root(a["rootId"], "default")
        if root is None:
            return
        if a["paid"] != root.paid:
            self._flag("inv3-payouts", f"receivable {root.id} defaulted with {a['paid']} paid, the repayments add "
                       f"up to {root.paid}", root.id)
        root.covered = a["covered"]

    def _on_ReceivableClosed(self, e: Event, a: dict[str, Any]) -> None:
        root = self._root(a["rootId"], "closing")
        if root is None:
            return
        root.status = ROOT_STATUS.get(a["status"], str(a["status"]))
        root.recovered = a["recovered"]
        root.closed = e.time
        self._outstanding[root.debtor] -= root.face
        self.timeline.append((e.time, self.outstanding()))

    def _on_Claimed(self, e: Event, a: dict[str, Any]) -> None:
        c = Claim(a["id"], a["rootId"], a["holder"], a["units"], a["payout"], e.time, e.block, e.tx_hash)
        self.claims.append(c)
        cert = self.certs.get(c.id)
        if cert is not None:
            cert.claims.append(c)
        root = self._root(c.root_id, "payout")
        if root is not None:
            root.claimed_units += c.units
            root.payouts += c.payout
        if c.holder == self.loan_desk and self.loan_desk:
            pool = self.loan_pools.setdefault(c.id, LoanPool(c.id))
            pool.units += c.units
            pool.payout += c.payout

    # ------------------------------------------------------------ loans
    @property
    def loan_desk(self) -> str:
        return self.addresses.get("LoanDesk", "")

    def _loan(self, loan_id: int, what: str) -> Loan | None:
        loan = self.loans.get(loan_id)
        if loan is None:
            self._flag("inv8-loans", f"loan {loan_id} {what}, but no event requested it", loan_id)
        return loan

    def _moved_in_tx(self, tx: str, cert_id: int, sender: str, recipient: str) -> int:
        cert = self.certs.get(cert_id)
        return sum(m.units for m in cert.moves if m.tx == tx and m.sender == sender and m.recipient == recipient) \
            if cert else 0

    def _on_LoanRequested(self, e: Event, a: dict[str, Any]) -> None:
        lid = a["loanId"]
        if lid in self.loans:
            self._flag("inv8-loans", f"loan {lid} requested twice", lid)
            return
        cert = self.certs.get(a["certId"])
        loan = Loan(lid, a["borrower"], a["certId"], a["units"], a["principal"], a["annualRateBps"], a["lender"],
                    a["expiry"], cert.maturity if cert else 0, e.time, e.block, e.tx_hash)
        # LoanDesk counts an id's units itself only from a second live loan on it (custody()).
        live = sum(ln.units for ln in self.loans.values() if ln.cert_id == loan.cert_id and ln.pledged)
        if live:
            c = self.custody(loan.cert_id)
            c["units"] = live + loan.units  # before the root closes the desk holds exactly the live loans' units
            c["counted"] = True
        self.loans[lid] = loan
        self._at_tx_end.append(lambda: self._check_pledge(loan, e.tx_hash))

    def custody(self, cert_id: int) -> dict[str, Any]:
        """The desk's accounting of one id, as LoanDesk keeps it (custody() shows units, payout, redeemed)."""
        return self.loan_custody.setdefault(cert_id, {"units": 0, "payout": 0, "counted": False, "redeemed": False})

    def _check_pledge(self, loan: Loan, tx: str) -> None:
        moved = self._moved_in_tx(tx, loan.cert_id, loan.borrower, self.loan_desk)
        if moved != loan.units:
            self._flag("inv7-loan-custody", f"loan {loan.id} pledges {loan.units} units of certificate "
                       f"{loan.cert_id}; the request moved {moved} into the desk", loan.id)

    def _on_LoanRequestCancelled(self, e: Event, a: dict[str, Any]) -> None:
        loan = self._loan(a["loanId"], "cancelled")
        if loan is None:
            return
        if loan.state != "requested":
            self._flag("inv8-loans", f"loan {loan.id} cancelled while {loan.state}", loan.id)
        self._closing(loan, e, "cancelled")

    def _on_LoanFunded(self, e: Event, a: dict[str, Any]) -> None:
        loan = self._loan(a["loanId"], "funded")
        if loan is None:
            return
        if loan.state != "requested":
            self._flag("inv8-loans", f"loan {loan.id} funded while {loan.state}", loan.id)
        if a["principal"] != loan.principal:
            self._flag("inv8-loans", f"loan {loan.id} asked for {loan.principal}, funded {a['principal']}", loan.id)
        loan.state, loan.lender, loan.funded_at, loan.funded_tx = "funded", a["lender"], e.time, e.tx_hash
        loan.outstanding, loan.clock, loan.interest_paid = a["principal"], e.time, 0

    def _on_LoanRepaid(self, e: Event, a: dict[str, Any]) -> None:
        loan = self._loan(a["loanId"], "repaid")
        if loan is None:
            return
        if loan.state != "funded":
            self._flag("inv8-loans", f"loan {loan.id} repaid while {loan.state}", loan.id)
            return
        debt = loan.debt_at(e.time)
        interest = loan.interest_at(e.time)
        amount = a["amount"]
        if amount > debt:
            self._flag("inv8-loans", f"loan {loan.id}: repayment of {amount} exceeds the debt {debt}", loan.id)
        if a["remainingDebt"] != debt - amount:
            self._flag("inv8-loans", f"loan {loan.id}: debt {debt} less {amount} repaid leaves {debt - amount}, the "
                       f"event says {a['remainingDebt']}", loan.id)
        to_interest = min(amount, interest)
        if amount <= interest:  # still within the period
            loan.interest_paid += amount
        else:  # the period's interest paid, principal falls: a new period starts (at maturity at the latest)
            loan.outstanding -= min(amount - interest, loan.outstanding)
            loan.interest_paid = 0
            loan.clock = min(e.time, loan.maturity)
        loan.repayments.append(LoanRepayment(a["payer"], amount, a["remainingDebt"], to_interest, e.time, e.block,
                                             e.tx_hash, e.time < loan.maturity))
        if a["remainingDebt"] == 0:
            self._closing(loan, e, "repaid")

    def _on_LoanSettled(self, e: Event, a: dict[str, Any]) -> None:
        """A loan's units redeemed: by `settleLoan`, or with a cancel or the last repayment after the root closed
        (then the borrower gets the whole payout). Which of them is known once the transaction is replayed."""
        loan = self._loan(a["loanId"], "settled")
        if loan is None:
            return
        if a["toLender"] + a["toBorrower"] != a["payout"]:
            self._flag("inv7-loan-custody", f"loan {loan.id}: payout {a['payout']} split {a['toLender']} to the lender "
                       f"and {a['toBorrower']} to the borrower", loan.id)
        loan.payout, loan.to_lender, loan.to_borrower = a["payout"], a["toLender"], a["toBorrower"]
        loan.settled_debt = loan.debt_at(e.time)
        self._closing(loan, e, None)

    def _on_PaymentHeld(self, e: Event, a: dict[str, Any]) -> None:
        """The token refused a lender's repayment or a party's share: the desk holds it for the payee. A lender's
        payment held in a transaction that repaid the loan is the payer's repayment, paid into the desk."""
        loan = self._loan(a["loanId"], "held a payment")
        if loan is None:
            return
        payee, amount = a["payee"], a["amount"]
        if payee not in (loan.borrower, loan.lender):
            self._flag("inv7-loan-custody", f"loan {loan.id}: a payment of {amount} held for {payee}, neither its "
                       "lender nor its borrower", loan.id)
        last = loan.repayments[-1] if loan.repayments else None
        payer = last.payer if last is not None and last.tx == e.tx_hash and payee == loan.lender else ""
        self.loan_held.append((e.tx_hash, loan.id, payee, amount, payer))
        self.loan_owed[payee] += amount

    def _on_PaymentWithdrawn(self, e: Event, a: dict[str, Any]) -> None:
        payee, amount = a["payee"], a["amount"]
        if amount > self.loan_owed.get(payee, 0):
            self._flag("inv7-loan-custody", f"{payee} withdrew {amount} from the loan desk, which held "
                       f"{self.loan_owed.get(payee, 0)} for it")
        self.loan_owed[payee] -= amount
        self.loan_withdrawals.append((e.tx_hash, payee, a["to"], amount))

    def _closing(self, loan: Loan, e: Event, how: str | None) -> None:
        """Notes how a loan ends in this transaction (`how`: cancelled, repaid, or None for a LoanSettled); the
        transaction's end decides (the desk's claim and its transfers may come before or after the events)."""
        first = loan.closed_tx != e.tx_hash
        loan.closed_tx, loan.closed_time = e.tx_hash, e.time
        if first:
            loan.closing = {"how": None, "settled": False}
            self._at_tx_end.append(lambda: self._closed(loan, e.tx_hash))
        if how is None:
            loan.closing["settled"] = True
        else:
            loan.closing["how"] = how

    def end_tx(self) -> None:
        todo, self._at_tx_end = self._at_tx_end, []
        for check in todo:
            check()

    def _closed(self, loan: Loan, tx: str) -> None:
        how, settled = loan.closing["how"], loan.closing["settled"]
        c = self.custody(loan.cert_id)
        if not settled:  # units back to the borrower, the root still open
            loan.state = how or loan.state
            back = self._moved_in_tx(tx, loan.cert_id, self.loan_desk, loan.borrower)
            if back != loan.units:
                self._flag("inv7-loan-custody", f"loan {loan.id} {how}: {back} units came back to the borrower, "
                           f"{loan.units} were pledged", loan.id)
            if c["counted"]:
                c["units"] -= loan.units
                if c["units"] <= 0:
                    self.loan_custody.pop(loan.cert_id, None)
            return
        # redeemed: a cancel keeps its state, a full repayment or settleLoan ends as settled
        if how is None and loan.state != "funded":
            self._flag("inv8-loans", f"loan {loan.id} settled while {loan.state}", loan.id)
        loan.state = "cancelled" if how == "cancelled" else "settled"
        loan.by_clearing = how is None
        want = min(loan.settled_debt, loan.payout or 0) if how is None else 0
        if loan.to_lender != want:
            self._flag("inv8-loans", f"loan {loan.id}: the lender got {loan.to_lender} of a payout of {loan.payout}, "
                       f"due {want} (debt {loan.settled_debt})", loan.id)
        pool = self.loan_pools.get(loan.cert_id)
        if pool is None and loan.payout:
            self._flag("inv7-loan-custody", f"loan {loan.id} paid out {loan.payout} with no payout of its units to the "
                       "desk", loan.id)
        # The pool is redeemed once, by the first settlement-type action after the root closed; then, as LoanDesk's
        # NatSpec says, each loan takes share = payoutLeft * units / unitsLeft (rounded down), the last one all that
        # is left. Without a payout to the desk (nothing recovered) the units stay there, worthless.
        if not c["redeemed"]:
            pooled = c["units"] if c["counted"] else loan.units
            c.update(units=pooled, payout=pool.payout if pool else 0, counted=True, redeemed=True)
        share = c["payout"] if loan.units == c["units"] else c["payout"] * loan.units // max(c["units"], 1)
        if loan.payout != share:
            self._flag("inv7-loan-custody", f"loan {loan.id}: {loan.units} of the {c['units']} units left in the pool "
                       f"of certificate {loan.cert_id} were paid {loan.payout}, their share of {c['payout']} is "
                       f"{share}", loan.id)
        if loan.units >= c["units"]:
            self.loan_custody.pop(loan.cert_id, None)
        else:
            c["units"] -= loan.units
            c["payout"] -= share
        if pool is None:
            return
        pool.taken += loan.payout or 0
        pool.units_taken += loan.units

    def _on_SettlementFailed(self, e: Event, a: dict[str, Any]) -> None:
        self.failed_settlements.append((a["id"], a["holder"], e.time))

    def _on_Transfer(self, e: Event, a: dict[str, Any]) -> None:
        if e.contract != "PaymentToken":
            return
        if a["from"] == ZERO:
            self.token_minted += a["value"]
        else:
            self.token[a["from"]] -= a["value"]
        if a["to"] != ZERO:
            self.token[a["to"]] += a["value"]
        self.token_moves[e.tx_hash].append((a["from"], a["to"], a["value"]))


CREATION = {"ReceivableIssued": 0, "CertificateSplit": 0}


def replay(events: Iterable[Event], addresses: dict[str, str] | None = None, decimals: int = 2,
           symbol: str = "") -> Ledger:
    """Applies the events in chain order, except that within one transaction the events creating
    certificates come first (ERC-1155 emits the mint's TransferSingle before ReceivableIssued and
    CertificateSplit)."""
    ledger = Ledger(addresses, decimals, symbol)
    group: list[Event] = []
    for e in events:
        if group and e.tx_hash != group[-1].tx_hash:
            _apply_tx(ledger, group)
            group = []
        group.append(e)
    if group:
        _apply_tx(ledger, group)
    return ledger


def _apply_tx(ledger: Ledger, group: list[Event]) -> None:
    if len(group) > 1 and any(e.name in CREATION for e in group):
        group = sorted(group, key=lambda e: CREATION.get(e.name, 1))  # stable: chain order otherwise
    for e in group:
        ledger.apply(e)
    ledger.end_tx()


def chain_ledger(deployment: Deployment, logs: Iterable[dict[str, Any]]) -> Ledger:
    """The ledger of a deployment's logs as eth_getLogs (or web3's `get_logs`) gives them, in chain order: what the
    views reading the chain directly (`Scf.holders`/`tree`, the load's resume) see is what the auditor replays."""
    addresses = {name: entry["address"] for name, entry in deployment.contracts.items()}
    ledger = replay(Decoder(deployment).to_events(logs), addresses)
    ledger.deployer = deployment.deployer
    return ledger


def load(store: Store, events: Iterable[Event] | None = None) -> Ledger:
    """The ledger of everything in the index (or of `events`, read from it)."""
    import json

    addresses = json.loads(store.get("contracts") or "{}")
    ledger = replay(store.events() if events is None else events, addresses, int(store.get("decimals") or 2),
                    store.get("symbol") or "")
    ledger.deployer = store.get("deployer") or ""
    ledger.last_block = store.get_int("fetched_to") or ledger.last_block
    ledger.last_time = max(store.get_int("indexed_time") or 0, ledger.last_time)
    return ledger

"""A pure-Python mirror of the whole system, for the stateful fuzz test (tests/test_fuzz_stateful.py).

Every contract call the fuzzer makes is first run here. A method either raises `Revert(name, *args)` (the
custom error the contract must revert with, checks in the contracts' order) without touching the model,
or applies every effect (certificate balances, lineage, root status, credit, offers, guarantees, token
balances) and returns what the call returns. After each step the fuzzer compares the model with the chain.

Addresses are lowercase 0x strings; roles and document hashes 0x-prefixed 32-byte hex strings.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field

from eth_utils import keccak

from scfchain.constants import YEAR
BPS = 10_000
MAX_RATE_BPS = 10_000
MAX_SPLIT_CHILDREN = 64
U32 = 2**32 - 1
U96 = 2**96 - 1
U128 = 2**128 - 1
ZERO = "0x" + "00" * 20
ZERO32 = "0x" + "00" * 32
U104 = 2**104 - 1
U112 = 2**112 - 1
U120 = 2**120 - 1
T40 = 2**40 - 1
NONE, ACTIVE, PAID, DEFAULTED = 0, 1, 2, 3
L_NONE, L_REQUESTED, L_FUNDED, L_REPAID, L_SETTLED, L_CANCELLED = 0, 1, 2, 3, 4, 5
NEVER, MEMBER_ACTIVE, MEMBER_SUSPENDED = 0, 1, 2


def role(name: str) -> str:
    return ZERO32 if name == "DEFAULT_ADMIN_ROLE" else "0x" + keccak(text=name).hex()


ADMIN = role("DEFAULT_ADMIN_ROLE")
OPERATOR = role("OPERATOR_ROLE")
CORE = role("CORE_ENTERPRISE_ROLE")
SUPPLIER = role("SUPPLIER_ROLE")
FINANCIER = role("FINANCIER_ROLE")
GUARANTOR = role("GUARANTOR_ROLE")
CLEARING = role("CLEARING_ROLE")


class Revert(Exception):
    """The custom error a call must revert with."""

    def __init__(self, name: str, *args):
        super().__init__(name, *args)
        self.name = name
        self.error_args = args

    def __repr__(self) -> str:
        return f"{self.name}{self.error_args}"


@dataclass
class Cert:
    root: int
    parent: int
    tier: int
    amount: int


@dataclass
class Root:
    debtor: str
    maturity: int
    status: int
    face: int
    paid: int = 0
    recovered: int = 0


@dataclass
class Offer:
    financier: str
    debtor: str
    rate: int
    budget: int
    min_amount: int
    expiry: int
    cancelled: bool = False


@dataclass
class Guarantee:
    guarantor: str
    debtor: str
    amount: int
    used: int
    expiry: int
    released: bool = False


@dataclass
class Loan:
    borrower: str
    lender: str
    cert: int
    units: int
    principal: int
    rate: int
    expiry: int  # as the desk keeps it (40 bits, saturated)
    maturity: int
    state: int = L_REQUESTED
    funded_at: int = 0
    outstanding: int = 0
    start: int = 0  # start of the current interest period
    paid_in_period: int = 0


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def proceeds(amount: int, rate_bps: int, time_to_maturity: int) -> int:
    """SPEC: amount - ceil(amount * rate * ttm / (10000 * 365 days)), floored at 0."""
    discount = -(-(amount * rate_bps * time_to_maturity) // (BPS * YEAR))
    return max(amount - discount, 0)


@dataclass
class Model:
    now: int
    grace: int
    escrow: str
    desk: str
    guarantee_contract: str
    max_tier: int = 16
    paused: bool = False
    next_id: int = 1
    roles: dict = field(default_factory=lambda: defaultdict(set))  # addr -> {role}
    member: dict = field(default_factory=lambda: defaultdict(int))  # addr -> NEVER/ACTIVE/SUSPENDED
    approved: dict = field(default_factory=lambda: defaultdict(bool))  # (owner, operator) -> bool
    token: dict = field(default_factory=lambda: defaultdict(int))  # addr -> payment-token units
    certs: dict = field(default_factory=dict)  # id -> Cert
    roots: dict = field(default_factory=dict)  # rootId -> Root
    bal: dict = field(default_factory=lambda: defaultdict(int))  # (holder, id) -> units
    docs: dict = field(default_factory=dict)  # documentHash -> rootId
    lines: dict = field(default_factory=lambda: defaultdict(int))  # (financier, debtor) -> limit
    limit: dict = field(default_factory=lambda: defaultdict(int))  # debtor -> sum of lines
    outstanding: dict = field(default_factory=lambda: defaultdict(int))
    offers: dict = field(default_factory=dict)  # offerId -> Offer
    guarantees: dict = field(default_factory=dict)  # guaranteeId -> Guarantee
    by_debtor: dict = field(default_factory=lambda: defaultdict(list))  # debtor -> [guaranteeId]
    claimed_units: dict = field(default_factory=lambda: defaultdict(int))  # rootId -> units burned by claims
    payouts: dict = field(default_factory=lambda: defaultdict(int))  # rootId -> tokens paid out
    claims: dict = field(default_factory=lambda: defaultdict(int))  # rootId -> Claimed events (positions)
    loan_desk: str = ""
    loans: dict = field(default_factory=dict)  # loanId -> Loan
    pools: dict = field(default_factory=dict)  # certId -> [units left, payout left] once redeemed
    desk_pushed: dict = field(default_factory=lambda: defaultdict(int))  # certId -> payout pushed, not yet pooled
    worthless: dict = field(default_factory=lambda: defaultdict(int))  # certId -> units redeemed for nothing

    def clone(self) -> "Model":
        return copy.deepcopy(self)

    # ------------------------------------------------------------ checks shared by several calls
    def active(self, who: str) -> bool:
        return self.member[who] == MEMBER_ACTIVE

    def _has(self, who: str, role_id: str) -> None:
        if role_id not in self.roles[who]:
            raise Revert("AccessControlUnauthorizedAccount", who, role_id)

    def _active_role(self, who: str, role_id: str) -> None:
        """ConsortiumGated.onlyActiveRole and ReceivableCertificate._checkActiveRole (same errors)."""
        self._has(who, role_id)
        if not self.active(who):
            raise Revert("InactiveMember", who)

    def _pull(self, who: str, to: str, amount: int) -> None:
        """ERC20 transferFrom with an unlimited allowance: only the balance can fail."""
        if self.token[who] < amount:
            raise Revert("ERC20InsufficientBalance", who, self.token[who], amount)

    def _move_tokens(self, frm: str, to: str, amount: int) -> None:
        assert self.token[frm] >= amount, "model: a contract paid out more than it holds"
        self.token[frm] -= amount
        self.token[to] += amount

    # ------------------------------------------------------------ consortium
    def suspend(self, sender: str, who: str) -> None:
        self._has(sender, OPERATOR)
        if self.member[who] == NEVER:
            raise Revert("UnknownMember", who)
        if self.member[who] == MEMBER_SUSPENDED:
            raise Revert("MemberIsSuspended", who)
        self.member[who] = MEMBER_SUSPENDED

    def reinstate(self, sender: str, who: str) -> None:
        self._has(sender, OPERATOR)
        if self.member[who] == NEVER:
            raise Revert("UnknownMember", who)
        if self.member[who] != MEMBER_SUSPENDED:
            raise Revert("MemberNotSuspended", who)
        self.member[who] = MEMBER_ACTIVE

    # ------------------------------------------------------------ certificate administration
    def pause(self, sender: str) -> None:
        self._has(sender, ADMIN)
        if self.paused:
            raise Revert("EnforcedPause")
        self.paused = True

    def unpause(self, sender: str) -> None:
        self._has(sender, ADMIN)
        if not self.paused:
            raise Revert("ExpectedPause")
        self.paused = False

    def set_max_tier(self, sender: str, value: int) -> None:
        self._has(sender, ADMIN)
        if value < 2 or value > U32:
            raise Revert("InvalidMaxTier", value)
        self.max_tier = value

    def set_credit_line(self, sender: str, debtor: str, value: int) -> None:
        self._has(sender, FINANCIER)
        if debtor == ZERO:
            raise Revert("InvalidMember", debtor)
        total = self.limit[debtor] - self.lines[(sender, debtor)] + value
        if total > U128:
            raise Revert("InvalidCreditLine", value)
        self.lines[(sender, debtor)] = value
        self.limit[debtor] = total

    # ------------------------------------------------------------ issue, split, move
    def issue(self, sender: str, supplier: str, face: int, maturity: int, doc: str) -> int:
        if self.paused:
            raise Revert("EnforcedPause")
        self._active_role(sender, CORE)
        self._active_role(supplier, SUPPLIER)
        if face == 0 or face > U128:
            raise Revert("InvalidFaceValue", face)
        if maturity <= self.now:
            raise Revert("MaturityNotInFuture", maturity, self.now)
        if doc == ZERO32:
            raise Revert("InvalidDocumentHash")
        if self.docs.get(doc):
            raise Revert("DocumentAlreadyUsed", doc, self.docs[doc])
        out, lim = self.outstanding[sender], self.limit[sender]
        if out + face > lim:
            raise Revert("CreditLimitExceeded", sender, out, face, lim)
        root_id = self.next_id
        self.next_id += 1
        self.outstanding[sender] += face
        self.docs[doc] = root_id
        self.certs[root_id] = Cert(root_id, 0, 1, face)
        self.roots[root_id] = Root(sender, maturity, ACTIVE, face)
        self.bal[(supplier, root_id)] += face
        return root_id

    def _open_cert(self, cert_id: int) -> Cert:
        """Certificate `cert_id`, known and with its root open (ReceivableCertificate._recordOf, then the status)."""
        cert = self.certs.get(cert_id)
        if cert is None:
            raise Revert("UnknownCertificate", cert_id)
        status = self.roots[cert.root].status
        if status != ACTIVE:
            raise Revert("RootClosed", cert.root, status)
        return cert

    def split(self, sender: str, cert_id: int, to: list[str], amounts: list[int]) -> list[int]:
        n = len(to)
        if n == 0 or n != len(amounts) or n > MAX_SPLIT_CHILDREN:
            raise Revert("InvalidSplitLength", n, len(amounts), MAX_SPLIT_CHILDREN)
        if self.paused:
            raise Revert("EnforcedPause")
        parent = self._open_cert(cert_id)
        tier = parent.tier + 1
        if tier > self.max_tier:
            raise Revert("TierLimitExceeded", tier, self.max_tier)
        if not self.active(sender):
            raise Revert("InactiveMember", sender)
        for recipient in to:
            if not self.active(recipient):
                raise Revert("InactiveMember", recipient)
        total = 0
        held = self.bal[(sender, cert_id)]
        for i, amount in enumerate(amounts):
            if amount == 0:
                raise Revert("ZeroSplitAmount", i)
            if amount > U128:  # no balance can cover it (refused before the sum could overflow)
                raise Revert("ERC1155InsufficientBalance", sender, held, amount, cert_id)
            total += amount
        if held < total:
            raise Revert("ERC1155InsufficientBalance", sender, held, total, cert_id)
        child_ids = list(range(self.next_id, self.next_id + n))
        self.next_id += n
        for child_id, recipient, amount in zip(child_ids, to, amounts):
            self.certs[child_id] = Cert(parent.root, cert_id, tier, amount)
            self.bal[(recipient, child_id)] += amount
        self.bal[(sender, cert_id)] -= total
        return child_ids

    def set_approval(self, sender: str, operator: str, approved: bool) -> None:
        if operator == ZERO:
            raise Revert("ERC1155InvalidOperator", operator)
        self.approved[(sender, operator)] = approved

    def _movement_checks(self, frm: str, to: str, operator: str) -> None:
        """ReceivableCertificate._checkTransfer, once per transfer or batch (an empty one too), after OZ's
        approval and zero-address checks: movements unpaused, both ends active; the loan desk is the custodian:
        it gives units back unchecked, and takes them only as their operator."""
        if self.paused and frm != self.loan_desk:
            raise Revert("EnforcedPause")
        inactive = frm if not self.active(frm) else (to if not self.active(to) else None)
        if inactive is None or frm == self.loan_desk:
            return
        if inactive == to and to == self.loan_desk:
            if operator != self.loan_desk:
                raise Revert("LoanDeskDepositRefused", operator)
            return
        raise Revert("InactiveMember", inactive)

    def _apply_moves(self, frm: str, to: str, ids: list[int], values: list[int]) -> None:
        """ReceivableCertificate._update, id by id in order: the id's root open, then its balance (the same id
        twice is debited twice)."""
        self.bal.update(self._moved(frm, to, ids, values))

    def _moved(self, frm: str, to: str, ids: list[int], values: list[int]) -> dict[tuple[str, int], int]:
        """The balances `_apply_moves` would write (raising its reverts), without writing them."""
        bal = dict((k, v) for k, v in self.bal.items() if k[0] in (frm, to) and k[1] in ids)
        for cert_id, value in zip(ids, values):
            self._open_cert(cert_id)
            held = bal.get((frm, cert_id), 0)
            if held < value:
                raise Revert("ERC1155InsufficientBalance", frm, held, value, cert_id)
            bal[(frm, cert_id)] = held - value
            bal[(to, cert_id)] = bal.get((to, cert_id), 0) + value
        return bal

    def _check_transfer(self, operator: str, frm: str, to: str) -> None:
        """ReceivableCertificate._checkTransfer with `operator` the caller: OZ's approval and receiver checks in
        OZ's order, then the certificate's own."""
        if frm != operator and not self.approved[(frm, operator)]:
            raise Revert("ERC1155MissingApprovalForAll", operator, frm)
        if to == ZERO:
            raise Revert("ERC1155InvalidReceiver", to)
        self._movement_checks(frm, to, operator)

    def transfer(self, sender: str, frm: str, to: str, cert_id: int, value: int) -> None:
        self._check_transfer(sender, frm, to)
        self._apply_moves(frm, to, [cert_id], [value])

    def batch_transfer(self, sender: str, frm: str, to: str, ids: list[int], values: list[int]) -> None:
        self._check_transfer(sender, frm, to)
        if len(ids) != len(values):
            raise Revert("ERC1155InvalidArrayLength", len(ids), len(values))
        self._apply_moves(frm, to, ids, values)

    # ------------------------------------------------------------ guarantees
    def provide(self, sender: str, debtor: str, amount: int, expiry: int) -> int:
        self._active_role(sender, GUARANTOR)
        if debtor == ZERO:
            raise Revert("InvalidDebtor", debtor)
        if amount == 0 or amount > U128:
            raise Revert("InvalidAmount", amount)
        if expiry <= self.now:
            raise Revert("ExpiryNotInFuture", expiry, self.now)
        self._pull(sender, self.guarantee_contract, amount)
        gid = len(self.guarantees) + 1
        self.guarantees[gid] = Guarantee(sender, debtor, amount, 0, expiry)
        self.by_debtor[debtor].append(gid)
        self._move_tokens(sender, self.guarantee_contract, amount)
        return gid

    def releasable_at(self, gid: int) -> int:
        return self.guarantees[gid].expiry + self.grace + 1

    def release(self, sender: str, gid: int) -> int:
        g = self.guarantees.get(gid)
        if g is None:
            raise Revert("UnknownGuarantee", gid)
        if g.guarantor != sender:
            raise Revert("NotGuarantor", gid, sender)
        if g.released:
            raise Revert("GuaranteeAlreadyReleased", gid)
        at = self.releasable_at(gid)
        if self.now < at:
            raise Revert("GuaranteeLocked", gid, at)
        g.released = True
        refund = g.amount - g.used
        self._move_tokens(self.guarantee_contract, sender, refund)
        return refund

    def _cover(self, debtor: str, maturity: int, shortfall: int) -> tuple[int, list[tuple[int, int]]]:
        """CreditGuarantee.cover: every guarantee of the debtor in the order provided, no scan bound; each
        unreleased one whose expiry covers the maturity and that has collateral left pays, until covered."""
        covered, calls = 0, []
        for gid in self.by_debtor[debtor]:
            if covered == shortfall:
                break
            g = self.guarantees[gid]
            if g.released or g.expiry < maturity or g.used == g.amount:
                continue
            take = min(shortfall - covered, g.amount - g.used)
            g.used += take
            covered += take
            calls.append((gid, take))
        self._move_tokens(self.guarantee_contract, self.escrow, covered)
        return covered, calls

    def available(self, debtor: str, at: int) -> int:
        """CreditGuarantee.available as a view sees it at timestamp `at`: unused collateral of the debtor's
        unexpired (`expiry >= at`), unreleased guarantees."""
        return sum(g.amount - g.used for g in (self.guarantees[i] for i in self.by_debtor[debtor])
                   if not g.released and g.expiry >= at)

    # ------------------------------------------------------------ financing
    def post_offer(self, sender: str, debtor: str, rate: int, budget: int, min_amount: int, expiry: int) -> int:
        self._active_role(sender, FINANCIER)
        if debtor == ZERO:
            raise Revert("InvalidDebtor", debtor)
        if rate > MAX_RATE_BPS:
            raise Revert("InvalidRate", rate, MAX_RATE_BPS)
        if budget == 0:
            raise Revert("InvalidBudget", budget)
        if min_amount > U96:
            raise Revert("InvalidMinAmount", min_amount)
        if expiry <= self.now:
            raise Revert("ExpiryNotInFuture", expiry, self.now)
        self._pull(sender, self.desk, budget)
        offer_id = len(self.offers) + 1
        self.offers[offer_id] = Offer(sender, debtor, rate, budget, min_amount, expiry)
        self._move_tokens(sender, self.desk, budget)
        return offer_id

    def _offer_certificate(self, offer_id: int, debtor: str, cert_id: int) -> int:
        """FinancingDesk._checkCertificate (for `quote`): a known certificate, its root open, then its terms."""
        cert = self.certs.get(cert_id)
        if cert is None:
            raise Revert("UnknownCertificate", cert_id)
        root = self.roots[cert.root]
        if root.status != ACTIVE:
            raise Revert("RootClosed", cert.root, root.status)
        return self._offer_terms(offer_id, debtor, cert_id)

    def _offer_terms(self, offer_id: int, debtor: str, cert_id: int) -> int:
        """FinancingDesk._checkTerms: the offer's debtor, not yet mature; returns the maturity."""
        root = self.roots[self.certs[cert_id].root]
        if root.debtor != debtor:
            raise Revert("DebtorMismatch", offer_id, debtor, root.debtor)
        if self.now >= root.maturity:
            raise Revert("CertificateMatured", cert_id, root.maturity)
        return root.maturity

    def quote(self, offer_id: int, cert_id: int, amount: int) -> int:
        o = self.offers.get(offer_id)
        if o is None:
            raise Revert("UnknownOffer", offer_id)
        maturity = self._offer_certificate(offer_id, o.debtor, cert_id)
        return proceeds(amount, o.rate, maturity - self.now)

    def finance(self, sender: str, offer_id: int, cert_id: int, amount: int, min_proceeds: int, deadline: int) -> int:
        if self.now > deadline:
            raise Revert("DeadlinePassed", deadline, self.now)
        o = self.offers.get(offer_id)
        if o is None:
            raise Revert("UnknownOffer", offer_id)
        if o.cancelled:
            raise Revert("OfferClosed", offer_id)
        if self.now >= o.expiry:
            raise Revert("OfferExpired", offer_id, o.expiry)
        if amount == 0 or amount < o.min_amount:
            raise Revert("AmountBelowMinimum", amount, o.min_amount)
        # The certificate's `sell` first: a known id, then every check of a transfer the desk makes as the seller's
        # operator; then the desk's checks of the root's terms it returns (a failure undoes the move).
        if cert_id not in self.certs:
            raise Revert("UnknownCertificate", cert_id)
        self._check_transfer(self.desk, sender, o.financier)
        moved = self._moved(sender, o.financier, [cert_id], [amount])
        maturity = self._offer_terms(offer_id, o.debtor, cert_id)
        paid = proceeds(amount, o.rate, maturity - self.now)
        if paid == 0 or paid < min_proceeds:
            raise Revert("ProceedsBelowMinimum", paid, min_proceeds)
        if paid > o.budget:
            raise Revert("OverBudget", offer_id, paid, o.budget)
        self.bal.update(moved)
        o.budget -= paid
        self._move_tokens(self.desk, sender, paid)
        return paid

    def cancel_offer(self, sender: str, offer_id: int) -> int:
        o = self.offers.get(offer_id)
        if o is None:
            raise Revert("UnknownOffer", offer_id)
        if o.financier != sender:
            raise Revert("NotOfferFinancier", offer_id, sender)
        if o.cancelled:
            raise Revert("OfferClosed", offer_id)
        refund = o.budget
        o.cancelled = True
        o.budget = 0
        self._move_tokens(self.desk, sender, refund)
        return refund

    # ------------------------------------------------------------ settlement
    def _active_root(self, root_id: int) -> Root:
        cert = self.certs.get(root_id)
        if cert is None:
            raise Revert("UnknownCertificate", root_id)
        if cert.root != root_id:
            raise Revert("NotARoot", root_id)
        root = self.roots[root_id]
        if root.status != ACTIVE:
            raise Revert("RootNotActive", root_id, root.status)
        return root

    def _close(self, root_id: int, status: int, recovered: int) -> None:
        root = self.roots[root_id]
        root.status = status
        root.recovered = recovered
        self.outstanding[root.debtor] -= root.face

    def repay(self, sender: str, root_id: int, amount: int) -> int:
        root = self._active_root(root_id)
        if amount == 0:
            raise Revert("InvalidAmount", amount)
        if root.paid + amount > root.face:
            raise Revert("Overpayment", root_id, root.face - root.paid, amount)
        self._pull(sender, self.escrow, amount)
        self._move_tokens(sender, self.escrow, amount)
        root.paid += amount
        if root.paid == root.face:
            self._close(root_id, PAID, root.face)
        return root.paid

    def declare_default(self, sender: str, root_id: int) -> tuple[int, int, list]:
        root = self._active_root(root_id)
        declarable_at = root.maturity + self.grace
        if self.now < declarable_at:
            raise Revert("DefaultTooEarly", root_id, declarable_at)
        covered, calls = self._cover(root.debtor, root.maturity, root.face - root.paid)
        self._close(root_id, DEFAULTED, root.paid + covered)
        return root.paid, covered, calls

    def _redeem(self, bal: dict, cert_id: int, holder: str) -> tuple[int, int, int]:
        """SettlementEscrow._redeem via ReceivableCertificate.redeem: (rootId, units, payout)."""
        cert = self.certs.get(cert_id)
        if cert is None:
            raise Revert("UnknownCertificate", cert_id)
        root = self.roots[cert.root]
        if root.status == ACTIVE:
            raise Revert("RootNotClosed", cert.root)
        units = bal.get((holder, cert_id), self.bal[(holder, cert_id)])
        bal[(holder, cert_id)] = 0
        return cert.root, units, units * root.recovered // root.face

    def claim(self, sender: str, ids: list[int]) -> tuple[int, list]:
        bal: dict = {}
        total, claimed = 0, []
        for cert_id in ids:
            root_id, units, payout = self._redeem(bal, cert_id, sender)
            if units:
                claimed.append((cert_id, root_id, sender, units, payout))
                total += payout
        if total == 0:
            raise Revert("NothingToClaim", sender)
        self._book_claims(bal, claimed)
        self._move_tokens(self.escrow, sender, total)
        return total, claimed

    def settle(self, sender: str, ids: list[int], holders: list[str]) -> tuple[int, list]:
        self._has(sender, CLEARING)
        if len(ids) != len(holders):
            raise Revert("LengthMismatch", len(ids), len(holders))
        bal: dict = {}
        total, claimed = 0, []
        for cert_id, holder in zip(ids, holders):
            cert = self.certs.get(cert_id)
            if cert is None:
                raise Revert("UnknownCertificate", cert_id)
            if self.roots[cert.root].status == ACTIVE:
                raise Revert("RootNotClosed", cert.root)
            if bal.get((holder, cert_id), self.bal[(holder, cert_id)]) == 0:
                continue
            root_id, units, payout = self._redeem(bal, cert_id, holder)
            claimed.append((cert_id, root_id, holder, units, payout))
            total += payout
            if holder == self.loan_desk:
                self.worthless.pop(cert_id, None)  # the clearing burned the desk's worthless units
        self._book_claims(bal, claimed)
        for cert_id, _, holder, _, payout in claimed:
            self._move_tokens(self.escrow, holder, payout)
            if holder == self.loan_desk and cert_id not in self.pools:
                self.desk_pushed[cert_id] += payout
        return total, claimed

    def _book_claims(self, bal: dict, claimed: list) -> None:
        for key, value in bal.items():
            self.bal[key] = value
        for _, root_id, _, units, payout in claimed:
            self.claimed_units[root_id] += units
            self.payouts[root_id] += payout
            self.claims[root_id] += 1

    # ------------------------------------------------------------ loan desk
    def _loan(self, loan_id: int, state: int) -> Loan:
        loan = self.loans.get(loan_id)
        if loan is None:
            raise Revert("UnknownLoan", loan_id)
        if loan.state != state:
            raise Revert("InvalidLoanState", loan_id, loan.state)
        return loan

    def _open_certificate(self, cert_id: int) -> Root:
        cert = self.certs.get(cert_id)
        if cert is None:
            raise Revert("UnknownCertificate", cert_id)
        root = self.roots[cert.root]
        if root.status != ACTIVE:
            raise Revert("RootClosed", cert.root, root.status)
        if self.now >= root.maturity:
            raise Revert("CertificateMatured", cert_id, root.maturity)
        return root

    def loan_interest(self, loan: Loan) -> int:
        """SPEC: ceil(outstanding * rate * (min(now, maturity) - start) / (10000 * 365 days)), less what was paid
        in the period (a period of constant principal)."""
        end = min(self.now, loan.maturity)
        return ceil_div(loan.outstanding * loan.rate * (end - loan.start), BPS * YEAR) - loan.paid_in_period

    def loan_debt(self, loan_id: int) -> int:
        loan = self.loans.get(loan_id)
        if loan is None or loan.state != L_FUNDED:
            return 0
        return loan.outstanding + self.loan_interest(loan)

    def live_loan_units(self, cert_id: int) -> int:
        return sum(x.units for x in self.loans.values() if x.cert == cert_id and x.state in (L_REQUESTED, L_FUNDED))

    def _take_share(self, loan: Loan) -> int:
        """The loan's share of its id's pooled payout (the loan still counted live); redeems the pool first."""
        cert_id = loan.cert
        if cert_id not in self.pools:
            pooled = self.live_loan_units(cert_id)
            root = self.roots[self.certs[cert_id].root]
            held = self.bal[(self.loan_desk, cert_id)]
            payout = (held or pooled) * root.recovered // root.face
            if held and payout:
                bal: dict = {}
                root_id, units, paid = self._redeem(bal, cert_id, self.loan_desk)
                self._book_claims(bal, [(cert_id, root_id, self.loan_desk, units, paid)])
                self._move_tokens(self.escrow, self.loan_desk, paid)
            elif held:
                self.worthless[cert_id] += held
            self.desk_pushed.pop(cert_id, None)
            self.pools[cert_id] = [pooled, payout]
        pool = self.pools[cert_id]
        share = pool[1] if loan.units == pool[0] else pool[1] * loan.units // pool[0]
        pool[0] -= loan.units
        pool[1] -= share
        return share

    def request_loan(self, sender: str, cert_id: int, units: int, principal: int, rate: int, lender: str,
                     expiry: int) -> int:
        if units == 0:
            raise Revert("InvalidUnits", units)
        if principal == 0 or principal > units:
            raise Revert("InvalidPrincipal", principal, units)
        if rate > MAX_RATE_BPS:
            raise Revert("InvalidRate", rate, MAX_RATE_BPS)
        if expiry <= self.now:
            raise Revert("ExpiryNotInFuture", expiry, self.now)
        root = self._open_certificate(cert_id)
        maturity = min(root.maturity, T40)
        interest = ceil_div(principal * rate * (maturity - self.now), BPS * YEAR)
        if interest > U104:
            raise Revert("LoanTooLarge", principal, interest)
        if units > U112:
            raise Revert("SafeCastOverflowedUintDowncast", 112, units)
        held = self.bal[(self.loan_desk, cert_id)]
        if held and held + units > U120:
            raise Revert("SafeCastOverflowedUintDowncast", 120, held + units)
        self._check_transfer(self.loan_desk, sender, self.loan_desk)
        self._apply_moves(sender, self.loan_desk, [cert_id], [units])
        loan_id = len(self.loans) + 1
        self.loans[loan_id] = Loan(sender, lender, cert_id, units, principal, rate, min(expiry, T40), maturity)
        return loan_id

    def cancel_loan(self, sender: str, loan_id: int) -> int | None:
        loan = self._loan(loan_id, L_REQUESTED)
        if sender != loan.borrower:
            raise Revert("NotBorrower", loan_id, sender)
        share = None
        if self.roots[self.certs[loan.cert].root].status == ACTIVE:
            self._apply_moves(self.loan_desk, loan.borrower, [loan.cert], [loan.units])
        else:
            share = self._take_share(loan)
            self._move_tokens(self.loan_desk, loan.borrower, share)
        loan.state = L_CANCELLED
        return share

    def fund_loan(self, sender: str, loan_id: int) -> None:
        self._active_role(sender, FINANCIER)
        if self.paused:
            raise Revert("EnforcedPause")
        loan = self._loan(loan_id, L_REQUESTED)
        if loan.lender != ZERO and loan.lender != sender:
            raise Revert("NotNamedLender", loan_id, loan.lender, sender)
        if self.now >= loan.expiry:
            raise Revert("LoanRequestExpired", loan_id, loan.expiry)
        self._open_certificate(loan.cert)
        self._pull(sender, loan.borrower, loan.principal)
        self._move_tokens(sender, loan.borrower, loan.principal)
        loan.lender, loan.funded_at, loan.state = sender, self.now, L_FUNDED
        loan.outstanding, loan.start, loan.paid_in_period = loan.principal, self.now, 0

    def repay_loan(self, sender: str, loan_id: int, amount: int) -> tuple[int, int, int | None]:
        """(pulled, remaining debt, payout to the borrower if the root had closed and the debt reached 0)."""
        loan = self._loan(loan_id, L_FUNDED)
        if amount == 0:
            raise Revert("InvalidAmount", amount)
        interest = self.loan_interest(loan)
        owed = loan.outstanding + interest
        pay = min(amount, owed)
        self._pull(sender, loan.lender, pay)
        if pay <= interest:
            loan.paid_in_period += pay
        else:
            loan.outstanding -= pay - interest
            loan.paid_in_period = 0
            loan.start = min(self.now, loan.maturity)
        share = None
        if owed == pay:
            if self.roots[self.certs[loan.cert].root].status == ACTIVE:
                loan.state = L_REPAID
                self._move_tokens(sender, loan.lender, pay)
                self._apply_moves(self.loan_desk, loan.borrower, [loan.cert], [loan.units])
                return pay, 0, None
            share = self._take_share(loan)
            loan.state = L_SETTLED
            self._move_tokens(sender, loan.lender, pay)
            self._move_tokens(self.loan_desk, loan.borrower, share)
            return pay, 0, share
        self._move_tokens(sender, loan.lender, pay)
        return pay, owed - pay, share

    def settle_loan(self, sender: str, loan_id: int) -> tuple[int, int, int]:
        loan = self._loan(loan_id, L_FUNDED)
        root_id = self.certs[loan.cert].root
        if self.roots[root_id].status == ACTIVE:
            raise Revert("RootNotClosed", root_id)
        debt = loan.outstanding + self.loan_interest(loan)
        share = self._take_share(loan)
        loan.state = L_SETTLED
        to_lender = min(share, debt)
        self._move_tokens(self.loan_desk, loan.lender, to_lender)
        self._move_tokens(self.loan_desk, loan.borrower, share - to_lender)
        return share, to_lender, share - to_lender

    # ------------------------------------------------------------ views for the fuzzer
    def positions(self) -> list[tuple[str, int, int]]:
        """Every (holder, id, units) with units > 0, in a stable order."""
        return sorted((h, i, u) for (h, i), u in self.bal.items() if u > 0)

    def certificates_of(self, root_id: int) -> list[int]:
        return [i for i, c in self.certs.items() if c.root == root_id]

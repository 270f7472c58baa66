"""One function per lifecycle action, returning decoded results (ids, proceeds, payouts), not receipts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from eth_utils import is_address, to_checksum_address
from web3 import Web3

from .chain import Chain, Signer, address_of
from .constants import DAY, LOAN_STATES, ROLE_IDS, ROLES, ROOT_STATUS
from .deploy import Deployment
from .errors import ScfError

if TYPE_CHECKING:  # imported where used: scfchain.audit imports this module's types
    from .audit.events import Decoder
    from .audit.replay import Ledger

ZERO_ADDRESS = "0x" + "00" * 20
MAX_UINT = 2**256 - 1


def role_id(name: str) -> bytes:
    """`keccak256(name)` for a role name (`SUPPLIER` or `SUPPLIER_ROLE`); DEFAULT_ADMIN_ROLE is zero."""
    name = name.upper()
    if name in ("DEFAULT_ADMIN", "ADMIN"):
        name = "DEFAULT_ADMIN_ROLE"
    if not name.endswith("_ROLE"):
        name += "_ROLE"
    if name not in ROLE_IDS:
        raise ScfError(f"unknown role {name!r}: one of {', '.join(ROLES)}")
    return ROLE_IDS[name]


def checked_address(value: str, what: str = "address") -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ScfError(f"{what} is not a valid address: {value!r}")
    return to_checksum_address(value)


def checked_amount(value: int, what: str = "amount", minimum: int = 1) -> int:
    if not isinstance(value, int) or value < minimum or value > MAX_UINT:
        raise ScfError(f"{what} must be a whole number >= {minimum}, got {value!r}")
    return value


@dataclass(frozen=True)
class Certificate:
    id: int
    root_id: int
    parent_id: int
    tier: int
    amount: int
    debtor: str
    maturity: int
    status: str

    @property
    def exists(self) -> bool:
        return self.root_id != 0


@dataclass(frozen=True)
class Loan:
    """`LoanDesk.loan(id)`: `lender` is the named lender (zero: any financier), or once funded the funder."""

    id: int
    borrower: str
    lender: str
    cert_id: int
    units: int
    principal: int
    annual_rate_bps: int
    funded_at: int
    state: str

    @property
    def exists(self) -> bool:
        return self.state != "none"

    @property
    def pledged(self) -> bool:
        """Its units are in the desk's custody (requested or funded)."""
        return self.state in ("requested", "funded")


@dataclass
class TreeNode:
    certificate: Certificate
    holders: dict[str, int]
    children: list["TreeNode"] = field(default_factory=list)


class Scf:
    """The scfchain system on one chain: `Scf(chain, deployment).issue(core, supplier, …)`."""

    def __init__(self, chain: Chain, deployment: Deployment, check_chain_id: bool = True):
        self.chain = chain
        self.deployment = deployment
        w3 = chain.w3
        if check_chain_id and chain.chain_id != deployment.chain_id:
            raise ScfError(
                f"chain id mismatch: the node is chain {chain.chain_id}, the deployment is for {deployment.chain_id}"
            )
        chain.decoder = deployment.decoder()
        self.w3: Web3 = w3
        self.consortium = deployment.contract(w3, "Consortium")
        self.certificates = deployment.contract(w3, "ReceivableCertificate")
        self.guarantee = deployment.contract(w3, "CreditGuarantee")
        self.desk = deployment.contract(w3, "FinancingDesk")
        self.escrow = deployment.contract(w3, "SettlementEscrow")
        self.token = deployment.contract(w3, "PaymentToken")
        # Deployments written before the LoanDesk existed still work for everything else.
        self._loan_desk = deployment.contract(w3, "LoanDesk") if "LoanDesk" in deployment.contracts else None
        self._decoder: "Decoder | None" = None

    @property
    def loan_desk(self) -> Any:
        if self._loan_desk is None:
            raise ScfError("the deployment has no LoanDesk (deployed before loans existed): deploy again")
        return self._loan_desk

    # ------------------------------------------------------------ plumbing
    def _send(self, fn: Any, signer: Signer, label: str) -> Any:
        return self.chain.transact(fn, signer, label)

    @property
    def decoder(self) -> "Decoder":
        """The auditor's event decoder for this deployment (every event read here goes through it)."""
        if self._decoder is None:
            from .audit.events import Decoder

            self._decoder = Decoder(self.deployment)
        return self._decoder

    def _receipt_events(self, contract: Any, name: str, receipt: Any) -> list[dict[str, Any]]:
        """The arguments of each `name` event `contract` emitted in the transaction of `receipt`."""
        address = contract.address.lower()
        found = (self.decoder.args(log, name) for log in receipt["logs"] if log["address"].lower() == address)
        return [args for args in found if args is not None]

    def _event(self, contract: Any, name: str, receipt: Any) -> dict[str, Any]:
        events = self._receipt_events(contract, name, receipt)
        if not events:
            raise ScfError(f"expected a {name} event in transaction 0x{bytes(receipt['transactionHash']).hex()}")
        return events[0]

    def events(self, contract: Any, name: str, **match: Any) -> list[dict[str, Any]]:
        """The arguments of every `name` event of `contract` since the deployment whose arguments equal `match`
        (one eth_getLogs, decoded by the auditor's decoder)."""
        topic = self.decoder.topic(contract.address, name)
        logs = self.chain.rpc(lambda: self.w3.eth.get_logs(
            {"address": contract.address, "topics": [topic], "fromBlock": self.deployment.block, "toBlock": "latest"}))
        found = (self.decoder.args(log, name) for log in logs)
        return [a for a in found if a is not None and all(a[k] == v for k, v in match.items())]

    def ledger(self, from_block: int | None = None) -> "Ledger":
        """The auditor's Ledger of the deployment's events (one eth_getLogs over its contracts): certificates with
        their lineage and holders, receivables, loans, as `scfchain audit` replays them."""
        from .audit.replay import chain_ledger

        start = self.deployment.block if from_block is None else from_block
        addresses = [entry["address"] for entry in self.deployment.contracts.values()]
        logs = self.chain.rpc(lambda: self.w3.eth.get_logs(
            {"address": addresses, "fromBlock": start, "toBlock": "latest"}))
        return chain_ledger(self.deployment, logs)

    def _ensure_allowance(self, signer: Signer, spender: str, amount: int) -> None:
        owner = address_of(signer)
        if self.token.functions.allowance(owner, spender).call() < amount:
            self._send(self.token.functions.approve(spender, MAX_UINT), signer, "approve")

    def now(self) -> int:
        return self.chain.rpc(lambda: self.w3.eth.get_block("latest"))["timestamp"]

    # ------------------------------------------------------------ membership and credit
    def onboard(self, operator: Signer, account: str, role: str, name: str) -> None:
        account = checked_address(account, "member")
        self._send(self.consortium.functions.onboard(account, role_id(role), name), operator, "onboard")

    def suspend(self, operator: Signer, account: str) -> None:
        self._send(self.consortium.functions.suspend(checked_address(account)), operator, "suspend")

    def reinstate(self, operator: Signer, account: str) -> None:
        self._send(self.consortium.functions.reinstate(checked_address(account)), operator, "reinstate")

    def set_credit_line(self, financier: Signer, debtor: str, limit: int) -> int:
        """Sets the financier's line; returns the debtor's total credit limit."""
        debtor = checked_address(debtor, "debtor")
        checked_amount(limit, "limit", minimum=0)
        self._send(self.certificates.functions.setCreditLine(debtor, limit), financier, "setCreditLine")
        return self.certificates.functions.creditLimit(debtor).call()

    def mint(self, deployer: Signer, to: str, amount: int) -> None:
        """Mock token only: mints payment tokens."""
        to = checked_address(to)
        self._send(self.token.functions.mint(to, checked_amount(amount)), deployer, "mint")

    # ------------------------------------------------------------ guarantees
    def provide_guarantee(self, guarantor: Signer, debtor: str, amount: int, expiry: int) -> int:
        debtor = checked_address(debtor, "debtor")
        checked_amount(amount)
        self._ensure_allowance(guarantor, self.guarantee.address, amount)
        receipt = self._send(self.guarantee.functions.provide(debtor, amount, expiry), guarantor, "provide")
        return self._event(self.guarantee, "GuaranteeProvided", receipt)["guaranteeId"]

    def release_guarantee(self, guarantor: Signer, guarantee_id: int) -> int:
        receipt = self._send(self.guarantee.functions.release(guarantee_id), guarantor, "release")
        return self._event(self.guarantee, "GuaranteeReleased", receipt)["amount"]

    # ------------------------------------------------------------ certificates
    def issue(self, debtor: Signer, supplier: str, face_value: int, maturity: int, document_hash: bytes) -> int:
        """Issues a receivable; returns the root id. Idempotent by document hash: re-issuing the same
        document to the same supplier returns the existing root instead of failing."""
        supplier = checked_address(supplier, "supplier")
        checked_amount(face_value, "face value")
        existing = self.certificates.functions.receivableOf(document_hash).call()
        if existing:
            cert = self.certificate(existing)
            if cert.debtor == address_of(debtor) and cert.amount == face_value and cert.maturity == maturity:
                return existing
        fn = self.certificates.functions.issue(supplier, face_value, maturity, document_hash)
        receipt = self._send(fn, debtor, "issue")
        return self._event(self.certificates, "ReceivableIssued", receipt)["rootId"]

    def split(self, holder: Signer, cert_id: int, recipients: Sequence[str], amounts: Sequence[int]) -> list[int]:
        """Splits the holder's balance of `cert_id`; returns the child ids in recipient order."""
        recipients = [checked_address(r, "recipient") for r in recipients]
        for a in amounts:
            checked_amount(a)
        if len(recipients) != len(amounts):
            raise ScfError(f"{len(recipients)} recipients but {len(amounts)} amounts")
        fn = self.certificates.functions.split(cert_id, recipients, list(amounts))
        receipt = self._send(fn, holder, "split")
        return list(self._event(self.certificates, "CertificateSplit", receipt)["childIds"])

    def transfer(self, holder: Signer, to: str, cert_id: int, amount: int) -> None:
        to = checked_address(to, "recipient")
        checked_amount(amount)
        fn = self.certificates.functions.safeTransferFrom(address_of(holder), to, cert_id, amount, b"")
        self._send(fn, holder, "transfer")

    # ------------------------------------------------------------ financing
    def post_offer(
        self, financier: Signer, debtor: str, rate_bps: int, budget: int, min_amount: int, expiry: int
    ) -> int:
        debtor = checked_address(debtor, "debtor")
        checked_amount(budget, "budget")
        self._ensure_allowance(financier, self.desk.address, budget)
        fn = self.desk.functions.postOffer(debtor, rate_bps, budget, min_amount, expiry)
        receipt = self._send(fn, financier, "postOffer")
        return self._event(self.desk, "OfferPosted", receipt)["offerId"]

    def quote(self, offer_id: int, cert_id: int, amount: int) -> int:
        try:
            return self.desk.functions.quote(offer_id, cert_id, amount).call()
        except Exception as exc:  # noqa: BLE001 — decode the revert like a transaction's
            from web3.exceptions import ContractLogicError

            if isinstance(exc, ContractLogicError):
                raise self.chain.revert_error(exc) from None
            raise

    def finance(
        self,
        seller: Signer,
        offer_id: int,
        cert_id: int,
        amount: int,
        min_proceeds: int | None = None,
        deadline: int | None = None,
    ) -> int:
        """Sells `amount` units into the offer; returns the proceeds. Without `min_proceeds` the current
        quote is the floor, so a rate that moves against the seller makes the sale revert."""
        checked_amount(amount)
        if min_proceeds is None:
            min_proceeds = self.quote(offer_id, cert_id, amount)
        if deadline is None:
            deadline = self.now() + 600
        owner = address_of(seller)
        if not self.certificates.functions.isApprovedForAll(owner, self.desk.address).call():
            self._send(self.certificates.functions.setApprovalForAll(self.desk.address, True), seller, "approve desk")
        fn = self.desk.functions.finance(offer_id, cert_id, amount, min_proceeds, deadline)
        receipt = self._send(fn, seller, "finance")
        return self._event(self.desk, "Financed", receipt)["proceeds"]

    def cancel_offer(self, financier: Signer, offer_id: int) -> int:
        receipt = self._send(self.desk.functions.cancelOffer(offer_id), financier, "cancelOffer")
        return self._event(self.desk, "OfferCancelled", receipt)["refund"]

    # ------------------------------------------------------------ settlement
    def repay(self, payer: Signer, root_id: int, amount: int) -> int:
        """Repays part or all of a root; returns the total paid so far."""
        checked_amount(amount)
        self._ensure_allowance(payer, self.escrow.address, amount)
        receipt = self._send(self.escrow.functions.repay(root_id, amount), payer, "repay")
        return self._event(self.escrow, "Repaid", receipt)["totalPaid"]

    def declare_default(self, caller: Signer, root_id: int) -> tuple[int, int]:
        """Declares an overdue root defaulted; returns (paid, covered by guarantees)."""
        receipt = self._send(self.escrow.functions.declareDefault(root_id), caller, "declareDefault")
        ev = self._event(self.escrow, "DefaultDeclared", receipt)
        return ev["paid"], ev["covered"]

    def claim(self, holder: Signer, ids: Iterable[int]) -> int:
        """Claims the holder's balance of each id; returns the total payout."""
        receipt = self._send(self.escrow.functions.claim(list(ids)), holder, "claim")
        return sum(e["payout"] for e in self._receipt_events(self.escrow, "Claimed", receipt))

    def settle(self, clearing: Signer, ids: Sequence[int], holders: Sequence[str]) -> int:
        """Pushes payouts to holders; returns the total paid out."""
        holders = [checked_address(h, "holder") for h in holders]
        receipt = self._send(self.escrow.functions.settle(list(ids), holders), clearing, "settle")
        return sum(e["payout"] for e in self._receipt_events(self.escrow, "Claimed", receipt))

    # ------------------------------------------------------------ loans against certificates
    def _approve_certificates(self, holder: Signer, operator: str, label: str) -> None:
        if not self.certificates.functions.isApprovedForAll(address_of(holder), operator).call():
            self._send(self.certificates.functions.setApprovalForAll(operator, True), holder, label)

    def request_loan(
        self,
        borrower: Signer,
        cert_id: int,
        units: int,
        principal: int,
        annual_rate_bps: int,
        lender: str | None = None,
        expiry: int | None = None,
    ) -> int:
        """Pledges `units` of `cert_id` (they move into the desk's custody) and asks `lender` (None: any
        financier) for `principal` at `annual_rate_bps`; the request can be funded until `expiry` (default: a
        week from now). Returns the loan id."""
        checked_amount(units, "units")
        checked_amount(principal, "principal")
        checked_amount(annual_rate_bps, "annual rate (bps)", minimum=0)
        lender = ZERO_ADDRESS if lender is None else checked_address(lender, "lender")
        if expiry is None:
            expiry = self.now() + 7 * DAY
        desk = self.loan_desk
        self._approve_certificates(borrower, desk.address, "approve loan desk")
        fn = desk.functions.requestLoan(cert_id, units, principal, annual_rate_bps, lender, expiry)
        receipt = self._send(fn, borrower, "requestLoan")
        return self._event(desk, "LoanRequested", receipt)["loanId"]

    def cancel_loan(self, borrower: Signer, loan_id: int) -> None:
        """Withdraws an unfunded request: its units (or, once the root closed, their payout) go back."""
        desk = self.loan_desk
        receipt = self._send(desk.functions.cancelLoanRequest(loan_id), borrower, "cancelLoanRequest")
        self._event(desk, "LoanRequestCancelled", receipt)

    def fund_loan(self, lender: Signer, loan_id: int) -> int:
        """Funds a request: the principal goes from the lender to the borrower at once; returns it."""
        desk = self.loan_desk
        principal = self.loan(loan_id).principal
        if principal:
            self._ensure_allowance(lender, desk.address, principal)
        receipt = self._send(desk.functions.fundLoan(loan_id), lender, "fundLoan")
        return self._event(desk, "LoanFunded", receipt)["principal"]

    def repay_loan(self, payer: Signer, loan_id: int, amount: int) -> tuple[int, int]:
        """Repays up to `amount` (the desk takes at most the debt); returns (taken, remaining debt)."""
        checked_amount(amount)
        desk = self.loan_desk
        self._ensure_allowance(payer, desk.address, amount)
        receipt = self._send(desk.functions.repayLoan(loan_id, amount), payer, "repayLoan")
        ev = self._event(desk, "LoanRepaid", receipt)
        return ev["amount"], ev["remainingDebt"]

    def settle_loan(self, caller: Signer, loan_id: int) -> dict[str, int]:
        """Settles a loan whose root has closed: the lender gets min(debt, payout), the borrower the rest."""
        desk = self.loan_desk
        receipt = self._send(desk.functions.settleLoan(loan_id), caller, "settleLoan")
        ev = self._event(desk, "LoanSettled", receipt)
        return {"payout": ev["payout"], "toLender": ev["toLender"], "toBorrower": ev["toBorrower"]}

    def loan(self, loan_id: int) -> Loan:
        r = self.loan_desk.functions.loan(loan_id).call()
        return Loan(loan_id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], LOAN_STATES.get(r[7], str(r[7])))

    def debt(self, loan_id: int) -> int:
        return self.loan_desk.functions.debt(loan_id).call()

    def loans(self, account: str | None = None, cert_ids: Iterable[int] | None = None) -> list[Loan]:
        """Every loan ever requested (from LoanRequested events), as `loan()` shows it now; only those where
        `account` is the borrower or the lender, or those pledging one of `cert_ids`, when given."""
        if self._loan_desk is None:
            return []
        wanted = None if cert_ids is None else set(cert_ids)
        out = []
        for e in sorted(self.events(self._loan_desk, "LoanRequested"), key=lambda e: e["loanId"]):
            if wanted is not None and e["certId"] not in wanted:
                continue
            loan = self.loan(e["loanId"])
            if account is None or checked_address(account) in (loan.borrower, loan.lender):
                out.append(loan)
        return out

    # ------------------------------------------------------------ views
    def certificate(self, cert_id: int) -> Certificate:
        r = self.certificates.functions.certificate(cert_id).call()
        return Certificate(cert_id, r[0], r[1], r[2], r[3], r[4], r[5], ROOT_STATUS.get(r[6], str(r[6])))

    def balance(self, holder: str, cert_id: int) -> int:
        return self.certificates.functions.balanceOf(checked_address(holder), cert_id).call()

    def token_balance(self, holder: str) -> int:
        return self.token.functions.balanceOf(checked_address(holder)).call()

    def holders(self, from_block: int | None = None) -> dict[int, dict[str, int]]:
        """Current balances of every certificate (holders in the order they first received units), from the
        auditor's Ledger of the events."""
        return holders_of(self.ledger(from_block))

    def holdings(self, account: str) -> dict[int, int]:
        account = checked_address(account)
        return {cid: book[account] for cid, book in self.holders().items() if book.get(account)}

    def tree(self, root_id: int) -> TreeNode:
        """The certificate tree of a root with current holders, from the auditor's Ledger of the events (one
        eth_getLogs scan, not a call per certificate)."""
        from .audit.trace import tree_node

        root = self.certificate(root_id)
        if not root.exists or root.root_id != root_id:
            raise ScfError(f"{root_id} is not a root certificate")
        return tree_node(self.ledger(), root_id, with_ancestry=False)


def holders_of(ledger: "Ledger") -> dict[int, dict[str, int]]:
    """Each certificate's live balances, holders in the order they first received units (Cert.holders)."""
    return {cid: c.holders for cid, c in ledger.certs.items()}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ILoanDesk} from "../interfaces/ILoanDesk.sol";
import {IReceivableCertificate} from "../interfaces/IReceivableCertificate.sol";
import {ISettlementEscrow} from "../interfaces/ISettlementEscrow.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {LoanState} from "../libraries/LoanState.sol";
import {Roles} from "../libraries/Roles.sol";
import {RootStatus} from "../libraries/RootStatus.sol";

/// @title LoanDesk
/// @notice Loans against receivable certificates (financing on application). The borrower's units sit in the
///         desk's custody (the certificate lets the desk, and only the desk's own `requestLoan`, put units
///         here); the lender's principal goes straight to the borrower and repayments straight to the lender.
///         A payment the token refuses to a lender or borrower (a stablecoin's blocklist) is held by the desk
///         for that payee to `withdraw`, so that neither party can stop the other's repayment or settlement.
///         Interest is simple, on the principal outstanding, per second from funding, rounded up, and stops at
///         the certificate's maturity.
/// @dev Settlement of several loans on one certificate id. The escrow's `claim` burns the desk's whole balance
///      of an id at once, and the clearing may push (`settle`) it first. So the desk keeps, per id, the units of
///      its unsettled loans (`Custody`). The first settlement-type action after the root closed (`settleLoan`,
///      `cancelLoanRequest`, a repayment to zero) redeems that pool once: if the desk still holds the units it
///      claims them (unless the payout is zero, where `claim` would revert); if the clearing pushed them, the
///      pool's payout is what the escrow paid for them, `units * recovered / faceValue` (rounded down). Then
///      each loan takes `share = payoutLeft * loanUnits / unitsLeft` (rounded down) and the last one takes all
///      that is left, so the shares add up to the pooled payout exactly, whatever the order.
contract LoanDesk is ConsortiumGated, ReentrancyGuardTransient, IERC1155Receiver, ILoanDesk {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    uint256 private constant MAX_RATE_BPS = 10_000;
    uint256 private constant RATE_DENOMINATOR = 10_000 * 365 days;

    /// @dev Four slots, one struct each, so that every action reads only the slots it needs and writes each
    ///      slot it changes with one SSTORE (a whole-struct assignment). A request writes the first three
    ///      (`Pledge`, `Status`, `Terms`); funding rewrites only `Status`; repayments write only `Repayment`;
    ///      the closing actions rewrite only `Status`. A partial repayment reads `Status`, `Terms` and
    ///      `Repayment` (not `Pledge`), funding reads `Pledge`, `Status` and `Terms`. Units and principal fit
    ///      112 bits; a request whose interest to maturity would not fit 104 bits is refused (`LoanTooLarge`),
    ///      so no repayment can ever overflow.
    struct Loan {
        Pledge pledge;
        Status status;
        Terms terms;
        Repayment repayment;
    }

    /// @dev Who pledged what, and until when the request can be funded. Written by `requestLoan` only.
    struct Pledge {
        address borrower;
        uint48 certId;
        uint40 expiry;
    }

    /// @dev The loan's lender (named, then the funder) and state, with the two times the interest needs.
    struct Status {
        address lender;
        uint40 fundedAt;
        /// @dev The certificate's maturity (times past 2**40-1, year 36812, are kept as that: never reached).
        uint40 maturity;
        uint8 state;
    }

    /// @dev The terms agreed. Written by `requestLoan` only.
    struct Terms {
        uint112 units;
        uint112 principal;
        uint16 rateBps;
    }

    /// @dev Zero until the first repayment, and written by repayments only.
    struct Repayment {
        uint112 principalRepaid;
        /// @dev Interest paid in the current period (a period of constant principal ends when principal is
        ///      repaid), so that a payment smaller than the interest neither loses nor re-counts its rounding-up.
        uint104 interestPaid;
        /// @dev Start of the current period; 0 until principal is first repaid (the period starts at funding).
        uint40 periodStart;
    }

    /// @dev What the desk holds of one certificate id for unsettled loans; one slot. Counted only from the
    ///      second loan on the id (`counted`): while one loan alone has ever needed it, the desk's certificate
    ///      balance is that loan's units, and the first loan on an id (the common case) writes nothing here.
    struct Custody {
        uint120 units;
        uint120 payout;
        bool counted;
        bool redeemed;
    }

    IReceivableCertificate private immutable _certificates;
    ISettlementEscrow private immutable _escrow;
    IERC20 private immutable _token;
    uint256 private _count;
    // Written slot by slot by `_store` (inline assembly: one SSTORE a slot), which Slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 loanId => Loan) private _loans;
    mapping(uint256 certId => Custody) private _custody;
    /// @dev Payments the token refused to a lender or borrower, held here until the payee withdraws them.
    mapping(address account => uint256) private _owed;

    constructor(
        IConsortium consortium_,
        IReceivableCertificate certificates_,
        ISettlementEscrow escrow_,
        IERC20 token_
    ) ConsortiumGated(consortium_) {
        // The certificate fixed its desk's and escrow's addresses before they existed: refuse any other wiring.
        address named = certificates_.loanDesk();
        if (named != address(this)) revert NotTheCertificatesLoanDesk(address(certificates_), named);
        named = certificates_.settlementEscrow();
        if (named != address(escrow_)) revert NotTheCertificatesEscrow(address(certificates_), named);
        _certificates = certificates_;
        _escrow = escrow_;
        _token = token_;
    }

    // ---------------------------------------------------------------- borrower

    /// @inheritdoc ILoanDesk
    function requestLoan(
        uint256 certId,
        uint256 units,
        uint256 principal,
        uint256 annualRateBps,
        address lender,
        uint64 expiry
    ) external nonReentrant returns (uint256 loanId) {
        if (units == 0) revert InvalidUnits(units);
        if (principal == 0 || principal > units) revert InvalidPrincipal(principal, units);
        if (annualRateBps > MAX_RATE_BPS) revert InvalidRate(annualRateBps, MAX_RATE_BPS);
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        uint40 maturity = _time40(_openCertificate(certId));
        uint256 interestToMaturity =
            Math.mulDiv(principal, annualRateBps * (maturity - block.timestamp), RATE_DENOMINATOR, Math.Rounding.Ceil);
        if (interestToMaturity > type(uint104).max) revert LoanTooLarge(principal, interestToMaturity);
        uint112 units112 = units.toUint112();
        uint256 held = _certificates.balanceOf(address(this), certId);
        if (held != 0) {
            // A second live loan on this id: from now on the desk counts the id's units itself.
            // (Before the root closes the desk's balance of an id is exactly its live loans' units.)
            Custody storage c = _custody[certId];
            c.units = (held + units).toUint120();
            c.counted = true;
        }
        loanId = ++_count;
        Loan storage l = _loans[loanId];
        _store(l.pledge, msg.sender, certId.toUint48(), _time40(expiry));
        _store(l.status, lender, 0, maturity, LoanState.REQUESTED);
        // principal <= units, annualRateBps <= MAX_RATE_BPS
        _store(l.terms, units112, principal.toUint112(), annualRateBps.toUint16());
        // `repayment` stays zero: nothing to write until the first repayment.
        emit LoanRequested(loanId, msg.sender, certId, units, principal, annualRateBps, lender, expiry);
        // The certificate checks approval, balance, pause and that the borrower is active, and lets the desk
        // (as operator) be the recipient.
        _certificates.safeTransferFrom(msg.sender, address(this), certId, units, "");
    }

    /// @inheritdoc ILoanDesk
    function cancelLoanRequest(uint256 loanId) external nonReentrant {
        Loan storage l = _loans[loanId];
        Status storage s = l.status;
        uint8 state = s.state;
        if (state != LoanState.REQUESTED) _revertState(loanId, state);
        Pledge storage p = l.pledge;
        address borrower = p.borrower;
        if (msg.sender != borrower) revert NotBorrower(loanId, msg.sender);
        uint256 certId = p.certId;
        uint256 units = l.terms.units;
        s.state = LoanState.CANCELLED;
        (uint256 rootId,, uint256 status,) = _certificates.rootStatusOf(certId);
        if (status == RootStatus.ACTIVE) {
            _release(certId, units);
            emit LoanRequestCancelled(loanId);
            _certificates.safeTransferFrom(address(this), borrower, certId, units, "");
        } else {
            (uint256 payout, bool claim) = _takeShare(certId, rootId, status, units);
            emit LoanRequestCancelled(loanId);
            emit LoanSettled(loanId, payout, 0, payout);
            if (claim) _claim(certId);
            if (payout != 0) _pay(loanId, borrower, payout);
        }
    }

    // ---------------------------------------------------------------- lender

    /// @inheritdoc ILoanDesk
    function fundLoan(uint256 loanId) external nonReentrant {
        if (!_consortium.isActiveWithRole(msg.sender, Roles.FINANCIER)) {
            _checkRole(Roles.FINANCIER, msg.sender);
            revert IConsortium.InactiveMember(msg.sender);
        }
        if (_certificates.paused()) revert IReceivableCertificate.EnforcedPause();
        Loan storage l = _loans[loanId];
        Status storage s = l.status;
        uint8 state = s.state;
        if (state != LoanState.REQUESTED) _revertState(loanId, state);
        address named = s.lender;
        if (named != address(0) && named != msg.sender) revert NotNamedLender(loanId, named, msg.sender);
        uint40 maturity = s.maturity;
        Pledge storage p = l.pledge;
        uint40 expiry = p.expiry;
        if (block.timestamp >= expiry) revert LoanRequestExpired(loanId, expiry);
        address borrower = p.borrower;
        // The pledged certificate is known (`requestLoan` checked it) and `maturity` is its own, kept at request:
        // only the root's status can have changed since.
        uint256 certId = p.certId;
        (uint256 rootId,, uint256 status,) = _certificates.rootStatusOf(certId);
        if (status != RootStatus.ACTIVE) revert IReceivableCertificate.RootClosed(rootId, status.toUint8());
        if (block.timestamp >= maturity) revert CertificateMatured(certId, maturity);
        // A time of 40 bits (until the year 36812, like every time the desk keeps)
        _store(s, msg.sender, SafeCast.toUint40(block.timestamp), maturity, LoanState.FUNDED);
        uint256 principal = l.terms.principal;
        emit LoanFunded(loanId, msg.sender, principal);
        _token.safeTransferFrom(msg.sender, borrower, principal);
    }

    // ---------------------------------------------------------------- repayment and settlement

    /// @inheritdoc ILoanDesk
    function repayLoan(uint256 loanId, uint256 amount) external nonReentrant returns (uint256 remainingDebt) {
        Loan storage l = _loans[loanId];
        Status storage s = l.status;
        (uint8 state, address lender, uint256 fundedAt, uint256 maturity) =
            (s.state, s.lender, s.fundedAt, s.maturity);
        if (state != LoanState.FUNDED) _revertState(loanId, state);
        if (amount == 0) revert InvalidAmount(amount);
        (uint256 outstanding, uint256 interest, uint256 principalRepaid) = _debtParts(l, fundedAt, maturity);
        uint256 due = outstanding + interest;
        if (amount >= due) {
            _closeRepaid(loanId, l, due, lender); // pays the debt, never more
            return 0;
        }
        // A partial repayment: all of `amount` is paid.
        unchecked {
            remainingDebt = due - amount; // amount < due
        }
        _recordPartial(l.repayment, amount, interest, principalRepaid, maturity);
        emit LoanRepaid(loanId, msg.sender, amount, remainingDebt);
        _collect(loanId, msg.sender, lender, amount);
    }

    /// @dev A partial repayment of `amount` (below the debt, `interest` of it due in the current period) in the
    ///      loan's repayment record. Unchecked only where these values bound the result (each bound said where
    ///      it is used); stored values are still narrowed by SafeCast. With the single read of the principal repaid
    ///      and the branch on `amount >= due`: a partial repayment 69,498 -> 69,201 gas.
    function _recordPartial(
        Repayment storage r,
        uint256 amount,
        uint256 interest,
        uint256 principalRepaid,
        uint256 maturity
    ) private {
        unchecked {
            if (amount <= interest) {
                // Still inside the period: what is paid counts against the period's (rounded-up) interest.
                // <= the period's interest < 2**104 (LoanTooLarge)
                r.interestPaid = SafeCast.toUint104(uint256(r.interestPaid) + amount);
            } else {
                // The period's interest is paid and principal falls (amount - interest < outstanding, as
                // amount < due): a new period starts, at maturity at the latest.
                _store(
                    r,
                    SafeCast.toUint112(principalRepaid + (amount - interest)),
                    0,
                    SafeCast.toUint40(Math.min(block.timestamp, maturity))
                );
            }
        }
    }

    /// @dev A repayment of `pay` brought the debt to zero: the loan leaves FUNDED, after which nothing reads its
    ///      repayment record (`debt` and `debtParts` are 0), so only its state is written. Its units go back to
    ///      the borrower, or their payout if the root closed.
    function _closeRepaid(uint256 loanId, Loan storage l, uint256 pay, address lender) private {
        Pledge storage p = l.pledge;
        uint256 certId = p.certId;
        address borrower = p.borrower;
        uint256 units = l.terms.units;
        (uint256 rootId,, uint256 status,) = _certificates.rootStatusOf(certId);
        if (status == RootStatus.ACTIVE) {
            l.status.state = LoanState.REPAID;
            _release(certId, units);
            emit LoanRepaid(loanId, msg.sender, pay, 0);
            _collect(loanId, msg.sender, lender, pay);
            _certificates.safeTransferFrom(address(this), borrower, certId, units, "");
        } else {
            l.status.state = LoanState.SETTLED;
            (uint256 payout, bool claim) = _takeShare(certId, rootId, status, units);
            emit LoanRepaid(loanId, msg.sender, pay, 0);
            emit LoanSettled(loanId, payout, 0, payout);
            if (claim) _claim(certId);
            _collect(loanId, msg.sender, lender, pay);
            if (payout != 0) _pay(loanId, borrower, payout);
        }
    }

    /// @inheritdoc ILoanDesk
    function settleLoan(uint256 loanId) external nonReentrant {
        Loan storage l = _loans[loanId];
        Status storage s = l.status;
        // Scoped so that the legacy code generator (the coverage build, without viaIR) fits the stack.
        {
            uint8 state = s.state;
            if (state != LoanState.FUNDED) _revertState(loanId, state);
        }
        Pledge storage p = l.pledge;
        uint256 certId = p.certId;
        (uint256 rootId,, uint256 status,) = _certificates.rootStatusOf(certId);
        if (status == RootStatus.ACTIVE) revert IReceivableCertificate.RootNotClosed(rootId);
        uint256 debtNow;
        {
            (uint256 outstanding, uint256 interest,) = _debtParts(l, s.fundedAt, s.maturity);
            debtNow = outstanding + interest;
        }
        address lender = s.lender;
        address borrower = p.borrower;
        s.state = LoanState.SETTLED;
        (uint256 payout, bool claim) = _takeShare(certId, rootId, status, l.terms.units);
        uint256 toLender = Math.min(payout, debtNow);
        uint256 toBorrower = payout - toLender;
        emit LoanSettled(loanId, payout, toLender, toBorrower);
        if (claim) _claim(certId);
        if (toLender != 0) _pay(loanId, lender, toLender);
        if (toBorrower != 0) _pay(loanId, borrower, toBorrower);
    }

    /// @inheritdoc ILoanDesk
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        delete _owed[msg.sender];
        emit PaymentWithdrawn(msg.sender, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- custody hooks

    /// @notice Accepts units only from the certificate contract, moved by the desk itself (`requestLoan`).
    /// @param operator who moved the units (must be this desk)
    /// @return the ERC-1155 acceptance selector
    function onERC1155Received(address operator, address, uint256, uint256, bytes calldata)
        external
        view
        returns (bytes4)
    {
        if (msg.sender != address(_certificates) || operator != address(this)) {
            revert UnsolicitedTransfer(msg.sender, operator);
        }
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @notice Refuses every batch: the desk never takes units in batches.
    /// @param operator who tried to move the units
    /// @return never returns
    function onERC1155BatchReceived(address operator, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        view
        returns (bytes4)
    {
        revert UnsolicitedTransfer(msg.sender, operator);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId
            || interfaceId == type(ILoanDesk).interfaceId;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ILoanDesk
    function loan(uint256 loanId)
        external
        view
        returns (
            address borrower,
            address lender,
            uint256 certId,
            uint256 units,
            uint256 principal,
            uint256 annualRateBps,
            uint64 fundedAt,
            uint8 state
        )
    {
        Loan storage l = _loans[loanId];
        Pledge memory p = l.pledge;
        Status memory s = l.status;
        Terms memory t = l.terms;
        return (p.borrower, s.lender, p.certId, t.units, t.principal, t.rateBps, s.fundedAt, s.state);
    }

    /// @inheritdoc ILoanDesk
    function debt(uint256 loanId) external view returns (uint256) {
        Loan storage l = _loans[loanId];
        if (l.status.state != LoanState.FUNDED) return 0;
        (uint256 outstanding, uint256 interest,) = _debtParts(l, l.status.fundedAt, l.status.maturity);
        return outstanding + interest;
    }

    /// @inheritdoc ILoanDesk
    function debtParts(uint256 loanId) external view returns (uint256 principalOutstanding, uint256 interest) {
        Loan storage l = _loans[loanId];
        if (l.status.state != LoanState.FUNDED) return (0, 0);
        (principalOutstanding, interest,) = _debtParts(l, l.status.fundedAt, l.status.maturity);
    }

    /// @inheritdoc ILoanDesk
    function custody(uint256 certId) external view returns (uint256 units, uint256 payout, bool redeemed) {
        Custody memory c = _custody[certId];
        return (c.units, c.payout, c.redeemed);
    }

    /// @inheritdoc ILoanDesk
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc ILoanDesk
    function loanCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc ILoanDesk
    function maxRateBps() external pure returns (uint256) {
        return MAX_RATE_BPS;
    }

    /// @inheritdoc ILoanDesk
    function certificates() external view returns (address) {
        return address(_certificates);
    }

    /// @inheritdoc ILoanDesk
    function escrow() external view returns (address) {
        return address(_escrow);
    }

    /// @inheritdoc ILoanDesk
    function token() external view returns (address) {
        return address(_token);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Principal outstanding and the current period's unpaid interest:
    ///      `ceil(outstanding * rate * (min(now, maturity) - periodStart) / (10000 * 365 days)) - paidInPeriod`.
    /// @dev `fundedAt` and `maturity` are the loan's (`l.status`), passed by callers that have read them. Also
    ///      returns the principal repaid so far, which a repayment rewrites (not read twice: 100 gas).
    function _debtParts(Loan storage l, uint256 fundedAt, uint256 maturity)
        private
        view
        returns (uint256 outstanding, uint256 interest, uint256 principalRepaid)
    {
        Terms storage t = l.terms;
        Repayment storage r = l.repayment;
        principalRepaid = r.principalRepaid;
        outstanding = uint256(t.principal) - principalRepaid;
        uint256 periodStart = r.periodStart;
        uint256 start = periodStart == 0 ? fundedAt : periodStart;
        uint256 end = Math.min(block.timestamp, maturity);
        // A period starts at funding (before maturity) or at a repayment (capped at maturity): end >= start.
        // outstanding < 2**112, rate < 2**16, end - start < 2**40: the product fits 256 bits.
        uint256 accrued = Math.ceilDiv(outstanding * t.rateBps * (end - start), RATE_DENOMINATOR);
        interest = accrued - r.interestPaid;
    }

    /// @dev Units of a live loan leave custody while the root is open (cancel, full repayment).
    function _release(uint256 certId, uint256 units) private {
        Custody storage c = _custody[certId];
        if (!c.counted) return; // the loan was the id's only one: its units are the desk's whole balance
        uint256 left = c.units - units;
        if (left == 0) delete _custody[certId];
        else c.units = left.toUint120();
    }

    /// @dev The loan's part of its certificate's pooled payout, counting the pool as redeemed if it was not;
    ///      `claim`: the desk still holds the units and must claim them from the escrow (after its events).
    ///      `status`: the root's, closed (2 paid, 3 defaulted).
    function _takeShare(uint256 certId, uint256 rootId, uint256 status, uint256 units)
        private
        returns (uint256 share, bool claim)
    {
        Custody memory c = _custody[certId];
        if (!c.redeemed) {
            // Not counted: this loan is the only live one on the id, and its units all the desk held.
            uint256 pooled = c.counted ? c.units : units;
            uint256 held = _certificates.balanceOf(address(this), certId);
            // Held: what `claim` pays for the whole balance. Pushed by the clearing (balance 0): what `settle`
            // paid for the pool's units. Both the escrow's own formula, rounded down; a paid root recovered its
            // face value, so a unit pays one token (the escrow's shortcut too), without asking for either.
            uint256 payout = held != 0 ? held : pooled;
            if (status != RootStatus.PAID) {
                (,,, uint256 faceValue,,,) = _certificates.certificate(rootId);
                payout = payout * _escrow.recovered(rootId) / faceValue;
            }
            claim = held != 0 && payout != 0;
            c = Custody({units: pooled.toUint120(), payout: payout.toUint120(), counted: true, redeemed: true});
        }
        share = units == c.units ? c.payout : uint256(c.payout) * units / c.units;
        if (units == c.units) {
            delete _custody[certId]; // the last loan of the pool: nothing is left to share
        } else {
            // share <= c.payout and units < c.units, so neither narrowing nor subtraction can fail.
            c.units -= units.toUint120();
            c.payout -= share.toUint120();
            _custody[certId] = c;
        }
    }

    /// @dev Pays `amount` to `payee`; if the token refuses (a blocklisted payee, say), holds it for the payee to
    ///      `withdraw`, so that one party's standing with the token never blocks the other's repayment or
    ///      settlement.
    function _pay(uint256 loanId, address payee, uint256 amount) private {
        if (!_token.trySafeTransfer(payee, amount)) _hold(loanId, payee, amount);
    }

    /// @dev A repayment from `payer` to `lender`; if the token refuses the lender, the payer pays the desk, which
    ///      holds it for the lender. If the payer cannot pay the desk either, the repayment reverts.
    function _collect(uint256 loanId, address payer, address lender, uint256 amount) private {
        if (_token.trySafeTransferFrom(payer, lender, amount)) return;
        _token.safeTransferFrom(payer, address(this), amount);
        _hold(loanId, lender, amount);
    }

    function _hold(uint256 loanId, address payee, uint256 amount) private {
        _owed[payee] += amount;
        emit PaymentHeld(loanId, payee, amount);
    }

    /// @dev Claims the desk's whole balance of `certId` from the escrow: the pool's payout, counted before.
    function _claim(uint256 certId) private {
        uint256[] memory ids = new uint256[](1);
        ids[0] = certId;
        _escrow.claim(ids);
    }

    /// @dev The maturity of a known certificate whose root is active and not yet mature.
    function _openCertificate(uint256 certId) private view returns (uint256 maturity) {
        uint256 rootId;
        uint256 status;
        (rootId, maturity, status,) = _certificates.rootStatusOf(certId);
        if (rootId == 0) revert IReceivableCertificate.UnknownCertificate(certId);
        if (status != RootStatus.ACTIVE) revert IReceivableCertificate.RootClosed(rootId, status.toUint8());
        if (block.timestamp >= maturity) revert CertificateMatured(certId, maturity.toUint64());
    }

    /// @dev A timestamp in 40 bits, saturated: every time past 2**40-1 (year 36812) means "never" alike.
    function _time40(uint256 t) private pure returns (uint40) {
        return SafeCast.toUint40(Math.min(t, type(uint40).max));
    }

    // One SSTORE per slot. Assigning a struct (or its members one by one) makes the compiler write it member by
    // member, one SSTORE each; these write the packed word of each one-slot struct whole, in Solidity's own
    // layout (the first member in the lowest bits), which every read (`l.status` etc.) decodes.

    function _store(Pledge storage slot, address borrower, uint48 certId, uint40 expiry) private {
        assembly ("memory-safe") {
            sstore(
                slot.slot,
                or(
                    shr(96, shl(96, borrower)),
                    or(shl(160, shr(208, shl(208, certId))), shl(208, shr(216, shl(216, expiry))))
                )
            )
        }
    }

    function _store(Status storage slot, address lender, uint40 fundedAt, uint40 maturity, uint8 state) private {
        assembly ("memory-safe") {
            sstore(
                slot.slot,
                or(
                    or(shr(96, shl(96, lender)), shl(160, shr(216, shl(216, fundedAt)))),
                    or(shl(200, shr(216, shl(216, maturity))), shl(240, and(state, 0xff)))
                )
            )
        }
    }

    function _store(Terms storage slot, uint112 units, uint112 principal, uint16 rateBps) private {
        assembly ("memory-safe") {
            sstore(
                slot.slot,
                or(
                    or(shr(144, shl(144, units)), shl(112, shr(144, shl(144, principal)))),
                    shl(224, and(rateBps, 0xffff))
                )
            )
        }
    }

    function _store(Repayment storage slot, uint112 principalRepaid, uint104 interestPaid, uint40 periodStart) private {
        assembly ("memory-safe") {
            sstore(
                slot.slot,
                or(
                    or(shr(144, shl(144, principalRepaid)), shl(112, shr(152, shl(152, interestPaid)))),
                    shl(216, shr(216, shl(216, periodStart)))
                )
            )
        }
    }

    function _revertState(uint256 loanId, uint8 state) private pure {
        if (state == LoanState.NONE) revert UnknownLoan(loanId);
        revert InvalidLoanState(loanId, state);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IFinancingDesk} from "../interfaces/IFinancingDesk.sol";
import {IReceivableCertificate} from "../interfaces/IReceivableCertificate.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {Discount} from "../libraries/Discount.sol";
import {Roles} from "../libraries/Roles.sol";
import {RootStatus} from "../libraries/RootStatus.sol";

/// @title FinancingDesk
/// @notice True-sale discounting. A financier posts an offer funded up front; any holder of a certificate
///         of the offer's debtor sells units into it and is paid in the same transaction.
/// @dev The desk is an ERC-1155 operator of sellers, but only ever moves `msg.sender`'s own units, to the
///      offer's financier; units and money cross in one transaction or not at all.
///      One reentrancy policy: every function that changes state is `nonReentrant`, and follows
///      checks-effects-interactions with its event right after the state change it reports, but for one call:
///      `finance` has the certificate move the units and return the root's terms in one call (`sell`), then checks
///      the terms and records the sale (a failed check undoes the move). So a contract financier's acceptance
///      hook runs before the sale is recorded, under the lock: nothing it calls can change the desk.
contract FinancingDesk is ConsortiumGated, ReentrancyGuardTransient, IFinancingDesk {
    using SafeERC20 for IERC20;

    uint256 private constant MAX_RATE_BPS = 10_000;

    /// @dev Three slots: who and until when; the debtor's address; what a sale needs besides (the money left, the
    ///      debtor's number and the minimum). A sale reads the first and the last only: the last keeps the
    ///      debtor's number (the certificate's `debtorNumber`, which a root's record holds), which a sale compares
    ///      with the certificate's without reading the debtor's address (2,100 gas a sale). 0 while the debtor has
    ///      no receivable; the first sale after its first one fills it in (the slot is written anyway, for the
    ///      budget).
    struct Offer {
        address financier;
        uint64 expiry;
        uint16 rateBps;
        bool cancelled;
        address debtor;
        uint128 budget;
        uint32 debtorNumber;
        uint96 minAmount;
    }

    IReceivableCertificate private immutable _certificates;
    IERC20 private immutable _token;
    uint256 private _count;
    mapping(uint256 offerId => Offer) private _offers;

    constructor(IConsortium consortium_, IReceivableCertificate certificates_, IERC20 token_)
        ConsortiumGated(consortium_)
    {
        // The certificate fixed its financing desk's address before it existed: refuse any other wiring.
        address named = certificates_.financingDesk();
        if (named != address(this)) revert NotTheCertificatesFinancingDesk(address(certificates_), named);
        _certificates = certificates_;
        _token = token_;
    }

    /// @inheritdoc IFinancingDesk
    function postOffer(address debtor, uint256 annualRateBps, uint256 budget, uint256 minAmount, uint64 expiry)
        external
        nonReentrant
        onlyActiveRole(Roles.FINANCIER)
        returns (uint256 offerId)
    {
        if (debtor == address(0)) revert InvalidDebtor(debtor);
        if (annualRateBps > MAX_RATE_BPS) revert InvalidRate(annualRateBps, MAX_RATE_BPS);
        if (budget == 0 || budget > type(uint128).max) revert InvalidBudget(budget);
        if (minAmount > type(uint96).max) revert InvalidMinAmount(minAmount);
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        offerId = ++_count;
        _offers[offerId] = Offer({
            financier: msg.sender,
            expiry: expiry,
            rateBps: SafeCast.toUint16(annualRateBps),
            cancelled: false,
            debtor: debtor,
            budget: SafeCast.toUint128(budget),
            debtorNumber: SafeCast.toUint32(_certificates.debtorNumber(debtor)),
            minAmount: SafeCast.toUint96(minAmount)
        });
        emit OfferPosted(offerId, msg.sender, debtor, annualRateBps, budget, minAmount, expiry);
        _token.safeTransferFrom(msg.sender, address(this), budget);
    }

    /// @inheritdoc IFinancingDesk
    function quote(uint256 offerId, uint256 certId, uint256 amount) external view returns (uint256) {
        Offer storage o = _offers[offerId];
        if (o.financier == address(0)) revert UnknownOffer(offerId);
        (uint256 maturity,) = _checkCertificate(offerId, o, o.debtorNumber, certId);
        return Discount.proceeds(amount, o.rateBps, maturity - block.timestamp);
    }

    /// @inheritdoc IFinancingDesk
    function finance(uint256 offerId, uint256 certId, uint256 amount, uint256 minProceeds, uint256 deadline)
        external
        nonReentrant
        returns (uint256 proceeds)
    {
        if (block.timestamp > deadline) revert DeadlinePassed(deadline, block.timestamp);
        Offer storage o = _offers[offerId];
        address financier = o.financier;
        if (financier == address(0)) revert UnknownOffer(offerId);
        if (o.cancelled) revert OfferClosed(offerId);
        // Scoped so that the legacy code generator (the coverage build, without viaIR) fits the stack.
        {
            uint64 expiry = o.expiry;
            if (block.timestamp >= expiry) revert OfferExpired(offerId, expiry);
            uint256 minAmount = o.minAmount;
            if (amount == 0 || amount < minAmount) revert AmountBelowMinimum(amount, minAmount);
        }
        // One call moves the units, under every rule of a transfer the desk makes as the caller's operator (the
        // certificate checks approval, pause, membership, the root open and the balance), and returns the root's
        // terms to price and match the sale with; a check below that fails undoes the move with the rest. A
        // contract financier's acceptance hook runs within it, before the sale is recorded here: every function of
        // the desk that changes state is nonReentrant, so the hook cannot act on the desk meanwhile (its views show
        // the offer as before the sale until the sale is recorded, a few lines below).
        // slither-disable-next-line reentrancy-no-eth
        (uint256 maturity, uint256 number) = _certificates.sell(msg.sender, financier, certId, amount);
        uint256 known = o.debtorNumber;
        _checkTerms(offerId, o, known, certId, maturity, number);
        unchecked {
            // _checkTerms: block.timestamp < maturity
            proceeds = Discount.proceeds(amount, o.rateBps, maturity - block.timestamp);
        }
        if (proceeds == 0 || proceeds < minProceeds) revert ProceedsBelowMinimum(proceeds, minProceeds);
        uint256 budget = o.budget;
        if (proceeds > budget) revert OverBudget(offerId, proceeds, budget);
        unchecked {
            o.budget = SafeCast.toUint128(budget - proceeds); // proceeds <= budget, checked above
        }
        // The debtor's first receivable came after the offer: its number, checked against its address, is kept.
        if (known == 0) o.debtorNumber = SafeCast.toUint32(number);
        emit Financed(offerId, certId, msg.sender, financier, amount, proceeds);
        _token.safeTransfer(msg.sender, proceeds);
    }

    /// @inheritdoc IFinancingDesk
    function cancelOffer(uint256 offerId) external nonReentrant {
        Offer storage o = _offers[offerId];
        if (o.financier == address(0)) revert UnknownOffer(offerId);
        if (o.financier != msg.sender) revert NotOfferFinancier(offerId, msg.sender);
        if (o.cancelled) revert OfferClosed(offerId);
        uint256 refund = o.budget;
        o.cancelled = true;
        o.budget = 0;
        emit OfferCancelled(offerId, refund);
        if (refund != 0) _token.safeTransfer(msg.sender, refund);
    }

    /// @inheritdoc IFinancingDesk
    function offer(uint256 offerId)
        external
        view
        returns (
            address financier,
            address debtor,
            uint256 annualRateBps,
            uint256 budget,
            uint256 minAmount,
            uint64 expiry,
            bool open
        )
    {
        Offer memory o = _offers[offerId];
        bool isOpen = o.financier != address(0) && !o.cancelled && block.timestamp < o.expiry && o.budget != 0;
        return (o.financier, o.debtor, o.rateBps, o.budget, o.minAmount, o.expiry, isOpen);
    }

    /// @inheritdoc IFinancingDesk
    function offerCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IFinancingDesk
    function certificates() external view returns (address) {
        return address(_certificates);
    }

    /// @inheritdoc IFinancingDesk
    function token() external view returns (address) {
        return address(_token);
    }

    /// @dev A known certificate of offer `o`'s debtor (number `known`, 0 if not yet known), whose root is active and
    ///      not yet mature; returns the root's maturity and its debtor's number.
    function _checkCertificate(uint256 offerId, Offer storage o, uint256 known, uint256 certId)
        private
        view
        returns (uint256 maturity, uint256 number)
    {
        uint256 rootId;
        uint256 status;
        (rootId, maturity, status, number) = _certificates.rootStatusOf(certId);
        if (rootId == 0) revert IReceivableCertificate.UnknownCertificate(certId);
        if (status != RootStatus.ACTIVE) revert IReceivableCertificate.RootClosed(rootId, SafeCast.toUint8(status));
        _checkTerms(offerId, o, known, certId, maturity, number);
    }

    /// @dev The certificate's root (maturity, debtor's number `number`) suits offer `o` (its debtor's number `known`,
    ///      0 if not yet known): the offer's debtor, not yet mature. The debtor's address (a slot of its own) is read
    ///      only when the numbers differ.
    function _checkTerms(
        uint256 offerId,
        Offer storage o,
        uint256 known,
        uint256 certId,
        uint256 maturity,
        uint256 number
    ) private view {
        if (number != known) {
            // Numbers are never reused: a different one is another debtor's, unless the offer's is not known yet.
            (,,,, address certDebtor,,) = _certificates.certificate(certId);
            address debtor = o.debtor;
            if (certDebtor != debtor) revert DebtorMismatch(offerId, debtor, certDebtor);
        }
        if (block.timestamp >= maturity) revert CertificateMatured(certId, SafeCast.toUint64(maturity));
    }
}

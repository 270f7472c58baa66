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
///      offer's financier, after every check; units and money cross in one transaction or not at all.
///      One reentrancy policy: every function that moves tokens is `nonReentrant`, and follows
///      checks-effects-interactions with its event right after the state change it reports.
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
        uint256 known = o.debtorNumber;
        uint256 number;
        {
            uint256 maturity;
            (maturity, number) = _checkCertificate(offerId, o, known, certId);
            uint256 timeToMaturity;
            unchecked {
                timeToMaturity = maturity - block.timestamp; // _checkCertificate: block.timestamp < maturity
            }
            proceeds = Discount.proceeds(amount, o.rateBps, timeToMaturity);
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
        // Moves only the caller's own units; the certificate enforces pause, membership and approval.
        _certificates.safeTransferFrom(msg.sender, financier, certId, amount, "");
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
    ///      not yet mature; returns the root's maturity and its debtor's number. The debtor's address (a slot of its
    ///      own) is read only when the numbers differ.
    function _checkCertificate(uint256 offerId, Offer storage o, uint256 known, uint256 certId)
        private
        view
        returns (uint256 maturity, uint256 number)
    {
        uint256 rootId;
        uint256 status;
        (rootId, maturity, status, number) = _certificates.rootStatusOf(certId);
        if (rootId == 0) revert IReceivableCertificate.UnknownCertificate(certId);
        if (number != known) {
            // Numbers are never reused: a different one is another debtor's, unless the offer's is not known yet.
            (,,,, address certDebtor,,) = _certificates.certificate(certId);
            address debtor = o.debtor;
            if (certDebtor != debtor) revert DebtorMismatch(offerId, debtor, certDebtor);
        }
        if (status != RootStatus.ACTIVE) revert IReceivableCertificate.RootClosed(rootId, SafeCast.toUint8(status));
        if (block.timestamp >= maturity) revert CertificateMatured(certId, SafeCast.toUint64(maturity));
    }
}

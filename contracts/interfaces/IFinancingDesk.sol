// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IFinancingDesk
/// @notice Discounting: financiers post funded offers for a debtor's receivables; a holder sells
///         certificate units in one transaction and receives the discounted price at once.
interface IFinancingDesk {
    event OfferPosted(
        uint256 indexed offerId,
        address indexed financier,
        address indexed debtor,
        uint256 annualRateBps,
        uint256 budget,
        uint256 minAmount,
        uint64 expiry
    );
    event Financed(
        uint256 indexed offerId,
        uint256 indexed certId,
        address indexed seller,
        address financier,
        uint256 amount,
        uint256 proceeds
    );
    event OfferCancelled(uint256 indexed offerId, uint256 refund);

    error InvalidDebtor(address debtor);
    error InvalidRate(uint256 annualRateBps, uint256 maxRateBps);
    error InvalidBudget(uint256 budget);
    error InvalidMinAmount(uint256 minAmount);
    error ExpiryNotInFuture(uint64 expiry, uint256 timestamp);
    error UnknownOffer(uint256 offerId);
    error OfferClosed(uint256 offerId);
    error OfferExpired(uint256 offerId, uint64 expiry);
    error NotOfferFinancier(uint256 offerId, address caller);
    error DebtorMismatch(uint256 offerId, address offerDebtor, address certificateDebtor);
    error AmountBelowMinimum(uint256 amount, uint256 minAmount);
    error CertificateMatured(uint256 certId, uint64 maturity);
    error DeadlinePassed(uint256 deadline, uint256 timestamp);
    error ProceedsBelowMinimum(uint256 proceeds, uint256 minProceeds);
    error OverBudget(uint256 offerId, uint256 proceeds, uint256 budget);

    /// @notice Posts an offer funded with `budget` tokens pulled from the caller.
    function postOffer(address debtor, uint256 annualRateBps, uint256 budget, uint256 minAmount, uint64 expiry)
        external
        returns (uint256 offerId);

    /// @notice Proceeds of selling `amount` units of `certId` into `offerId` now.
    function quote(uint256 offerId, uint256 certId, uint256 amount) external view returns (uint256 proceeds);

    /// @notice Sells `amount` units of the caller's `certId` to the offer's financier for the quoted proceeds.
    function finance(uint256 offerId, uint256 certId, uint256 amount, uint256 minProceeds, uint256 deadline)
        external
        returns (uint256 proceeds);

    /// @notice Closes an offer and refunds its unspent budget to the financier.
    function cancelOffer(uint256 offerId) external;

    /// @notice An offer's data.
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
        );
}

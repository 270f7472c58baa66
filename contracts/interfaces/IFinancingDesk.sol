// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title IFinancingDesk
/// @notice Discounting: financiers post funded offers for a debtor's receivables; a holder sells
///         certificate units in one transaction and receives the discounted price at once.
interface IFinancingDesk is IConsortiumGated {
    /// @notice `financier` posted offer `offerId` for `debtor`'s certificates, funded with `budget`.
    event OfferPosted(
        uint256 indexed offerId,
        address indexed financier,
        address indexed debtor,
        uint256 annualRateBps,
        uint256 budget,
        uint256 minAmount,
        uint64 expiry
    );
    /// @notice `seller` sold `amount` units of `certId` to `financier` through `offerId` for `proceeds`.
    event Financed(
        uint256 indexed offerId,
        uint256 indexed certId,
        address indexed seller,
        address financier,
        uint256 amount,
        uint256 proceeds
    );
    /// @notice Offer `offerId` was closed and its unspent budget `refund` returned to the financier.
    event OfferCancelled(uint256 indexed offerId, uint256 refund);

    /// @notice The certificate contract `certificates` names another financing desk (`named`): its holders'
    ///         approvals of this one would be kept in the wrong place.
    error NotTheCertificatesFinancingDesk(address certificates, address named);
    /// @notice An offer needs a non-zero debtor.
    error InvalidDebtor(address debtor);
    /// @notice The rate exceeds the maximum `maxRateBps` (100% a year).
    error InvalidRate(uint256 annualRateBps, uint256 maxRateBps);
    /// @notice An offer's budget must be > 0 and < 2**128.
    error InvalidBudget(uint256 budget);
    /// @notice The minimum amount must fit 96 bits.
    error InvalidMinAmount(uint256 minAmount);
    /// @notice An offer's expiry must be after the current block's timestamp.
    error ExpiryNotInFuture(uint64 expiry, uint256 timestamp);
    /// @notice No offer has id `offerId`.
    error UnknownOffer(uint256 offerId);
    /// @notice The offer was cancelled.
    error OfferClosed(uint256 offerId);
    /// @notice The offer expired at `expiry`.
    error OfferExpired(uint256 offerId, uint64 expiry);
    /// @notice Only the offer's financier may cancel it.
    error NotOfferFinancier(uint256 offerId, address caller);
    /// @notice The certificate's debtor is not the offer's.
    error DebtorMismatch(uint256 offerId, address offerDebtor, address certificateDebtor);
    /// @notice The amount is zero or below the offer's minimum.
    error AmountBelowMinimum(uint256 amount, uint256 minAmount);
    /// @notice The certificate matured at `maturity`: it can no longer be discounted.
    error CertificateMatured(uint256 certId, uint64 maturity);
    /// @notice The seller's deadline passed.
    error DeadlinePassed(uint256 deadline, uint256 timestamp);
    /// @notice The proceeds are zero or below the seller's minimum.
    error ProceedsBelowMinimum(uint256 proceeds, uint256 minProceeds);
    /// @notice The proceeds exceed the offer's remaining budget.
    error OverBudget(uint256 offerId, uint256 proceeds, uint256 budget);

    /// @notice Posts an offer funded with `budget` tokens pulled from the caller. FINANCIER_ROLE, active member.
    /// @param debtor The debtor whose certificates the offer buys.
    /// @param annualRateBps Simple annual discount rate in basis points (<= 10,000).
    /// @param budget Tokens pulled now (> 0, < 2**128); proceeds are paid out of it.
    /// @param minAmount Smallest number of units one sale may sell (< 2**96).
    /// @param expiry The offer buys nothing from this time on.
    /// @return offerId The new offer's id (1, 2, …).
    function postOffer(address debtor, uint256 annualRateBps, uint256 budget, uint256 minAmount, uint64 expiry)
        external
        returns (uint256 offerId);

    /// @notice Proceeds of selling `amount` units of `certId` into `offerId` now.
    /// @param offerId A known offer.
    /// @param certId A certificate of the offer's debtor, root active and not mature.
    /// @param amount Units to sell.
    /// @return proceeds `amount - ceil(amount * annualRateBps * (maturity - now) / (10000 * 365 days))`.
    function quote(uint256 offerId, uint256 certId, uint256 amount) external view returns (uint256 proceeds);

    /// @notice Sells `amount` units of the caller's `certId` to the offer's financier for the quoted proceeds.
    /// @param offerId An open, unexpired offer for the certificate's debtor.
    /// @param certId The certificate sold; the caller holds `amount` units and approved the desk.
    /// @param amount Units sold (>= the offer's minimum).
    /// @param minProceeds The sale reverts below this.
    /// @param deadline The sale reverts after this timestamp.
    /// @return proceeds Tokens paid to the caller.
    function finance(uint256 offerId, uint256 certId, uint256 amount, uint256 minProceeds, uint256 deadline)
        external
        returns (uint256 proceeds);

    /// @notice Closes an offer and refunds its unspent budget to the financier.
    /// @param offerId The caller's open offer.
    function cancelOffer(uint256 offerId) external;

    /// @notice An offer's data.
    /// @param offerId The offer.
    /// @return financier Who posted it (zero for an unknown id).
    /// @return debtor Whose certificates it buys.
    /// @return annualRateBps Its discount rate.
    /// @return budget Tokens left to pay proceeds.
    /// @return minAmount Smallest sale in units.
    /// @return expiry When it stops buying.
    /// @return open Whether it can buy now (known, not cancelled, unexpired, budget left).
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

    /// @notice Number of offers ever posted (ids are 1..count).
    /// @return The count.
    function offerCount() external view returns (uint256);

    /// @notice The certificate contract whose units the desk trades.
    /// @return Its address.
    function certificates() external view returns (address);

    /// @notice The payment token offers are funded in.
    /// @return Its address.
    function token() external view returns (address);
}

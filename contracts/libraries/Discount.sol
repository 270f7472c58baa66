// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Discount
/// @notice Simple-interest discounting of a receivable sold before maturity.
library Discount {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant YEAR = 365 days;

    /// @notice `amount - ceil(amount * rateBps * timeToMaturity / (10000 * 365 days))`, floored at 0.
    /// @dev Rounding the discount up favours the financier by at most one unit, never the seller's counterparty
    ///      by more than the quoted rate.
    function proceeds(uint256 amount, uint256 rateBps, uint256 timeToMaturity) internal pure returns (uint256) {
        uint256 discount = Math.mulDiv(amount, rateBps * timeToMaturity, BPS * YEAR, Math.Rounding.Ceil);
        return discount >= amount ? 0 : amount - discount;
    }
}

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
        uint256 discount;
        if (amount <= type(uint128).max && rateBps <= type(uint64).max && timeToMaturity <= type(uint64).max) {
            // Every real sale (balances are < 2**128, rates <= 10,000, times < 2**64): the product is
            // < 2**256, so no 512-bit mulDiv and no overflow checks are needed.
            unchecked {
                discount = Math.ceilDiv(amount * rateBps * timeToMaturity, BPS * YEAR);
            }
        } else {
            discount = Math.mulDiv(amount, rateBps * timeToMaturity, BPS * YEAR, Math.Rounding.Ceil);
        }
        return discount >= amount ? 0 : amount - discount;
    }
}

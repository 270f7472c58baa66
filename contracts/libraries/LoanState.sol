// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title LoanState
/// @notice State of a loan, as returned by `LoanDesk.loan()`.
library LoanState {
    uint8 internal constant NONE = 0;
    uint8 internal constant REQUESTED = 1;
    uint8 internal constant FUNDED = 2;
    /// @dev Repaid in full while the root was open: the units went back to the borrower.
    uint8 internal constant REPAID = 3;
    /// @dev The units were redeemed and their payout paid out (by `settleLoan`, or a full repayment after close).
    uint8 internal constant SETTLED = 4;
    uint8 internal constant CANCELLED = 5;
}

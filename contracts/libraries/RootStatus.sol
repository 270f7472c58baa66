// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title RootStatus
/// @notice Status of a receivable root, as returned by `certificate()`.
library RootStatus {
    uint8 internal constant NONE = 0;
    uint8 internal constant ACTIVE = 1;
    uint8 internal constant PAID = 2;
    uint8 internal constant DEFAULTED = 3;
}

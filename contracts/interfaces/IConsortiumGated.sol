// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IConsortiumGated
/// @notice A contract whose roles and memberships are checked against the shared Consortium.
interface IConsortiumGated {
    /// @notice The membership registry this contract checks roles against.
    /// @return The Consortium's address.
    function consortium() external view returns (address);
}

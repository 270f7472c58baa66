// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PlainContractMock
/// @notice Test only. A contract with no ERC-1155 receiver hooks at all (like a wallet that cannot hold tokens).
contract PlainContractMock {
    uint256 public pinged;

    function ping() external {
        ++pinged;
    }
}

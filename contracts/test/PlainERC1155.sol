// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title PlainERC1155
/// @notice OpenZeppelin's ERC1155 with an open mint and burn: the gas baseline the benchmark compares against,
///         and the reference LeanERC1155 is tested against.
contract PlainERC1155 is ERC1155 {
    constructor() ERC1155("") {}

    /// @notice Mints `value` of `id` to `to` (anyone).
    function mint(address to, uint256 id, uint256 value, bytes calldata data) external {
        _mint(to, id, value, data);
    }

    /// @notice Burns `value` of `from`'s `id` (anyone).
    function burn(address from, uint256 id, uint256 value) external {
        _burn(from, id, value);
    }
}

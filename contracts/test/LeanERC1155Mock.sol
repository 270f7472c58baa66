// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1155Utils} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Utils.sol";
import {LeanERC1155} from "../token/LeanERC1155.sol";

/// @title LeanERC1155Mock
/// @notice Test only. LeanERC1155 with an open mint and burn shaped as PlainERC1155's (OpenZeppelin's ERC1155),
///         so that the same calls on both can be compared.
contract LeanERC1155Mock is LeanERC1155 {
    constructor() LeanERC1155("") {}

    /// @notice Mints `value` of `id` to `to`, then runs the acceptance check (OpenZeppelin's `_mint`; anyone).
    function mint(address to, uint256 id, uint256 value, bytes calldata data) external {
        _mintUnchecked(to, id, value);
        ERC1155Utils.checkOnERC1155Received(msg.sender, address(0), to, id, value, data);
    }

    /// @notice Burns `value` of `from`'s `id` (anyone).
    function burn(address from, uint256 id, uint256 value) external {
        _burn(from, id, value);
    }
}

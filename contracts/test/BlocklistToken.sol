// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title BlocklistToken
/// @notice Test-only stablecoin stand-in whose owner can block addresses (as regulated stablecoins do):
///         any transfer to or from a blocked address reverts. Used to show that one failing payout does
///         not stop a settlement batch.
contract BlocklistToken is ERC20, Ownable {
    mapping(address account => bool) public blocked;

    event Blocked(address indexed account);
    event Unblocked(address indexed account);

    error AccountBlocked(address account);

    constructor(address owner_) ERC20("Blocklist CNY (test)", "bCNY") Ownable(owner_) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    function blockAccount(address account) external onlyOwner {
        blocked[account] = true;
        emit Blocked(account);
    }

    function unblockAccount(address account) external onlyOwner {
        blocked[account] = false;
        emit Unblocked(account);
    }

    function decimals() public pure override returns (uint8) {
        return 2;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert AccountBlocked(from);
        if (blocked[to]) revert AccountBlocked(to);
        super._update(from, to, value);
    }
}

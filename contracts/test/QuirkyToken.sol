// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

interface ITokenReceiverHook {
    function onTokenReceived(address from, uint256 amount) external;
}

/// @title QuirkyToken
/// @notice Test only. A payment token whose `transfer` / `transferFrom` misbehave as the owner sets:
///         return false without moving anything, move and return nothing (USDT-style), or revert. Receivers
///         the owner marks are called back after being credited (ERC-777-style), so a test can re-enter the
///         contract that is paying them.
contract QuirkyToken is ERC20, Ownable {
    enum Mode {
        Normal,
        ReturnFalse,
        ReturnNothing,
        Revert
    }

    Mode public mode;
    mapping(address account => bool) public notified;

    error TokenRefused();

    constructor(address owner_) ERC20("Quirky CNY (test)", "qCNY") Ownable(owner_) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    function setMode(Mode mode_) external onlyOwner {
        mode = mode_;
    }

    function setNotified(address account, bool on) external onlyOwner {
        notified[account] = on;
    }

    function decimals() public pure override returns (uint8) {
        return 2;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (mode == Mode.ReturnFalse) return false;
        if (mode == Mode.Revert) revert TokenRefused();
        _transfer(msg.sender, to, value);
        _after(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (mode == Mode.ReturnFalse) return false;
        if (mode == Mode.Revert) revert TokenRefused();
        _spendAllowance(from, msg.sender, value);
        _transfer(from, to, value);
        _after(from, to, value);
        return true;
    }

    /// @dev Notifies a marked receiver; in ReturnNothing mode ends the call with empty return data.
    function _after(address from, address to, uint256 value) private {
        if (notified[to]) ITokenReceiverHook(to).onTokenReceived(from, value);
        if (mode == Mode.ReturnNothing) {
            assembly {
                return(0, 0)
            }
        }
    }
}

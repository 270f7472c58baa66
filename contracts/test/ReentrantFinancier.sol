// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title ReentrantFinancier
/// @notice Test only. A contract member (financier, supplier, clearing: whatever roles the test gives it) that
///         acts through `forward` (post offers, approve tokens, split) and, when it receives certificates (or
///         payment tokens from a token that notifies receivers, see QuirkyToken), makes one stored call first:
///         a reentrant receiver. A failing call bubbles up, unless `swallow` is set.
contract ReentrantFinancier is IERC1155Receiver {
    address public hookTarget;
    bytes public hookData;
    bool public hookRan;
    bool public swallow;

    event HookCalled(bool ok, bytes result);

    /// @notice The call to make (once) from inside the next receiver hook.
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
        hookRan = false;
    }

    /// @notice Whether a failing hook call is kept quiet (only `HookCalled(false, …)`) instead of reverting.
    function setSwallow(bool swallow_) external {
        swallow = swallow_;
    }

    /// @notice Called by a notifying payment token after it credits this contract.
    function onTokenReceived(address, uint256) external {
        _hook();
    }

    /// @notice Calls `target` with `data` as this contract; bubbles a revert.
    function forward(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _hook();
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        returns (bytes4)
    {
        _hook();
        return this.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function _hook() private {
        if (hookTarget == address(0) || hookRan) return;
        hookRan = true;
        (bool ok, bytes memory result) = hookTarget.call(hookData);
        emit HookCalled(ok, result);
        if (!ok && !swallow) {
            assembly {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}

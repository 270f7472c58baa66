// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title ReentrantFinancier
/// @notice Test only. A contract member that acts through `forward` (post offers, approve tokens) and,
///         when it receives certificates, makes one stored call first: a reentrant receiver.
contract ReentrantFinancier is IERC1155Receiver {
    address public hookTarget;
    bytes public hookData;
    bool public hookRan;

    event HookCalled(bool ok, bytes result);

    /// @notice The call to make (once) from inside the next receiver hook.
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
        hookRan = false;
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
        if (!ok) {
            assembly {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title CertificateReceiverMock
/// @notice Test only. An ERC-1155 receiver whose answer is set by the test: accept, reject by returning a
///         wrong selector, revert without data, or revert with a custom error. It can also act as a holder
///         (forward any call), so a contract member can pass its certificates on.
contract CertificateReceiverMock is IERC1155Receiver {
    enum Mode {
        Accept,
        WrongSelector,
        RevertEmpty,
        RevertWithError
    }

    error ReceiverRejected(address operator, address from, uint256 id, uint256 value);
    error ForwardFailed(bytes reason);

    event Received(address operator, address from, uint256 id, uint256 value, bytes data);
    event BatchReceived(address operator, address from, uint256[] ids, uint256[] values, bytes data);

    Mode public mode;

    constructor(Mode mode_) {
        mode = mode_;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function onERC1155Received(address operator, address from, uint256 id, uint256 value, bytes calldata data)
        external
        returns (bytes4)
    {
        _reject(operator, from, id, value);
        emit Received(operator, from, id, value, data);
        return mode == Mode.WrongSelector ? bytes4(0xdeadbeef) : this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(
        address operator,
        address from,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata data
    ) external returns (bytes4) {
        _reject(operator, from, ids.length == 0 ? 0 : ids[0], values.length == 0 ? 0 : values[0]);
        emit BatchReceived(operator, from, ids, values, data);
        return mode == Mode.WrongSelector ? bytes4(0xdeadbeef) : this.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    /// @notice Calls `target` with `data` as this contract (e.g. a transfer or split of its own certificates).
    function forward(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    function _reject(address operator, address from, uint256 id, uint256 value) private view {
        if (mode == Mode.RevertEmpty) revert();
        if (mode == Mode.RevertWithError) revert ReceiverRejected(operator, from, id, value);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../interfaces/IConsortiumGated.sol";

/// @title ConsortiumGated
/// @notice Role and membership checks against the shared Consortium, with the consortium's own errors.
abstract contract ConsortiumGated is IConsortiumGated {
    IConsortium internal immutable _consortium;

    constructor(IConsortium consortium_) {
        _consortium = consortium_;
    }

    /// @inheritdoc IConsortiumGated
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    modifier onlyConsortiumRole(bytes32 role) {
        _checkRole(role, msg.sender);
        _;
    }

    modifier onlyActiveRole(bytes32 role) {
        _checkActiveRole(msg.sender, role);
        _;
    }

    function _checkRole(bytes32 role, address account) internal view {
        if (!_consortium.hasRole(role, account)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(account, role);
        }
    }

    /// @dev One call when `account` passes; on a refusal, the reason: the role missing first, else inactive.
    function _checkActiveRole(address account, bytes32 role) internal view {
        if (!_consortium.isActiveWithRole(account, role)) {
            _checkRole(role, account);
            revert IConsortium.InactiveMember(account);
        }
    }
}

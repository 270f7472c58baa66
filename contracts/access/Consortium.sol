// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title Consortium
/// @notice Who may take part, in which role, and whether they are currently active.
/// @dev The deployer holds DEFAULT_ADMIN_ROLE and OPERATOR_ROLE. Operators onboard members with member
///      roles only; privileged roles are granted by the admin through AccessControl.
contract Consortium is AccessControl, IConsortium {
    bytes32 public constant OPERATOR_ROLE = Roles.OPERATOR;
    bytes32 public constant CORE_ENTERPRISE_ROLE = Roles.CORE_ENTERPRISE;
    bytes32 public constant SUPPLIER_ROLE = Roles.SUPPLIER;
    bytes32 public constant FINANCIER_ROLE = Roles.FINANCIER;
    bytes32 public constant GUARANTOR_ROLE = Roles.GUARANTOR;
    bytes32 public constant CLEARING_ROLE = Roles.CLEARING;

    /// @dev One word per member, read once per check: 0 never onboarded, ACTIVE, SUSPENDED.
    uint8 private constant ACTIVE = 1;
    uint8 private constant SUSPENDED = 2;

    mapping(address account => uint8 state) private _states;
    mapping(address account => string name) private _names;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, admin);
    }

    /// @inheritdoc IConsortium
    function onboard(address account, bytes32 role, string calldata name) external onlyRole(OPERATOR_ROLE) {
        if (account == address(0)) revert InvalidMember(account);
        if (!_isMemberRole(role)) revert UnsupportedRole(role);
        if (hasRole(role, account)) revert AlreadyOnboarded(account, role);
        uint8 state = _states[account];
        if (state == SUSPENDED) revert MemberIsSuspended(account);
        _grantRole(role, account);
        if (state == 0) {
            _states[account] = ACTIVE;
            _names[account] = name;
            emit MemberOnboarded(account, role, name);
        } else {
            // A member keeps the name it was first onboarded with; the event carries that name, so that
            // whoever replays the events shows what `nameOf` returns.
            emit MemberOnboarded(account, role, _names[account]);
        }
    }

    /// @inheritdoc IConsortium
    function suspend(address account) external onlyRole(OPERATOR_ROLE) {
        uint8 state = _states[account];
        if (state == 0) revert UnknownMember(account);
        if (state == SUSPENDED) revert MemberIsSuspended(account);
        _states[account] = SUSPENDED;
        emit MemberSuspended(account);
    }

    /// @inheritdoc IConsortium
    function reinstate(address account) external onlyRole(OPERATOR_ROLE) {
        uint8 state = _states[account];
        if (state == 0) revert UnknownMember(account);
        if (state != SUSPENDED) revert MemberNotSuspended(account);
        _states[account] = ACTIVE;
        emit MemberReinstated(account);
    }

    /// @inheritdoc IConsortium
    function isActive(address account) public view returns (bool) {
        return _states[account] == ACTIVE;
    }

    /// @inheritdoc IConsortium
    function isActiveWithRole(address account, bytes32 role) external view returns (bool) {
        return isActive(account) && hasRole(role, account);
    }

    /// @inheritdoc IConsortium
    function areActiveWithRoles(address a, bytes32 roleA, address b, bytes32 roleB) external view returns (bool) {
        return isActive(a) && hasRole(roleA, a) && isActive(b) && hasRole(roleB, b);
    }

    /// @inheritdoc IConsortium
    function firstInactiveEndForSplit(address account, address[] calldata accounts) external view returns (uint256) {
        if (!isActive(account)) return 0;
        for (uint256 i; i < accounts.length; ++i) {
            if (!isActive(accounts[i])) return i + 1;
        }
        return type(uint256).max;
    }

    /// @inheritdoc IConsortium
    function firstNotActiveOfMovement(address a, address b) external view returns (address) {
        if (!isActive(a)) return a;
        if (!isActive(b)) return b;
        return address(0);
    }

    /// @inheritdoc IConsortium
    function nameOf(address account) external view returns (string memory) {
        return _names[account];
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IConsortium).interfaceId || super.supportsInterface(interfaceId);
    }

    function _isMemberRole(bytes32 role) private pure returns (bool) {
        return role == Roles.CORE_ENTERPRISE || role == Roles.SUPPLIER || role == Roles.FINANCIER
            || role == Roles.GUARANTOR || role == Roles.CLEARING;
    }
}

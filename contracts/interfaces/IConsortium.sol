// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title IConsortium
/// @notice Membership registry of the financing consortium: roles (AccessControl) plus an active flag
///         that operators toggle. Certificates move only between active members.
interface IConsortium is IAccessControl {
    /// @notice A member was onboarded with `role`.
    event MemberOnboarded(address indexed account, bytes32 indexed role, string name);
    /// @notice A member was suspended: it can no longer send, receive, issue or finance (claims still work).
    event MemberSuspended(address indexed account);
    /// @notice A suspended member was reinstated.
    event MemberReinstated(address indexed account);

    /// @notice The zero address cannot be a member.
    error InvalidMember(address account);
    /// @notice `role` cannot be given through onboarding (only member roles can).
    error UnsupportedRole(bytes32 role);
    /// @notice `account` already holds `role`.
    error AlreadyOnboarded(address account, bytes32 role);
    /// @notice `account` was never onboarded.
    error UnknownMember(address account);
    /// @notice `account` is onboarded but suspended.
    error MemberIsSuspended(address account);
    /// @notice `account` is not suspended.
    error MemberNotSuspended(address account);
    /// @notice `account` is not an active member (not onboarded, or suspended).
    error InactiveMember(address account);

    /// @notice Grants a member role to `account` and records it as an active member.
    function onboard(address account, bytes32 role, string calldata name) external;

    /// @notice Suspends an active member.
    function suspend(address account) external;

    /// @notice Reinstates a suspended member.
    function reinstate(address account) external;

    /// @notice Whether `account` is onboarded and not suspended.
    function isActive(address account) external view returns (bool);

    /// @notice Whether `account` is active and holds `role`.
    function isActiveWithRole(address account, bytes32 role) external view returns (bool);

    /// @notice Index of the first inactive account in `accounts`, or `type(uint256).max` when all are active.
    function firstInactive(address[] calldata accounts) external view returns (uint256);

    /// @notice The first of `a`, `b` that is not an active member, or the zero address when both are.
    function firstInactiveOf(address a, address b) external view returns (address);

    /// @notice The name given at onboarding (empty for a non-member).
    function nameOf(address account) external view returns (string memory);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title IConsortium
/// @notice Membership registry of the financing consortium: roles (AccessControl) plus an active flag
///         that operators toggle. Certificates move only between active members.
/// @dev The consortium serves one certificate contract, named at its construction (`certificates`): every change
///      of a member's active flag is pushed to it in the same transaction (`IMembershipMirror`), so that a split
///      or a movement, the certificate's most frequent actions, reads the flags from its own storage instead of
///      calling here (a call costs a movement 3,400 gas: the cold account, the call and this contract's code).
///      Roles are not mirrored: issue and the desks ask here. The viaIR dispatcher compares the selector with each
///      function's in ascending order (22 gas a case), so the checks the desks and issue call are named for
///      selectors that sort first (`isActiveWithRole` 0x00490497, `areActiveWithRoles` 0x1a0abf47).
interface IConsortium is IAccessControl {
    /// @notice A member was onboarded with `role`; `name` is its name as `nameOf` returns it (the first one given).
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
    /// @notice The certificate contract a consortium serves cannot be the zero address.
    error InvalidCertificates(address certificates);
    /// @notice No member can change before the certificate contract this consortium names exists.
    error CertificatesNotDeployed(address certificates);

    /// @notice The operator role: onboards, suspends and reinstates members.
    /// @return `keccak256("OPERATOR_ROLE")`.
    function OPERATOR_ROLE() external view returns (bytes32);

    /// @notice The core enterprise (debtor) role: issues receivables against its credit limit.
    /// @return `keccak256("CORE_ENTERPRISE_ROLE")`.
    function CORE_ENTERPRISE_ROLE() external view returns (bytes32);

    /// @notice The supplier role: receives, splits, transfers and sells certificates.
    /// @return `keccak256("SUPPLIER_ROLE")`.
    function SUPPLIER_ROLE() external view returns (bytes32);

    /// @notice The financier role: grants credit lines and posts financing offers.
    /// @return `keccak256("FINANCIER_ROLE")`.
    function FINANCIER_ROLE() external view returns (bytes32);

    /// @notice The guarantor role: provides payment guarantees for debtors.
    /// @return `keccak256("GUARANTOR_ROLE")`.
    function GUARANTOR_ROLE() external view returns (bytes32);

    /// @notice The clearing role: pushes settlement payouts to holders.
    /// @return `keccak256("CLEARING_ROLE")`.
    function CLEARING_ROLE() external view returns (bytes32);

    /// @notice Grants a member role to `account` and records it as an active member. OPERATOR_ROLE.
    /// @param account The member (non-zero, not suspended, not yet holding `role`).
    /// @param role A member role: CORE_ENTERPRISE, SUPPLIER, FINANCIER, GUARANTOR or CLEARING.
    /// @param name The member's name, kept from its first onboarding (a later one keeps the first name).
    function onboard(address account, bytes32 role, string calldata name) external;

    /// @notice Suspends an active member. OPERATOR_ROLE.
    /// @param account An onboarded, active member.
    function suspend(address account) external;

    /// @notice Reinstates a suspended member. OPERATOR_ROLE.
    /// @param account A suspended member.
    function reinstate(address account) external;

    /// @notice Whether `account` is onboarded and not suspended.
    /// @param account The account.
    /// @return True when onboarded and not suspended.
    function isActive(address account) external view returns (bool);

    /// @notice Whether `account` is active and holds `role`.
    /// @param account The account.
    /// @param role The role.
    /// @return True when active and holding `role`.
    function isActiveWithRole(address account, bytes32 role) external view returns (bool);

    /// @notice Whether `a` is active and holds `roleA`, and `b` is active and holds `roleB`: both ends of an
    ///         issue in one call.
    /// @param a The first account.
    /// @param roleA The role `a` must hold.
    /// @param b The second account.
    /// @param roleB The role `b` must hold.
    /// @return True when both are active and hold their role.
    function areActiveWithRoles(address a, bytes32 roleA, address b, bytes32 roleB) external view returns (bool);

    /// @notice The certificate contract this consortium serves: every change of a member's active flag is pushed
    ///         to it (`IMembershipMirror.onMembershipChanged`) in the same transaction.
    /// @return The certificate contract's address, fixed at construction.
    function certificates() external view returns (address);

    /// @notice The name given at onboarding (empty for a non-member).
    /// @param account The account.
    /// @return The name given at its first onboarding.
    function nameOf(address account) external view returns (string memory);
}

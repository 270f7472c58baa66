// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IMembershipMirror
/// @notice What a consortium tells the certificate contract it serves: each change of a member's active flag, in
///         the transaction that makes it, so that the certificate checks movements against its own copy.
interface IMembershipMirror {
    /// @notice Only the certificate's consortium may report membership changes.
    error NotConsortium(address caller);
    /// @notice The consortium given at construction names another certificate contract (`named`).
    error NotTheConsortiumsCertificates(address consortium, address named);

    /// @notice The consortium's report: `account` is now an active member (`active`), or no longer is.
    /// @param account The member whose flag changed (onboarded, suspended or reinstated).
    /// @param active Whether it is active now.
    function onMembershipChanged(address account, bool active) external;

    /// @notice The certificate's copy of `account`'s active flag, what its splits and movements check: equal to the
    ///         consortium's `isActive(account)` at every block (auditors compare the two).
    /// @param account The account.
    /// @return Whether the certificate counts it an active member.
    function activeFlag(address account) external view returns (bool);
}

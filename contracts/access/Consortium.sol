// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title Consortium
/// @notice Who may take part, in which role, and whether they are currently active.
/// @dev The deployer holds DEFAULT_ADMIN_ROLE and OPERATOR_ROLE. Operators onboard members with member
///      roles only; privileged roles are granted by the admin through AccessControl. Every change of a member's
///      active flag is pushed to the certificate contract named at construction, which checks movements against
///      that copy (see IConsortium); `_states` here stays the record the desks, issue and `isActive` read.
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
    /// @dev Deployed next by the same deployer (its address known in advance), whose constructor checks that this
    ///      consortium names it; `_mirror` refuses member changes until it exists, so its copy misses none.
    IMembershipMirror private immutable _certificates;

    /// @param admin Holds DEFAULT_ADMIN_ROLE and OPERATOR_ROLE.
    /// @param certificates_ The ReceivableCertificate that will be deployed for this consortium (non-zero).
    constructor(address admin, address certificates_) {
        if (certificates_ == address(0)) revert InvalidCertificates(certificates_);
        _certificates = IMembershipMirror(certificates_);
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
            _mirror(account, true);
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
        _mirror(account, false);
    }

    /// @inheritdoc IConsortium
    function reinstate(address account) external onlyRole(OPERATOR_ROLE) {
        uint8 state = _states[account];
        if (state == 0) revert UnknownMember(account);
        if (state != SUSPENDED) revert MemberNotSuspended(account);
        _states[account] = ACTIVE;
        emit MemberReinstated(account);
        _mirror(account, true);
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
    function certificates() external view returns (address) {
        return address(_certificates);
    }

    /// @inheritdoc IConsortium
    function nameOf(address account) external view returns (string memory) {
        return _names[account];
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IConsortium).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Tells the certificate contract of a change of `account`'s active flag. Before that contract exists
    ///      no member can change (a deployer onboarding too early gets a named error, not an empty revert).
    function _mirror(address account, bool active) private {
        if (address(_certificates).code.length == 0) revert CertificatesNotDeployed(address(_certificates));
        _certificates.onMembershipChanged(account, active);
    }

    function _isMemberRole(bytes32 role) private pure returns (bool) {
        return role == Roles.CORE_ENTERPRISE || role == Roles.SUPPLIER || role == Roles.FINANCIER
            || role == Roles.GUARANTOR || role == Roles.CLEARING;
    }
}

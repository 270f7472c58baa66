// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roles
/// @notice Role identifiers of the consortium: `keccak256("<NAME>")`.
library Roles {
    bytes32 internal constant OPERATOR = keccak256("OPERATOR_ROLE");
    bytes32 internal constant CORE_ENTERPRISE = keccak256("CORE_ENTERPRISE_ROLE");
    bytes32 internal constant SUPPLIER = keccak256("SUPPLIER_ROLE");
    bytes32 internal constant FINANCIER = keccak256("FINANCIER_ROLE");
    bytes32 internal constant GUARANTOR = keccak256("GUARANTOR_ROLE");
    bytes32 internal constant CLEARING = keccak256("CLEARING_ROLE");
}

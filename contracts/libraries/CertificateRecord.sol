// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title CertificateRecord
/// @notice The one storage word a certificate keeps, packed so that every movement of a root reads one slot and
///         every movement of a child two (its own word, then its root's), whatever the size of the tree, and an
///         issue writes one word for its root.
/// @dev The low byte tells the kinds apart: 0 for an id never created; for a root it is the root's status
///      (1 active, 2 paid, 3 defaulted: `RootStatus`), for a child `CHILD`.
///      root:  bits 0..7 status | 8..71 maturity | 72..103 debtor's number | 104..231 face value
///      child: bits 0..7 CHILD  | 8..39 tier     | 40..79 rootId | 80..119 parentId | 120..247 amount
///      A debtor's address (160 bits) and a face value (128) do not fit one word beside a maturity: a root keeps
///      its debtor's number instead, which the certificate gives each debtor at its first receivable (32 bits,
///      checked with SafeCast). Ids take 40 bits (the certificate checks `nextId` with SafeCast), tiers 32,
///      amounts and face values 128.
///      Fields are read back as uint256 (masks, no narrowing casts).
library CertificateRecord {
    uint256 internal constant CHILD = 0xff;

    uint256 private constant MASK8 = 0xff;
    uint256 private constant MASK32 = 0xffffffff;
    uint256 private constant MASK40 = 0xffffffffff;
    uint256 private constant MASK64 = 0xffffffffffffffff;
    uint256 private constant MASK128 = type(uint128).max;

    /// @dev A root's word. Callers pass values that fit (debtorNumber < 2**32, faceValue < 2**128).
    function root(uint256 status, uint64 maturity, uint256 debtorNumber, uint256 faceValue)
        internal
        pure
        returns (uint256)
    {
        return status | (uint256(maturity) << 8) | (debtorNumber << 72) | (faceValue << 104);
    }

    /// @dev A child's word. Callers pass values that fit (tier < 2**32, ids < 2**40, amount < 2**128).
    function child(uint256 tier_, uint256 rootId, uint256 parentId, uint256 amount) internal pure returns (uint256) {
        return CHILD | (tier_ << 8) | (rootId << 40) | (parentId << 80) | (amount << 120);
    }

    /// @dev 0 for an unknown id, `CHILD` for a child, a root's status for a root.
    function kind(uint256 word) internal pure returns (uint256) {
        return word & MASK8;
    }

    /// @dev A child's root.
    function rootOf(uint256 word) internal pure returns (uint256) {
        return (word >> 40) & MASK40;
    }

    /// @dev A child's parent.
    function parentOf(uint256 word) internal pure returns (uint256) {
        return (word >> 80) & MASK40;
    }

    /// @dev A child's tier.
    function tierOf(uint256 word) internal pure returns (uint256) {
        return (word >> 8) & MASK32;
    }

    /// @dev A child's amount.
    function amountOf(uint256 word) internal pure returns (uint256) {
        return (word >> 120) & MASK128;
    }

    /// @dev A root's maturity.
    function maturityOf(uint256 word) internal pure returns (uint256) {
        return (word >> 8) & MASK64;
    }

    /// @dev A root's debtor's number.
    function debtorNumberOf(uint256 word) internal pure returns (uint256) {
        return (word >> 72) & MASK32;
    }

    /// @dev A root's face value.
    function faceValueOf(uint256 word) internal pure returns (uint256) {
        return (word >> 104) & MASK128;
    }

    /// @dev A child's word (made with a zero amount) with `amount` (< 2**128) set.
    function withAmount(uint256 word, uint256 amount) internal pure returns (uint256) {
        return word | (amount << 120);
    }

    /// @dev A root's word with its status replaced.
    function withStatus(uint256 word, uint256 status) internal pure returns (uint256) {
        return (word & ~MASK8) | status;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title ICreditGuarantee
/// @notice Credit enhancement: guarantors deposit collateral for a debtor; when one of the debtor's
///         receivables defaults, the settlement escrow draws the shortfall from the debtor's guarantees that
///         cover its maturity, oldest first. No guarantee anyone provides can keep a default from reaching
///         the covering guarantees with collateral left: non-covering, exhausted and released ones are skipped
///         in O(log n), and each guarantee drawn costs a bounded amount of gas.
interface ICreditGuarantee is IConsortiumGated {
    /// @notice `guarantor` deposited `amount` as collateral for `debtor`'s receivables maturing by `expiry`.
    event GuaranteeProvided(
        uint256 indexed guaranteeId, address indexed guarantor, address indexed debtor, uint256 amount, uint64 expiry
    );
    /// @notice The guarantor took back the `amount` not used; the guarantee can no longer be called.
    event GuaranteeReleased(uint256 indexed guaranteeId, uint256 amount);
    /// @notice `amount` of the guarantee's collateral was paid to the escrow for defaulted root `rootId`.
    event GuaranteeCalled(uint256 indexed guaranteeId, uint256 indexed rootId, uint256 amount);
    /// @notice The settlement escrow allowed to call guarantees was set (once).
    event SettlementEscrowSet(address indexed escrow);

    /// @notice A guarantee needs a non-zero debtor.
    error InvalidDebtor(address debtor);
    /// @notice A guarantee's amount must be > 0 and < 2**128.
    error InvalidAmount(uint256 amount);
    /// @notice A guarantee's expiry must be after the current block's timestamp.
    error ExpiryNotInFuture(uint64 expiry, uint256 timestamp);
    /// @notice No guarantee has id `guaranteeId`.
    error UnknownGuarantee(uint256 guaranteeId);
    /// @notice Only the guarantee's guarantor may release it.
    error NotGuarantor(uint256 guaranteeId, address caller);
    /// @notice The guarantee was released already.
    error GuaranteeAlreadyReleased(uint256 guaranteeId);
    /// @notice The guarantee can still be called; it is releasable from `releasableAt`.
    error GuaranteeLocked(uint256 guaranteeId, uint256 releasableAt);
    /// @notice Only the settlement escrow may call guarantees.
    error NotSettlementEscrow(address caller);
    /// @notice The settlement escrow is wired once; it is `escrow`.
    error SettlementEscrowAlreadySet(address escrow);
    /// @notice The settlement escrow cannot be the zero address.
    error InvalidSettlementEscrow(address escrow);

    /// @notice Wires the settlement escrow allowed to call guarantees, once. DEFAULT_ADMIN_ROLE.
    /// @param escrow The SettlementEscrow's address (non-zero).
    function setSettlementEscrow(address escrow) external;

    /// @notice Pulls `amount` tokens as collateral for `debtor`'s receivables maturing on or before `expiry`.
    ///         GUARANTOR_ROLE, active member.
    /// @param debtor The core enterprise whose receivables the guarantee covers.
    /// @param amount Collateral in payment-token units (> 0, < 2**128); the caller must have approved it.
    /// @param expiry Latest maturity covered; after `expiry` plus the grace period the guarantor may release.
    /// @return guaranteeId The new guarantee's id (1, 2, …).
    function provide(address debtor, uint256 amount, uint64 expiry) external returns (uint256 guaranteeId);

    /// @notice Unused collateral of `debtor`'s unexpired, unreleased guarantees.
    /// @param debtor The debtor.
    /// @return The sum of `amount - used` over guarantees with `expiry >= block.timestamp`, not released.
    function available(address debtor) external view returns (uint256);

    /// @notice The guarantor takes back the unused collateral once the guarantee can no longer be called.
    /// @param guaranteeId The caller's guarantee, at or after `releasableAt(guaranteeId)`.
    function release(uint256 guaranteeId) external;

    /// @notice Escrow only: draws up to `shortfall` for defaulted root `rootId` of `debtor` maturing at `maturity`
    ///         from the debtor's unreleased guarantees with `expiry >= maturity` and collateral left, oldest
    ///         first, and sends it to the escrow.
    /// @param debtor The root's debtor.
    /// @param rootId The defaulted root (for the `GuaranteeCalled` events).
    /// @param maturity The root's maturity: a guarantee covers it when `maturity <= expiry`.
    /// @param shortfall What the root still lacks (face value minus repayments).
    /// @return covered The amount drawn and sent to the escrow (<= shortfall).
    function cover(address debtor, uint256 rootId, uint64 maturity, uint256 shortfall)
        external
        returns (uint256 covered);

    /// @notice A guarantee's data.
    /// @param guaranteeId The guarantee.
    /// @return guarantor Who provided it (zero for an unknown id).
    /// @return debtor Whose receivables it covers.
    /// @return amount The collateral provided.
    /// @return used The part already drawn by defaults.
    /// @return expiry The latest maturity it covers.
    /// @return released Whether the guarantor took back the rest.
    function guarantee(uint256 guaranteeId)
        external
        view
        returns (address guarantor, address debtor, uint256 amount, uint256 used, uint64 expiry, bool released);

    /// @notice Earliest time `release` succeeds: `expiry + gracePeriod + 1`.
    /// @param guaranteeId A known guarantee.
    /// @return The timestamp from which the guarantor may release.
    function releasableAt(uint256 guaranteeId) external view returns (uint256);

    /// @notice The payment token collateral is held in.
    /// @return The token's address.
    function token() external view returns (address);

    /// @notice The settlement escrow allowed to call guarantees (zero until wired).
    /// @return The escrow's address.
    function settlementEscrow() external view returns (address);

    /// @notice Number of guarantees ever provided (ids are 1..count).
    /// @return The count.
    function guaranteeCount() external view returns (uint256);
}

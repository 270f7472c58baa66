// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICreditGuarantee
/// @notice Credit enhancement: guarantors deposit collateral for a debtor; when one of the debtor's
///         receivables defaults, the settlement escrow draws the shortfall, oldest guarantee first.
interface ICreditGuarantee {
    event GuaranteeProvided(
        uint256 indexed guaranteeId, address indexed guarantor, address indexed debtor, uint256 amount, uint64 expiry
    );
    event GuaranteeReleased(uint256 indexed guaranteeId, uint256 amount);
    event GuaranteeCalled(uint256 indexed guaranteeId, uint256 indexed rootId, uint256 amount);
    /// @notice The settlement escrow allowed to call guarantees was set (once).
    event SettlementEscrowSet(address indexed escrow);

    error InvalidDebtor(address debtor);
    error InvalidAmount(uint256 amount);
    error ExpiryNotInFuture(uint64 expiry, uint256 timestamp);
    error UnknownGuarantee(uint256 guaranteeId);
    error NotGuarantor(uint256 guaranteeId, address caller);
    error GuaranteeAlreadyReleased(uint256 guaranteeId);
    error GuaranteeLocked(uint256 guaranteeId, uint256 releasableAt);
    error NotSettlementEscrow(address caller);
    error SettlementEscrowAlreadySet(address escrow);
    error InvalidSettlementEscrow(address escrow);

    /// @notice Pulls `amount` tokens as collateral for `debtor`'s receivables maturing on or before `expiry`.
    function provide(address debtor, uint256 amount, uint64 expiry) external returns (uint256 guaranteeId);

    /// @notice Unused collateral of `debtor`'s unexpired, unreleased guarantees.
    function available(address debtor) external view returns (uint256);

    /// @notice The guarantor takes back the unused collateral once the guarantee can no longer be called.
    function release(uint256 guaranteeId) external;

    /// @notice Escrow only: draws up to `shortfall` for defaulted root `rootId` of `debtor` maturing at `maturity`.
    function cover(address debtor, uint256 rootId, uint64 maturity, uint256 shortfall)
        external
        returns (uint256 covered);

    /// @notice A guarantee's data.
    function guarantee(uint256 guaranteeId)
        external
        view
        returns (address guarantor, address debtor, uint256 amount, uint256 used, uint64 expiry, bool released);

    /// @notice Earliest time `release` succeeds for a guarantee expiring at `expiry`.
    function releasableAt(uint256 guaranteeId) external view returns (uint256);

    /// @notice How many guarantees one default scans at most (the gas bound).
    function maxGuaranteesScanned() external pure returns (uint256);
}

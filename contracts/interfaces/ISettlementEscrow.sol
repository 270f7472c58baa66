// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ISettlementEscrow
/// @notice Clearing: collects repayments (and guarantee calls on default) per root, closes roots,
///         and pays holders pro rata by pull (`claim`) or by the clearing institution's push (`settle`).
interface ISettlementEscrow {
    event Repaid(uint256 indexed rootId, address indexed payer, uint256 amount, uint256 totalPaid);
    event DefaultDeclared(uint256 indexed rootId, uint256 paid, uint256 covered);
    event ReceivableClosed(uint256 indexed rootId, uint8 status, uint256 recovered);
    event Claimed(uint256 indexed id, uint256 indexed rootId, address indexed holder, uint256 units, uint256 payout);
    /// @notice A `settle` entry whose payout failed (e.g. the token blocks `holder`); its units stay claimable.
    event SettlementFailed(uint256 indexed id, address indexed holder);

    error NotARoot(uint256 id);
    error RootNotActive(uint256 rootId, uint8 status);
    error InvalidAmount(uint256 amount);
    error Overpayment(uint256 rootId, uint256 remaining, uint256 amount);
    error DefaultTooEarly(uint256 rootId, uint256 declarableAt);
    error NothingToClaim(address holder);
    error LengthMismatch(uint256 ids, uint256 holders);
    error OnlySelf(address caller);

    /// @notice Repays `amount` of active root `rootId` (anyone may pay); closes it as paid when full.
    function repay(uint256 rootId, uint256 amount) external;

    /// @notice Closes an overdue root as defaulted, drawing the shortfall from the debtor's guarantees.
    function declareDefault(uint256 rootId) external;

    /// @notice Burns the caller's whole balance of each id (closed roots) and pays it pro rata.
    function claim(uint256[] calldata ids) external returns (uint256 payout);

    /// @notice Clearing institution: pays and burns `holders[i]`'s balance of `ids[i]`, skipping zero balances.
    function settle(uint256[] calldata ids, address[] calldata holders) external returns (uint256 payout);

    /// @notice Total repaid on `rootId`.
    function paid(uint256 rootId) external view returns (uint256);

    /// @notice Amount available to holders of a closed root (`paid + covered`); 0 while open.
    function recovered(uint256 rootId) external view returns (uint256);

    /// @notice Time after maturity before a default can be declared.
    function gracePeriod() external view returns (uint256);

    /// @notice What `holder` would be paid now for its balance of `id` (0 while the root is open).
    function claimable(uint256 id, address holder) external view returns (uint256);
}

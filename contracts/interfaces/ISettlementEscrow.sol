// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title ISettlementEscrow
/// @notice Clearing: collects repayments (and guarantee calls on default) per root, closes roots,
///         and pays holders pro rata by pull (`claim`) or by the clearing institution's push (`settle`).
interface ISettlementEscrow is IConsortiumGated {
    /// @notice `payer` repaid `amount` of root `rootId`; `totalPaid` repaid so far.
    event Repaid(uint256 indexed rootId, address indexed payer, uint256 amount, uint256 totalPaid);
    /// @notice Root `rootId` was declared defaulted with `paid` repaid and `covered` drawn from guarantees.
    event DefaultDeclared(uint256 indexed rootId, uint256 paid, uint256 covered);
    /// @notice Root `rootId` closed with `status` (2 paid, 3 defaulted); holders share `recovered`.
    event ReceivableClosed(uint256 indexed rootId, uint8 status, uint256 recovered);
    /// @notice `holder`'s `units` of certificate `id` (root `rootId`) were burned and paid `payout`.
    event Claimed(uint256 indexed id, uint256 indexed rootId, address indexed holder, uint256 units, uint256 payout);
    /// @notice A `settle` entry whose payout failed (e.g. the token blocks `holder`); its units stay claimable.
    event SettlementFailed(uint256 indexed id, address indexed holder);

    /// @notice The certificate contract names `named` as its escrow, not this one: deploy the escrow at that address.
    error NotTheCertificatesEscrow(address certificates, address named);
    /// @notice `id` is a child certificate; only roots are repaid or defaulted.
    error NotARoot(uint256 id);
    /// @notice The root is closed already (`status` 2 paid, 3 defaulted).
    error RootNotActive(uint256 rootId, uint8 status);
    /// @notice A repayment must be > 0.
    error InvalidAmount(uint256 amount);
    /// @notice The repayment exceeds what is left of the face value.
    error Overpayment(uint256 rootId, uint256 remaining, uint256 amount);
    /// @notice A default can be declared from `declarableAt` (maturity plus grace period).
    error DefaultTooEarly(uint256 rootId, uint256 declarableAt);
    /// @notice The claim would pay nothing.
    error NothingToClaim(address holder);
    /// @notice `settle` needs as many holders as ids.
    error LengthMismatch(uint256 ids, uint256 holders);
    /// @notice Only the escrow itself may call this.
    error OnlySelf(address caller);

    /// @notice Repays `amount` of active root `rootId` (anyone may pay); closes it as paid when full.
    /// @param rootId An active root.
    /// @param amount Tokens pulled from the caller (> 0, at most what is left of the face value).
    function repay(uint256 rootId, uint256 amount) external;

    /// @notice Closes an overdue root as defaulted, drawing the shortfall from the debtor's guarantees.
    /// @param rootId An active root whose maturity plus grace period has passed.
    function declareDefault(uint256 rootId) external;

    /// @notice Burns the caller's whole balance of each id (closed roots) and pays it pro rata.
    /// @param ids Certificates of closed roots.
    /// @return payout The total paid to the caller (> 0).
    function claim(uint256[] calldata ids) external returns (uint256 payout);

    /// @notice Clearing institution: pays and burns `holders[i]`'s balance of `ids[i]`, skipping zero balances.
    /// @param ids Certificates of closed roots.
    /// @param holders Their holders, one per id.
    /// @return payout The total paid out.
    function settle(uint256[] calldata ids, address[] calldata holders) external returns (uint256 payout);

    /// @notice Internal step of `settle`, external only so that one failing holder can be isolated.
    /// @param id A certificate of a closed root.
    /// @param holder Whose balance is paid and burned.
    /// @return payout Tokens paid to `holder`; 2**256-1 when the certificate refused the redemption (unknown id,
    ///         open root), which `settle` then raises as its own error.
    function settleOne(uint256 id, address holder) external returns (uint256 payout);

    /// @notice Total repaid on `rootId`.
    /// @param rootId A root.
    /// @return The sum of its repayments.
    function paid(uint256 rootId) external view returns (uint256);

    /// @notice Amount available to holders of a closed root (`paid + covered`); 0 while open.
    /// @param rootId A root.
    /// @return The amount shared pro rata by its holders.
    function recovered(uint256 rootId) external view returns (uint256);

    /// @notice Time after maturity before a default can be declared.
    /// @return Seconds.
    function gracePeriod() external view returns (uint256);

    /// @notice What `holder` would be paid now for its balance of `id` (0 while the root is open).
    /// @param id A certificate.
    /// @param holder A holder.
    /// @return The payout `claim` would make for it.
    function claimable(uint256 id, address holder) external view returns (uint256);

    /// @notice The certificate contract whose roots this escrow settles.
    /// @return Its address.
    function certificates() external view returns (address);

    /// @notice The guarantee contract drawn on default.
    /// @return Its address.
    function guarantees() external view returns (address);

    /// @notice The payment token repayments and payouts are made in.
    /// @return Its address.
    function token() external view returns (address);
}

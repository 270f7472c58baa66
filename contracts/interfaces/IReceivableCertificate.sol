// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";

/// @title IReceivableCertificate
/// @notice ERC-1155 certificates of a core enterprise's payable: roots are receivables as issued,
///         children are made by splitting. One unit is a claim on one payment-token unit at maturity.
interface IReceivableCertificate is IERC1155 {
    /// @notice Status of a root (and so of every certificate descending from it).
    /// 0 none (unknown id), 1 active, 2 paid, 3 defaulted.

    /// @notice A financier set its credit line for `debtor`.
    event CreditLineSet(address indexed financier, address indexed debtor, uint256 limit);
    /// @notice A receivable was issued: `faceValue` units of the new root minted to `supplier`.
    event ReceivableIssued(
        uint256 indexed rootId,
        address indexed debtor,
        address indexed supplier,
        uint256 faceValue,
        uint64 maturity,
        bytes32 documentHash
    );
    /// @notice `holder` split part of its balance of `parentId` into new child certificates.
    event CertificateSplit(
        uint256 indexed parentId,
        uint256 indexed rootId,
        address indexed holder,
        uint256[] childIds,
        address[] recipients,
        uint256[] amounts
    );
    /// @notice The settlement escrow allowed to close roots and redeem units was set (once).
    event SettlementEscrowSet(address indexed escrow);
    /// @notice The loan desk, the custodian that may hold pledged units, was set (once).
    event LoanDeskSet(address indexed desk);
    /// @notice The policy maximum tier was changed.
    event MaxTierSet(uint256 maxTier);
    /// @notice Certificate movements were paused / unpaused by `account`.
    event Paused(address account);
    event Unpaused(address account);

    error InvalidFaceValue(uint256 faceValue);
    error MaturityNotInFuture(uint64 maturity, uint256 timestamp);
    error InvalidDocumentHash();
    error DocumentAlreadyUsed(bytes32 documentHash, uint256 rootId);
    error CreditLimitExceeded(address debtor, uint256 outstanding, uint256 faceValue, uint256 limit);
    error InvalidCreditLine(uint256 limit);
    error UnknownCertificate(uint256 id);
    error RootClosed(uint256 rootId, uint8 status);
    error RootNotClosed(uint256 rootId);
    error InvalidSplitLength(uint256 recipients, uint256 amounts, uint256 maxChildren);
    error ZeroSplitAmount(uint256 index);
    error TierLimitExceeded(uint256 tier, uint256 maxTier);
    error InvalidMaxTier(uint256 maxTier);
    error NotSettlementEscrow(address caller);
    error SettlementEscrowAlreadySet(address escrow);
    error InvalidSettlementEscrow(address escrow);
    error InvalidCloseStatus(uint8 status);
    error EnforcedPause();
    /// @notice The loan desk cannot be the zero address.
    error InvalidLoanDesk(address desk);
    /// @notice The loan desk is wired already (to `desk`).
    error LoanDeskAlreadySet(address desk);
    /// @notice Units go to the loan desk only through its own `requestLoan`; `operator` tried to send them.
    error LoanDeskDepositRefused(address operator);
    error ExpectedPause();

    /// @notice Sets the caller's (a financier's) credit line for `debtor`.
    function setCreditLine(address debtor, uint256 limit) external;

    /// @notice Sum of all financiers' credit lines for `debtor`.
    function creditLimit(address debtor) external view returns (uint256);

    /// @notice One financier's credit line for `debtor`.
    function creditLine(address financier, address debtor) external view returns (uint256);

    /// @notice Face value of `debtor`'s roots not yet closed.
    function outstanding(address debtor) external view returns (uint256);

    /// @notice Issues a receivable owed by the caller to `supplier`; returns the new root id.
    function issue(address supplier, uint256 faceValue, uint64 maturity, bytes32 documentHash)
        external
        returns (uint256 rootId);

    /// @notice Splits the caller's balance of `id` into new children, `amounts[i]` units to `to[i]`.
    function split(uint256 id, address[] calldata to, uint256[] calldata amounts)
        external
        returns (uint256[] memory childIds);

    /// @notice Lineage and root data of a certificate; all zero for an unknown id.
    function certificate(uint256 id)
        external
        view
        returns (
            uint256 rootId,
            uint256 parentId,
            uint256 tier,
            uint256 amount,
            address debtor,
            uint64 maturity,
            uint8 status
        );

    /// @notice The root issued against `documentHash`, 0 when unused.
    function receivableOf(bytes32 documentHash) external view returns (uint256 rootId);

    /// @notice Stops issue, split, transfer and financing (never repayment or claims).
    function pause() external;

    /// @notice Resumes certificate movements.
    function unpause() external;

    /// @notice Whether movements are paused.
    function paused() external view returns (bool);

    /// @notice Highest tier a split may create.
    function maxTier() external view returns (uint256);

    /// @notice Largest number of children one split may create.
    function maxSplitChildren() external pure returns (uint256);

    /// @notice The id the next certificate will get.
    function nextId() external view returns (uint256);

    /// @notice The settlement escrow (zero until wired).
    function settlementEscrow() external view returns (address);

    /// @notice Wires the loan desk, once (DEFAULT_ADMIN_ROLE): the one custodian that may hold units without being a
    ///         member, filled only by its own `requestLoan`.
    /// @param desk the LoanDesk contract
    function setLoanDesk(address desk) external;

    /// @notice The loan desk (zero until wired).
    /// @return the LoanDesk contract
    function loanDesk() external view returns (address);

    /// @notice Escrow only: closes an active root as paid (2) or defaulted (3); returns its face value.
    function close(uint256 rootId, uint8 status) external returns (uint256 faceValue);

    /// @notice Escrow only: burns `holder`'s whole balance of `id`, whose root must be closed.
    /// @return rootId the certificate's root
    /// @return units the units burned
    function redeem(address holder, uint256 id) external returns (uint256 rootId, uint256 units);
}

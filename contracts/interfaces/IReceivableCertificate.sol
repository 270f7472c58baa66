// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title IReceivableCertificate
/// @notice ERC-1155 certificates of a core enterprise's payable: roots are receivables as issued,
///         children are made by splitting. One unit is a claim on one payment-token unit at maturity.
///         A root's status (and so every descendant's): 0 none (unknown id), 1 active, 2 paid, 3 defaulted.
interface IReceivableCertificate is IERC1155, IConsortiumGated {
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
    /// @notice The settlement escrow allowed to close roots and redeem units, fixed at deployment (the constructor's).
    event SettlementEscrowSet(address indexed escrow);
    /// @notice The loan desk, the custodian that may hold pledged units, fixed at deployment (the constructor's).
    event LoanDeskSet(address indexed desk);
    /// @notice The financing desk, fixed at deployment (the constructor's): holders' approvals of it, and of the
    ///         loan desk, are kept beside their membership flags (a sale or a loan request reads one slot for both).
    event FinancingDeskSet(address indexed desk);
    /// @notice The policy maximum tier was changed.
    event MaxTierSet(uint256 maxTier);
    /// @notice Certificate movements were paused by `account`.
    event Paused(address account);
    /// @notice Certificate movements were resumed by `account`.
    event Unpaused(address account);

    /// @notice A face value must be > 0 and < 2**128.
    error InvalidFaceValue(uint256 faceValue);
    /// @notice A maturity must be after the current block's timestamp.
    error MaturityNotInFuture(uint64 maturity, uint256 timestamp);
    /// @notice A receivable needs a non-zero document hash.
    error InvalidDocumentHash();
    /// @notice The document hash already backs root `rootId`.
    error DocumentAlreadyUsed(bytes32 documentHash, uint256 rootId);
    /// @notice Issuing `faceValue` would take `debtor`'s outstanding past its credit limit.
    error CreditLimitExceeded(address debtor, uint256 outstanding, uint256 faceValue, uint256 limit);
    /// @notice The credit line would take the debtor's limit to 2**128 or more.
    error InvalidCreditLine(uint256 limit);
    /// @notice No certificate has id `id`.
    error UnknownCertificate(uint256 id);
    /// @notice The root is closed (`status` 2 paid, 3 defaulted): its certificates no longer move.
    error RootClosed(uint256 rootId, uint8 status);
    /// @notice The root is still active: its units cannot be redeemed yet.
    error RootNotClosed(uint256 rootId);
    /// @notice A split needs 1..`maxChildren` recipients and as many amounts.
    error InvalidSplitLength(uint256 recipients, uint256 amounts, uint256 maxChildren);
    /// @notice Split amount number `index` is zero.
    error ZeroSplitAmount(uint256 index);
    /// @notice The children would be at `tier`, past the policy maximum.
    error TierLimitExceeded(uint256 tier, uint256 maxTier);
    /// @notice The maximum tier must be within 2..2**32-1.
    error InvalidMaxTier(uint256 maxTier);
    /// @notice Only the settlement escrow may close roots and redeem units.
    error NotSettlementEscrow(address caller);
    /// @notice The settlement escrow cannot be the zero address.
    error InvalidSettlementEscrow(address escrow);
    /// @notice A root closes only as paid (2) or defaulted (3).
    error InvalidCloseStatus(uint8 status);
    /// @notice Movements are paused.
    error EnforcedPause();
    /// @notice Movements are not paused.
    error ExpectedPause();
    /// @notice The loan desk cannot be the zero address, nor the escrow's.
    error InvalidLoanDesk(address desk);
    /// @notice The financing desk cannot be the zero address, nor the escrow's or the loan desk's.
    error InvalidFinancingDesk(address desk);
    /// @notice Only the financing desk moves units by `sell`.
    error NotFinancingDesk(address caller);
    /// @notice Units go to the loan desk only through its own `requestLoan`; `operator` tried to send them.
    error LoanDeskDepositRefused(address operator);

    /// @notice Sets the highest tier a split may create. DEFAULT_ADMIN_ROLE.
    /// @param maxTier_ The new maximum (2..2**32-1).
    function setMaxTier(uint256 maxTier_) external;

    /// @notice Sets the caller's (a financier's) credit line for `debtor`.
    /// @param debtor The core enterprise given credit.
    /// @param limit The caller's line; the debtor's limit is the sum of all lines.
    function setCreditLine(address debtor, uint256 limit) external;

    /// @notice Sum of all financiers' credit lines for `debtor`.
    /// @param debtor The debtor.
    /// @return The credit limit.
    function creditLimit(address debtor) external view returns (uint256);

    /// @notice One financier's credit line for `debtor`.
    /// @param financier The financier.
    /// @param debtor The debtor.
    /// @return The line.
    function creditLine(address financier, address debtor) external view returns (uint256);

    /// @notice Face value of `debtor`'s roots not yet closed.
    /// @param debtor The debtor.
    /// @return The outstanding face value.
    function outstanding(address debtor) external view returns (uint256);

    /// @notice Issues a receivable owed by the caller to `supplier`; returns the new root id.
    /// @param supplier An active supplier receiving the `faceValue` units.
    /// @param faceValue Units (= payment-token units owed at maturity), > 0, < 2**128, within the credit limit.
    /// @param maturity When the debt is due (in the future).
    /// @param documentHash Merkle root of the trade documents, non-zero, never used before.
    /// @return rootId The new root's id.
    function issue(address supplier, uint256 faceValue, uint64 maturity, bytes32 documentHash)
        external
        returns (uint256 rootId);

    /// @notice Splits the caller's balance of `id` into new children, `amounts[i]` units to `to[i]`.
    /// @param id The certificate split (the caller keeps any remainder).
    /// @param to Active recipients, one per child.
    /// @param amounts Units of each child (> 0).
    /// @return childIds The new children's ids, consecutive.
    function split(uint256 id, address[] calldata to, uint256[] calldata amounts)
        external
        returns (uint256[] memory childIds);

    /// @notice Lineage and root data of a certificate; all zero for an unknown id.
    /// @param id The certificate.
    /// @return rootId Its root.
    /// @return parentId Its parent (0 for a root).
    /// @return tier 1 for a root, parent's tier + 1 for a child.
    /// @return amount Units it was created with.
    /// @return debtor The root's debtor.
    /// @return maturity The root's maturity.
    /// @return status The root's status: 0 none, 1 active, 2 paid, 3 defaulted.
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

    /// @notice What the desks check before acting on a certificate: its root, the root's maturity, status and
    ///         debtor's number. The part of `certificate` they need, from the records' words alone (`certificate`
    ///         also reads the debtor's address, a storage read more). Fields come as the record's words keep them
    ///         (uint256: no narrowing on either side; `certificate` gives them typed). Named for its selector,
    ///         0x5c3fc6c0: 15th in the viaIR dispatcher's ascending order, not 24th as `rootState` was (a desk's
    ///         call 198 gas less; it passes no hot selector: `paused`, 16th now, is read only by `fundLoan`, which
    ///         asks this too).
    /// @param id The certificate.
    /// @return rootId Its root (0 for an unknown id).
    /// @return maturity The root's maturity, below 2**64 (0 for an unknown id).
    /// @return status The root's status: 0 none, 1 active, 2 paid, 3 defaulted.
    /// @return debtorNumber_ The root's debtor's number (`debtorNumber`; 0 for an unknown id).
    function rootStatusOf(uint256 id)
        external
        view
        returns (uint256 rootId, uint256 maturity, uint256 status, uint256 debtorNumber_);

    /// @notice A debtor's number, which its roots' records keep instead of its address: given at its first
    ///         receivable (1, 2, ... in that order) and never changed; 0 for an address that never issued. Named
    ///         for its selector, 0xf2e29d14, after `safeTransferFrom`'s in the viaIR dispatcher's ascending order
    ///         (a transfer does not pay for passing it).
    /// @param debtor An address.
    /// @return Its number, or 0.
    function debtorNumber(address debtor) external view returns (uint256);

    /// @notice The root issued against `documentHash`, 0 when unused.
    /// @param documentHash A document's Merkle root.
    /// @return rootId The root, or 0.
    function receivableOf(bytes32 documentHash) external view returns (uint256 rootId);

    /// @notice Stops issue, split, transfer and financing (never repayment or claims). DEFAULT_ADMIN_ROLE.
    function pause() external;

    /// @notice Resumes certificate movements. DEFAULT_ADMIN_ROLE.
    function unpause() external;

    /// @notice Whether movements are paused.
    /// @return True while paused.
    function paused() external view returns (bool);

    /// @notice Highest tier a split may create.
    /// @return The maximum tier.
    function maxTier() external view returns (uint256);

    /// @notice Largest number of children one split may create.
    /// @return The bound.
    function maxSplitChildren() external pure returns (uint256);

    /// @notice The id the next certificate will get.
    /// @return The next id.
    function nextId() external view returns (uint256);

    /// @notice The settlement escrow, fixed at deployment.
    /// @return Its address.
    function settlementEscrow() external view returns (address);

    /// @notice The loan desk, fixed at deployment: the one custodian that may hold units without being a member,
    ///         filled only by its own `requestLoan`.
    /// @return the LoanDesk contract
    function loanDesk() external view returns (address);

    /// @notice The financing desk, fixed at deployment.
    /// @return the FinancingDesk contract
    function financingDesk() external view returns (address);

    /// @notice Financing desk only, for its `finance`: moves `amount` of `id` from `seller` to `financier` under
    ///         every rule of a `safeTransferFrom` the desk would make as the seller's operator (the seller's approval
    ///         of the desk, pause, both ends active, the root open, the balance; TransferSingle with the desk as
    ///         operator; a contract financier's acceptance), and returns the root's terms the desk prices and
    ///         matches the sale with: one call instead of a read and a transfer.
    /// @param seller The holder selling (the desk's caller).
    /// @param financier The offer's financier.
    /// @param id The certificate sold.
    /// @param amount The units sold.
    /// @return maturity the root's maturity
    /// @return debtorNumber_ the root's debtor's number (`debtorNumber`)
    function sell(address seller, address financier, uint256 id, uint256 amount)
        external
        returns (uint256 maturity, uint256 debtorNumber_);

    /// @notice Escrow only: closes an active root as paid (2) or defaulted (3); returns its face value.
    /// @param rootId An active root.
    /// @param status 2 paid or 3 defaulted.
    /// @return faceValue The root's face value.
    function close(uint256 rootId, uint8 status) external returns (uint256 faceValue);

    /// @notice Escrow only: burns `holder`'s whole balance of `id`, whose root must be closed.
    /// @param holder Whose units are burned.
    /// @param id A certificate of a closed root.
    /// @return rootId the certificate's root
    /// @return units the units burned
    /// @return status the root's status, 2 paid or 3 defaulted (a paid root recovered its face value: a unit pays
    ///         one token, and the escrow need not read its closing)
    function redeem(address holder, uint256 id) external returns (uint256 rootId, uint256 units, uint256 status);
}

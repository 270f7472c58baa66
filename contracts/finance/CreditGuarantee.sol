// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ICreditGuarantee} from "../interfaces/ICreditGuarantee.sol";
import {ISettlementEscrow} from "../interfaces/ISettlementEscrow.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title CreditGuarantee
/// @notice Collateral that credit-enhancement institutions post behind a debtor. A guarantee covers the
///         debtor's receivables maturing on or before its expiry; on default the escrow draws the
///         shortfall from the debtor's guarantees, oldest first.
/// @dev A receivable maturing at `expiry` can only be declared defaulted `gracePeriod` later, so a guarantee
///      is releasable only after `expiry + gracePeriod`: releasing at expiry would let a guarantor walk away
///      from exactly the defaults it guaranteed. Each default scans at most MAX_SCANNED guarantees from a
///      per-debtor cursor that skips exhausted and released ones, which bounds its gas.
contract CreditGuarantee is ConsortiumGated, ReentrancyGuardTransient, ICreditGuarantee {
    using SafeERC20 for IERC20;

    uint256 private constant MAX_SCANNED = 32;
    bytes32 private constant ADMIN_ROLE = 0x00;

    struct Guarantee {
        address guarantor;
        uint64 expiry;
        bool released;
        address debtor;
        uint128 amount;
        uint128 used;
    }

    IERC20 private immutable _token;
    address private _escrow;
    uint256 private _count;
    mapping(uint256 guaranteeId => Guarantee) private _guarantees;
    mapping(address debtor => uint256[] guaranteeIds) private _byDebtor;
    mapping(address debtor => uint256 index) private _cursor;

    constructor(IConsortium consortium_, IERC20 token_) ConsortiumGated(consortium_) {
        _token = token_;
    }

    /// @notice Wires the settlement escrow, once. DEFAULT_ADMIN_ROLE.
    function setSettlementEscrow(address escrow) external onlyConsortiumRole(ADMIN_ROLE) {
        if (escrow == address(0)) revert InvalidSettlementEscrow(escrow);
        if (_escrow != address(0)) revert SettlementEscrowAlreadySet(_escrow);
        _escrow = escrow;
        emit SettlementEscrowSet(escrow);
    }

    /// @inheritdoc ICreditGuarantee
    function provide(address debtor, uint256 amount, uint64 expiry)
        external
        nonReentrant
        onlyActiveRole(Roles.GUARANTOR)
        returns (uint256 guaranteeId)
    {
        if (debtor == address(0)) revert InvalidDebtor(debtor);
        if (amount == 0 || amount > type(uint128).max) revert InvalidAmount(amount);
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        guaranteeId = ++_count;
        _guarantees[guaranteeId] = Guarantee({
            guarantor: msg.sender,
            expiry: expiry,
            released: false,
            debtor: debtor,
            amount: uint128(amount),
            used: 0
        });
        _byDebtor[debtor].push(guaranteeId);
        emit GuaranteeProvided(guaranteeId, msg.sender, debtor, amount, expiry);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ICreditGuarantee
    function available(address debtor) external view returns (uint256 total) {
        uint256[] storage ids = _byDebtor[debtor];
        for (uint256 i = _cursor[debtor]; i < ids.length; ++i) {
            Guarantee storage g = _guarantees[ids[i]];
            if (!g.released && block.timestamp <= g.expiry) total += g.amount - g.used;
        }
    }

    /// @inheritdoc ICreditGuarantee
    function release(uint256 guaranteeId) external nonReentrant {
        Guarantee storage g = _guarantees[guaranteeId];
        if (g.guarantor == address(0)) revert UnknownGuarantee(guaranteeId);
        if (g.guarantor != msg.sender) revert NotGuarantor(guaranteeId, msg.sender);
        if (g.released) revert GuaranteeAlreadyReleased(guaranteeId);
        uint256 at = _releasableAt(g.expiry);
        if (block.timestamp < at) revert GuaranteeLocked(guaranteeId, at);
        g.released = true;
        uint256 amount = g.amount - g.used;
        emit GuaranteeReleased(guaranteeId, amount);
        if (amount != 0) _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ICreditGuarantee
    function cover(address debtor, uint256 rootId, uint64 maturity, uint256 shortfall)
        external
        nonReentrant
        returns (uint256 covered)
    {
        if (msg.sender != _escrow) revert NotSettlementEscrow(msg.sender);
        uint256[] storage ids = _byDebtor[debtor];
        uint256 start = _cursor[debtor];
        uint256 end = ids.length < start + MAX_SCANNED ? ids.length : start + MAX_SCANNED;
        uint256 cursor = start;
        for (uint256 i = start; i < end && covered < shortfall; ++i) {
            uint256 id = ids[i];
            Guarantee storage g = _guarantees[id];
            if (!g.released && maturity <= g.expiry) {
                uint256 left = g.amount - g.used;
                uint256 take = shortfall - covered < left ? shortfall - covered : left;
                if (take != 0) {
                    g.used += uint128(take);
                    covered += take;
                    emit GuaranteeCalled(id, rootId, take);
                }
            }
            // Entries at the front that can never pay again are skipped by later defaults.
            if (i == cursor && (g.released || g.used == g.amount)) ++cursor;
        }
        if (cursor != start) _cursor[debtor] = cursor;
        if (covered != 0) _token.safeTransfer(msg.sender, covered);
    }

    /// @inheritdoc ICreditGuarantee
    function guarantee(uint256 guaranteeId)
        external
        view
        returns (address guarantor, address debtor, uint256 amount, uint256 used, uint64 expiry, bool released)
    {
        Guarantee storage g = _guarantees[guaranteeId];
        return (g.guarantor, g.debtor, g.amount, g.used, g.expiry, g.released);
    }

    /// @inheritdoc ICreditGuarantee
    function releasableAt(uint256 guaranteeId) external view returns (uint256) {
        Guarantee storage g = _guarantees[guaranteeId];
        if (g.guarantor == address(0)) revert UnknownGuarantee(guaranteeId);
        return _releasableAt(g.expiry);
    }

    /// @inheritdoc ICreditGuarantee
    function maxGuaranteesScanned() external pure returns (uint256) {
        return MAX_SCANNED;
    }

    /// @notice The payment token collateral is held in.
    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The settlement escrow allowed to call guarantees.
    function settlementEscrow() external view returns (address) {
        return _escrow;
    }

    /// @notice Number of guarantees ever provided (ids are 1..count).
    function guaranteeCount() external view returns (uint256) {
        return _count;
    }

    function _releasableAt(uint64 expiry) private view returns (uint256) {
        uint256 grace = _escrow == address(0) ? 0 : ISettlementEscrow(_escrow).gracePeriod();
        return uint256(expiry) + grace + 1;
    }
}

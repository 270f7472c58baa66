// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ICreditGuarantee} from "../interfaces/ICreditGuarantee.sol";
import {IReceivableCertificate} from "../interfaces/IReceivableCertificate.sol";
import {ISettlementEscrow} from "../interfaces/ISettlementEscrow.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {Roles} from "../libraries/Roles.sol";
import {RootStatus} from "../libraries/RootStatus.sol";

/// @title SettlementEscrow
/// @notice Clearing of receivables: repayments accumulate per root; a fully repaid root closes as paid, an
///         overdue one can be declared defaulted and is topped up from the debtor's guarantees. Holders of a
///         closed root's certificates are paid `units * recovered / faceValue` and their units are burned.
/// @dev Claims depend on nothing but the holder's balance: not on pause, membership or other holders, and
///      their cost is the same whatever the size of the tree (one lineage read per certificate).
contract SettlementEscrow is ConsortiumGated, ReentrancyGuardTransient, ISettlementEscrow {
    using SafeERC20 for IERC20;

    /// @dev Written once when a root closes: everything a claim needs, in one slot, so that a claim costs
    ///      the same for a root and for a certificate deep in its tree.
    struct Closing {
        uint128 recovered;
        uint128 faceValue;
    }

    /// @dev What `settleOne` returns when the certificate refused the redemption (no payout is ever this large).
    uint256 private constant REFUSED = type(uint256).max;

    IReceivableCertificate private immutable _certificates;
    ICreditGuarantee private immutable _guarantees;
    IERC20 private immutable _token;
    uint256 private immutable _gracePeriod;
    mapping(uint256 rootId => uint256 paid) private _paid;
    mapping(uint256 rootId => Closing) private _closings;

    constructor(
        IConsortium consortium_,
        IReceivableCertificate certificates_,
        ICreditGuarantee guarantees_,
        IERC20 token_,
        uint256 gracePeriod_
    ) ConsortiumGated(consortium_) {
        // The certificate fixed its escrow's address before this existed: refuse any other.
        address named = certificates_.settlementEscrow();
        if (named != address(this)) revert NotTheCertificatesEscrow(address(certificates_), named);
        _certificates = certificates_;
        _guarantees = guarantees_;
        _token = token_;
        _gracePeriod = gracePeriod_;
    }

    /// @inheritdoc ISettlementEscrow
    function repay(uint256 rootId, uint256 amount) external nonReentrant {
        (uint256 faceValue,,) = _activeRoot(rootId);
        if (amount == 0) revert InvalidAmount(amount);
        uint256 paidBefore = _paid[rootId];
        // Compared with what is left (not `paidBefore + amount`) so that any amount, 2**256-1 included,
        // gets Overpayment rather than an arithmetic panic.
        uint256 remaining = faceValue - paidBefore;
        if (amount > remaining) revert Overpayment(rootId, remaining, amount);
        uint256 total = paidBefore + amount;
        _token.safeTransferFrom(msg.sender, address(this), amount);
        _paid[rootId] = total;
        emit Repaid(rootId, msg.sender, amount, total);
        if (total == faceValue) {
            // faceValue < 2**128, checked at issue; SafeCast keeps that an enforced fact here too.
            _closings[rootId] =
                Closing({recovered: SafeCast.toUint128(total), faceValue: SafeCast.toUint128(faceValue)});
            _certificates.close(rootId, RootStatus.PAID);
            emit ReceivableClosed(rootId, RootStatus.PAID, total);
        }
    }

    /// @inheritdoc ISettlementEscrow
    function declareDefault(uint256 rootId) external nonReentrant {
        (uint256 faceValue, address debtor, uint64 maturity) = _activeRoot(rootId);
        uint256 declarableAt = uint256(maturity) + _gracePeriod;
        if (block.timestamp < declarableAt) revert DefaultTooEarly(rootId, declarableAt);
        uint256 paidSoFar = _paid[rootId];
        uint256 covered = _guarantees.cover(debtor, rootId, maturity, faceValue - paidSoFar);
        uint256 total = paidSoFar + covered;
        _closings[rootId] =
            Closing({recovered: SafeCast.toUint128(total), faceValue: SafeCast.toUint128(faceValue)});
        _certificates.close(rootId, RootStatus.DEFAULTED);
        emit DefaultDeclared(rootId, paidSoFar, covered);
        emit ReceivableClosed(rootId, RootStatus.DEFAULTED, total);
    }

    /// @inheritdoc ISettlementEscrow
    function claim(uint256[] calldata ids) external nonReentrant returns (uint256 payout) {
        for (uint256 i; i < ids.length; ++i) {
            payout += _redeem(ids[i], msg.sender);
        }
        if (payout == 0) revert NothingToClaim(msg.sender);
        _token.safeTransfer(msg.sender, payout);
    }

    /// @inheritdoc ISettlementEscrow
    function settle(uint256[] calldata ids, address[] calldata holders)
        external
        nonReentrant
        onlyConsortiumRole(Roles.CLEARING)
        returns (uint256 payout)
    {
        if (ids.length != holders.length) revert LengthMismatch(ids.length, holders.length);
        for (uint256 i; i < ids.length; ++i) {
            // One holder whose payout fails (a token blocklist, say) must not stop the batch: each pair
            // runs in its own call frame, and a failed one leaves that holder's units to claim later. A zero
            // balance pays nothing and emits nothing.
            bool done = false;
            uint256 paidOut = 0;
            try this.settleOne(ids[i], holders[i]) returns (uint256 result) {
                (done, paidOut) = (true, result);
            } catch {}
            if (done && paidOut != REFUSED) {
                payout += paidOut;
            } else {
                // The certificate refused: an unknown id or an open root stops the whole batch, as a claim.
                if (done) _checkSettleable(ids[i]);
                emit SettlementFailed(ids[i], holders[i]);
            }
        }
    }

    /// @inheritdoc ISettlementEscrow
    function settleOne(uint256 id, address holder) external returns (uint256 payout) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        uint256 rootId = 0;
        uint256 units = 0;
        uint256 status = 0;
        // Refused (unknown id, open root): `settle` raises the reason in its own frame, where it stops the batch.
        try _certificates.redeem(holder, id) returns (uint256 root, uint256 burned, uint256 closedAs) {
            (rootId, units, status) = (root, burned, closedAs);
        } catch {
            return REFUSED;
        }
        if (units == 0) return 0;
        payout = _payout(id, rootId, status, holder, units);
        if (payout != 0) _token.safeTransfer(holder, payout);
    }

    /// @inheritdoc ISettlementEscrow
    function paid(uint256 rootId) external view returns (uint256) {
        return _paid[rootId];
    }

    /// @inheritdoc ISettlementEscrow
    function recovered(uint256 rootId) external view returns (uint256) {
        return _closings[rootId].recovered;
    }

    /// @inheritdoc ISettlementEscrow
    function gracePeriod() external view returns (uint256) {
        return _gracePeriod;
    }

    /// @inheritdoc ISettlementEscrow
    function claimable(uint256 id, address holder) external view returns (uint256) {
        (uint256 rootId,, uint256 status,) = _certificates.rootStatusOf(id);
        if (rootId == 0 || status == RootStatus.ACTIVE) return 0;
        Closing memory c = _closings[rootId];
        return _certificates.balanceOf(holder, id) * c.recovered / c.faceValue;
    }

    /// @inheritdoc ISettlementEscrow
    function certificates() external view returns (address) {
        return address(_certificates);
    }

    /// @inheritdoc ISettlementEscrow
    function guarantees() external view returns (address) {
        return address(_guarantees);
    }

    /// @inheritdoc ISettlementEscrow
    function token() external view returns (address) {
        return address(_token);
    }

    /// @dev Burns `holder`'s whole balance of `id` and returns its payout (rounded down).
    function _redeem(uint256 id, address holder) private returns (uint256 payout) {
        (uint256 rootId, uint256 units, uint256 status) = _certificates.redeem(holder, id);
        if (units == 0) return 0;
        payout = _payout(id, rootId, status, holder, units);
    }

    /// @dev The payout of `units` burned units of `id`, of a root closed as `status` (rounded down), announced. A
    ///      paid root recovered its face value (`repay` closes it at `paid == faceValue`): a unit pays one token, the
    ///      formula's result, without reading the closing.
    function _payout(uint256 id, uint256 rootId, uint256 status, address holder, uint256 units)
        private
        returns (uint256 payout)
    {
        if (status == RootStatus.PAID) {
            payout = units;
        } else {
            Closing memory c = _closings[rootId];
            payout = units * c.recovered / c.faceValue;
        }
        emit Claimed(id, rootId, holder, units, payout);
    }

    /// @dev Reverts as a claim would for an unknown id or an open root; returns for a certificate of a closed root.
    function _checkSettleable(uint256 id) private view {
        (uint256 rootId,, uint256 status,) = _certificates.rootStatusOf(id);
        if (rootId == 0) revert IReceivableCertificate.UnknownCertificate(id);
        if (status == RootStatus.ACTIVE) revert IReceivableCertificate.RootNotClosed(rootId);
    }

    /// @dev Face value, debtor and maturity of an active root.
    function _activeRoot(uint256 rootId) private view returns (uint256 faceValue, address debtor, uint64 maturity) {
        uint256 root;
        uint256 parent;
        uint8 status;
        (root, parent,, faceValue, debtor, maturity, status) = _certificates.certificate(rootId);
        if (root == 0) revert IReceivableCertificate.UnknownCertificate(rootId);
        if (root != rootId) revert NotARoot(rootId);
        if (status != RootStatus.ACTIVE) revert RootNotActive(rootId, status);
    }
}

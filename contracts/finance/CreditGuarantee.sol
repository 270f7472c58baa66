// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ICreditGuarantee} from "../interfaces/ICreditGuarantee.sol";
import {ISettlementEscrow} from "../interfaces/ISettlementEscrow.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {Roles} from "../libraries/Roles.sol";
import {ExpiryTree} from "../libraries/ExpiryTree.sol";

/// @title CreditGuarantee
/// @notice Collateral that credit-enhancement institutions post behind a debtor. A guarantee covers the
///         debtor's receivables maturing on or before its expiry; on default the escrow draws the
///         shortfall from the debtor's guarantees, oldest first.
/// @dev A receivable maturing at `expiry` can only be declared defaulted `gracePeriod` later, so a guarantee
///      is releasable only after `expiry + gracePeriod`: releasing at expiry would let a guarantor walk away
///      from exactly the defaults it guaranteed. Each debtor's guarantees sit, in the order provided, under
///      an ExpiryTree whose leaf is the guarantee's expiry while it has collateral left and is not released
///      (0 after). A default finds the oldest covering guarantee with collateral left in O(log n) reads,
///      however many non-covering, exhausted or released ones come first, and pays a bounded cost per
///      guarantee it draws (see `cover`).
contract CreditGuarantee is ConsortiumGated, ReentrancyGuardTransient, ICreditGuarantee {
    using SafeERC20 for IERC20;
    using ExpiryTree for ExpiryTree.Tree;

    bytes32 private constant ADMIN_ROLE = 0x00;

    /// @dev Three slots: who and until when, whose and where in the debtor's tree, how much.
    struct Guarantee {
        address guarantor;
        uint64 expiry;
        bool released;
        address debtor;
        uint96 position;
        uint128 amount;
        uint128 used;
    }

    /// @dev A debtor's guarantees: the tree over their positions, and the guarantee id at each position,
    ///      four 64-bit ids a word (a draw reads a new word every fourth guarantee, a provide writes one).
    struct Book {
        ExpiryTree.Tree tree;
        mapping(uint256 positionDiv4 => uint256 packedIds) ids;
    }

    uint256 private constant ID_BITS = 64;
    uint256 private constant ID_MASK = type(uint64).max;

    IERC20 private immutable _token;
    address private _escrow;
    uint256 private _count;
    mapping(uint256 guaranteeId => Guarantee) private _guarantees;
    mapping(address debtor => Book) private _books;

    constructor(IConsortium consortium_, IERC20 token_) ConsortiumGated(consortium_) {
        _token = token_;
    }

    /// @inheritdoc ICreditGuarantee
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
        Book storage book = _books[debtor];
        uint256 position = book.tree.push(expiry);
        // Ids are < 2**64 (SafeCast): `_count` grows by one per provide.
        book.ids[position >> 2] |= uint256(SafeCast.toUint64(guaranteeId)) << ((position & 3) * ID_BITS);
        _guarantees[guaranteeId] = Guarantee({
            guarantor: msg.sender,
            expiry: expiry,
            released: false,
            debtor: debtor,
            position: SafeCast.toUint96(position),
            amount: SafeCast.toUint128(amount),
            used: 0
        });
        emit GuaranteeProvided(guaranteeId, msg.sender, debtor, amount, expiry);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ICreditGuarantee
    /// @dev Visits only the guarantees it counts (unexpired, unreleased, collateral left), each found in
    ///      O(log n) reads: exhausted, released and expired ones cost nothing.
    function available(address debtor) external view returns (uint256 total) {
        Book storage book = _books[debtor];
        (bool found, uint256 position) = book.tree.findNext(block.timestamp, 0);
        while (found) {
            Guarantee storage g = _guarantees[_idAt(book, position)];
            total += g.amount - g.used;
            (found, position) = book.tree.findNext(block.timestamp, position + 1);
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
        // An exhausted guarantee already left the tree when its last unit was drawn.
        if (amount != 0) _books[g.debtor].tree.clear(g.position);
        emit GuaranteeReleased(guaranteeId, amount);
        if (amount != 0) _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ICreditGuarantee
    /// @dev Each step finds the oldest guarantee still in the tree whose expiry is >= `maturity` (a covering
    ///      guarantee with collateral left), draws from it, and removes it from the tree once used up. The
    ///      cost is O(log n) reads to skip any number of guarantees that cannot pay, plus a fixed cost per
    ///      guarantee drawn (see the gas table); only guarantees that actually pay are visited.
    function cover(address debtor, uint256 rootId, uint64 maturity, uint256 shortfall)
        external
        nonReentrant
        returns (uint256 covered)
    {
        if (msg.sender != _escrow) revert NotSettlementEscrow(msg.sender);
        Book storage book = _books[debtor];
        uint256 from;
        while (covered < shortfall) {
            (bool found, uint256 position) = book.tree.findNext(maturity, from);
            if (!found) break;
            uint256 id = _idAt(book, position);
            Guarantee storage g = _guarantees[id];
            uint256 used = g.used;
            uint256 left = g.amount - used;
            uint256 take = shortfall - covered < left ? shortfall - covered : left;
            g.used = SafeCast.toUint128(used + take);
            covered += take;
            emit GuaranteeCalled(id, rootId, take);
            if (take == left) book.tree.clear(position);
            from = position + 1;
        }
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
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc ICreditGuarantee
    function settlementEscrow() external view returns (address) {
        return _escrow;
    }

    /// @inheritdoc ICreditGuarantee
    function guaranteeCount() external view returns (uint256) {
        return _count;
    }

    function _idAt(Book storage book, uint256 position) private view returns (uint256) {
        return (book.ids[position >> 2] >> ((position & 3) * ID_BITS)) & ID_MASK;
    }

    function _releasableAt(uint64 expiry) private view returns (uint256) {
        uint256 grace = _escrow == address(0) ? 0 : ISettlementEscrow(_escrow).gracePeriod();
        return uint256(expiry) + grace + 1;
    }
}

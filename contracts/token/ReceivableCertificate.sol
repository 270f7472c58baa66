// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeanERC1155} from "./LeanERC1155.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {ERC1155Utils} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Utils.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IReceivableCertificate} from "../interfaces/IReceivableCertificate.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {Roles} from "../libraries/Roles.sol";
import {RootStatus} from "../libraries/RootStatus.sol";
import {CertificateRecord} from "../libraries/CertificateRecord.sol";

/// @title ReceivableCertificate
/// @notice ERC-1155 receivable certificates with on-chain lineage. A core enterprise issues a root
///         against its credit limit; holders split their balance into child certificates for their own
///         suppliers and transfer or sell them; the settlement escrow closes roots and redeems units.
/// @dev Each certificate is one storage word (`CertificateRecord`); a root's word holds its status, maturity, face
///      value and its debtor's number (a debtor's address is kept once, by number). Everything a movement needs
///      (root, status) is one slot read for a root and two for a child, so movement cost does not grow with the
///      tree; an issue writes one word for its root. Members' active flags are the consortium's, mirrored here
///      (`onMembershipChanged`, pushed by the consortium at every change), so a split or a movement checks its
///      ends without calling the consortium. Each account's word holds its flag and its approvals of the two
///      desks, so a sale or a loan request reads one slot for the holder's flag and approval.
contract ReceivableCertificate is LeanERC1155, ConsortiumGated, IReceivableCertificate, IMembershipMirror {
    using CertificateRecord for uint256;

    uint256 private constant MAX_SPLIT_CHILDREN = 64;
    uint32 private constant DEFAULT_MAX_TIER = 16;
    bytes32 private constant ADMIN_ROLE = 0x00;
    uint256 private constant ACTIVE_MEMBER = 1;
    uint256 private constant INACTIVE_MEMBER = 2;
    /// @dev An account's word (`_accounts`): its member flag in the low byte, then its approvals of the desks.
    uint256 private constant FLAG_MASK = 0xff;
    uint256 private constant APPROVES_FINANCING_DESK = 1 << 8;
    uint256 private constant APPROVES_LOAN_DESK = 1 << 9;

    /// @dev Packed so that issue and split read one slot for all of it.
    struct Config {
        uint40 nextId;
        uint32 maxTier;
        bool paused;
    }

    struct Credit {
        uint128 limit;
        uint128 outstanding;
    }

    /// @dev The settlement escrow (the one caller of `close` and `redeem`) and the loan desk (the one custodian),
    ///      fixed at deployment: the deployer knows their addresses before they exist (its next contract
    ///      addresses), and each refuses to be constructed for a certificate that names another. In the code, they
    ///      cost a claim, a settlement and a custody transfer no storage read.
    address private immutable _escrow;
    address private immutable _loanDesk;
    address private immutable _financingDesk;

    Config private _config;
    mapping(uint256 id => uint256 record) private _records;
    mapping(bytes32 documentHash => uint256 rootId) private _receivableOf;
    mapping(address debtor => Credit) private _credit;
    mapping(address financier => mapping(address debtor => uint256 limit)) private _creditLines;
    /// @dev Debtors by number, from 1, given at a debtor's first receivable and never changed.
    uint256 private _debtorCount;
    mapping(address debtor => uint256 number) private _debtorNumbers;
    mapping(uint256 number => address debtor) private _debtors;
    /// @dev Per account, in its low byte the consortium's active flag as it pushes it: ACTIVE_MEMBER, or
    ///      INACTIVE_MEMBER once a member is suspended (0 only for accounts never onboarded). Not a bool: a
    ///      suspension then rewrites a non-zero word and a reinstatement does too (2,900 gas), instead of clearing it
    ///      and creating it again (20,000). Above it, the account's approvals of the financing desk and the loan
    ///      desk (`APPROVES_*`; other operators' are LeanERC1155's): the desks move a holder's units after checking
    ///      both, and one slot saves a sale and a loan request a cold read (2,100 gas).
    mapping(address account => uint256 word) private _accounts;

    /// @param consortium_ Members and roles.
    /// @param uri_ The ERC-1155 metadata URI.
    /// @param escrow_ The SettlementEscrow that will be deployed for this certificate (non-zero).
    /// @param loanDesk_ The LoanDesk that will be deployed for this certificate (non-zero).
    /// @param financingDesk_ The FinancingDesk that will be deployed for this certificate (non-zero).
    constructor(
        IConsortium consortium_,
        string memory uri_,
        address escrow_,
        address loanDesk_,
        address financingDesk_
    )
        LeanERC1155(uri_)
        ConsortiumGated(consortium_)
    {
        if (escrow_ == address(0)) revert InvalidSettlementEscrow(escrow_);
        if (loanDesk_ == address(0) || loanDesk_ == escrow_) revert InvalidLoanDesk(loanDesk_);
        if (financingDesk_ == address(0) || financingDesk_ == escrow_ || financingDesk_ == loanDesk_) {
            revert InvalidFinancingDesk(financingDesk_);
        }
        // The consortium pushes its members' flags to the one certificate contract it names: refuse another.
        address named = consortium_.certificates();
        if (named != address(this)) revert NotTheConsortiumsCertificates(address(consortium_), named);
        _escrow = escrow_;
        _loanDesk = loanDesk_;
        _financingDesk = financingDesk_;
        _config = Config({nextId: 1, maxTier: DEFAULT_MAX_TIER, paused: false});
        emit SettlementEscrowSet(escrow_);
        emit LoanDeskSet(loanDesk_);
        emit FinancingDeskSet(financingDesk_);
    }

    modifier onlyEscrow() {
        if (msg.sender != _escrow) revert NotSettlementEscrow(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- administration

    /// @inheritdoc IReceivableCertificate
    function setMaxTier(uint256 maxTier_) external onlyConsortiumRole(ADMIN_ROLE) {
        if (maxTier_ < 2 || maxTier_ > type(uint32).max) revert InvalidMaxTier(maxTier_);
        _config.maxTier = SafeCast.toUint32(maxTier_);
        emit MaxTierSet(maxTier_);
    }

    /// @inheritdoc IReceivableCertificate
    function pause() external onlyConsortiumRole(ADMIN_ROLE) {
        if (_config.paused) revert EnforcedPause();
        _config.paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IReceivableCertificate
    function unpause() external onlyConsortiumRole(ADMIN_ROLE) {
        if (!_config.paused) revert ExpectedPause();
        _config.paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IMembershipMirror
    function onMembershipChanged(address account, bool active) external {
        if (msg.sender != address(_consortium)) revert NotConsortium(msg.sender);
        // The consortium's MemberOnboarded, MemberSuspended or MemberReinstated of this transaction records it.
        // The account's approvals of the desks, above the flag, stay.
        _accounts[account] = (_accounts[account] & ~FLAG_MASK) | (active ? ACTIVE_MEMBER : INACTIVE_MEMBER);
    }

    /// @inheritdoc IMembershipMirror
    function activeFlag(address account) external view returns (bool) {
        return _accounts[account] & FLAG_MASK == ACTIVE_MEMBER;
    }

    // ---------------------------------------------------------------- credit

    /// @inheritdoc IReceivableCertificate
    function setCreditLine(address debtor, uint256 limit) external onlyConsortiumRole(Roles.FINANCIER) {
        if (debtor == address(0)) revert IConsortium.InvalidMember(debtor);
        Credit storage credit = _credit[debtor];
        // The other financiers' lines; compared by subtraction so that no `limit` (2**256-1 included)
        // overflows into an arithmetic panic instead of InvalidCreditLine.
        uint256 others = uint256(credit.limit) - _creditLines[msg.sender][debtor];
        if (limit > type(uint128).max - others) revert InvalidCreditLine(limit);
        _creditLines[msg.sender][debtor] = limit;
        credit.limit = SafeCast.toUint128(others + limit);
        emit CreditLineSet(msg.sender, debtor, limit);
    }

    /// @inheritdoc IReceivableCertificate
    function creditLimit(address debtor) external view returns (uint256) {
        return _credit[debtor].limit;
    }

    /// @inheritdoc IReceivableCertificate
    function creditLine(address financier, address debtor) external view returns (uint256) {
        return _creditLines[financier][debtor];
    }

    /// @inheritdoc IReceivableCertificate
    function outstanding(address debtor) external view returns (uint256) {
        return _credit[debtor].outstanding;
    }

    /// @inheritdoc IReceivableCertificate
    function debtorNumber(address debtor) external view returns (uint256) {
        return _debtorNumbers[debtor];
    }

    // ---------------------------------------------------------------- issue and split

    /// @inheritdoc IReceivableCertificate
    function issue(address supplier, uint256 faceValue, uint64 maturity, bytes32 documentHash)
        external
        returns (uint256 rootId)
    {
        if (_config.paused) revert EnforcedPause();
        // One call for both ends; on a refusal, the end and the reason from the checks one by one.
        if (!_consortium.areActiveWithRoles(msg.sender, Roles.CORE_ENTERPRISE, supplier, Roles.SUPPLIER)) {
            _checkActiveRole(msg.sender, Roles.CORE_ENTERPRISE);
            _checkActiveRole(supplier, Roles.SUPPLIER);
        }
        if (faceValue == 0 || faceValue > type(uint128).max) revert InvalidFaceValue(faceValue);
        if (maturity <= block.timestamp) revert MaturityNotInFuture(maturity, block.timestamp);
        if (documentHash == bytes32(0)) revert InvalidDocumentHash();
        uint256 used = _receivableOf[documentHash];
        if (used != 0) revert DocumentAlreadyUsed(documentHash, used);
        Credit memory credit = _credit[msg.sender];
        // Both terms are below 2**128: no overflow in 256 bits.
        uint256 newOutstanding = credit.outstanding + faceValue;
        if (newOutstanding > credit.limit) {
            revert CreditLimitExceeded(msg.sender, credit.outstanding, faceValue, credit.limit);
        }

        uint256 number = _debtorNumbers[msg.sender];
        if (number == 0) number = _numberDebtor(msg.sender);

        rootId = _config.nextId;
        _config.nextId = SafeCast.toUint40(rootId + 1);
        _credit[msg.sender] = Credit({limit: credit.limit, outstanding: SafeCast.toUint128(newOutstanding)});
        _receivableOf[documentHash] = rootId;
        _records[rootId] = CertificateRecord.root(RootStatus.ACTIVE, maturity, number, faceValue);
        _mintUnchecked(supplier, rootId, faceValue);
        emit ReceivableIssued(rootId, msg.sender, supplier, faceValue, maturity, documentHash);
        ERC1155Utils.checkOnERC1155Received(msg.sender, address(0), supplier, rootId, faceValue, "");
    }

    /// @inheritdoc IReceivableCertificate
    function split(uint256 id, address[] calldata to, uint256[] calldata amounts)
        external
        returns (uint256[] memory childIds)
    {
        uint256 n = to.length;
        if (n == 0 || n != amounts.length || n > MAX_SPLIT_CHILDREN) {
            revert InvalidSplitLength(n, amounts.length, MAX_SPLIT_CHILDREN);
        }
        (uint256 rootId, uint256 tier, uint256 firstId) = _checkSplit(id, to);
        uint256 total;
        (childIds, total) = _mintChildren(CertificateRecord.child(tier, rootId, id, 0), firstId, to, amounts);
        // The burn checks the caller's balance (ERC1155InsufficientBalance); a shortfall undoes the mints.
        _burn(msg.sender, id, total);
        emit CertificateSplit(id, rootId, msg.sender, childIds, to, amounts);
        // Receiver hooks run last, once every child exists (checks-effects-interactions).
        for (uint256 i; i < childIds.length; ++i) {
            ERC1155Utils.checkOnERC1155Received(msg.sender, address(0), to[i], childIds[i], amounts[i], "");
        }
    }

    // ---------------------------------------------------------------- sales

    /// @inheritdoc IReceivableCertificate
    function sell(address seller, address financier, uint256 id, uint256 amount)
        external
        returns (uint256 maturity, uint256 debtorNumber_)
    {
        if (msg.sender != _financingDesk) revert NotFinancingDesk(msg.sender);
        // The root's terms as the movement finds them (its hook checks the root open), before the financier's hook.
        (, uint256 rootWord,) = _recordOf(id);
        _safeTransferFrom(seller, financier, id, amount, "");
        return (rootWord.maturityOf(), rootWord.debtorNumberOf());
    }

    // ---------------------------------------------------------------- settlement hooks

    /// @inheritdoc IReceivableCertificate
    function close(uint256 rootId, uint8 status) external onlyEscrow returns (uint256 faceValue) {
        if (status != RootStatus.PAID && status != RootStatus.DEFAULTED) revert InvalidCloseStatus(status);
        uint256 word = _records[rootId];
        uint256 kind = word.kind();
        if (kind != RootStatus.ACTIVE) {
            if (kind == 0) revert UnknownCertificate(rootId);
            // A child is refused with its root's status, as a closed root with its own.
            if (kind == CertificateRecord.CHILD) kind = _records[word.rootOf()].kind();
            revert RootClosed(rootId, SafeCast.toUint8(kind));
        }
        _records[rootId] = word.withStatus(status);
        faceValue = word.faceValueOf();
        // faceValue < 2**128 (checked at issue) and is part of the debtor's outstanding since then.
        _credit[_debtors[word.debtorNumberOf()]].outstanding -= SafeCast.toUint128(faceValue);
    }

    /// @inheritdoc IReceivableCertificate
    function redeem(address holder, uint256 id)
        external
        onlyEscrow
        returns (uint256 rootId, uint256 units, uint256 status)
    {
        uint256 rootWord;
        (rootId, rootWord,) = _recordOf(id);
        status = rootWord.kind();
        if (status == RootStatus.ACTIVE) revert RootNotClosed(rootId);
        units = balanceOf(holder, id);
        if (units != 0) _burn(holder, id, units);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IReceivableCertificate
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
        )
    {
        uint256 word = _records[id];
        uint256 kind = word.kind();
        if (kind == 0) return (0, 0, 0, 0, address(0), 0, RootStatus.NONE);
        uint256 rootWord = word;
        if (kind == CertificateRecord.CHILD) {
            (rootId, parentId, tier, amount) = (word.rootOf(), word.parentOf(), word.tierOf(), word.amountOf());
            rootWord = _records[rootId];
        } else {
            (rootId, tier, amount) = (id, 1, word.faceValueOf());
        }
        debtor = _debtors[rootWord.debtorNumberOf()];
        maturity = SafeCast.toUint64(rootWord.maturityOf());
        status = SafeCast.toUint8(rootWord.kind());
    }

    /// @inheritdoc IReceivableCertificate
    function rootStatusOf(uint256 id)
        external
        view
        returns (uint256 rootId, uint256 maturity, uint256 status, uint256 debtorNumber_)
    {
        uint256 rootWord = _records[id];
        uint256 kind = rootWord.kind();
        if (kind == 0) return (0, 0, RootStatus.NONE, 0);
        rootId = id;
        if (kind == CertificateRecord.CHILD) {
            rootId = rootWord.rootOf();
            rootWord = _records[rootId];
        }
        (maturity, status, debtorNumber_) = (rootWord.maturityOf(), rootWord.kind(), rootWord.debtorNumberOf());
    }

    /// @inheritdoc IReceivableCertificate
    function receivableOf(bytes32 documentHash) external view returns (uint256) {
        return _receivableOf[documentHash];
    }

    /// @inheritdoc IReceivableCertificate
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @inheritdoc IReceivableCertificate
    function maxTier() external view returns (uint256) {
        return _config.maxTier;
    }

    /// @inheritdoc IReceivableCertificate
    function maxSplitChildren() external pure returns (uint256) {
        return MAX_SPLIT_CHILDREN;
    }

    /// @inheritdoc IReceivableCertificate
    function nextId() external view returns (uint256) {
        return _config.nextId;
    }

    /// @inheritdoc IReceivableCertificate
    function settlementEscrow() external view returns (address) {
        return _escrow;
    }

    /// @inheritdoc IReceivableCertificate
    function loanDesk() external view returns (address) {
        return _loanDesk;
    }

    /// @inheritdoc IReceivableCertificate
    function financingDesk() external view returns (address) {
        return _financingDesk;
    }

    /// @inheritdoc LeanERC1155
    function isApprovedForAll(address account, address operator)
        public
        view
        override(LeanERC1155, IERC1155)
        returns (bool)
    {
        uint256 bit = _deskBit(operator);
        if (bit == 0) return super.isApprovedForAll(account, operator);
        return _accounts[account] & bit != 0;
    }

    /// @inheritdoc LeanERC1155
    function supportsInterface(bytes4 interfaceId) public view virtual override(LeanERC1155, IERC165) returns (bool) {
        return interfaceId == type(IReceivableCertificate).interfaceId
            || interfaceId == type(IMembershipMirror).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    /// @dev A transfer's rules, once per transfer or batch (an empty one included), before any id moves: movements
    ///      unpaused and both ends active. The loan desk is the one exception, a custodian: units go to it only
    ///      when it moves them itself (its `requestLoan`, from an active member), and units it gives back to a
    ///      borrower are never held up by pause or membership (only by a closed root, whose units the desk
    ///      redeems instead).
    function _checkTransfer(address from, address to) internal view override {
        // `from`'s word holds its flag and its approvals of the desks: read once for both.
        uint256 fromWord = _accounts[from];
        _checkTransferEnds(from, to, from == msg.sender || _approves(fromWord, from, msg.sender));
        // Fields, not a memory copy of the struct: the slot is read once (then warm), without the copy's cost.
        if (_config.paused && from != _loanDesk) revert EnforcedPause();
        if (fromWord & FLAG_MASK != ACTIVE_MEMBER) _checkCustody(_loanDesk, from, to, from);
        else if (_accounts[to] & FLAG_MASK != ACTIVE_MEMBER) _checkCustody(_loanDesk, from, to, to);
    }

    /// @dev Whether `account`, whose word is `word`, lets `operator` move all its units.
    function _approves(uint256 word, address account, address operator) private view returns (bool) {
        uint256 bit = _deskBit(operator);
        if (bit == 0) return super.isApprovedForAll(account, operator);
        return word & bit != 0;
    }

    /// @dev The desks' approvals go into the owner's word (`APPROVES_*`), the others to LeanERC1155's mapping.
    function _setApprovalForAll(address owner, address operator, bool approved) internal override {
        uint256 bit = _deskBit(operator);
        if (bit == 0) return super._setApprovalForAll(owner, operator, approved);
        uint256 word = _accounts[owner];
        _accounts[owner] = approved ? word | bit : word & ~bit;
    }

    /// @dev The bit of an account's word that keeps its approval of `operator`: 0 unless `operator` is a desk.
    function _deskBit(address operator) private view returns (uint256) {
        if (operator == _financingDesk) return APPROVES_FINANCING_DESK;
        if (operator == _loanDesk) return APPROVES_LOAN_DESK;
        return 0;
    }

    /// @dev The one hook all movements pass, once per id: a transfer (not a mint or a burn, whose callers check
    ///      their own rules) needs the id's root open.
    function _update(address from, address to, uint256 id, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            (uint256 rootId, uint256 rootWord,) = _recordOf(id);
            uint256 status = rootWord.kind();
            if (status != RootStatus.ACTIVE) revert RootClosed(rootId, SafeCast.toUint8(status));
        }
        super._update(from, to, id, value);
    }

    /// @dev A transfer with an end that is not an active member passes only as the loan desk's custody:
    ///      the desk giving units back, or the desk taking an active member's units as their operator.
    function _checkCustody(address desk, address from, address to, address inactive) private view {
        if (from == desk) return;
        if (inactive == to && to == desk) {
            if (msg.sender != desk) revert LoanDeskDepositRefused(msg.sender);
            return;
        }
        revert IConsortium.InactiveMember(inactive);
    }

    /// @dev Every rule of `split` but the amounts and the balance; returns the root, the children's tier and the
    ///      first child's id.
    function _checkSplit(uint256 id, address[] calldata to)
        private
        view
        returns (uint256 rootId, uint256 tier, uint256 firstId)
    {
        if (_config.paused) revert EnforcedPause();
        uint256 rootWord;
        uint256 word;
        (rootId, rootWord, word) = _recordOf(id);
        uint256 status = rootWord.kind();
        if (status != RootStatus.ACTIVE) revert RootClosed(rootId, SafeCast.toUint8(status));
        // A root is tier 1; a child's tier is below maxTier <= 2**32-1, so + 1 fits.
        tier = (rootId == id ? 1 : word.tierOf()) + 1;
        uint256 limit = _config.maxTier;
        if (tier > limit) revert TierLimitExceeded(tier, limit);
        firstId = _config.nextId;
        if (_accounts[msg.sender] & FLAG_MASK != ACTIVE_MEMBER) revert IConsortium.InactiveMember(msg.sender);
        for (uint256 i; i < to.length; ++i) {
            address recipient = to[i];
            if (_accounts[recipient] & FLAG_MASK != ACTIVE_MEMBER) revert IConsortium.InactiveMember(recipient);
        }
    }

    /// @dev Records and mints one child per recipient, with consecutive fresh ids from `firstId`; returns them and
    ///      the total. `child` is the children's record with a zero amount.
    function _mintChildren(uint256 child, uint256 firstId, address[] calldata to, uint256[] calldata amounts)
        private
        returns (uint256[] memory childIds, uint256 total)
    {
        uint256 n = to.length;
        _config.nextId = SafeCast.toUint40(firstId + n);
        childIds = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256 childId;
            unchecked {
                childId = firstId + i; // < firstId + n, checked to fit 40 bits above
            }
            uint256 amount = amounts[i];
            if (amount == 0) revert ZeroSplitAmount(i);
            // No balance reaches 2**128 (face values fit 128 bits); refusing larger amounts here also keeps
            // `total` from overflowing into an arithmetic panic when several amounts are near 2**256.
            if (amount > type(uint128).max) {
                uint256 parentId = child.parentOf();
                revert ERC1155InsufficientBalance(msg.sender, balanceOf(msg.sender, parentId), amount, parentId);
            }
            unchecked {
                total += amount; // n <= 64 amounts below 2**128 each: below 2**134
            }
            childIds[i] = childId;
            // amount < 2**128, checked above; the burn of the total checks the parent balance.
            _records[childId] = child.withAmount(amount);
            _mintUnchecked(to[i], childId, amount);
        }
    }

    /// @dev Gives `debtor`, at its first receivable, the next number; returns it.
    function _numberDebtor(address debtor) private returns (uint256 number) {
        number = SafeCast.toUint32(_debtorCount + 1);
        _debtorCount = number;
        _debtorNumbers[debtor] = number;
        _debtors[number] = debtor;
    }

    /// @dev The root of certificate `id`, its root's word and `id`'s own; reverts for an unknown id.
    function _recordOf(uint256 id) private view returns (uint256 rootId, uint256 rootWord, uint256 word) {
        word = _records[id];
        uint256 kind = word.kind();
        if (kind == CertificateRecord.CHILD) {
            rootId = word.rootOf();
            rootWord = _records[rootId];
        } else {
            if (kind == 0) revert UnknownCertificate(id);
            (rootId, rootWord) = (id, word);
        }
    }
}

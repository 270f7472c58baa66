// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155MetadataURI} from "@openzeppelin/contracts/token/ERC1155/extensions/IERC1155MetadataURI.sol";
import {ERC1155Utils} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Utils.sol";
import {IERC165, ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @title LeanERC1155
/// @notice OpenZeppelin v5's ERC1155 with the same external behaviour (functions, events, errors and their
///         arguments, the order of the checks, acceptance checks) and a movement hook per id: a single
///         transfer, mint or burn moves one balance with no memory arrays. Measured against OpenZeppelin's
///         ERC1155 under the same certificate rules (`make bench`): issue -1,358 gas, split into 2 -2,919, each
///         further child -690, a transfer -860, finance -971.
/// @dev `_update(from, to, id, value)` is the one hook every movement passes, once per id and before the
///      movement's event; a batch calls it for each id in order, then emits one TransferBatch (a batch of one
///      a TransferSingle, as OpenZeppelin's does) and asks the recipient's batch hook, whatever its length.
///      `_checkTransfer(from, to)` runs first, once per transfer or batch.
abstract contract LeanERC1155 is ERC165, IERC1155, IERC1155MetadataURI, IERC1155Errors {
    mapping(uint256 id => mapping(address account => uint256)) private _balances;
    mapping(address account => mapping(address operator => bool)) private _operatorApprovals;
    string private _uri;

    constructor(string memory uri_) {
        _uri = uri_;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view virtual override(ERC165, IERC165) returns (bool) {
        return interfaceId == type(IERC1155).interfaceId || interfaceId == type(IERC1155MetadataURI).interfaceId
            || super.supportsInterface(interfaceId);
    }

    /// @notice The URI of every id (clients substitute `{id}`).
    /// @return The URI template.
    function uri(uint256 /* id */ ) external view virtual returns (string memory) {
        return _uri;
    }

    /// @notice `account`'s balance of `id`.
    /// @param account The holder.
    /// @param id The token id.
    /// @return The balance.
    function balanceOf(address account, uint256 id) public view virtual returns (uint256) {
        return _balances[id][account];
    }

    /// @notice The balances of `accounts[i]` of `ids[i]`.
    /// @param accounts The holders.
    /// @param ids The token ids, one per holder.
    /// @return balances The balances, in order.
    function balanceOfBatch(address[] calldata accounts, uint256[] calldata ids)
        external
        view
        virtual
        returns (uint256[] memory balances)
    {
        if (accounts.length != ids.length) revert ERC1155InvalidArrayLength(ids.length, accounts.length);
        balances = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            balances[i] = _balances[ids[i]][accounts[i]];
        }
    }

    /// @notice Lets `operator` move all of the caller's tokens, or stops it.
    /// @param operator The operator.
    /// @param approved Whether it may.
    function setApprovalForAll(address operator, bool approved) external virtual {
        if (operator == address(0)) revert ERC1155InvalidOperator(address(0));
        _setApprovalForAll(msg.sender, operator, approved);
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @notice Whether `operator` may move all of `account`'s tokens.
    /// @param account The holder.
    /// @param operator The operator.
    /// @return Whether it may.
    function isApprovedForAll(address account, address operator) public view virtual returns (bool) {
        return _operatorApprovals[account][operator];
    }

    /// @dev Stores `owner`'s approval of `operator` (read back by `isApprovedForAll`); overrides may keep some
    ///      operators' approvals elsewhere, overriding both.
    function _setApprovalForAll(address owner, address operator, bool approved) internal virtual {
        _operatorApprovals[owner][operator] = approved;
    }

    /// @notice Moves `value` of `id` from `from` to `to`; a contract `to` must accept them.
    /// @param from The holder (the caller or one it operates for).
    /// @param to The recipient.
    /// @param id The token id.
    /// @param value The amount.
    /// @param data Passed to the recipient's `onERC1155Received`.
    function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes calldata data)
        external
        virtual
    {
        _safeTransferFrom(from, to, id, value, data);
    }

    /// @notice Moves `values[i]` of `ids[i]` from `from` to `to`; a contract `to` must accept them.
    /// @param from The holder (the caller or one it operates for).
    /// @param to The recipient.
    /// @param ids The token ids.
    /// @param values The amounts, one per id.
    /// @param data Passed to the recipient's acceptance hook.
    function safeBatchTransferFrom(
        address from,
        address to,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata data
    ) external virtual {
        _checkTransfer(from, to);
        if (ids.length != values.length) revert ERC1155InvalidArrayLength(ids.length, values.length);
        for (uint256 i; i < ids.length; ++i) {
            _update(from, to, ids[i], values[i]);
        }
        if (ids.length == 1) emit TransferSingle(msg.sender, from, to, ids[0], values[0]);
        else emit TransferBatch(msg.sender, from, to, ids, values);
        // A batch, even of one id, asks the batch hook (ERC-1155; OpenZeppelin 5.7, its PR #6170).
        ERC1155Utils.checkOnERC1155BatchReceived(msg.sender, from, to, ids, values, data);
    }

    /// @dev `safeTransferFrom` by the caller, for other entry points that move one id under the same rules.
    function _safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes memory data) internal {
        _checkTransfer(from, to);
        _update(from, to, id, value);
        emit TransferSingle(msg.sender, from, to, id, value);
        ERC1155Utils.checkOnERC1155Received(msg.sender, from, to, id, value, data);
    }

    /// @dev The one hook of every movement of one id (`from` zero for a mint, `to` zero for a burn): checks the
    ///      balance and moves it. Overrides add their rules before calling it; events follow the hook.
    function _update(address from, address to, uint256 id, uint256 value) internal virtual {
        mapping(address account => uint256) storage balances = _balances[id];
        if (from != address(0)) {
            uint256 fromBalance = balances[from];
            if (fromBalance < value) revert ERC1155InsufficientBalance(from, fromBalance, value, id);
            unchecked {
                // value <= fromBalance
                balances[from] = fromBalance - value;
            }
        }
        if (to != address(0)) balances[to] += value;
    }

    /// @dev Mints `value` of `id` to `to` without the acceptance check: callers run
    ///      `ERC1155Utils.checkOnERC1155Received` once all their effects are done.
    function _mintUnchecked(address to, uint256 id, uint256 value) internal {
        if (to == address(0)) revert ERC1155InvalidReceiver(address(0));
        _update(address(0), to, id, value);
        emit TransferSingle(msg.sender, address(0), to, id, value);
    }

    /// @dev Burns `value` of `from`'s `id`.
    function _burn(address from, uint256 id, uint256 value) internal {
        if (from == address(0)) revert ERC1155InvalidSender(address(0));
        _update(from, address(0), id, value);
        emit TransferSingle(msg.sender, from, address(0), id, value);
    }

    /// @dev The rules of a transfer or batch, checked once before any of its ids moves (an empty batch included):
    ///      the caller may move `from`'s tokens and neither end is the zero address (OpenZeppelin's order).
    ///      Overrides add their own after these.
    function _checkTransfer(address from, address to) internal view virtual {
        _checkTransferEnds(from, to, from == msg.sender || isApprovedForAll(from, msg.sender));
    }

    /// @dev `_checkTransfer`'s rules, given whether the caller may move `from`'s tokens (an override that has read
    ///      the approval already passes it, without a second read).
    function _checkTransferEnds(address from, address to, bool authorized) internal view {
        if (!authorized) revert ERC1155MissingApprovalForAll(msg.sender, from);
        if (to == address(0)) revert ERC1155InvalidReceiver(address(0));
        if (from == address(0)) revert ERC1155InvalidSender(address(0));
    }
}

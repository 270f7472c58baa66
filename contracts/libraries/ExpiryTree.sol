// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ExpiryTree
/// @notice A 4-ary max tree over positions 0..size-1 (a debtor's guarantees in the order provided). Each leaf
///         holds a 64-bit value (the guarantee's expiry while it can still pay, 0 once used up or released);
///         each inner node holds the max of its four children. `findNext(min, from)` returns the first
///         position at or after `from` whose leaf is >= `min` in O(log4 n) storage reads, so callers skip any
///         number of leaves below `min` (non-covering, expired, exhausted or released guarantees) at once.
/// @dev Four nodes share one storage word (64 bits each): level `l`, word `w` holds the nodes of level `l` at
///      positions 4w..4w+3; the node at level l+1, position w, is the max of that word. The top level is the
///      first whose positions all fit in word 0; it grows by one level when `size` passes a power of 4.
library ExpiryTree {
    uint256 private constant LANE_BITS = 64;
    uint256 private constant LANE_MASK = type(uint64).max;
    uint256 private constant NONE = type(uint256).max;

    struct Tree {
        uint256 size;
        mapping(uint256 levelAndWord => uint256 lanes) words;
    }

    /// @notice Appends a leaf with `value` (non-zero) and returns its position.
    function push(Tree storage tree, uint64 value) internal returns (uint256 position) {
        position = tree.size;
        uint256 size = position + 1;
        tree.size = size;
        uint256 top = _top(size);
        // A new top level: its first node is the max of the old top word (which covers every older leaf).
        if (position != 0 && top != _top(position)) {
            tree.words[_key(top, 0)] = _max(tree.words[_key(top - 1, 0)]);
        }
        uint256 p = position;
        for (uint256 level;; ++level) {
            uint256 key = _key(level, p >> 2);
            uint256 word = tree.words[key];
            uint256 shift = (p & 3) * LANE_BITS;
            // An ancestor already at least `value` means every higher one is too.
            if ((word >> shift) & LANE_MASK >= value) break;
            tree.words[key] = (word & ~(LANE_MASK << shift)) | (uint256(value) << shift);
            if (level == top) break;
            p >>= 2;
        }
    }

    /// @notice Sets the leaf at `position` to 0 (it can no longer pay) and lowers the ancestors' maxima.
    function clear(Tree storage tree, uint256 position) internal {
        uint256 top = _top(tree.size);
        uint256 value = 0; // the leaf becomes 0; each level up then takes its word's new max
        uint256 p = position;
        for (uint256 level;; ++level) {
            uint256 key = _key(level, p >> 2);
            uint256 word = tree.words[key];
            uint256 shift = (p & 3) * LANE_BITS;
            uint256 updated = (word & ~(LANE_MASK << shift)) | (value << shift);
            if (updated == word) break;
            tree.words[key] = updated;
            if (level == top) break;
            uint256 newMax = _max(updated);
            if (newMax == _max(word)) break;
            value = newMax;
            p >>= 2;
        }
    }

    /// @notice The first position at or after `from` whose leaf is >= `min` (`min` > 0).
    /// @return found whether there is one
    /// @return position that position (0 when none)
    function findNext(Tree storage tree, uint256 min, uint256 from)
        internal
        view
        returns (bool found, uint256 position)
    {
        uint256 size = tree.size;
        if (from >= size) return (false, 0);
        uint256 top = _top(size);
        uint256 p = from;
        uint256 level;
        // Climb until a word holds a node >= min at or right of the path, then descend to its leftmost leaf.
        while (true) {
            if (level == top && p > 3) return (false, 0);
            uint256 lane = _firstAtLeast(tree.words[_key(level, p >> 2)], p & 3, min);
            if (lane != NONE) {
                p = (p & ~uint256(3)) | lane;
                break;
            }
            if (level == top) return (false, 0);
            p = (p >> 2) + 1;
            ++level;
        }
        while (level != 0) {
            --level;
            // The node at p is >= min, so one of its children is.
            p = (p << 2) | _firstAtLeast(tree.words[_key(level, p)], 0, min);
        }
        return (true, p);
    }

    /// @dev The top level for `size` leaves: the first level whose positions all fit in one word.
    function _top(uint256 size) private pure returns (uint256 level) {
        uint256 last = size == 0 ? 0 : size - 1;
        while (last > 3) {
            last >>= 2;
            ++level;
        }
    }

    function _key(uint256 level, uint256 word) private pure returns (uint256) {
        return (level << 128) | word;
    }

    function _max(uint256 word) private pure returns (uint256 m) {
        for (uint256 shift; shift < 256; shift += LANE_BITS) {
            uint256 v = (word >> shift) & LANE_MASK;
            if (v > m) m = v;
        }
    }

    /// @dev The first lane index >= `start` of `word` whose value is >= `min`, or NONE.
    function _firstAtLeast(uint256 word, uint256 start, uint256 min) private pure returns (uint256) {
        for (uint256 lane = start; lane < 4; ++lane) {
            if ((word >> (lane * LANE_BITS)) & LANE_MASK >= min) return lane;
        }
        return NONE;
    }
}

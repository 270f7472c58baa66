// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExpiryTree} from "../libraries/ExpiryTree.sol";

/// @title ExpiryTreeHarness
/// @notice Test only: ExpiryTree's operations as external calls, for a randomized comparison with a list.
contract ExpiryTreeHarness {
    using ExpiryTree for ExpiryTree.Tree;

    ExpiryTree.Tree private _tree;

    function push(uint64[] calldata values) external {
        for (uint256 i; i < values.length; ++i) {
            _tree.push(values[i]);
        }
    }

    function clear(uint256[] calldata positions) external {
        for (uint256 i; i < positions.length; ++i) {
            _tree.clear(positions[i]);
        }
    }

    function findNext(uint256 min, uint256 from) external view returns (bool found, uint256 position) {
        return _tree.findNext(min, from);
    }

    /// @notice Every position at or after `from` with a leaf >= `min`, in order, as the draw walks them.
    function walk(uint256 min, uint256 from) external view returns (uint256[] memory positions) {
        positions = new uint256[](_tree.size);
        uint256 n;
        (bool found, uint256 p) = _tree.findNext(min, from);
        while (found) {
            positions[n++] = p;
            (found, p) = _tree.findNext(min, p + 1);
        }
        assembly {
            mstore(positions, n)
        }
    }

    function size() external view returns (uint256) {
        return _tree.size;
    }
}

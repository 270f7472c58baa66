// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title MerkleProofMock
/// @notice Test only. Checks a disclosed trade-document field the way an on-chain integrator would: the leaf
///         built in Solidity from (name, value, salt), the proof checked by OpenZeppelin's `MerkleProof`.
contract MerkleProofMock {
    /// @notice The StandardMerkleTree leaf of a document field.
    /// @param name The dotted field name.
    /// @param value The field's JSON value, serialised compactly.
    /// @param salt The field's 32-byte salt.
    /// @return The leaf: keccak256(bytes.concat(keccak256(abi.encode(name, value, salt)))).
    function leaf(string calldata name, string calldata value, bytes32 salt) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(name, value, salt))));
    }

    /// @notice Whether a disclosed field belongs to the document committed by `root`.
    /// @param proof The field's proof (StandardMerkleTree `getProof` order).
    /// @param root The document root (a receivable's documentHash).
    /// @param name The dotted field name.
    /// @param value The field's JSON value, serialised compactly.
    /// @param salt The field's 32-byte salt.
    /// @return True when `MerkleProof.verify` accepts the proof.
    function verifyField(bytes32[] calldata proof, bytes32 root, string calldata name, string calldata value,
        bytes32 salt) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf(name, value, salt));
    }
}

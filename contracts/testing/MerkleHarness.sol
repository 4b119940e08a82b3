// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Test harness: OpenZeppelin's MerkleProof on the leaves the fraud proofs use.
contract MerkleHarness {
    /// @notice Whether a data row (index, values) is in the tree with `root`.
    function verifyRow(bytes32[] calldata proof, bytes32 root, uint256 index, int256[] calldata values)
        external
        pure
        returns (bool)
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(index, values))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice Whether a weight leaf (key, payload) is in the tree with `root`.
    function verifyWeights(bytes32[] calldata proof, bytes32 root, uint256 key, bytes calldata payload)
        external
        pure
        returns (bool)
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(key, payload))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}

"""forecast_market.fraud.merkle against the reference implementations: the JS library
@openzeppelin/merkle-tree 1.0.8 (run with node) and OpenZeppelin's MerkleProof.sol on anvil."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from brownie import MerkleHarness, accounts

from forecast_market.fraud import DATA_TYPES, WEIGHT_TYPES, StandardMerkleTree, data_tree, pack_int64

ROOT = Path(__file__).resolve().parents[2]

JS = """
const {StandardMerkleTree} = require('@openzeppelin/merkle-tree');
const {types, values} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const t = StandardMerkleTree.of(values, types);
console.log(JSON.stringify({root: t.root, proofs: values.map((_, i) => t.getProof(i))}));
"""


def _js(types, values):
    out = subprocess.run(["node", "-e", JS], input=json.dumps({"types": types, "values": values}), cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _rows(n, cols, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(-(2**40), 2**40, (n, cols), dtype=np.int64)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64])
def test_data_tree_matches_the_js_library(n):
    rows = _rows(n, 3, n)
    tree = data_tree(rows, first_index=100)
    ref = _js(list(DATA_TYPES), [[str(100 + i), [str(v) for v in row]] for i, row in enumerate(rows.tolist())])
    assert "0x" + tree.root.hex() == ref["root"]
    for i in range(n):
        assert ["0x" + p.hex() for p in tree.proof(i)] == ref["proofs"][i]
        assert tree.verify(i, tree.proof(i))


def test_weight_tree_matches_the_js_library():
    rng = np.random.default_rng(5)
    leaves = [(k, pack_int64(rng.integers(-(2**62), 2**62, int(rng.integers(1, 40))))) for k in (0, 1 << 32, 2 << 32 | 1, 7)]
    tree = StandardMerkleTree.of(leaves, WEIGHT_TYPES)
    ref = _js(list(WEIGHT_TYPES), [[str(k), "0x" + p.hex()] for k, p in leaves])
    assert "0x" + tree.root.hex() == ref["root"]
    assert [["0x" + p.hex() for p in tree.proof(i)] for i in range(len(leaves))] == ref["proofs"]


def test_proofs_verify_with_merkleproof_on_chain():
    harness = MerkleHarness.deploy({"from": accounts[0]})
    rows = _rows(9, 2, 1)
    tree = data_tree(rows, first_index=3)
    for i in (0, 4, 8):
        assert harness.verifyRow(tree.proof(i), tree.root, 3 + i, rows[i].tolist())
    assert not harness.verifyRow(tree.proof(0), tree.root, 3, (rows[0] + 1).tolist()), "a changed value must fail"
    assert not harness.verifyRow(tree.proof(0), tree.root, 4, rows[0].tolist()), "another index must fail"
    leaves = [(k, pack_int64([k, -k, 2**62])) for k in range(5)]
    wtree = StandardMerkleTree.of(leaves, WEIGHT_TYPES)
    for i, (k, p) in enumerate(leaves):
        assert harness.verifyWeights(wtree.proof(i), wtree.root, k, p)
    assert not harness.verifyWeights(wtree.proof(1), wtree.root, 1, pack_int64([1, -1, 2**62 - 1]))


def test_empty_tree_is_refused():
    with pytest.raises(ValueError, match="at least one leaf"):
        StandardMerkleTree.of([], DATA_TYPES)

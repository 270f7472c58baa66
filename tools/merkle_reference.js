#!/usr/bin/env node
// The reference for document roots and proofs: OpenZeppelin's own StandardMerkleTree (npm @openzeppelin/merkle-tree).
// stdin: a JSON array of documents, each an array of [name, value, salt] triples (value: the committed text).
// stdout: a JSON array, per document {"root": "0x…", "proofs": [[…], …]} (proofs in the input's order, getProof).
'use strict';
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(triples => {
    const tree = StandardMerkleTree.of(triples, ['string', 'string', 'bytes32']);
    const proofs = triples.map((_, i) => tree.getProof(i));
    proofs.forEach((proof, i) => {
      if (!StandardMerkleTree.verify(tree.root, ['string', 'string', 'bytes32'], triples[i], proof)) {
        throw new Error(`reference proof ${i} does not verify`);
      }
    });
    return { root: tree.root, proofs };
  });
  process.stdout.write(JSON.stringify(out) + '\n');
});

"""Disclosed document fields checked on chain by OpenZeppelin's `MerkleProof` (contracts/test/MerkleProofMock.sol),
against the root a receivable was issued with, from a tier-3 certificate of its tree."""
import random

import pytest
from brownie import MerkleProofMock

from scfchain import documents as D
from tests.document_support import random_document


@pytest.fixture(scope="module")
def verifier(admin):
    return MerkleProofMock.deploy({"from": admin})


def _args(field, root):
    return ([p for p in field["proof"]], root, field["name"], D.encode_value(field["value"]), field["salt"])


def test_merkleProofVerify_acceptsEveryDisclosedField_ofRandomDocuments(verifier):
    rng = random.Random(7)
    docs = [random_document(rng, max_fields=12) for _ in range(12)] + [{"single": "field"}]
    checked = 0
    for doc in docs:
        bundle = D.commit(doc)
        disclosure = D.disclose(bundle, [f.name for f in bundle.fields])
        for f, field in zip(bundle.fields, disclosure["fields"]):
            assert bytes(verifier.leaf(f.name, f.text, f.salt)) == f.leaf  # Solidity's abi.encode, our leaf
            assert verifier.verifyField(*_args(field, disclosure["root"])) is True
            checked += 1
    assert checked > 50


def test_merkleProofVerify_refusesATamperedProof(verifier):
    bundle = D.commit({"buyer": "Sichuan Tech", "amount": 100_000_000, "dueDate": "2027-03-01",
                       "items": [{"sku": "A", "unitPrice": 12.5}]})
    field = D.disclose(bundle, ["amount"])["fields"][0]
    root = "0x" + bundle.root.hex()
    proof, _, name, value, salt = _args(field, root)
    assert verifier.verifyField(proof, root, name, value, salt) is True
    flipped = list(proof)
    flipped[0] = "0x" + format(int(proof[0][2:4], 16) ^ 1, "02x") + proof[0][4:]
    assert verifier.verifyField(flipped, root, name, value, salt) is False
    assert verifier.verifyField(proof, root, name, "100000001", salt) is False
    assert verifier.verifyField(proof, root, "dueDate", value, salt) is False
    assert verifier.verifyField(proof, root, name, value, "0x" + "00" * 32) is False
    assert verifier.verifyField(proof[:-1], root, name, value, salt) is False
    other = D.commit({"buyer": "Sichuan Tech", "amount": 100_000_000, "dueDate": "2027-03-01",
                      "items": [{"sku": "A", "unitPrice": 12.5}]})
    assert verifier.verifyField(proof, "0x" + other.root.hex(), name, value, salt) is False


def test_tier3Certificate_sharesTheRootsDocument(verifier, issue, certificate, tier1, tier2a, sme):
    bundle = D.commit({"buyer": {"name": "Sichuan Tech"}, "amount": 1_000_000_00, "items": [["A", 3, 12.5]]})
    root_id = issue(doc="0x" + bundle.root.hex())
    tx = certificate.split(root_id, [tier2a], [400_000_00], {"from": tier1})
    (c2,) = tx.return_value
    (c3,) = certificate.split(c2, [sme], [150_000_00], {"from": tier2a}).return_value
    rid, _, tier, *_ = certificate.certificate(c3)
    assert (rid, tier) == (root_id, 3)
    issued = [e for e in certificate.events.get_sequence(0, event_type="ReceivableIssued") if e.args.rootId == rid]
    document_hash = issued[0].args.documentHash
    assert certificate.receivableOf(document_hash) == rid
    for field in D.disclose(bundle, ["buyer", "amount"])["fields"]:
        assert verifier.verifyField(*_args(field, document_hash)) is True

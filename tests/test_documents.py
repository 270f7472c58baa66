"""Trade documents (library): roots and proofs against OpenZeppelin's own StandardMerkleTree, flattening, and
sealed copies (ECIES) that only their recipients open and that refuse any changed byte."""
import json
import os
import random

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak

from scfchain import documents as D
from tests.document_support import openzeppelin_trees, random_document

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

SEED = int(os.environ.get("SCF_DOC_SEED", "20261201"))


def _triples(bundle):
    return [[f.name, f.text, "0x" + f.salt.hex()] for f in bundle.fields]


def test_rootsAndProofs_equalOpenZeppelinMerkleTree_overRandomDocuments():
    rng = random.Random(SEED)
    docs = [random_document(rng) for _ in range(300)]
    docs += [{"only": "one field"}, {"empty": ""}, {"a": {"b": {"c": []}}}, {"n": 2**256}, {"f": 0.1}]
    bundles = [D.commit(d) for d in docs]
    sizes = {len(b.fields) for b in bundles}
    assert 1 in sizes and max(sizes) > 40  # single leaf up to uneven trees of many leaves
    reference = openzeppelin_trees([_triples(b) for b in bundles])
    for doc, bundle, ref in zip(docs, bundles, reference):
        assert "0x" + bundle.root.hex() == ref["root"], doc
        disclosure = D.disclose(bundle, [f.name for f in bundle.fields])
        assert [f["proof"] for f in disclosure["fields"]] == ref["proofs"], doc
        root, checks = D.verify_disclosure(disclosure)
        assert root == bundle.root and all(c.ok for c in checks)
        assert bundle.document() == doc  # the fields rebuild the document (an empty object is a field "{}")


def test_leaf_isTheSpecEncoding_checkedWithEthAbi():
    salt = bytes(range(32))
    bundle = D.Bundle(b"", (D.Field("buyer.name", "四川 Tech", salt),))
    expected = keccak(keccak(abi_encode(["string", "string", "bytes32"], ["buyer.name", '"四川 Tech"', salt])))
    assert bundle.fields[0].leaf == expected
    # One leaf: the root is the leaf itself (OpenZeppelin's tree of one).
    assert D.MerkleTree([expected]).root == expected


def test_flatten_namesNestedObjects_andKeepsArraysAndScalarsWhole():
    doc = {"buyer": {"name": "Sichuan Tech", "address": {"city": "成都"}}, "items": [{"sku": "A", "unitPrice": 1.5}],
           "amount": 100000000, "big": 2**70, "rate": 0.06, "paid": False, "note": None, "memo": "", "tags": {}}
    assert D.flatten(doc) == [("buyer.name", "Sichuan Tech"), ("buyer.address.city", "成都"),
                              ("items", [{"sku": "A", "unitPrice": 1.5}]), ("amount", 100000000), ("big", 2**70),
                              ("rate", 0.06), ("paid", False), ("note", None), ("memo", ""), ("tags", {})]
    texts = {f.name: f.text for f in D.commit(doc).fields}
    assert texts["buyer.address.city"] == '"成都"'
    assert texts["items"] == '[{"sku":"A","unitPrice":1.5}]'
    assert (texts["big"], texts["rate"], texts["paid"], texts["note"], texts["memo"]) == (
        str(2**70), "0.06", "false", "null", '""')
    assert D.commit(doc).document() == doc


def test_commit_saltsEveryFieldAfresh():
    a, b = D.commit({"x": 1, "y": 1}), D.commit({"x": 1, "y": 1})
    salts = [f.salt for f in a.fields + b.fields]
    assert len(set(salts)) == 4 and all(len(s) == 32 for s in salts)
    assert a.root != b.root


@pytest.mark.parametrize("doc, message", [
    ([1, 2], "a document is a JSON object, not an array"),
    ("text", "a document is a JSON object, not a str"),
    ({}, "the document has no fields"),
    ({"a.b": 1}, "field name 'a.b': names must be non-empty and without '.'"),
    ({"a": {"": 1}}, "field name '' in a: names must be non-empty"),
    ({"x": float("nan")}, "field x: a number out of range cannot be committed"),
    ({"x": "\ud800"}, "field x: a lone UTF-16 surrogate cannot be committed"),
])
def test_revert_whenDocumentCannotBeCommitted(doc, message):
    with pytest.raises(D.DocumentError) as err:
        D.commit(doc)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("text, message", [
    ('{"a": 1, "a": 2}', "duplicate key 'a'"),
    ('{"a": NaN}', "NaN is not a JSON number"),
    ('{"a": 1e400}', "a number is too large for a JSON double"),
    ('{"a": ', "not valid JSON: Expecting value at line 1 column 7"),
])
def test_parseJson_isStrict(text, message):
    with pytest.raises(D.DocumentError, match=message):
        D.parse_json(text)


def test_verify_namesTheChangedField_andRefusesAnotherDocumentsProof():
    bundle = D.commit({"buyer": "Sichuan Tech", "amount": 100, "dueDate": "2027-03-01"})
    disclosure = D.disclose(bundle, ["amount", "buyer"])
    assert [f["name"] for f in disclosure["fields"]] == ["buyer", "amount"]  # bundle order
    changed = json.loads(json.dumps(disclosure))
    changed["fields"][1]["value"] = 1000
    _, checks = D.verify_disclosure(changed)
    assert [(c.name, c.ok) for c in checks] == [("buyer", True), ("amount", False)]
    # The same field from another commitment of the same document does not prove this root.
    other = D.disclose(D.commit({"buyer": "Sichuan Tech", "amount": 100, "dueDate": "2027-03-01"}), ["amount"])
    mixed = {"root": disclosure["root"], "fields": other["fields"]}
    assert [c.ok for c in D.verify_disclosure(mixed)[1]] == [False]
    with pytest.raises(D.DocumentError, match="no field 'prices'"):
        D.disclose(bundle, ["prices"])


def test_bundleFromJson_refusesAChangedValue():
    data = D.commit({"a": 1, "b": 2}).to_json()
    assert D.bundle_from_json(json.loads(json.dumps(data))).root.hex() == data["root"][2:]
    data["fields"][0]["value"] = 3
    with pytest.raises(D.DocumentError, match="do not hash to its root"):
        D.bundle_from_json(data)


# ---------------------------------------------------------------- sealed copies
@pytest.fixture(scope="module")
def parties():
    return [Account.create() for _ in range(4)]


def _pub(acct):
    return D.parse_public_key(D.public_key_of(bytes(acct.key)))


def test_seal_eachRecipientOpensWithItsOwnKey_anOutsiderCannot(parties):
    bundle = D.commit({"invoice": "INV-1", "items": [{"sku": "A", "unitPrice": 12.5}], "buyer": {"name": "四川"}})
    sealed = D.seal(bundle, [_pub(p) for p in parties[:3]])
    for p in parties[:3]:
        opened = D.open_sealed(sealed, bytes(p.key))
        assert opened == bundle and opened.document() == bundle.document()
    with pytest.raises(D.DocumentError, match=f"not sealed for this key \\({parties[3].address}\\)"):
        D.open_sealed(sealed, bytes(parties[3].key))
    # The content is encrypted: neither values nor salts appear in the file.
    assert "INV-1" not in sealed and bundle.fields[0].salt.hex() not in sealed


def test_publicKey_isTheSignersEthereumKey(parties):
    from eth_keys import keys

    pk = D.public_key_of(bytes(parties[0].key))
    assert keys.PublicKey(bytes.fromhex(pk[2:])).to_checksum_address() == parties[0].address
    assert D.parse_public_key("0x04" + pk[2:]) == D.parse_public_key(pk)  # uncompressed form accepted too
    with pytest.raises(D.DocumentError, match="is an address, not a public key"):
        D.parse_public_key(parties[0].address)
    with pytest.raises(D.DocumentError, match="not a secp256k1 public key"):
        D.parse_public_key("0x" + "00" * 64)


def test_seal_refusesEveryFlippedByte(parties):
    bundle = D.commit({"a": "x", "b": [1, 2]})
    sealed = D.seal(bundle, [_pub(parties[0]), _pub(parties[1])])
    raw = sealed.encode()
    refused = 0
    for i in range(len(raw)):
        for mask in (0x01, 0x20):  # 0x20 turns hex digits to upper case: the same bytes, another spelling
            changed = bytearray(raw)
            changed[i] ^= mask
            try:
                text = changed.decode("utf-8")
            except UnicodeDecodeError:
                refused += 1  # not even text (the CLI refuses it as such)
                continue
            with pytest.raises(D.DocumentError):
                D.open_sealed(text, bytes(parties[0].key))
            refused += 1
    assert refused == 2 * len(raw)
    assert D.open_sealed(sealed, bytes(parties[0].key)) == bundle

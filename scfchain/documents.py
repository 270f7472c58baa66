"""Private trade documents: a salted Merkle commitment for selective disclosure, and sealed copies.

A document is a JSON object. Nested objects are flattened to dotted field names (`buyer.name`); an array
is one field whose value is the whole JSON array (its items are disclosed together or not at all). Each
field gets a fresh random 32-byte salt, so a disclosed proof reveals nothing about the other fields.

Leaf = keccak256(keccak256(abi.encode(string name, string value, bytes32 salt))), value being the field's
JSON serialised compactly with sorted keys; the tree is OpenZeppelin's `StandardMerkleTree` (leaves sorted
by hash, its array layout, sorted-pair hashing), so its root, proofs and `MerkleProof.verify` agree with ours.

Sealing: the bundle (values and salts) is encrypted once with a random AES-256-GCM key; that key is wrapped
for each recipient with ECIES on secp256k1 (`eciespy`). The header (recipients, root) is the GCM associated
data and the file must be in its canonical form, so any changed byte is refused.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from eth_abi import encode as abi_encode
from eth_utils import keccak

from .errors import ScfError

LEAF_TYPES = ("string", "string", "bytes32")
SEALED_FORMAT = "scfchain-sealed/1"


class DocumentError(ScfError):
    """A document, bundle, proof or sealed file that cannot be used as given."""


# ---------------------------------------------------------------- values and fields
def encode_value(value: Any, name: str = "") -> str:
    """The committed text of a field's JSON value (a string keeps its quotes)."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False)
        text.encode("utf-8")
    except ValueError as exc:  # NaN/Infinity, or a lone surrogate (UnicodeEncodeError is a ValueError)
        what = "a lone UTF-16 surrogate" if isinstance(exc, UnicodeEncodeError) else "a number out of range"
        raise DocumentError(f"field {name}: {what} cannot be committed") from None
    except TypeError:
        raise DocumentError(f"field {name}: not a JSON value ({type(value).__name__})") from None
    return text


def leaf_hash(name: str, value_text: str, salt: bytes) -> bytes:
    try:
        return keccak(keccak(abi_encode(list(LEAF_TYPES), [name, value_text, salt])))
    except UnicodeEncodeError:
        raise DocumentError(f"field name {name!r}: a lone UTF-16 surrogate cannot be committed") from None


@dataclass(frozen=True)
class Field:
    name: str
    value: Any
    salt: bytes

    @property
    def text(self) -> str:
        return encode_value(self.value, self.name)

    @property
    def leaf(self) -> bytes:
        return leaf_hash(self.name, self.text, self.salt)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "salt": "0x" + self.salt.hex()}


def flatten(document: Any) -> list[tuple[str, Any]]:
    """(dotted name, value) for each field, in document order. Objects nest; anything else is a value (an
    empty object too, so that nothing of the document is dropped)."""
    if not isinstance(document, dict):
        kind = "an array" if isinstance(document, list) else f"a {type(document).__name__}"
        raise DocumentError(f"a document is a JSON object, not {kind}")
    out: list[tuple[str, Any]] = []

    def walk(prefix: str, obj: dict[str, Any]) -> None:
        for key, value in obj.items():
            if not isinstance(key, str) or key == "" or "." in key:
                where = f" in {prefix}" if prefix else ""
                raise DocumentError(f"field name {key!r}{where}: names must be non-empty and without '.' "
                                    "('.' joins nested names)")
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and value:
                walk(name, value)
            else:
                encode_value(value, name)
                out.append((name, value))

    walk("", document)
    if not out:
        raise DocumentError("the document has no fields")
    return out


def unflatten(fields: Iterable[Field]) -> dict[str, Any]:
    """The nested document back from its fields (the inverse of `flatten`)."""
    doc: dict[str, Any] = {}
    for f in fields:
        *parents, last = f.name.split(".")
        node = doc
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise DocumentError(f"field {f.name}: {p} is both a value and an object")
        if last in node:
            raise DocumentError(f"field {f.name} appears twice")
        node[last] = f.value
    return doc


# ---------------------------------------------------------------- the tree (OpenZeppelin StandardMerkleTree)
def _node(a: bytes, b: bytes) -> bytes:
    return keccak(a + b if a <= b else b + a)


class MerkleTree:
    """The array of a StandardMerkleTree: leaves sorted by hash at the end, in reverse; tree[0] the root."""

    def __init__(self, leaves: Sequence[bytes]):
        if not leaves:
            raise DocumentError("the document has no fields")
        ordered = sorted(leaves)
        n = len(ordered)
        tree: list[bytes] = [b""] * (2 * n - 1)
        for i, leaf in enumerate(ordered):
            tree[len(tree) - 1 - i] = leaf
        for i in range(len(tree) - 1 - n, -1, -1):
            tree[i] = _node(tree[2 * i + 1], tree[2 * i + 2])
        self.tree = tree
        self._index = {leaf: len(tree) - 1 - i for i, leaf in enumerate(ordered)}

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        """Siblings from the leaf up to the root (OpenZeppelin's `getProof` order)."""
        i = self._index[leaf]
        proof = []
        while i > 0:
            proof.append(self.tree[i - 1 if i % 2 == 0 else i + 1])
            i = (i - 1) // 2
        return proof


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """The root a proof leads to from `leaf` (OpenZeppelin `MerkleProof.processProof`)."""
    node = leaf
    for sibling in proof:
        node = _node(node, sibling)
    return node


# ---------------------------------------------------------------- bundles and disclosures
@dataclass(frozen=True)
class Bundle:
    """A committed document: every field with its salt (private) and the root (public, the documentHash)."""

    root: bytes
    fields: tuple[Field, ...]

    def to_json(self) -> dict[str, Any]:
        return {"root": "0x" + self.root.hex(), "fields": [f.to_json() for f in self.fields]}

    def document(self) -> dict[str, Any]:
        return unflatten(self.fields)

    def select(self, names: Sequence[str]) -> list[Field]:
        """The fields named, in bundle order; a name may be an object prefix (`buyer` for `buyer.*`)."""
        chosen: list[Field] = []
        for name in names:
            match = [f for f in self.fields if f.name == name or f.name.startswith(name + ".")]
            if not match:
                raise DocumentError(f"no field {name!r} in the document (fields: "
                                    + ", ".join(f.name for f in self.fields) + ")")
            chosen += [f for f in match if f not in chosen]
        return [f for f in self.fields if f in chosen]


def commit(document: Any) -> Bundle:
    """Commits a document: a fresh random salt per field, the Merkle root over the leaves."""
    fields = tuple(Field(name, value, os.urandom(32)) for name, value in flatten(document))
    return Bundle(MerkleTree([f.leaf for f in fields]).root, fields)


def disclose(bundle: Bundle, names: Sequence[str]) -> dict[str, Any]:
    """The chosen fields with their salts and proofs: the PROOF file anyone can check against the root."""
    if not names:
        raise DocumentError("no fields chosen to disclose")
    tree = MerkleTree([f.leaf for f in bundle.fields])
    return {"root": "0x" + bundle.root.hex(),
            "fields": [{**f.to_json(), "proof": ["0x" + p.hex() for p in tree.proof(f.leaf)]}
                       for f in bundle.select(names)]}


@dataclass(frozen=True)
class FieldCheck:
    name: str
    value: Any
    ok: bool


def verify_disclosure(disclosure: dict[str, Any]) -> tuple[bytes, list[FieldCheck]]:
    """Checks each disclosed field's proof against the disclosure's root; returns the root and the checks."""
    root, entries = _shape(disclosure, with_proof=True)
    checks = []
    for f, proof in entries:
        checks.append(FieldCheck(f.name, f.value, process_proof(f.leaf, proof) == root))
    return root, checks


def bundle_from_json(data: Any) -> Bundle:
    """A bundle read back, checked: its fields must hash to its root."""
    root, entries = _shape(data, with_proof=False)
    fields = tuple(f for f, _ in entries)
    unflatten(fields)  # the names must form a document (no duplicates, no value that is also an object)
    if MerkleTree([f.leaf for f in fields]).root != root:
        raise DocumentError(f"its fields do not hash to its root 0x{root.hex()} (a value or salt was changed)")
    return Bundle(root, fields)


def _hex32(value: Any, what: str) -> bytes:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise DocumentError(f"{what} must be a 0x-prefixed 32-byte hex string, got {value!r}")


def _shape(data: Any, with_proof: bool) -> tuple[bytes, list[tuple[Field, list[bytes]]]]:
    kind = "disclosure" if with_proof else "bundle"
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list) or "root" not in data:
        made_by = "scfchain document " + ("disclose" if with_proof else "commit")
        raise DocumentError(f"not a {kind} (made by `{made_by}`): expected {{\"root\": \"0x…\", \"fields\": [...]}}")
    root = _hex32(data["root"], "root")
    if not data["fields"]:
        raise DocumentError(f"the {kind} has no fields")
    out = []
    for i, entry in enumerate(data["fields"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "value" not in entry:
            raise DocumentError(f"fields[{i}] must be an object with name, value and salt")
        name = entry["name"]
        salt = _hex32(entry.get("salt"), f"field {name}: salt")
        proof: list[bytes] = []
        if with_proof:
            if not isinstance(entry.get("proof"), list):
                raise DocumentError(f"field {name}: no proof (a list of 0x-prefixed hashes)")
            proof = [_hex32(p, f"field {name}: proof entry") for p in entry["proof"]]
        field = Field(name, entry["value"], salt)
        field.leaf  # noqa: B018  (refuses a value or name that cannot be committed, naming the field)
        out.append((field, proof))
    return root, out


# ---------------------------------------------------------------- the document on chain
@dataclass(frozen=True)
class OnChainDocument:
    cert_id: int
    root_id: int
    tier: int
    debtor: str
    maturity: int
    document_hash: bytes


def certificate_document(scf: Any, cert_id: int) -> OnChainDocument:
    """The document root behind any certificate: its root receivable's `ReceivableIssued` documentHash,
    cross-checked with `receivableOf`. `scf` is a `lifecycle.Scf`."""
    cert = scf.certificate(cert_id)
    if not cert.exists:
        raise DocumentError(f"certificate {cert_id} does not exist")
    issued = scf.events(scf.certificates, "ReceivableIssued", rootId=cert.root_id)
    if len(issued) != 1:
        raise DocumentError(f"receivable #{cert.root_id} has {len(issued)} ReceivableIssued events on this node")
    doc = bytes.fromhex(issued[0]["documentHash"][2:])
    if scf.certificates.functions.receivableOf(doc).call() != cert.root_id:
        raise DocumentError(f"receivableOf(0x{doc.hex()}) is not receivable #{cert.root_id}")
    return OnChainDocument(cert_id, cert.root_id, cert.tier, cert.debtor, cert.maturity, doc)


# ---------------------------------------------------------------- keys and sealing
def public_key_of(private_key: bytes) -> str:
    """The Ethereum (64-byte, 0x-prefixed) public key of a private key: what others seal to."""
    from eth_keys import keys

    return keys.PrivateKey(private_key).public_key.to_hex()


def parse_public_key(text: str) -> bytes:
    """A secp256k1 public key given as hex (64-byte Ethereum, 65-byte uncompressed or 33-byte compressed),
    checked to be on the curve; returned in the 64-byte form."""
    from ecies.keys import PublicKey

    raw = text.strip()
    if len(raw) == 42 and raw.startswith("0x"):
        raise DocumentError(f"{raw} is an address, not a public key (`scfchain document pubkey` prints one)")
    try:
        data = bytes.fromhex(raw[2:] if raw.startswith("0x") else raw)
        if len(data) not in (33, 64, 65):
            raise ValueError
        return PublicKey("secp256k1", data).to_bytes(compressed=False)[1:]
    except ValueError:
        raise DocumentError(f"not a secp256k1 public key: {raw!r}") from None


def _canonical(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=True)


def seal(bundle: Bundle, public_keys: Sequence[bytes]) -> str:
    """The sealed file's text: the bundle encrypted once, its key wrapped for each public key."""
    import ecies
    from Crypto.Cipher import AES

    if not public_keys:
        raise DocumentError("no recipients to seal to")
    keys_ = list(dict.fromkeys(public_keys))
    content_key = os.urandom(32)
    header = {"format": SEALED_FORMAT, "root": "0x" + bundle.root.hex(),
              "recipients": [{"publicKey": "0x" + pk.hex(), "wrappedKey": "0x" + ecies.encrypt(pk, content_key).hex()}
                             for pk in keys_]}
    nonce = os.urandom(16)
    cipher = AES.new(content_key, AES.MODE_GCM, nonce=nonce)
    cipher.update(_canonical(header).encode())
    body, tag = cipher.encrypt_and_digest(_canonical(bundle.to_json()).encode())
    return _canonical({**header, "ciphertext": "0x" + (nonce + tag + body).hex()}) + "\n"


def open_sealed(text: str, private_key: bytes) -> Bundle:
    """The bundle inside a sealed file, for one of its recipients; any change to the file is refused."""
    import ecies
    from Crypto.Cipher import AES

    damaged = DocumentError("not a sealed document, or changed or damaged")
    try:
        data = json.loads(text)
        if _canonical(data) + "\n" != text or data.get("format") != SEALED_FORMAT:
            raise damaged
        header = {k: data[k] for k in ("format", "root", "recipients")}
        blob = bytes.fromhex(data["ciphertext"][2:])
        if data["ciphertext"] != "0x" + blob.hex() or len(blob) < 32:  # one spelling only (lowercase hex)
            raise damaged
        recipients = {r["publicKey"]: r["wrappedKey"] for r in header["recipients"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise damaged from None
    me = public_key_of(private_key)
    if me not in recipients:
        from eth_keys import keys

        address = keys.PrivateKey(private_key).public_key.to_checksum_address()
        raise DocumentError(f"not sealed for this key ({address}); it is sealed for {len(recipients)} other key(s)")
    try:
        content_key = ecies.decrypt(private_key, bytes.fromhex(recipients[me][2:]))
        cipher = AES.new(content_key, AES.MODE_GCM, nonce=blob[:16])
        cipher.update(_canonical(header).encode())
        plain = cipher.decrypt_and_verify(blob[32:], blob[16:32])
        bundle = bundle_from_json(json.loads(plain))
    except (ValueError, TypeError, DocumentError):  # a failed tag is a ValueError
        raise DocumentError("the sealed document was changed or damaged (authentication failed)") from None
    if "0x" + bundle.root.hex() != header["root"]:
        raise DocumentError("the sealed document was changed or damaged (root differs from its content)")
    return bundle


# ---------------------------------------------------------------- files
def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise DocumentError(f"duplicate key {k!r}")
        seen[k] = v
    return seen


def _refuse_constant(name: str) -> Any:
    raise DocumentError(f"{name} is not a JSON number")


def parse_json(text: str) -> Any:
    """Strict JSON: no duplicate keys, no NaN/Infinity (their meaning would not survive a round trip)."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    _check_finite(data)
    return data


def _check_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise DocumentError("a number is too large for a JSON double")
    if isinstance(value, dict):
        for v in value.values():
            _check_finite(v)
    elif isinstance(value, list):
        for v in value:
            _check_finite(v)


def read_text(path: str | Path, what: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise DocumentError(f"{what} file not found: {p}")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{p}: not UTF-8 text") from None


def read_json(path: str | Path, what: str) -> Any:
    text = read_text(path, what)
    try:
        return parse_json(text)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc}") from None


def load_bundle(path: str | Path) -> Bundle:
    data = read_json(path, "bundle")
    try:
        return bundle_from_json(data)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc}") from None


def write_atomic(path: str | Path, text: str) -> Path:
    """Writes `text` whole or not at all (a temporary file renamed into place)."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DocumentError(f"cannot write {p}: {exc.strerror}") from None
    return p


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"

"""Random trade documents, and OpenZeppelin's own StandardMerkleTree (npm) as the oracle for roots and proofs."""
from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tools" / "merkle_reference.js"

# Text that trips encoders: CJK, accents (composed and combining), emoji beyond the BMP, RTL, zero-width,
# quotes, backslashes, control characters, JSON-looking text.
ALPHABET = list("abcXYZ019 _-.,:;'\"\\/\t\n") + ["四川", "科技", "é", "e\u0301", "😀", "🧾", "ש", "\u200b", "\x00",
                                                 "\x1f", "{}", "[1]", "null", "€", "ß"]
KEY_ALPHABET = [c for c in ALPHABET if "." not in c and c]


def _text(rng: random.Random, alphabet: list[str], max_len: int = 12) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))


def _scalar(rng: random.Random) -> Any:
    kind = rng.randrange(10)
    if kind == 0:
        return ""
    if kind == 1:
        return _text(rng, ALPHABET)
    if kind == 2:
        return rng.randint(-10**6, 10**6)
    if kind == 3:  # big integers: beyond 2**53 (JS doubles) and 2**256
        return rng.choice([2**53 + 1, 2**64, -(2**255), 2**256 + 7, 10**40 + rng.randint(0, 99)])
    if kind == 4:
        return rng.choice([0.1, -0.0, 1e-300, 1.7976931348623157e308, 5e-324, rng.uniform(-1e6, 1e6), 1.0, 3.5e20])
    if kind == 5:
        return rng.choice([True, False, None])
    if kind == 6:
        return [_value(rng, 2) for _ in range(rng.randint(0, 4))]
    return _text(rng, ALPHABET, 30)


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 0 and roll < 0.2:
        return {_key(rng): _value(rng, depth - 1) for _ in range(rng.randint(0, 3))}  # may be empty: one leaf "{}"
    if depth > 0 and roll < 0.3:
        return [_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return _scalar(rng)


def _key(rng: random.Random) -> str:
    key = ""
    while not key:
        key = _text(rng, KEY_ALPHABET, 8)
    return key


def random_document(rng: random.Random, max_fields: int = 40) -> dict[str, Any]:
    """A document of 1..max_fields top-level entries (nested objects add more fields)."""
    return {_key(rng): _value(rng, 3) for _ in range(rng.randint(1, max_fields))}


def openzeppelin_trees(triples_per_document: list[list[list[str]]]) -> list[dict[str, Any]]:
    """[{root, proofs}] from @openzeppelin/merkle-tree for each document's [name, value text, salt] triples."""
    r = subprocess.run(["node", str(REFERENCE)], input=json.dumps(triples_per_document), cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)

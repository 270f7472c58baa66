"""The ABI encoder (`scfchain.abi.Calls`) against eth_abi, the oracle: every function of the seven contracts, with
values at the edges of each kind, gives eth_abi's bytes; a value eth_abi refuses is refused with eth_abi's error."""
import random

import pytest
from eth_abi import encode
from eth_abi.exceptions import EncodingError
from eth_utils import function_abi_to_4byte_selector, to_checksum_address
from eth_utils.abi import collapse_if_tuple

from scfchain.abi import Calls
from scfchain.artifacts import load

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ARTIFACTS = load()
CONTRACTS = {name: {"address": to_checksum_address(f"0x{i + 1:040x}"), "abi": art["abi"]}
             for i, (name, art) in enumerate(ARTIFACTS.items())}
FUNCTIONS = [(name, item) for name, art in ARTIFACTS.items() for item in art["abi"] if item.get("type") == "function"]


def _value(kind: str, rng: random.Random):
    if kind.endswith("[]"):
        return [_value(kind[:-2], rng) for _ in range(rng.choice([0, 1, 3, 40]))]
    if kind.startswith("uint"):
        bits = int(kind[4:])
        return rng.choice([0, 1, 2**bits - 1, rng.randrange(2**bits)])
    if kind == "address":
        raw = f"0x{rng.randrange(2**160):040x}"
        return rng.choice([raw, to_checksum_address(raw)])  # lower case and checksummed
    if kind == "bool":
        return rng.choice([True, False])
    if kind.startswith("bytes") and kind != "bytes":
        return rng.randbytes(int(kind[5:]))
    if kind == "bytes":
        return rng.randbytes(rng.choice([0, 5, 40]))
    return "text é"  # string


@pytest.mark.parametrize("name,item", FUNCTIONS, ids=[f"{n}.{i['name']}/{len(i['inputs'])}" for n, i in FUNCTIONS])
def test_calls_data_isEthAbisEncodingForEveryFunction(name, item):
    calls = Calls(CONTRACTS)
    types = [collapse_if_tuple(i) for i in item["inputs"]]
    selector = "0x" + function_abi_to_4byte_selector(item).hex()
    rng = random.Random(f"{name}.{item['name']}")
    for _ in range(20):
        args = [_value(t, rng) for t in types]
        assert calls.data(name, item["name"], *args) == selector + encode(types, args).hex()


@pytest.mark.parametrize("args", [
    (1, ["0x" + "11" * 20], [2**256]),  # an amount out of range
    (-1, ["0x" + "11" * 20], [1]),  # a negative id
    (True, ["0x" + "11" * 20], [1]),  # a bool for a uint
    (1.0, ["0x" + "11" * 20], [1]),
    (1, ["0x11"], [1]),  # a short address
    (1, [b"\x11" * 21], [1]),
    (1, "0x" + "11" * 20, [1]),  # not an array
])
def test_calls_data_badValue_raisesEthAbisError(args):
    calls = Calls(CONTRACTS)
    with pytest.raises(EncodingError) as ours:
        calls.data("ReceivableCertificate", "split", *args)
    with pytest.raises(EncodingError) as theirs:
        encode(["uint256", "address[]", "uint256[]"], list(args))
    assert type(ours.value) is type(theirs.value)


def test_calls_data_takesWhatEthAbiTakes():
    """Values outside the hand encoder's kinds (bytes addresses, short bytes32, tuples) still encode as eth_abi's."""
    calls = Calls(CONTRACTS)
    holder = b"\x22" * 20
    assert calls.data("ReceivableCertificate", "issue", holder, 5, 7, b"\x01") == calls.data(
        "ReceivableCertificate", "issue", "0x" + "22" * 20, 5, 7, b"\x01" + b"\x00" * 31)
    assert calls.data("SettlementEscrow", "claim", (1, 2)) == calls.data("SettlementEscrow", "claim", [1, 2])

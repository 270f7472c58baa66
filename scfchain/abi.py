"""The one ABI encoder for the calls scfchain builds itself (read calls batched in JSON-RPC, the load's pipelined
transactions): selectors and argument types come from the contracts' ABIs (the deployment file's), the encoding
from eth_abi. Calls sent one by one go through web3 contract objects, built from the same ABIs.

The load encodes every transaction it sends, so arguments of the kinds it uses (uintN, address, bytes32 and
one-dimensional arrays of them) are written as hex words here; any other kind or value goes to eth_abi, which
also checks each address once (`_address_word`). tests/test_abi.py holds the two to the same bytes and errors."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from eth_abi import decode, encode
from eth_utils import function_abi_to_4byte_selector
from eth_utils.abi import collapse_if_tuple

# A static argument's 64 hex digits, or None to leave the value to eth_abi (another type, out of range, …).
Word = Callable[[Any], "str | None"]


@lru_cache(maxsize=4096)
def _address_word(value: str) -> str:
    """An address as eth_abi encodes it (and checks it: raising what it raises)."""
    return encode(["address"], [value]).hex()


def _word(kind: str) -> Word | None:
    """The hand encoder of one static kind, None for kinds left to eth_abi."""
    if kind.startswith("uint") and kind[4:].isdigit():
        bound = 1 << int(kind[4:])
        return lambda v: format(v, "064x") if type(v) is int and 0 <= v < bound else None
    if kind == "address":
        return lambda v: _address_word(v) if type(v) is str else None
    if kind == "bytes32":
        return lambda v: v.hex() if type(v) is bytes and len(v) == 32 else None
    return None


def _encoder(types: list[str]) -> Callable[[list[Any]], str | None] | None:
    """Head and tail of `types` as eth_abi lays them out, for static kinds and arrays of them (`_word`); the
    encoder gives None for a value it does not take. None for a signature holding another kind."""
    parts: list[tuple[bool, Word]] = []  # (an array?, its item's or its own encoder)
    for kind in types:
        array = kind.endswith("[]")
        word = _word(kind[:-2] if array else kind)
        if word is None:
            return None
        parts.append((array, word))
    head_size = 32 * len(parts)

    def encode_hex(values: list[Any]) -> str | None:
        head: list[str] = []
        tail: list[str] = []
        tail_size = 0
        for (array, word), value in zip(parts, values):
            if not array:
                w = word(value)
                if w is None:
                    return None
                head.append(w)
                continue
            if type(value) not in (list, tuple):
                return None
            items = [word(v) for v in value]
            if None in items:
                return None
            head.append(format(head_size + tail_size, "064x"))
            tail.append(format(len(items), "064x"))
            tail.extend(items)  # type: ignore[arg-type]  # no None: checked above
            tail_size += 32 * (1 + len(items))
        return "".join(head) + "".join(tail)

    return encode_hex


class Calls:
    """`Calls(deployment.contracts).data("ReceivableCertificate", "certificate", 7)` → calldata (0x-hex);
    `.call(…)` → (the contract's address, calldata), as a batched `eth_call` wants them."""

    def __init__(self, contracts: dict[str, dict[str, Any]]):
        self.addresses = {name: entry["address"] for name, entry in contracts.items()}
        # (contract, function, number of arguments) → (0x-selector, argument types, return types)
        self._functions: dict[tuple[str, str, int], tuple[str, list[str], list[str]]] = {}
        self._encoders: dict[tuple[str, str, int], Callable[[list[Any]], str | None] | None] = {}
        for name, entry in contracts.items():
            for item in entry["abi"]:
                if item.get("type") == "function":
                    types = [collapse_if_tuple(i) for i in item["inputs"]]
                    selector = "0x" + function_abi_to_4byte_selector(item).hex()
                    outputs = [collapse_if_tuple(o) for o in item.get("outputs", [])]
                    self._functions[(name, item["name"], len(types))] = (selector, types, outputs)
                    self._encoders[(name, item["name"], len(types))] = _encoder(types)

    def _function(self, contract: str, function: str, arity: int) -> tuple[str, list[str], list[str]]:
        found = self._functions.get((contract, function, arity))
        if found is None:
            raise KeyError(f"{contract} has no function {function} of {arity} arguments")
        return found

    def data(self, contract: str, function: str, *args: Any) -> str:
        selector, types, _ = self._function(contract, function, len(args))
        fast = self._encoders[(contract, function, len(args))]
        # the load's calls: 2.5-5 µs here against eth_abi's 7-30 µs (issue 20, split 29; one run, busy machine)
        encoded = fast(list(args)) if fast is not None else None
        return selector + (encoded if encoded is not None else encode(types, list(args)).hex())

    def result(self, contract: str, function: str, answer: str, arity: int = 1) -> tuple[Any, ...]:
        """The values an `eth_call` of `function` (of `arity` arguments) returned, its answer given as 0x-hex."""
        return decode(self._function(contract, function, arity)[2], bytes.fromhex(answer[2:]))

    def call(self, contract: str, function: str, *args: Any) -> tuple[str, str]:
        return self.addresses[contract], self.data(contract, function, *args)

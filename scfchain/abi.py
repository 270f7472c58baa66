"""The one ABI encoder for the calls scfchain builds itself (read calls batched in JSON-RPC, the load's pipelined
transactions): selectors and argument types come from the contracts' ABIs (the deployment file's), the encoding
from eth_abi. Calls sent one by one go through web3 contract objects, built from the same ABIs."""
from __future__ import annotations

from typing import Any

from eth_abi import decode, encode
from eth_utils import function_abi_to_4byte_selector
from eth_utils.abi import collapse_if_tuple


class Calls:
    """`Calls(deployment.contracts).data("ReceivableCertificate", "certificate", 7)` → calldata (0x-hex);
    `.call(…)` → (the contract's address, calldata), as a batched `eth_call` wants them."""

    def __init__(self, contracts: dict[str, dict[str, Any]]):
        self.addresses = {name: entry["address"] for name, entry in contracts.items()}
        # (contract, function, number of arguments) → (0x-selector, argument types, return types)
        self._functions: dict[tuple[str, str, int], tuple[str, list[str], list[str]]] = {}
        for name, entry in contracts.items():
            for item in entry["abi"]:
                if item.get("type") == "function":
                    types = [collapse_if_tuple(i) for i in item["inputs"]]
                    selector = "0x" + function_abi_to_4byte_selector(item).hex()
                    outputs = [collapse_if_tuple(o) for o in item.get("outputs", [])]
                    self._functions[(name, item["name"], len(types))] = (selector, types, outputs)

    def _function(self, contract: str, function: str, arity: int) -> tuple[str, list[str], list[str]]:
        found = self._functions.get((contract, function, arity))
        if found is None:
            raise KeyError(f"{contract} has no function {function} of {arity} arguments")
        return found

    def data(self, contract: str, function: str, *args: Any) -> str:
        selector, types, _ = self._function(contract, function, len(args))
        return selector + encode(types, list(args)).hex()

    def result(self, contract: str, function: str, answer: str, arity: int = 1) -> tuple[Any, ...]:
        """The values an `eth_call` of `function` (of `arity` arguments) returned, its answer given as 0x-hex."""
        return decode(self._function(contract, function, arity)[2], bytes.fromhex(answer[2:]))

    def call(self, contract: str, function: str, *args: Any) -> tuple[str, str]:
        return self.addresses[contract], self.data(contract, function, *args)

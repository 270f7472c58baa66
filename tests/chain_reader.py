"""Many view calls in one JSON-RPC batch (one HTTP round trip, through the JSON-RPC layer), decoded with
brownie's ABI handling.

The stateful fuzz test reads the whole system after every step; one `eth_call` per value would cost more
than the step itself."""
from __future__ import annotations

from typing import Any

from brownie import web3

from scfchain.rpc import NodeError, Rpc


class BatchReader:
    def __init__(self) -> None:
        self.rpc = Rpc(web3.provider.endpoint_uri)
        self._calls: list[tuple[Any, str, str]] = []

    def add(self, method: Any, *args: Any) -> int:
        """Queues `method(*args)` (a brownie ContractCall); returns its index in `run()`'s result."""
        self._calls.append((method, method._address, method.encode_input(*args)))
        return len(self._calls) - 1

    def run(self, block: str = "latest") -> list[Any]:
        answers = self.rpc.batch([("eth_call", [{"to": to, "data": data}, block]) for _, to, data in self._calls],
                                 chunk=len(self._calls) or 1)
        out = []
        for (method, _, _), answer in zip(self._calls, answers):
            if isinstance(answer, NodeError):
                raise AssertionError(f"view call {method._name} failed: {answer}")
            out.append(method.decode_output(answer))
        self._calls = []
        return out

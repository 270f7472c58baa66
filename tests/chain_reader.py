"""Many view calls in one JSON-RPC batch (one HTTP round trip), decoded with brownie's ABI handling.

The stateful fuzz test reads the whole system after every step; one `eth_call` per value would cost more
than the step itself."""
from __future__ import annotations

from typing import Any

import requests
from brownie import web3


class BatchReader:
    def __init__(self) -> None:
        self.url = web3.provider.endpoint_uri
        self.session = requests.Session()
        self._calls: list[tuple[Any, str, str]] = []

    def add(self, method: Any, *args: Any) -> int:
        """Queues `method(*args)` (a brownie ContractCall); returns its index in `run()`'s result."""
        self._calls.append((method, method._address, method.encode_input(*args)))
        return len(self._calls) - 1

    def run(self, block: str = "latest") -> list[Any]:
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [{"to": to, "data": data}, block]}
            for i, (_, to, data) in enumerate(self._calls)
        ]
        answers = {a["id"]: a for a in self.session.post(self.url, json=payload, timeout=60).json()}
        out = []
        for i, (method, _, _) in enumerate(self._calls):
            answer = answers[i]
            if "error" in answer:
                raise AssertionError(f"view call {method._name} failed: {answer['error']}")
            out.append(method.decode_output(answer["result"]))
        self._calls = []
        return out

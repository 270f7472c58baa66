"""A lean JSON-RPC client for bulk reads (logs, batched calls): web3.py's result formatting costs more than
the node's work when tens of thousands of logs come back. Transient faults are retried with backoff."""
from __future__ import annotations

import itertools
import json
from typing import Any, Sequence

from ..chain import RpcError, post_retrying, rpc_session


class NodeError(RpcError):
    """The node answered a request with a JSON-RPC error (e.g. a log range it will not serve)."""

    def __init__(self, method: str, error: dict[str, Any]):
        self.code = error.get("code")
        self.message = str(error.get("message", error))
        super().__init__(f"{method} refused by the node: {self.message}")


class Node:
    def __init__(self, url: str, timeout: float = 60.0, retries: int = 5):
        if not url.startswith(("http://", "https://")):
            raise RpcError(f"--rpc-url must be an http(s) URL, got {url!r}")
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.session = rpc_session(url)
        self._ids = itertools.count(1)

    def post_raw(self, payload: Any) -> bytes:
        """The node's answer as bytes, unparsed (for callers that parse it elsewhere)."""
        r = post_retrying(self.session, self.url, payload, self.timeout, self.retries)
        if r.status_code == 413 or (r.status_code >= 400 and not r.content):
            # Too large a request or answer: reported like a refused range so callers shrink it.
            raise NodeError("request", {"code": r.status_code, "message": f"HTTP {r.status_code}"})
        return r.content

    def _post(self, payload: Any) -> Any:
        raw = self.post_raw(payload)
        try:
            return json.loads(raw)
        except ValueError:
            raise RpcError(f"the node at {self.url} did not answer JSON-RPC") from None

    def request(self, method: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        reply = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)})
        if not isinstance(reply, dict):
            raise RpcError(f"{method}: unexpected answer from the node")
        if "error" in reply:
            raise NodeError(method, reply["error"])
        return reply.get("result")

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], chunk: int = 200) -> list[Any]:
        """Results in order; a failed entry is returned as a NodeError (not raised)."""
        results: list[Any] = []
        for start in range(0, len(calls), chunk):
            part = calls[start : start + chunk]
            ids = [next(self._ids) for _ in part]
            payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in zip(ids, part)]
            replies = self._post(payload)
            if isinstance(replies, dict):  # some nodes answer a whole batch with one error
                raise NodeError("batch", replies.get("error", {"message": str(replies)}))
            by_id = {r.get("id"): r for r in replies}
            for i, (method, _) in zip(ids, part):
                r = by_id.get(i, {"error": {"message": "no answer in the batch"}})
                results.append(NodeError(method, r["error"]) if "error" in r else r.get("result"))
        return results

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def block(self, number: int) -> dict[str, Any]:
        b = self.call("eth_getBlockByNumber", [hex(number), False])
        if b is None:
            raise RpcError(f"the node has no block {number}")
        return b

"""A thin JSON-RPC client with batching, for bulk work (load, raw throughput) where web3.py's per-call
overhead would dominate. Transient faults are retried like in `Chain`."""
from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Sequence

from .chain import RpcError, post_retrying, rpc_session


class BatchRpc:
    def __init__(self, url: str, timeout: float = 60.0, retries: int = 6):
        self.url = url
        self.session = rpc_session(url)
        self.timeout = timeout
        self.retries = retries
        self._ids = itertools.count(1)

    def _post(self, payload: Any) -> Any:
        r = post_retrying(self.session, self.url, payload, self.timeout, self.retries)
        r.raise_for_status()
        return r.json()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        reply = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)})
        if "error" in reply:
            raise RpcError(f"{method} failed: {reply['error'].get('message')}")
        return reply["result"]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], chunk: int = 250) -> list[Any]:
        """Sends calls in JSON-RPC batches; returns results in order (an error entry becomes an RpcError)."""
        results: list[Any] = []
        for start in range(0, len(calls), chunk):
            part = calls[start : start + chunk]
            ids = [next(self._ids) for _ in part]
            payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in zip(ids, part)]
            replies = {r["id"]: r for r in self._post(payload)}
            for i, (method, _) in zip(ids, part):
                r = replies[i]
                results.append(RpcError(f"{method}: {r['error'].get('message')}", r["error"].get("data"))
                               if "error" in r else r["result"])
        return results

    def wait_receipts(
        self,
        hashes: Sequence[str],
        timeout: float = 300.0,
        on_stall: Callable[[list[str]], None] | None = None,
        stall_after: float = 2.0,
    ) -> list[dict[str, Any]]:
        """Polls receipts in batches until all are mined; `on_stall(pending)` runs (e.g. to rebroadcast)
        when nothing new was mined for `stall_after` seconds."""
        receipts: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        pending = list(hashes)
        last_progress = time.monotonic()
        while pending:
            before = len(pending)
            got = self.batch([("eth_getTransactionReceipt", [h]) for h in pending])
            still = []
            for h, r in zip(pending, got):
                if isinstance(r, dict):
                    receipts[h] = r
                else:
                    still.append(h)
            pending = still
            if len(pending) < before:
                last_progress = time.monotonic()
            elif on_stall and time.monotonic() - last_progress > stall_after:
                on_stall(pending)
                last_progress = time.monotonic()
            if pending:
                if time.monotonic() > deadline:
                    raise RpcError(f"{len(pending)} transactions not mined within {timeout:.0f}s")
                time.sleep(0.05)
        return [receipts[h] for h in hashes]

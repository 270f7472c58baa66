"""Indexing: every event of the six contracts, fetched with chunked `eth_getLogs`, decoded, stored.

* The chunk (in blocks) adapts: halved when the node refuses a range (too many results, too wide,
  answer too large), doubled again while answers stay small.
* Fetching runs one chunk ahead of decoding and storing (a background thread), so the node's time and
  ours overlap.
* Resumable: each chunk is committed with the cursor that follows it. Blocks within `confirmations` of
  the head are stored but marked not final; the next run deletes and fetches them again, and checks that
  the last final block still has the hash it had, so a reorganisation cannot leave stale rows.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from eth_abi import decode as abi_decode

from ..deploy import Deployment
from ..errors import ScfError
from .events import Decoder
from .node import Node, NodeError
from .store import Store

DEFAULT_CONFIRMATIONS = 12
DEFAULT_CHUNK = 2_000
MAX_CHUNK = 100_000
GROW_BELOW = 5_000  # logs in an answer under which the next chunk may double


@dataclass
class Progress:
    start: int
    end: int
    done_to: int
    logs: int
    chunk: int
    seconds: float

    @property
    def fraction(self) -> float:
        span = self.end - self.start + 1
        return 1.0 if span <= 0 else (self.done_to - self.start + 1) / span


@dataclass
class IndexResult:
    from_block: int
    to_block: int
    final_block: int
    head: int
    chunks: int
    logs: int
    stored: int
    refused: int
    dropped: int
    seconds: float
    total_events: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def bind(store: Store, deployment: Deployment) -> None:
    """Refuses an index built for another deployment; records this one in a fresh index."""
    contracts = json.dumps({k: v["address"] for k, v in sorted(deployment.contracts.items())}, sort_keys=True)
    have_chain, have_contracts = store.get("chainId"), store.get("contracts")
    if have_chain is None:
        store.set("chainId", deployment.chain_id)
        store.set("contracts", contracts)
        store.set("deploymentBlock", deployment.block)
    elif int(have_chain) != deployment.chain_id or have_contracts != contracts:
        raise ScfError(f"{store.path} indexes another deployment (chain {have_chain}); use another --db or --rebuild")


def _token_meta(node: Node, token: str) -> tuple[int, str]:
    decimals, symbol = 2, "?"
    try:
        decimals = int(node.call("eth_call", [{"to": token, "data": "0x313ce567"}, "latest"]), 16)
        raw = node.call("eth_call", [{"to": token, "data": "0x95d89b41"}, "latest"])
        (symbol,) = abi_decode(["string"], bytes.fromhex(raw[2:]))
    except (NodeError, ValueError, TypeError, Exception):  # noqa: BLE001 — a token without metadata
        pass
    return decimals, symbol


class Indexer:
    def __init__(
        self,
        node: Node,
        deployment: Deployment,
        store: Store,
        confirmations: int = DEFAULT_CONFIRMATIONS,
        chunk: int = DEFAULT_CHUNK,
        max_chunk: int = MAX_CHUNK,
        progress: Callable[[Progress], None] | None = None,
    ):
        if confirmations < 0:
            raise ScfError(f"--confirmations must be >= 0, got {confirmations}")
        if chunk < 1:
            raise ScfError(f"--chunk must be >= 1 block, got {chunk}")
        self.node = node
        self.deployment = deployment
        self.store = store
        self.confirmations = confirmations
        self.chunk = chunk
        self.max_chunk = max(max_chunk, chunk)
        self.progress = progress
        self.decoder = Decoder(deployment)
        self.addresses = [c["address"] for c in deployment.contracts.values()]
        self.refused = 0

    # ------------------------------------------------------------ fetching
    def _fetch(self, a: int, b: int, final: int) -> tuple[list[dict[str, Any]], str | None]:
        calls: list[tuple[str, list[Any]]] = [
            ("eth_getLogs", [{"fromBlock": hex(a), "toBlock": hex(b), "address": self.addresses}])
        ]
        if final >= a:
            calls.append(("eth_getBlockByNumber", [hex(final), False]))
        replies = self.node.batch(calls)
        for r in replies:
            if isinstance(r, Exception):
                raise r
        logs = replies[0]
        if not isinstance(logs, list):
            raise NodeError("eth_getLogs", {"message": "no list of logs in the answer"})
        final_hash = replies[1]["hash"] if final >= a and replies[1] else None
        missing = sorted({int(log["blockNumber"], 16) for log in logs if "blockTimestamp" not in log})
        if missing:  # nodes that do not put the block time on logs: read the headers, in batches
            headers = self.node.batch([("eth_getBlockByNumber", [hex(n), False]) for n in missing])
            times = {n: h["timestamp"] for n, h in zip(missing, headers) if isinstance(h, dict)}
            for log in logs:
                if "blockTimestamp" not in log:
                    log["blockTimestamp"] = times.get(int(log["blockNumber"], 16), "0x0")
        return logs, final_hash

    def ranges(self, start: int, end: int, safe: int) -> Iterator[tuple[int, int, list[dict[str, Any]], int, str | None]]:
        """(from, to, logs, final block, its hash) per chunk; shrinks the chunk when the node refuses."""
        a, chunk = start, self.chunk
        while a <= end:
            b = min(a + chunk - 1, end)
            final = min(b, safe)
            try:
                logs, final_hash = self._fetch(a, b, final)
            except NodeError:
                if chunk == 1:
                    raise
                self.refused += 1
                chunk = max(1, chunk // 2)
                continue
            yield a, b, logs, final, final_hash
            if len(logs) < GROW_BELOW and chunk < self.max_chunk:
                chunk = min(chunk * 2, self.max_chunk)
            a = b + 1

    def _prefetch(self, start: int, end: int, safe: int) -> Iterator[tuple[int, int, list[dict[str, Any]], int, str | None]]:
        q: queue.Queue[Any] = queue.Queue(maxsize=3)
        stop = threading.Event()
        done = object()

        def work() -> None:
            try:
                for item in self.ranges(start, end, safe):
                    while not stop.is_set():
                        try:
                            q.put(item, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                q.put(done)
            except BaseException as exc:  # noqa: BLE001 — handed to the consumer
                q.put(exc)

        thread = threading.Thread(target=work, name="scfchain-getlogs", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    # ------------------------------------------------------------ decoding
    def rows(self, logs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        out = []
        decode, dumps = self.decoder.decode, json.dumps
        for log in logs:
            if log.get("removed"):
                continue
            decoded = decode(log)
            if decoded is None:
                continue
            spec, args = decoded
            out.append((
                int(log["blockNumber"], 16), int(log["logIndex"], 16), log["transactionHash"],
                int(log["transactionIndex"], 16), int(log["blockTimestamp"], 16), spec.contract, spec.name,
                dumps(args, separators=(",", ":")),
            ))
        return out

    # ------------------------------------------------------------ the run
    def run(self, to_block: int | None = None) -> IndexResult:
        t0 = time.monotonic()
        store, node = self.store, self.node
        if node.chain_id() != self.deployment.chain_id:
            raise ScfError(f"chain id mismatch: the node is chain {node.chain_id()}, "
                           f"the deployment is for {self.deployment.chain_id}")
        bind(store, self.deployment)
        if store.get("decimals") is None:
            decimals, symbol = _token_meta(node, self.deployment.address("PaymentToken"))
            store.set("decimals", decimals)
            store.set("symbol", symbol)
        first = self.deployment.block
        fetched, final = store.get_int("fetched_to"), store.get_int("final_to")
        dropped = 0
        if fetched is None:
            start = first
        else:
            final = first - 1 if final is None else final
            if final >= first:
                stored_hash = store.get("final_hash")
                block = node.call("eth_getBlockByNumber", [hex(final), False])
                if block is None or (stored_hash and block["hash"] != stored_hash):
                    raise ScfError(f"the chain was reorganised below the index's safety margin (block {final} "
                                   "changed): run `scfchain audit index --rebuild`")
            if fetched > final:
                dropped = store.drop_after(final, {"fetched_to": final})
            start = min(fetched, final) + 1
        head = node.block_number()
        end = head if to_block is None else min(to_block, head)
        safe = head - self.confirmations
        chunks = logs_seen = stored = 0
        last_final = final if fetched is not None else first - 1
        for a, b, logs, fin, fin_hash in self._prefetch(start, end, safe):
            rows = self.rows(logs)
            meta: dict[str, Any] = {"fetched_to": b}
            if fin >= a and fin_hash:
                meta.update(final_to=fin, final_hash=fin_hash)
                last_final = fin
            else:
                meta["final_to"] = last_final
            store.commit_chunk(rows, meta)
            chunks += 1
            logs_seen += len(logs)
            stored += len(rows)
            if self.progress:
                self.progress(Progress(start, end, b, stored, b - a + 1, time.monotonic() - t0))
        if end >= start:
            store.set("indexed_time", int(node.block(end)["timestamp"], 16))
        return IndexResult(start, end, max(last_final, start - 1), head, chunks, logs_seen, stored, self.refused,
                           dropped, round(time.monotonic() - t0, 3), store.count())


def index(
    node: Node,
    deployment: Deployment,
    store: Store,
    confirmations: int = DEFAULT_CONFIRMATIONS,
    chunk: int = DEFAULT_CHUNK,
    to_block: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> IndexResult:
    """Brings the index up to date (or up to `to_block`); returns what was done."""
    return Indexer(node, deployment, store, confirmations, chunk, progress=progress).run(to_block)

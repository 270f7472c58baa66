"""Indexing: every event of the six contracts, fetched with chunked `eth_getLogs`, decoded, stored.

* The chunk (in blocks) adapts: halved when the node refuses a range (too many results, too wide,
  answer too large); otherwise sized so that an answer holds about TARGET_LOGS logs at the density of the
  last range or of its last block, whichever is higher (at most 2x larger than the last range): a chain
  whose logs bunch in a few sealed blocks is fetched block by block from its first dense block on.
* A pipeline: one thread fetches the next ranges (waiting on the node, off the interpreter lock) while this
  one decodes each answer in parts of PART rows and stores each range's parts as they come, in one
  transaction with its cursor; so the node's work overlaps decoding and storing. With two cores or more,
  two worker processes parse, decode and store the later answers instead, each half of every answer (with
  two cores, only in a long run: see Indexer.__init__).
* Resumable: the cursor (last block stored) advances once every range before it is stored; a run
  starts by deleting rows past the cursor (an interrupted run's workers may have stored some). Blocks within `confirmations` of
  the head are stored but marked not final; the next run deletes and fetches them again, and checks that
  the last final block still has the hash it had, so a reorganisation cannot leave stale rows.
"""
from __future__ import annotations

import collections
import contextlib
import json
import multiprocessing
import os
import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from eth_abi import decode as abi_decode

from ..abi import Calls
from ..deploy import Deployment
from ..errors import ScfError
from ..rpc import NodeError, Rpc
from .events import Decoder
from .store import Store

DEFAULT_CONFIRMATIONS = 12
DEFAULT_CHUNK = 10  # blocks in the first range; the next ranges aim at TARGET_LOGS logs per answer
MAX_CHUNK = 100_000
TARGET_LOGS = 2_500  # answers of a few thousand logs keep fetching and decoding overlapped


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
        store.set("deployer", deployment.deployer)
    elif int(have_chain) != deployment.chain_id or have_contracts != contracts:
        raise ScfError(f"{store.path} indexes another deployment (chain {have_chain}); use another --db or --rebuild")


def _token_meta(node: Rpc, deployment: Deployment) -> tuple[int, str]:
    decimals, symbol = 2, "?"
    abi = Calls(deployment.contracts)
    try:
        token, data = abi.call("PaymentToken", "decimals")
        decimals = int(node.call("eth_call", [{"to": token, "data": data}, "latest"]), 16)
        token, data = abi.call("PaymentToken", "symbol")
        raw = node.call("eth_call", [{"to": token, "data": data}, "latest"])
        (symbol,) = abi_decode(["string"], bytes.fromhex(raw[2:]))
    except (NodeError, ValueError, TypeError, Exception):  # noqa: BLE001 — a token without metadata
        pass
    return decimals, symbol


_WORKER_DECODER: Decoder | None = None
_WORKER_DB: str = ""
_WORKER_STORE: Any = None
_WRITE_LOCK: Any = None  # SQLite: one writer at a time, handed over at once (its busy wait sleeps)
PARALLEL_FROM = 800  # logs in an answer from which decoding and storing move to worker processes
PARALLEL_AFTER = 200_000  # with two cores: logs a run indexes in this process before the workers start
PART = 2_500  # rows decoded, then stored, at a time
WORKERS_AHEAD = 2  # answers handed to the worker processes beyond the oldest range they have not stored yet


_HASH = re.compile(rb'"blockHash":"(0x[0-9a-fA-F]{64})"')


def _block_hash_in(raw: bytes, block: int) -> str | None:
    """The hash of `block` as its last log in a raw eth_getLogs answer gives it (the log object around the
    last `"blockNumber":"<block>"`; a log holds no nested object), or None when no log of it is there."""
    at = raw.rfind(b'"blockNumber":"%s"' % hex(block).encode())
    if at < 0:
        return None
    found = _HASH.search(raw, raw.rfind(b"{", 0, at) + 1, raw.find(b"}", at))
    return found.group(1).decode() if found else None


def _parse(raw: bytes) -> list[dict[str, Any]]:
    logs = json.loads(raw)["result"]
    if not isinstance(logs, list):
        raise NodeError("eth_getLogs", {"message": "no list of logs in the answer"})
    return logs


def decode_rows(decoder: Decoder, logs: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Table rows of the logs this deployment's ABIs describe, and the blocks whose time the logs lack
    (their rows carry time -1)."""
    out = []
    missing: set[int] = set()
    decode = decoder.decode_parts
    append = out.append
    for log in logs:
        if log.get("removed"):
            continue
        decoded = decode(log["address"], log["topics"], log["data"])
        if decoded is None:
            continue
        spec, args = decoded
        stamp = log.get("blockTimestamp")
        if stamp is None:
            missing.add(int(log["blockNumber"], 16))
        append((int(log["blockNumber"], 16), int(log["logIndex"], 16), log["transactionHash"],
                int(log["transactionIndex"], 16), int(stamp, 16) if stamp is not None else -1, spec.contract,
                spec.name, args))
    return out, sorted(missing)


# A log exactly as Anvil (and nodes built on the same RPC types) writes it. Answers in this shape are read
# with one regular expression instead of being parsed into dictionaries; any other shape (key order,
# spacing, removed logs) falls back to the JSON parser.
_LOG = re.compile(
    r'\{"address":"([^"]*)","topics":\[([^\]]*)\],"data":"([^"]*)","blockHash":"[^"]*","blockNumber":"([^"]*)",'
    r'"blockTimestamp":"([^"]*)","transactionHash":"([^"]*)","transactionIndex":"([^"]*)","logIndex":"([^"]*)",'
    r'"removed":false\}')


def _matches(raw: bytes, count: int | None = None) -> list[tuple[str, ...]] | None:
    """The fields of every log of an answer in Anvil's shape (see _LOG); None for any other shape. `count`:
    the logs in the answer, when the caller has counted them (a pass over the answer fewer)."""
    text = raw.decode("utf-8", "replace")
    found = _LOG.findall(text)
    return found if len(found) == (text.count('"logIndex"') if count is None else count) else None


def _rows_of(decoder: Decoder, found: list[tuple[str, ...]]) -> list[tuple[Any, ...]]:
    out = []
    append = out.append
    # the decoder's generated functions looked up here rather than through decode_parts: 0.40 against 0.46
    # CPU-s for the 81,674 logs of the 10k benchmark; the rare rest (another case of address, eth_abi's
    # events) goes through decode_parts
    compiled = decoder.compiled.get
    decode = decoder.decode_parts
    # a block's logs come together, and a transaction's: their numbers parsed once per run of equal text
    # (0.25 against 0.22 CPU-s for the 10k benchmark's logs)
    last_block: str | None = None  # (never equal to a field: the first log parses all three)
    last_stamp: str | None = None
    last_tx: str | None = None
    number = stamp_number = tx_number = 0
    for address, topics_text, data, block, stamp, tx, tx_index, log_index in found:
        topics = topics_text[1:-1].split('","') if topics_text else []
        entry = compiled((address, topics[0])) if topics else None
        if entry is not None and entry[1] is not None and len(topics) == entry[2]:
            spec = entry[0]
            try:
                args = entry[1](topics, data)
            except (ValueError, IndexError, TypeError):
                continue
        else:
            decoded = decode(address, topics, data)
            if decoded is None:
                continue
            spec, args = decoded
        if block != last_block:
            last_block, number = block, int(block, 16)
        if stamp != last_stamp:
            last_stamp, stamp_number = stamp, int(stamp, 16)
        if tx_index != last_tx:
            last_tx, tx_number = tx_index, int(tx_index, 16)
        append((number, int(log_index, 16), tx, tx_number, stamp_number, spec.contract, spec.name, args))
    return out


def rows_from_answer(decoder: Decoder, raw: bytes) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Rows of a raw eth_getLogs answer (see decode_rows)."""
    found = _matches(raw)
    return decode_rows(decoder, _parse(raw)) if found is None else (_rows_of(decoder, found), [])


def answer_parts(decoder: Decoder, raw: bytes, size: int,
                 count: int | None = None) -> Iterator[tuple[list[tuple[Any, ...]], list[int], bool]]:
    """rows_from_answer in parts of `size` rows, decoded as they are asked for: (rows, blocks lacking a
    time, last part?); `count`: the logs in the answer, when counted already."""
    found = _matches(raw, count)
    if found is None:
        yield (*decode_rows(decoder, _parse(raw)), True)
        return
    for k in range(0, len(found), size):
        yield _rows_of(decoder, found[k : k + size]), [], k + size >= len(found)
    if not found:
        yield [], [], True


_BETWEEN_LOGS = b'},{"address":"'  # a log holds no nested object: only the end of one log and the start of the next


def split_answer(raw: bytes, parts: int) -> list[bytes]:
    """A raw eth_getLogs answer as up to `parts` answers of consecutive logs, cut between logs near equal
    sizes (each a JSON answer of its own, in the node's shape); the answer whole where its logs do not
    start with "address" (another node's key order or spacing)."""
    out: list[bytes] = []
    rest = raw
    for k in range(parts, 1, -1):
        at = rest.find(_BETWEEN_LOGS, len(rest) // k)
        if at < 0:
            break
        out.append(rest[: at + 1] + b"]}")
        rest = b'{"result":[' + rest[at + 2 :]
    return [*out, rest]


def _store_in_worker(raw: bytes) -> tuple[int, list[int]]:
    """In a worker process: parse, decode and store one answer; (rows stored, blocks lacking a time)."""
    global _WORKER_STORE
    assert _WORKER_DECODER is not None
    if _WORKER_STORE is None:
        _WORKER_STORE = Store(_WORKER_DB)
    rows, missing = rows_from_answer(_WORKER_DECODER, raw)
    with _WRITE_LOCK:
        _WORKER_STORE.commit_chunk(rows, {})
    return len(rows), missing


class Indexer:
    def __init__(
        self,
        node: Rpc,
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
        # A thread fetches the next ranges while this one decodes and stores; with two cores or more,
        # two worker processes decode and store the later answers instead (each half of every answer): from
        # the first large one with cores to spare beyond the node's and this process's (3 or more), after
        # PARALLEL_AFTER logs with two. There the interpreter lock, not the node, bounds a long catch-up
        # (100k bench on 2 busy shared cores, SQLite, index rate / raw rate, alternated runs: workers from
        # the start 0.60-1.17, median 0.92 of 8, against 0.65-0.77, median 0.72 of 6, without), while a
        # short one is quicker without them (10k: medians of 7, 0.48 against 0.66).
        cores = os.cpu_count() or 1
        self.parallel = cores >= 2
        self.parallel_after = 0 if cores >= 3 else PARALLEL_AFTER
        self.prefetch = True
        self.workers = 2
        self._pool: Any = None
        self._fetcher: threading.Thread | None = None  # the thread fetching ahead (_prefetched)
        self._park, self._parked, self._resume = threading.Event(), threading.Event(), threading.Event()
        self.fixed = False  # True: keep `chunk` blocks per range (shrinking only when refused)
        self.refused = 0
        self.ranges_used: list[tuple[int, int]] = []  # the ranges the node answered, in order

    # ------------------------------------------------------------ fetching
    def _fetch(self, a: int, b: int, final: int) -> tuple[bytes, int, str | None]:
        """The raw eth_getLogs answer for blocks a..b (parsed later, by the consumer: parsing here would
        fight it for the interpreter lock), a count of its logs, and the hash of block `final`."""
        raw = self.node.post_raw(self.node.request(
            "eth_getLogs", [{"fromBlock": hex(a), "toBlock": hex(b), "address": self.addresses}]))
        if b'"error"' in raw[:256] or b'"result"' not in raw[:256]:
            try:
                reply = json.loads(raw)
            except ValueError:
                raise NodeError("eth_getLogs", {"message": "an answer that is not JSON"}) from None
            raise NodeError("eth_getLogs", reply.get("error") or {"message": "no result in the answer"})
        final_hash = None
        if final >= a:
            # a log of block `final` carries its hash: one request (and its wait) fewer per range
            final_hash = _block_hash_in(raw, final)
            if final_hash is None:
                block = self.node.call("eth_getBlockByNumber", [hex(final), False])
                final_hash = block["hash"] if block else None
        return raw, raw.count(b'"logIndex"'), final_hash

    def ranges(self, start: int, end: int, safe: int) -> Iterator[tuple[int, int, bytes, int, int, str | None]]:
        """(from, to, raw answer, logs in it, final block, its hash) per chunk; shrinks the chunk when the
        node refuses a range."""
        a, chunk = start, self.chunk
        while a <= end:
            b = min(a + chunk - 1, end)
            final = min(b, safe)
            try:
                raw, count, final_hash = self._fetch(a, b, final)
            except NodeError:
                if chunk == 1:
                    raise
                self.refused += 1
                chunk = max(1, chunk // 2)
                continue
            self.ranges_used.append((a, b))
            yield a, b, raw, count, final, final_hash
            # the next range: as many blocks as should hold TARGET_LOGS at this density, within 1/4x..2x
            if not self.fixed:
                # the density is the range's average or its last block's, whichever is higher: a chain
                # whose logs bunch in a few blocks (sealed blocks of thousands of transactions) is then
                # fetched block by block from the first dense block on, so that decoding overlaps fetching
                if a == b:  # (a pass over the answer fewer: 0.03 of the 10k bench's 0.6 CPU-s)
                    last = count
                else:
                    mark = b'"blockNumber":"%s"' % hex(b).encode()
                    last = raw.count(mark, max(0, raw.find(mark)))  # its logs come last: counted from the first
                wanted = TARGET_LOGS // max(1, last, count // (b - a + 1))
                chunk = max(1, min(self.max_chunk, 2 * chunk, wanted))
            a = b + 1

    # ------------------------------------------------------------ decoding
    def rows(self, logs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return decode_rows(self.decoder, logs)[0]

    def _decode_here(self, raw: bytes) -> tuple[list[tuple[Any, ...]], list[int]]:
        return rows_from_answer(self.decoder, raw)

    def _start_pool(self) -> Any:
        """Worker processes (forked: they inherit the decoder), each with its own connection to the
        index. None where fork is not available."""
        global _WORKER_DECODER, _WORKER_DB, _WRITE_LOCK
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        ctx = multiprocessing.get_context("fork")
        _WORKER_DECODER, _WORKER_DB = self.decoder, self.store.url
        _WRITE_LOCK = ctx.Lock() if self.store.dialect.one_writer else contextlib.nullcontext()
        with self._fetcher_parked():
            return ctx.Pool(self.workers)

    @contextlib.contextmanager
    def _fetcher_parked(self) -> Iterator[None]:
        """The fetching thread parked between two answers while the worker processes are forked: a fork
        copies the locks other threads hold (the HTTP client's, the interpreter's import lock, …) held for
        good in the child, and a thread parked there holds none. The wait is for its answer in hand at most,
        once a run; forking when the run starts instead would cost every short run the workers."""
        thread = self._fetcher
        if thread is None or not thread.is_alive():
            yield
            return
        self._resume.clear()
        self._park.set()
        try:
            while thread.is_alive() and not self._parked.wait(0.05):
                pass
            yield
        finally:
            self._park.clear()
            self._resume.set()

    def _fill_stored_times(self, missing: list[int]) -> None:
        headers = self.node.batch([("eth_getBlockByNumber", [hex(n), False]) for n in missing])
        self.store.fill_times([(int(h["timestamp"], 16), n) for n, h in zip(missing, headers) if isinstance(h, dict)])

    def _fill_times(self, rows: list[tuple[Any, ...]], missing: list[int]) -> list[tuple[Any, ...]]:
        """Nodes that do not put the block time on logs: read those headers, in batches."""
        if not missing:
            return rows
        headers = self.node.batch([("eth_getBlockByNumber", [hex(n), False]) for n in missing])
        times = {n: int(h["timestamp"], 16) for n, h in zip(missing, headers) if isinstance(h, dict)}
        return [r if r[4] >= 0 else (*r[:4], times.get(r[0], 0), *r[5:]) for r in rows]

    def _prefetched(self, source: Iterator[Any], depth: int = 4) -> Iterator[Any]:
        """`source` run ahead in a thread of its own, `depth` items ahead. Closing this generator stops the
        thread at its next item without waiting for it (it may be waiting on the node; it touches no index)."""
        q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        stop = threading.Event()
        done = object()

        def put(item: Any) -> bool:
            """`item` into the queue unless stopped; parks the thread, holding no lock, when asked to."""
            while not stop.is_set():
                if self._park.is_set():
                    self._parked.set()
                    self._resume.wait()
                    self._parked.clear()
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def work() -> None:
            try:
                for item in source:
                    if not put(item):
                        return
                put(done)
            except BaseException as exc:  # noqa: BLE001 — re-raised in the consumer
                put(exc)

        thread = self._fetcher = threading.Thread(target=work, name="scfchain-index", daemon=True)
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

    def _decoded(self, fetched: Iterator[tuple[int, int, bytes, int, int, str | None]],
                 threaded: bool) -> Iterator[tuple[int, int, int, int, str | None, list[tuple[Any, ...]], bool,
                                                   list[Any] | None]]:
        """(from, to, logs (on a range's first part, else 0), final block, its hash, rows, last part?, None)
        for each part of PART rows of each answer; once the worker processes have started (run),
        (from, to, logs, final block, its hash, [], True, their jobs storing the range). `threaded`: the
        fetching runs ahead in a thread of its own (the node's answers are waited on off the interpreter
        lock), so that the node's work overlaps decoding and storing. Decoding in a third thread, beside the
        storing one, did not overlap them: each SQLite statement and each read of an answer gives up the
        interpreter lock and then waits for the decoding thread's switch interval to get it back (10k bench,
        SQLite, alternated runs on a busy machine, best of 5-8: 0.84 / 1.22 / 1.22 s and 0.60 / 0.81 / 0.74
        CPU-s with the third thread against 0.66 / 1.07 / 0.98 s and 0.58 / 0.70 / 0.61 CPU-s without;
        PostgreSQL 10k level, 1.88 / 1.48 against 2.02 / 1.50 s, 100k 15.8 against 14.0 s, 1 run)."""
        def parts(source: Iterator[tuple[int, int, bytes, int, int, str | None]]) -> Iterator[Any]:
            for a, b, raw, count, fin, fin_hash in source:
                pool = self._pool
                if pool is not None:
                    yield a, b, count, fin, fin_hash, [], True, [
                        pool.apply_async(_store_in_worker, (part,)) for part in split_answer(raw, self.workers)]
                    continue
                for rows, missing, last in answer_parts(self.decoder, raw, PART, count):
                    yield a, b, count, fin, fin_hash, self._fill_times(rows, missing), last, None
                    count = 0

        return parts(self._prefetched(fetched) if threaded else fetched)

    @staticmethod
    def _parts(items: Iterator[Any], rows: list[tuple[Any, ...]], last: bool) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of one range: the part in hand, then the next parts from `items` up to the range's last."""
        yield rows
        while not last:
            *_, rows, last, _ = next(items)
            yield rows

    # ------------------------------------------------------------ the run
    def run(self, to_block: int | None = None) -> IndexResult:
        t0 = time.monotonic()
        store, node = self.store, self.node
        if node.chain_id() != self.deployment.chain_id:
            raise ScfError(f"chain id mismatch: the node is chain {node.chain_id()}, "
                           f"the deployment is for {self.deployment.chain_id}")
        bind(store, self.deployment)
        if store.get("decimals") is None:
            decimals, symbol = _token_meta(node, self.deployment)
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
            # rows past the final block may be reorganised away; rows past the cursor are from an
            # interrupted run's workers: both are fetched again
            dropped = store.drop_after(min(fetched, final), {"fetched_to": min(fetched, final)})
            start = min(fetched, final) + 1
        head = node.block_number()
        end = head if to_block is None else min(to_block, head)
        safe = head - self.confirmations
        chunks = logs_seen = stored = 0
        last_final = final if fetched is not None else first - 1
        # Each range is stored with its cursor in one transaction; a range the worker processes store (in
        # parts, one transaction each) gets its cursor once they are done, after every range before it. Rows
        # a crash leaves beyond the cursor are deleted when the next run starts.

        def advance(a: int, b: int, fin: int, fin_hash: str | None, parts: Iterable[list[tuple[Any, ...]]],
                    n: int = 0) -> None:
            """Stores the rows of blocks a..b (`n` more rows the workers stored) with the cursor after them."""
            nonlocal chunks, stored, last_final
            meta: dict[str, Any] = {"fetched_to": b}
            if fin >= a and fin_hash:
                meta.update(final_to=fin, final_hash=fin_hash)
                last_final = fin
            else:
                meta["final_to"] = last_final
            with _WRITE_LOCK if self._pool is not None else contextlib.nullcontext():
                n += store.commit_parts(parts, meta)
            chunks += 1
            stored += n
            if self.progress:
                self.progress(Progress(start, end, b, stored, b - a + 1, time.monotonic() - t0))

        # ranges the workers store, in chain order: (from, to, final block, its hash, their jobs)
        pending: collections.deque[tuple[int, int, int, str | None, list[Any]]] = collections.deque()

        def settle(ahead: int) -> None:
            """Advances the cursor over the oldest pending ranges whose jobs are done, waiting for them while
            more than `ahead` are pending (so that the workers have the next answers while one is stored)."""
            while pending and (len(pending) > ahead or all(job.ready() for job in pending[0][4])):
                a, b, fin, fin_hash, jobs = pending.popleft()
                n = 0
                for job in jobs:
                    done, missing = job.get()
                    n += done
                    if missing:
                        self._fill_stored_times(missing)
                advance(a, b, fin, fin_hash, [], n)

        items = self._decoded(self.ranges(start, end, safe), threaded=self.prefetch)
        tried = not self.parallel
        try:
            for a, b, count, fin, fin_hash, rows, last, jobs in items:
                logs_seen += count
                if not tried and count >= PARALLEL_FROM and logs_seen > self.parallel_after:
                    # the answers not decoded yet go to worker processes; forked here, between this thread's
                    # transactions (the only thread using the database: no lock of its driver held in the
                    # fork), with the fetching thread parked (_fetcher_parked)
                    tried = True
                    self._pool = self._start_pool()
                if jobs is None:  # each range's rows, part by part as they are decoded
                    settle(0)
                    advance(a, b, fin, fin_hash, self._parts(items, rows, last))
                    continue
                pending.append((a, b, fin, fin_hash, jobs))
                settle(WORKERS_AHEAD)
            settle(0)
        finally:
            items.close()  # type: ignore[attr-defined]
            if self._pool is not None:
                self._pool.terminate()
                self._pool.join()
                self._pool = None
        if end >= start:
            store.set("indexed_time", int(node.block(end)["timestamp"], 16))
        return IndexResult(start, end, max(last_final, start - 1), head, chunks, logs_seen, stored, self.refused,
                           dropped, round(time.monotonic() - t0, 3), store.count())


def index(
    node: Rpc,
    deployment: Deployment,
    store: Store,
    confirmations: int = DEFAULT_CONFIRMATIONS,
    chunk: int = DEFAULT_CHUNK,
    to_block: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> IndexResult:
    """Brings the index up to date (or up to `to_block`); returns what was done."""
    return Indexer(node, deployment, store, confirmations, chunk, progress=progress).run(to_block)

"""The one JSON-RPC layer: every request to a node goes through here.

* `session(url)`: a kept-alive requests session whose proxy settings are read once (requests reads the
  environment on every request otherwise: a tenth of a busy client's time).
* `Rpc`: `call`, chunked `batch` (an error per entry comes back in its place) and raw posts, for bulk work
  (the load, the auditor, the benchmarks, the coverage tool, the tests) where web3.py's formatting would cost
  more than the node's work.
* `Connection`: one kept-alive `http.client` connection, for one thread's hot loop against a local node (the
  coverage tool sends several requests per traced transaction): a third of the per-request cost of a requests
  session (0.33 against 0.97 ms for eth_getCode on Anvil here; the plugin's own http.client code took 0.30),
  the same policy and answers.
* `Provider`: web3.py's HTTP provider on the same session and policy, for the library's contract calls
  (`chain.connect`); web3.py's own retries are turned off, so no request is retried at two levels.
* `RetryPolicy`: the one retry policy. Only transient faults (a refused or dropped connection, a timeout) are
  retried, with backoff, and no attempt starts after `budget` seconds: a dead node is reported within
  `budget` plus one request timeout. A request that may have reached the node is sent again only when doing so
  cannot apply it twice (`idempotent`).
* `NodeError`: the node answered with a JSON-RPC error; it carries the error object (code, message, data) for
  the revert decoder.
"""
from __future__ import annotations

import http.client
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import requests
from urllib3.exceptions import ConnectTimeoutError, DecodeError, ProtocolError, ReadTimeoutError
from web3 import HTTPProvider

from .errors import ScfError

T = TypeVar("T")

TRANSIENT: tuple[type[Exception], ...] = (requests.ConnectionError, requests.Timeout, ConnectionError,
                                          TimeoutError)

# Methods a second delivery would apply twice (another block mined, time moved twice, a snapshot taken or
# reverted twice). Every other method reads or sets a value. A raw transaction sent again is the same signed
# transaction under the same hash: the node answers with the hash, "already known", or "nonce too low" once it is
# mined (`chain.Chain` then finds its receipt), so it never runs twice. `eth_sendTransaction` with its nonce set
# is signed again by the node into the same transaction (deterministic signatures), likewise; without a nonce
# the node would pick the next one and a resend would be a second transaction.
NOT_IDEMPOTENT = frozenset({"evm_mine", "anvil_mine", "hardhat_mine", "evm_increaseTime", "anvil_increaseTime",
                            "evm_snapshot", "anvil_snapshot", "evm_revert", "anvil_revert"})


def idempotent(method: str, params: Any = ()) -> bool:
    """Whether delivering this request twice has the effect of delivering it once."""
    if method == "eth_sendTransaction":
        tx = params[0] if isinstance(params, (list, tuple)) and params else None
        return isinstance(tx, dict) and tx.get("nonce") is not None
    return method not in NOT_IDEMPOTENT


def _idempotent_payload(payload: Any) -> bool:
    calls = payload if isinstance(payload, list) else [payload]
    return all(idempotent(c.get("method", ""), c.get("params", ())) for c in calls if isinstance(c, dict))


class RpcError(ScfError):
    """The node could not be reached or refused a request; `data`: the `data` of the node's error, if any."""

    def __init__(self, message: str, data: Any = None):
        super().__init__(message)
        self.data = data


class Unreachable(RpcError):
    """The node did not answer within the retry policy's budget; `fault`: the last fault's type name."""

    def __init__(self, message: str, fault: str):
        super().__init__(message)
        self.fault = fault


class NodeError(RpcError):
    """The node answered a request with a JSON-RPC error (a revert, a log range it will not serve, …): its
    error object as `code`, `message` and `data` (revert data, as `chain.revert_payload` reads it)."""

    def __init__(self, method: str, error: dict[str, Any]):
        self.method = method
        self.code = error.get("code")
        self.message = str(error.get("message", error))
        super().__init__(f"{method} refused by the node: {self.message}", error.get("data"))


def unsent(exc: BaseException) -> bool:
    """True when a fault happened before the request left: the connection was refused or never opened."""
    if isinstance(exc, (requests.ConnectTimeout, ConnectionRefusedError)):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)  # urllib3's NewConnectionError (refused) is one


@dataclass(frozen=True)
class RetryPolicy:
    """Retries transient faults with backoff (`first_delay`, doubling, at most `max_delay`); no attempt starts
    more than `budget` seconds after the first. A fault after the request may have reached the node is retried
    only for an idempotent request; otherwise it is reported at once (sending again might apply it twice)."""

    budget: float = 10.0
    first_delay: float = 0.2
    max_delay: float = 2.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def run(self, attempt: Callable[[], T], idempotent: bool = True, where: str = "") -> T:
        """`attempt()`'s result; `where` names the node in the error (`at URL`, `during eth_call`)."""
        start = self.clock()
        delay = self.first_delay
        while True:
            try:
                return attempt()
            except TRANSIENT as exc:
                fault = type(exc).__name__
                if not (idempotent or unsent(exc)):
                    raise RpcError(f"the connection to the node {where} failed ({fault}) after the request may "
                                   "have reached it; not sent again, since it would apply twice") from None
                if self.clock() + delay - start > self.budget:
                    raise Unreachable(f"node unreachable {where}: {fault}", fault) from None
                self.sleep(delay)
                delay = min(delay * 2, self.max_delay)


DEFAULT_RETRY = RetryPolicy()


def session(url: str) -> requests.Session:
    """A requests session for JSON-RPC to `url`: kept-alive connections, proxy settings read once."""
    s = requests.Session()
    s.proxies = requests.utils.get_environ_proxies(url)
    s.trust_env = False
    return s


class Rpc:
    """A JSON-RPC client on one kept-alive session, with the layer's retry policy."""

    def __init__(self, url: str, timeout: float = 60.0, retry: RetryPolicy = DEFAULT_RETRY):
        if not url.startswith(("http://", "https://")):
            raise RpcError(f"--rpc-url must be an http(s) URL, got {url!r}")
        self.url = url
        self.timeout = timeout
        self.retry = retry
        self.session = session(url)
        self._ids = itertools.count(1)

    def request(self, method: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}

    def post_raw(self, payload: Any, idempotent: bool | None = None) -> bytes:
        """The node's answer to `payload` (a request, a list of them, or their JSON as bytes) as bytes,
        unparsed (for callers that parse it elsewhere). `idempotent`: by default from the methods in it."""
        if idempotent is None:
            idempotent = _idempotent_payload(json.loads(payload) if isinstance(payload, bytes) else payload)
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()

        def send() -> tuple[int, bytes]:
            with self.session.post(self.url, data=body, timeout=self.timeout, stream=True,
                                   headers={"Content-Type": "application/json"}) as r:
                try:
                    # the body in one read: requests' `.content` reads it in 10 KB pieces, each retaking the
                    # interpreter lock (64 MB of eth_getLogs answers: 0.11 against 0.03 CPU-s here, and a thread
                    # fetching beside a busy one waits for the lock at each piece)
                    return r.status_code, r.raw.read(decode_content=True)
                except ReadTimeoutError as exc:
                    raise requests.Timeout(str(exc)) from exc
                except (ProtocolError, DecodeError) as exc:  # a dropped or truncated answer: transient
                    raise requests.ConnectionError(str(exc)) from exc

        status, content = self.retry.run(send, idempotent, f"at {self.url}")
        if status == 413 or (status >= 400 and not content):
            # Too large a request or answer: reported like a refused range so callers shrink it.
            raise NodeError("request", {"code": status, "message": f"HTTP {status}"})
        return content

    def post(self, payload: Any, idempotent: bool | None = None) -> Any:
        """The node's answer to `payload`, parsed: a reply object (or a list of them for a batch)."""
        raw = self.post_raw(payload, idempotent)
        try:
            return json.loads(raw)
        except ValueError:
            raise RpcError(f"the node at {self.url} did not answer JSON-RPC") from None

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one request; a JSON-RPC error is raised as NodeError."""
        reply = self.post(self.request(method, params))
        if not isinstance(reply, dict):
            raise RpcError(f"{method}: unexpected answer from the node")
        if "error" in reply:
            raise NodeError(method, reply["error"])
        return reply.get("result")

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], chunk: int = 200) -> list[Any]:
        """Results in order, in JSON-RPC batches of `chunk` calls; a failed entry is returned as a NodeError
        in its place (not raised)."""
        results: list[Any] = []
        for start in range(0, len(calls), chunk):
            part = calls[start : start + chunk]
            payload = [self.request(m, p) for m, p in part]
            replies = self.post(payload)
            if isinstance(replies, dict):  # some nodes answer a whole batch with one error
                raise NodeError("batch", replies.get("error", {"message": str(replies)}))
            by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
            for request, (method, _) in zip(payload, part):
                r = by_id.get(request["id"], {"error": {"message": "no answer in the batch"}})
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


class Connection:
    """JSON-RPC over one kept-alive `http.client` connection: not thread-safe, no proxies (see the module's
    docstring for when it pays); reconnects under the retry policy when the node closed the connection."""

    def __init__(self, url: str, timeout: float = 600.0, retry: RetryPolicy = DEFAULT_RETRY):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise RpcError(f"a Connection takes an http:// URL, got {url!r}")
        self.url = url
        self.host, self.port, self.path = parts.hostname, parts.port or 80, parts.path or "/"
        self.timeout = timeout
        self.retry = retry
        self.conn: http.client.HTTPConnection | None = None

    def _attempt(self, body: bytes) -> bytes:
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
            return self.conn.getresponse().read()
        except (http.client.HTTPException, OSError) as exc:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            if isinstance(exc, OSError):
                raise
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc  # a broken answer: transient

    def post(self, body: bytes, idempotent: bool | None = None) -> Any:
        """The node's parsed answer to `body` (a request or a batch, as JSON bytes)."""
        if idempotent is None:
            idempotent = _idempotent_payload(json.loads(body))
        raw = self.retry.run(lambda: self._attempt(body), idempotent, f"at {self.url}")
        try:
            return json.loads(raw)
        except ValueError:
            raise RpcError(f"the node at {self.url} did not answer JSON-RPC") from None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Provider(HTTPProvider):
    """web3.py's HTTP provider on this layer's session and retry policy; web3.py's own retries are off."""

    def __init__(self, url: str, timeout: float = 30.0, retry: RetryPolicy = DEFAULT_RETRY):
        super().__init__(url, request_kwargs={"timeout": timeout}, session=session(url),
                         exception_retry_configuration=None)
        self.retry = retry

    def make_request(self, method: Any, params: Any) -> Any:
        return self.retry.run(lambda: super(Provider, self).make_request(method, params), idempotent(method, params),
                              f"at {self.endpoint_uri}")

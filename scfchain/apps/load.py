"""Load: N receivables through the whole lifecycle (issue, split down T tiers, financing at the last tier, a loan
against the tier-1 holder's remainder — requested, funded, then repaid before the receivable is, or settled after —,
repayment, claims) with transactions pipelined in JSON-RPC batches, then auditor-grade checks.

Each phase sends its transactions in windows of at most WINDOW without waiting for each (nonces assigned here,
the dev accounts' signed here), waiting for each sender's last one of a window before the next window; ids
created in a phase are read from the phase's logs (in the background, while the next phase goes out, for
the phases whose logs no later phase needs).

On a node given by URL, with a deployment file (`--out`), a run cut short resumes: the same command again finds
the deployment in the file, waits until the earlier run's transactions still in the node's pool are mined, reads
from the contracts' events what is already on chain (`OnChain`) and sends only the rest. Document hashes are
keccak(certificate contract, receivable index), so a receivable already issued is recognised. An embedded Anvil
dies with the process: there is nothing to resume there."""
from __future__ import annotations

import gc
import itertools
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from coincurve import PrivateKey
from Crypto.Hash import keccak as keccak_hash
from eth_account import Account
from eth_utils import keccak

from scfchain.abi import Calls
from scfchain.anvil import Anvil
from scfchain.audit.replay import chain_ledger
from scfchain.chain import Chain, connect, mined_hash
from scfchain.constants import DAY
from scfchain.deploy import Deployment, deploy, deployment_on_chain
from scfchain.errors import ErrorDecoder, ScfError
from scfchain.lifecycle import Scf, role_id
from scfchain.rpc import Rpc, RpcError

FACE = 1_024_000  # divisible by 2**10: halving down ten tiers leaves no rounding dust
LOAN_UNITS = FACE // 2  # the tier-1 holder's remainder after its split, pledged
LOAN_PRINCIPAL = FACE // 4
LOAN_RATE_BPS = 700
ZERO = "0x" + "00" * 20
PENDING_TIMEOUT = 120.0  # how long a resumed run waits for the earlier run's transactions to be mined
CLAIM_BATCH = 40
# The embedded node seals blocks on demand: each phase goes out, then the load mines it (`evm_mine`), as a
# sequencer seals a batch. Anvil's work per block grows with the state (after 1000 receivables an empty block
# costs it 31 ms, against 0.7 ms on a fresh node): with a block per transaction (automine) the load fell from
# 412 tx/s in its first phase to 40 tx/s in its sixth, and with a block every 100 ms a third of the node's time
# went to blocks. The raw figure it is compared with is measured on a node set up and sealed the same way.
SEALED_GAS_LIMIT = 2_000_000_000  # one block holds a phase of ~10,000 transactions
SEALED_NODE_ARGS = ["--gas-limit", str(SEALED_GAS_LIMIT)]
# Most transactions pending in the node at once (Pipeline.run): a window is sealed (or awaited) before the next.
# With a whole phase of 10,000 in the pool, Anvil's cost grew faster than the pool (10,000 x 5 at 244 tx/s, its
# issue phase at 346, against 721 and 1,224 with windows of 2,000; node-signed, one busy run each). Windows of
# 500 / 1,000 / 2,000 / 4,000 gave 638 / 803 / - / 734 tx/s on a busy machine, then 1,000 / 2,000 paired on a
# quieter one 1,568 / 1,763 tx/s (10,000 x 5, signed here): fewer blocks for the per-block cost, small pools.
WINDOW = 2000

DEV_MNEMONIC = "test test test test test test test test test test test junk"  # Anvil's and Hardhat's dev accounts
T = TypeVar("T")
# A transaction for `Pipeline.run`: (from, to, calldata or a function giving it, gas).
Tx = tuple[str, str, str | Callable[[], str], int]
GAS = {"issue": 250_000, "split": 250_000, "finance": 300_000, "repay": 200_000, "requestLoan": 300_000,
       "fundLoan": 200_000, "repayLoan": 250_000, "settleLoan": 300_000}


@dataclass
class LoadResult:
    receivables: int
    tiers: int
    transactions: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    resent: int = 0  # transactions the node dropped and the load sent again
    resumed: bool = False  # ran on the deployment of an earlier run (`transactions`: only this run's)
    skipped: dict[str, int] = field(default_factory=dict)  # resumed: per step, actions found on chain
    first_block: int = 0  # the phases' first block (the set-up's are before it)
    peak_mib: float = 0.0  # the client's peak resident memory (this process's ru_maxrss) at the end

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


def send_rounds(rpc: Rpc, queues: Sequence[Sequence[tuple[str, list[Any]]]],
                ready: Callable[[int], None] | None = None) -> list[list[Any]]:
    """Sends each sender's queue in order: one JSON-RPC batch per round, holding the next transaction of
    every sender, one batch at a time. A node may handle a batch in any order, and Anvil drops or strands a
    transaction that arrives before its predecessor, so no batch holds two transactions of one sender and
    no two batches are on the wire at once. `ready(r)`, if given, returns once round r of every queue is in
    place (the queues' lengths are final from the start; `Pipeline` fills them while the rounds go out)."""
    results: list[list[Any]] = [[] for _ in queues]
    for r in range(max((len(q) for q in queues), default=0)):
        if ready is not None:
            ready(r)
        live = [i for i, q in enumerate(queues) if r < len(q)]
        for i, res in zip(live, rpc.batch([queues[i][r] for i in live])):
            if isinstance(res, Exception):
                # Hardhat, mining each transaction as it comes, answers one that reverted with an error naming
                # its hash, where Anvil returns the hash: mined either way, its receipt says it failed.
                res = mined_hash(getattr(res, "data", None)) or res
            if isinstance(res, Exception):
                raise ScfError(f"a transaction was refused: {res}")
            results[i].append(res)
    return results


def resend_lost(rpc: Rpc, queues: Sequence[Sequence[tuple[str, list[Any]]]],
                hashes: Sequence[Sequence[str]]) -> int:
    """Sends again, each sender's in nonce order (`send_rounds`), the transactions of `queues` (already sent,
    their hashes in `hashes`) that the node no longer knows; returns how many. Same nonce and fields, so each
    comes back under its hash and nothing can run twice; a node that signs anew with a random nonce is reported."""
    known = iter(rpc.batch([("eth_getTransactionByHash", [h]) for hs in hashes for h in hs]))
    lost = [[(call, h) for call, h in zip(q, hs) if next(known) is None] for q, hs in zip(queues, hashes)]
    lost = [sender for sender in lost if sender]
    for sender, again in zip(lost, send_rounds(rpc, [[call for call, _ in sender] for sender in lost])):
        for (_, tx_hash), new_hash in zip(sender, again):
            if new_hash != tx_hash:
                raise ScfError(f"the node dropped transaction {tx_hash} and signed it anew as {new_hash}")
    return sum(map(len, lost))


def await_mined(rpc: Rpc, hashes: Sequence[str], seal: bool, resend: Callable[[list[str]], None],
                stall_after: float = 0.5, timeout: float = 300.0) -> list[dict[str, Any]]:
    """Waits until `hashes` are mined and returns their receipts. `seal`: the node mines on demand, so mine
    a block first and again whenever one did not take everything. `resend(pending)` runs when nothing was
    mined for `stall_after` seconds (or, sealing, after a block that mined none of them)."""
    if not seal:
        return rpc.wait_receipts(hashes, timeout, on_stall=resend, stall_after=stall_after)
    rpc.call("evm_mine")

    def next_block(pending: list[str]) -> None:
        resend(pending)
        rpc.call("evm_mine")

    return rpc.wait_receipts(hashes, timeout, on_stall=next_block, stall_after=0.0)


def revert_data(rpc: Rpc, tx_hash: str) -> str | None:
    """What a mined transaction reverted with (its call's output), by tracing it where the node can; None where
    it cannot. Anvil and geth: debug_traceTransaction's callTracer (`output`); Hardhat only has the default
    struct-log tracer (`returnValue`; geth's gives it without 0x), asked here for no memory, stack or storage."""
    try:
        trace = rpc.call("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        return trace.get("output") if isinstance(trace, dict) else None
    except RpcError:
        pass
    try:
        trace = rpc.call("debug_traceTransaction", [tx_hash, {"disableStorage": True, "disableMemory": True,
                                                              "disableStack": True}])
    except RpcError:
        return None
    value = trace.get("returnValue") if isinstance(trace, dict) else None
    return None if value is None else "0x" + value.removeprefix("0x")


def dev_keys(accounts: Sequence[str]) -> dict[str, PrivateKey]:
    """The keys of those of `accounts` (the node's, in its order) that are the dev mnemonic's accounts at their
    index, by lower-case address: a node started with the default mnemonic (Anvil's, Hardhat's) gives them all."""
    Account.enable_unaudited_hdwallet_features()
    keys = {}
    for i, address in enumerate(accounts):
        key = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        if key.address.lower() == address.lower():
            keys[address.lower()] = PrivateKey(key.key)
    return keys


def _rlp_item(item: bytes) -> bytes:
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(size)]) + size


def _rlp_int(value: int) -> bytes:
    return _rlp_item(value.to_bytes((value.bit_length() + 7) // 8, "big"))  # 0 is the empty string


def sign_1559(key: PrivateKey, chain_id: int, nonce: int, tip: int, fee_cap: int, gas: int, to: str,
              data: str) -> str:
    """An EIP-1559 transaction (no value, no access list) signed with `key`: its raw bytes, hex. By hand (the
    RLP too, for this one fixed shape) because the load signs every transaction: 0.08 ms each, against 0.13 ms
    with the `rlp` package and eth_account's 0.53 ms (1,000 signatures, one run); Anvil's eth_sendTransaction cost it 1.9 ms a transaction against 0.8 ms raw
    (10,144 of the 1,000×5 load). tests/test_load.py checks the bytes against eth_account's."""
    body = b"".join([_rlp_int(chain_id), _rlp_int(nonce), _rlp_int(tip), _rlp_int(fee_cap), _rlp_int(gas),
                     _rlp_item(bytes.fromhex(to[2:])), _rlp_int(0), _rlp_item(bytes.fromhex(data[2:])), b"\xc0"])
    # pycryptodome's keccak called directly, not through eth_utils' (the same library behind checks and dispatch):
    # a signature 42-45 µs against 45-48 (20,000 signatures, three runs)
    digest = keccak_hash.new(data=b"\x02" + _rlp_length(len(body), 0xC0) + body, digest_bits=256).digest()
    sig = key.sign_recoverable(digest, hasher=None)  # r ‖ s ‖ y
    signed = body + _rlp_int(sig[64]) + _rlp_int(int.from_bytes(sig[:32], "big")) + _rlp_int(
        int.from_bytes(sig[32:64], "big"))
    return "0x02" + (_rlp_length(len(signed), 0xC0) + signed).hex()


class Pipeline:
    """Sends many transactions from node-held accounts with locally tracked nonces, without waiting for
    each: a phase goes out window by window (see `send_rounds`, `run`), then its results are read from the logs.
    Senders in `keys` are signed for here and sent raw; the node signs for the others.

    A node may drop a transaction it accepted: Anvil, building a block, skips one that no longer fits the
    block's gas and then drops the sender's next one as "nonce too high". A phase that stops making progress
    sends what the node no longer knows again (same nonce, same fields: nothing can run twice)."""

    def __init__(self, url: str, tip: int, seal: bool = False, stall_after: float = 0.5,
                 decoder: ErrorDecoder | None = None, window: int = WINDOW,
                 keys: dict[str, PrivateKey] | None = None):
        if window < 1:
            raise ScfError(f"the pending window must be at least 1 transaction, got {window}")
        self.rpc = Rpc(url)
        self.window = window
        self.keys = keys or {}  # senders signed for here (raw transactions); the others the node signs
        self.chain_id = int(self.rpc.call("eth_chainId"), 16) if self.keys else 0
        self.decoder = decoder or ErrorDecoder([])  # the contracts' custom errors, to say why one reverted
        self.tip = tip
        self.seal = seal
        self.stall_after = stall_after
        self.nonces: dict[str, int] = {}
        self.gas_limit = 0  # the node's block gas limit, read with the first phase's fees
        self.sent = 0
        self.resent = 0
        self._later: list[Future[Any]] = []  # `run_later`'s reads, in phase order

    def why(self, tx_hash: str, rpc: Rpc | None = None) -> str:
        """A reverted transaction's reason, decoded from the contracts' errors (traced through `rpc`, by default
        the pipeline's)."""
        data = revert_data(rpc or self.rpc, tx_hash)
        if data is None:
            return "the node cannot trace it to say why"
        return str(self.decoder.decode(data))

    def fees(self, gas: int, new_senders: Sequence[str] = ()) -> tuple[dict[str, str], int]:
        """Fees for a phase that may use up to `gas`, and the head's number: when blocks fill up the base fee
        rises by up to 1/8 per block, so the cap covers that rise over the blocks the phase can fill (plus two).
        Only the base fee of the block and the tip are paid; a cap at twice the base fee would price the tail of
        a long phase out of every block, leaving it in the pool for good. The head's base fee is read with
        eth_feeHistory, not from the block, which lists its transactions (a sealed window's 2,000: 6 ms a phase
        here); the gas limit once, from the first phase's head. The pending nonces of `new_senders` are read into
        `nonces` in the same batch: one round trip before a phase goes out, not two (7 of the 1,000 x 5 load's 12
        phases bring new senders)."""
        head, history, *counts = self.rpc.batch([("eth_blockNumber", []), ("eth_feeHistory", [1, "latest", []]),
                                                 *(("eth_getTransactionCount", [s, "pending"]) for s in new_senders)])
        if isinstance(head, Exception):
            raise head
        for sender, count in zip(new_senders, counts):
            if isinstance(count, Exception):
                raise RpcError(f"cannot read the nonce of {sender}: {count}")
            self.nonces[sender] = int(count, 16)
        base = history.get("baseFeePerGas", [None])[0] if isinstance(history, dict) else None
        if base is None or self.gas_limit == 0:
            block = self.rpc.call("eth_getBlockByNumber", [head, False])
            if block.get("baseFeePerGas") is None:  # a pre-London chain
                return {"gasPrice": self.rpc.call("eth_gasPrice")}, int(head, 16)
            base, self.gas_limit = block["baseFeePerGas"], int(block["gasLimit"], 16)
        blocks = min(-(-gas // self.gas_limit) + 2, 60)
        cap = int(base, 16) * 9**blocks // 8**blocks + self.tip
        return {"maxFeePerGas": hex(cap), "maxPriorityFeePerGas": hex(self.tip)}, int(head, 16)

    def _call(self, tx: Tx, nonce: int, fees: dict[str, str]) -> tuple[str, list[Any]]:
        """The request sending `tx` with `nonce`: raw, signed here, for a sender in `keys` under EIP-1559 fees;
        otherwise for the node to sign."""
        sender, to, data, gas = tx
        data = _calldata(data)
        key = self.keys.get(sender.lower()) if "maxFeePerGas" in fees else None
        if key is not None:
            tip, cap = int(fees["maxPriorityFeePerGas"], 16), int(fees["maxFeePerGas"], 16)
            return ("eth_sendRawTransaction", [sign_1559(key, self.chain_id, nonce, tip, cap, gas, to, data)])
        return ("eth_sendTransaction", [{"from": sender, "to": to, "data": data, "gas": hex(gas), "nonce": hex(nonce),
                                         **fees}])

    def run(self, txs: Sequence[Tx], topic: str) -> list[list[dict[str, Any]]]:
        """Sends (from, to, data, gas) and waits until all are mined; returns, in the order of `txs`, each
        transaction's logs with event `topic`. Every transaction must have succeeded. The phase goes out in
        windows of `self.window` transactions (in the order of `txs`, so each sender's nonces stay in order): a
        window is sent, mined (sealed as one block on a node that seals on demand) and awaited before the next,
        so the node never holds more than a window.

        `data` may be a function giving the calldata: a thread (`_Preparer`) encodes and signs the phase round by
        round ahead of the rounds going out, so that work is done while the node handles the rounds and mines
        the windows, not between them (the node and this client run on different cores; waiting for an answer
        releases the interpreter lock)."""
        return self._read(self.rpc, self._send(txs), topic)

    def run_later(self, txs: Sequence[Tx], topic: str, then: Callable[[list[list[dict[str, Any]]]], T]) -> Future[T]:
        """`run`, its logs read (and every transaction's success checked) in a thread once the phase is mined,
        while the next phase goes out: for a phase whose logs no later phase needs (1,000 x 5: five phases, ~0.15 s
        of reads off the path). The future holds `then(logs)`, computed there too, not the logs. `check` and
        `settle` raise the first failure in phase order."""
        sent = self._send(txs)
        read: Future[T] = Future()

        def work() -> None:
            try:  # a session of its own: a requests session is not to be shared between threads
                read.set_result(then(self._read(Rpc(self.rpc.url, self.rpc.timeout, self.rpc.retry), sent, topic)))
            except BaseException as exc:  # handed to `check` / `settle`
                read.set_exception(exc)

        threading.Thread(target=work, daemon=True).start()  # a daemon: a run that fails does not wait for it
        self._later.append(read)
        return read

    def check(self) -> None:
        """Raises the first failure among the background reads (`run_later`) done so far, in phase order."""
        for read in self._later:
            if not read.done():
                return  # a failure after it might be a consequence of it: only `settle` waits to tell
            read.result()

    def settle(self) -> None:
        """Waits for every background read (`run_later`), raising the first failure in phase order."""
        for read in self._later:
            read.result()

    def _send(self, txs: Sequence[Tx]) -> _Sent:
        """`run`'s sending: the phase out and mined; its hashes in the order of `txs`."""
        new = sorted({sender for sender, *_ in txs} - set(self.nonces))
        fees, first_block = self.fees(sum(gas for *_, gas in txs), new)
        # Per window, per sender in nonce order: the indexes into txs, then the requests the preparer puts there.
        plans: list[list[list[int]]] = []
        for start in range(0, len(txs), self.window):
            lanes: dict[str, list[int]] = {}
            for index in range(start, min(start + self.window, len(txs))):
                lanes.setdefault(txs[index][0], []).append(index)
            plans.append(list(lanes.values()))
        nonces: list[int] = []  # per transaction, in the order of txs
        for sender, *_ in txs:
            nonces.append(self.nonces[sender])
            self.nonces[sender] += 1
        calls: list[list[list[Any]]] = [[[None] * len(lane) for lane in plan] for plan in plans]
        preparer = _Preparer(lambda w, s, r: self._call(txs[plans[w][s][r]], nonces[plans[w][s][r]], fees), calls)
        preparer.start()
        hashes = [""] * len(txs)
        last: list[dict[str, Any]] = []
        try:
            for w, (plan, queues) in enumerate(zip(plans, calls)):
                for lane, lane_hashes in zip(plan, send_rounds(self.rpc, queues, lambda r, w=w: preparer.wait(w, r))):
                    for index, tx_hash in zip(lane, lane_hashes):
                        hashes[index] = tx_hash

                def resend(_pending: list[str], plan: list[list[int]] = plan, queues: list[list[Any]] = queues) -> None:
                    self.resent += resend_lost(self.rpc, queues, [[hashes[i] for i in lane] for lane in plan])

                # A sender's transactions are mined in nonce order: once each sender's last one has a receipt, all
                # have. A window takes a busy node seconds: the wait allows 300 s, more for a large one (20 tx/s at
                # the least).
                last += await_mined(self.rpc, [hashes[lane[-1]] for lane in plan], self.seal, resend,
                                    self.stall_after, timeout=max(300.0, sum(map(len, plan)) / 20))
        finally:
            preparer.stop()
        self.sent += len(txs)
        return _Sent(txs, hashes, first_block, max(int(r["blockNumber"], 16) for r in last))

    def _read(self, rpc: Rpc, sent: _Sent, topic: str) -> list[list[dict[str, Any]]]:
        """A mined phase's logs with event `topic`, per transaction, through `rpc`; raises if any reverted."""
        logs: dict[str, list[dict[str, Any]]] = {h: [] for h in sent.hashes}
        for log in _logs(rpc, sorted({to for _, to, _, _ in sent.txs}), [topic], sent.first_block, sent.last_block):
            if log["transactionHash"] in logs:
                logs[log["transactionHash"]].append(log)
        # Each action emits its event when it succeeds; a transaction without one is looked at on its own.
        silent = [h for h in sent.hashes if not logs[h]]
        reverted = [r["transactionHash"] for r in rpc.wait_receipts(silent) if int(r["status"], 16) != 1]
        if reverted:
            first = reverted[0]
            sender, to, data, _ = sent.txs[sent.hashes.index(first)]
            data = _calldata(data)
            raise ScfError(f"{len(reverted)} of {len(sent.txs)} transactions reverted; the first, {first} "
                           f"({self.decoder.function(data)} from {sender} to {to}): {self.why(first, rpc)}")
        return [logs[h] for h in sent.hashes]


@dataclass
class _Sent:
    """A phase sent and mined (`Pipeline._send`): its transactions, their hashes in order, its blocks."""

    txs: Sequence[Tx]
    hashes: list[str]
    first_block: int
    last_block: int


def _calldata(data: str | Callable[[], str]) -> str:
    return data if isinstance(data, str) else data()


class _Preparer(threading.Thread):
    """Fills calls[w][s][r] = make(w, s, r) (window w, sender s, round r) in the order the rounds go out: every
    sender's round 0 of window 0, then round 1, …, then window 1. `wait(w, r)` returns once round r of window w
    is in place, raising what `make` raised."""

    def __init__(self, make: Callable[[int, int, int], Any], calls: list[list[list[Any]]]):
        super().__init__(daemon=True)
        self.make = make
        self.calls = calls
        self.done = 0  # rounds in place, counted over the windows in order
        self.offsets = list(itertools.accumulate((max(map(len, w), default=0) for w in calls), initial=0))
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.stopped = False

    def run(self) -> None:
        try:
            for w, window in enumerate(self.calls):
                for r in range(self.offsets[w + 1] - self.offsets[w]):
                    for s, lane in enumerate(window):
                        if r < len(lane):
                            lane[r] = self.make(w, s, r)
                    with self.cond:
                        if self.stopped:
                            return
                        self.done += 1
                        self.cond.notify()
        except BaseException as exc:  # handed to the sending thread, which raises it
            with self.cond:
                self.error = exc
                self.cond.notify()

    def wait(self, w: int, r: int) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.done > self.offsets[w] + r or self.error is not None)
            if self.error is not None:
                raise self.error

    def stop(self) -> None:
        with self.cond:
            self.stopped = True


@dataclass
class Lane:
    """An independent supply chain: its core enterprise, one supplier per tier, and its financier."""

    core: str
    holders: list[str]
    factor: str
    offer: int = 0


def run_load(
    receivables: int,
    tiers: int,
    rpc_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    lanes: int = 8,
    deployment_out: str | None = None,
    pending_timeout: float = PENDING_TIMEOUT,
    seal: bool = False,
    window: int = WINDOW,
) -> LoadResult:
    """Runs the load. Given `rpc_url` and `deployment_out`, a file holding this load's deployment on this chain
    (same parameters) is resumed: only what the chain does not show yet is sent. `seal`: the node at
    `rpc_url` is an Anvil started like the embedded one (SEALED_NODE_ARGS, enough accounts) that this run
    may seal blocks on (nothing to resume there); without `rpc_url` the load always starts such a node."""
    if receivables < 1:
        raise ScfError(f"--receivables must be at least 1, got {receivables}")
    if not 1 <= tiers <= 10:
        raise ScfError(f"--tiers must be between 1 and 10, got {tiers}")
    say = progress or (lambda _m: None)
    per_lane = tiers + 2
    with ExitStack() as stack:
        if rpc_url is None:
            rpc_url = stack.enter_context(Anvil(accounts=2 + lanes * per_lane, extra_args=SEALED_NODE_ARGS)).url
            seal = True
        w3 = connect(rpc_url)
        accounts = w3.eth.accounts
        lanes = min(lanes, (len(accounts) - 2) // per_lane)
        if lanes < 1:
            raise ScfError(f"load needs {2 + per_lane} unlocked accounts on the node, it has {len(accounts)}")
        chain = Chain(w3)  # no retries of its own around `connect`'s provider: a dead node is reported in ~10 s
        op, bank = accounts[:2]
        plan = [Lane(accounts[2 + j * per_lane], list(accounts[3 + j * per_lane : 3 + j * per_lane + tiers]),
                     accounts[3 + j * per_lane + tiers]) for j in range(lanes)]
        params = {"receivables": receivables, "tiers": tiers, "lanes": lanes}
        # The embedded node is new on every run: only a node given by URL can hold an earlier run.
        deployment = _resumable(w3, Path(deployment_out), op, params) if deployment_out and not seal else None
        found: OnChain | None = None
        if deployment is None:
            if deployment_out and not seal and Path(deployment_out).is_file():
                say(f"{deployment_out} holds no deployment on this chain to resume: deploying anew")
            say(f"deploying and onboarding {lanes} supply chains of {tiers} tiers …")
            deployment = deploy(chain, op)
            if deployment_out:  # for auditors (`scfchain audit … --deployment FILE`) and for resuming
                _save(deployment, Path(deployment_out), params)
        else:
            rpc = Rpc(rpc_url)
            senders = [op, bank, *(a for lane in plan for a in (lane.core, *lane.holders, lane.factor))]
            await_pool_drained(rpc, senders, pending_timeout)
            found = OnChain.read(rpc, deployment)
            gaps = found.gaps(rpc, deployment)
            if gaps:
                raise ScfError(f"cannot resume the load in {deployment_out}: the node's state and its event history "
                               f"disagree ({'; '.join(gaps)}), so it would repeat or miscount actions; its history may "
                               "be incomplete (e.g. an Anvil restarted from a --state dump written while it was mining "
                               "loses the last block's events): give another --out to start over")
            say(f"resuming on the deployment in {deployment_out}: {found.summary(receivables, tiers)}")
        scf = Scf(chain, deployment)
        now = scf.now()
        setup_skipped = _set_up(scf, op, bank, plan, receivables, now, found)
        # The set-up leaves ~80,000 long-lived objects (web3, the ABIs, the deployment) that every full collection
        # scans: 70-80 ms each, twice in a 1,000 x 5 run, on the thread that sends (0.19 s of collections in the
        # phases, 0.04 s frozen). Frozen, collections leave them out until the run ends.
        gc.freeze()
        try:
            result = _drive(scf, rpc_url, receivables, tiers, plan, now, say, seal, window, found)
        finally:
            gc.unfreeze()
        if found is not None:
            result.skipped = {"set-up": setup_skipped, **result.skipped}
        return result


def _save(deployment: Deployment, path: Path, params: dict[str, int]) -> None:
    """Writes the deployment file (SPEC.md's JSON) with the load's parameters under "load", atomically: a run
    killed while writing leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({**deployment.to_json(), "load": params}, indent=2) + "\n")
    os.replace(tmp, path)


def _resumable(w3: Any, path: Path, operator: str, params: dict[str, int]) -> Deployment | None:
    """The deployment of an earlier run of this load in `path`, if its contracts are on this chain; None when
    there is nothing to resume (no file, not a deployment, another chain or a chain started anew). A deployment
    on this chain that is not this load's (another deployer, no or other load parameters) is refused, not
    overwritten."""
    deployment = deployment_on_chain(w3, path)
    if deployment is None:
        return None
    loaded = json.loads(path.read_text()).get("load")  # a valid deployment file: a JSON object
    if deployment.deployer.lower() != operator.lower() or not isinstance(loaded, dict):
        raise ScfError(f"{path} holds a deployment on this chain that this load cannot resume (another deployer, "
                       "or not written by this version of scfchain load); give another --out")
    if {k: loaded.get(k) for k in params} != params:
        raise ScfError(f"{path} holds a load of {loaded.get('receivables')} receivables over {loaded.get('tiers')} "
                       f"tiers in {loaded.get('lanes')} lanes, this run asks for {params['receivables']} over "
                       f"{params['tiers']} in {params['lanes']}: run that command to resume it, or give another --out")
    return deployment


def await_pool_drained(rpc: Rpc, senders: Sequence[str], timeout: float = PENDING_TIMEOUT) -> None:
    """Waits until every sender's "pending" nonce equals its "latest" one: the transactions an earlier run left
    in the node's pool are mined, so the chain shows all it did. A node that mines by itself (automine or a
    block time, as a node given by URL does) gets there; one that seals blocks on demand (automine off, no
    block time) would need `evm_mine`, and the wait ends with an error after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        counts = rpc.batch([("eth_getTransactionCount", [s, tag]) for s in senders for tag in ("pending", "latest")])
        for c in counts:
            if isinstance(c, Exception):
                raise RpcError(f"cannot read the senders' nonces: {c}")
        waiting = {s: int(p, 16) - int(q, 16) for s, p, q in zip(senders, counts[::2], counts[1::2]) if p != q}
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise ScfError(f"{sum(waiting.values())} transactions of an earlier run are still pending on the node "
                           f"after {timeout:.0f}s ({len(waiting)} senders, e.g. {next(iter(waiting))}); is the node "
                           "mining? (a node with automine off and no block time needs evm_mine)")
        time.sleep(0.2)


def _logs(rpc: Rpc, address: str | list[str], topics: list[Any], from_block: int, to_block: int) -> list[dict[str, Any]]:
    return rpc.call("eth_getLogs", [{"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": address,
                                     "topics": topics}])


@dataclass
class OnChain:
    """What earlier runs of the load left on chain, read from the deployment's events (addresses lower case).
    The load splits each certificate once, sells each last-tier certificate once and mints to each account once,
    so these maps say per action whether it was done."""

    roots: dict[str, int] = field(default_factory=dict)  # document hash (64 hex digits) → root id
    children: dict[int, int] = field(default_factory=dict)  # parent id → its (one) child, from CertificateSplit
    financed: dict[int, int] = field(default_factory=dict)  # certificate id → proceeds of its sale
    repaid: dict[int, int] = field(default_factory=dict)  # root id → total repaid
    claimed: dict[tuple[str, int], int] = field(default_factory=dict)  # (holder, certificate id) → payout
    offers: dict[tuple[str, str], int] = field(default_factory=dict)  # (financier, debtor) → first offer id
    minted: dict[str, int] = field(default_factory=dict)  # account → payment tokens minted to it
    loans: dict[int, int] = field(default_factory=dict)  # pledged certificate id → loan id (one loan each)
    funded: set[int] = field(default_factory=set)  # loan ids
    loans_repaid: set[int] = field(default_factory=set)  # loan ids repaid in full
    loans_settled: dict[int, int] = field(default_factory=dict)  # loan id → payout
    events: dict[str, int] = field(default_factory=dict)  # totals the contracts' state must agree with (`gaps`)
    block: int = 0  # the block the events were read up to

    @classmethod
    def read(cls, rpc: Rpc, deployment: Deployment) -> "OnChain":
        """Replays every log of the deployment (one eth_getLogs) through the auditor's Ledger and reads it."""
        last = int(rpc.call("eth_blockNumber"), 16)
        addresses = [entry["address"] for entry in deployment.contracts.values()]
        ledger = chain_ledger(deployment, _logs(rpc, addresses, [], deployment.block, last))
        found = cls(block=last)
        for doc, ids in ledger.documents.items():
            found.roots[doc[2:]] = ids[-1]
        for cert in ledger.certs.values():
            if cert.splits:  # the load makes one child a split
                found.children[cert.id] = cert.splits[-1].child_ids[0]
        found.financed = {f.cert_id: f.proceeds for f in ledger.financings}
        found.repaid = {root.id: max(r.total for r in root.repayments) for root in ledger.roots.values()
                        if root.repayments}
        for c in ledger.claims:
            key = (c.holder.lower(), c.id)
            found.claimed[key] = found.claimed.get(key, 0) + c.payout
        for offer in ledger.offers.values():
            found.offers.setdefault((offer.financier.lower(), offer.debtor.lower()), offer.id)
        for moves in ledger.token_moves.values():
            for frm, to, value in moves:
                if frm == ZERO:
                    found.minted[to.lower()] = found.minted.get(to.lower(), 0) + value
        loans = ledger.loans.values()
        found.loans = {ln.cert_id: ln.id for ln in loans}
        found.funded = {ln.id for ln in loans if ln.funded_tx}
        found.loans_repaid = {ln.id for ln in loans if any(r.remaining == 0 for r in ln.repayments)}
        found.loans_settled = {ln.id: ln.payout for ln in loans if ln.payout is not None}
        found.events = {
            "loans": len(found.loans),
            "certificates": len(found.roots) + len(found.children),
            "offers": len(ledger.offers),
            "minted": sum(found.minted.values()),
            "desk": sum(o.budget for o in ledger.offers.values()) - sum(found.financed.values()),
            "escrow": sum(r.amount for root in ledger.roots.values() for r in root.repayments)
            - sum(found.claimed.values()),
        }
        return found

    def gaps(self, rpc: Rpc, deployment: Deployment) -> list[str]:
        """Where the contracts' state (at the block the events were read up to) and the events disagree:
        certificates minted, offers posted, tokens minted, and the desk's and the escrow's token balances against
        what the events moved. On a node whose history lacks events its state shows (an Anvil restarted from a
        `--state` dump written while it was mining can keep the state of a block whose events it lost), a resumed
        run would repeat actions or trip over them."""
        abi = Calls(deployment.contracts)
        desk, escrow = deployment.address("FinancingDesk"), deployment.address("SettlementEscrow")
        calls = {"loans": abi.call("LoanDesk", "loanCount"),
                 "certificates": abi.call("ReceivableCertificate", "nextId"),
                 "offers": abi.call("FinancingDesk", "offerCount"), "minted": abi.call("PaymentToken", "totalSupply"),
                 "desk": abi.call("PaymentToken", "balanceOf", desk),
                 "escrow": abi.call("PaymentToken", "balanceOf", escrow)}
        answers = rpc.batch([("eth_call", [{"to": to, "data": data}, hex(self.block)]) for to, data in calls.values()])
        state = {}
        for name, answer in zip(calls, answers):
            if isinstance(answer, Exception):
                raise RpcError(f"cannot read the {name} figure of the deployment: {answer}")
            state[name] = int(answer, 16) - (name == "certificates")  # nextId starts at 1
        return [f"{name}: {state[name]} on chain, {self.events[name]} by the events" for name in calls
                if state[name] != self.events[name]]

    def summary(self, receivables: int, tiers: int) -> str:
        return (f"on chain {len(self.roots)} of {receivables} receivables issued, {len(self.children)} of "
                f"{receivables * (tiers - 1)} splits, {len(self.financed)} of {receivables} sales, "
                f"{len(self.loans)} of {receivables} loans requested, {len(self.funded)} funded, "
                f"{len(self.loans_repaid) + len(self.loans_settled)} repaid or settled, "
                f"{sum(1 for p in self.repaid.values() if p >= FACE)} of {receivables} repayments, "
                f"{len(self.claimed)} of {receivables * tiers} certificates claimed")


def _set_up(scf: Scf, op: str, bank: str, plan: list[Lane], receivables: int, now: int,
            found: OnChain | None) -> int:
    """Onboards everyone, sets credit lines, funds cores and financiers, posts one offer per lane, approves the
    desk. Resuming (`found`), each step first looks on chain and is skipped if done; returns how many were."""
    skipped = 0

    def needed(done: Callable[[], bool]) -> bool:
        nonlocal skipped
        if found is not None and done():
            skipped += 1
            return False
        return True

    def onboard(account: str, role: str, name: str) -> None:
        if needed(lambda: scf.consortium.functions.hasRole(role_id(role), account).call()):
            scf.onboard(op, account, role, name)

    def mint(to: str, amount: int) -> None:
        short = amount - (found.minted.get(to.lower(), 0) if found is not None else 0)
        if needed(lambda: short <= 0):
            scf.mint(op, to, short)

    onboard(bank, "FINANCIER", "bank")
    lanes = len(plan)
    for j, lane in enumerate(plan):
        face = FACE * len(range(j, receivables, lanes))
        onboard(lane.core, "CORE_ENTERPRISE", f"core-{j}")
        onboard(lane.factor, "FINANCIER", f"factor-{j}")
        for i, h in enumerate(lane.holders):
            onboard(h, "SUPPLIER", f"lane-{j}-tier-{i + 1}")
        if face == 0:
            continue
        if needed(lambda: scf.certificates.functions.creditLine(bank, lane.core).call() == face):
            scf.set_credit_line(bank, lane.core, face)
        loans = len(range(j, receivables, lanes)) if len(lane.holders) > 1 else 0
        mint(lane.core, face)
        mint(lane.factor, face + LOAN_PRINCIPAL * loans)  # the offer's budget and the loans' principal
        mint(lane.holders[0], LOAN_PRINCIPAL // 10 * loans)  # the borrower's interest
        if needed(lambda: scf.token.functions.allowance(lane.core, scf.escrow.address).call() >= face):
            scf._ensure_allowance(lane.core, scf.escrow.address, face)
        offer = found.offers.get((lane.factor.lower(), lane.core.lower())) if found is not None else None
        if needed(lambda: offer is not None):
            offer = scf.post_offer(lane.factor, lane.core, 500, face, 1, now + 30 * DAY)
        lane.offer = offer
        holder = lane.holders[-1]
        if needed(lambda: scf.certificates.functions.isApprovedForAll(holder, scf.desk.address).call()):
            scf.chain.transact(scf.certificates.functions.setApprovalForAll(scf.desk.address, True), holder,
                               "approve desk")
        if loans:  # the tier-1 holder pledges, and repays; the factor lends
            borrower, loan_desk = lane.holders[0], scf.loan_desk.address
            if needed(lambda: scf.certificates.functions.isApprovedForAll(borrower, loan_desk).call()):
                scf.chain.transact(scf.certificates.functions.setApprovalForAll(loan_desk, True), borrower,
                                   "approve loan desk")
            for payer, amount in ((borrower, LOAN_PRINCIPAL * 2 * loans), (lane.factor, LOAN_PRINCIPAL * loans)):
                if needed(lambda: scf.token.functions.allowance(payer, loan_desk).call() >= amount):
                    scf._ensure_allowance(payer, loan_desk, amount)
    return skipped


def _drive(
    scf: Scf, rpc_url: str, n: int, tiers: int, plan: list[Lane], now: int, say: Callable[[str], None], seal: bool,
    window: int = WINDOW, found: OnChain | None = None,
) -> LoadResult:
    """The phases. Resuming (`found`), each phase sends only what `found` does not show; a fresh deployment has
    nothing on chain and reads nothing."""
    cert, desk, escrow = scf.certificates.address, scf.desk.address, scf.escrow.address
    loan_desk = scf.loan_desk.address
    done = found or OnChain()
    abi = Calls(scf.deployment.contracts)

    def enc(contract: str, function: str, *args: Any) -> Callable[[], str]:
        """The calldata, encoded by the pipeline's preparer as the phase goes out (`Pipeline.run`)."""
        return partial(abi.data, contract, function, *args)

    events = scf.decoder

    def topic(contract: Any, event: str) -> str:
        return events.topic(contract.address, event)

    def arg(log: dict[str, Any], name: str) -> Any:
        return events.arg(log, name)  # the phase's logs are of its event

    senders = sorted({a for lane in plan for a in (lane.core, *lane.holders, lane.factor)})
    accounts = scf.w3.eth.accounts
    pipe = Pipeline(rpc_url, scf.chain.fees().get("maxPriorityFeePerGas", 0), seal, decoder=scf.chain.decoder,
                    window=window, keys=dev_keys(accounts[: 1 + max(accounts.index(a) for a in senders)]))
    if seal:  # set-up ran with automine; from here the load seals its blocks
        pipe.rpc.call("evm_setAutomine", [False])
    phases: dict[str, float] = {}
    skipped: dict[str, int] = {}
    first_block = int(pipe.rpc.call("eth_blockNumber"), 16) + 1
    started = time.monotonic()
    lane_of = [plan[i % len(plan)] for i in range(n)]

    def phase(name: str, txs: list[Tx], topic: str, on_chain: int,
              later: Callable[[list[list[dict[str, Any]]]], Any] | None = None) -> Future[Any]:
        """The phase's logs per transaction; given `later`, `later(logs)`, the logs read in the background
        (`Pipeline.run_later`; the phase's time is then its sending and mining)."""
        skipped[name] = on_chain
        found_note = f"; {on_chain} found on chain" if on_chain else ""
        logs: Future[Any] = Future()
        if not txs:
            say(f"{name}: nothing to send{found_note}")
            logs.set_result(later([]) if later else [])
            return logs
        pipe.check()
        t0 = time.monotonic()
        try:
            if later is not None:
                logs = pipe.run_later(txs, topic, later)
            else:
                logs.set_result(pipe.run(txs, topic))
        except ScfError:
            pipe.settle()  # an earlier phase's failure, read in the background, is the cause: raised first
            raise
        phases[name] = round(time.monotonic() - t0, 3)
        say(f"{name}: {len(txs)} transactions in {phases[name]:.2f}s "
            f"({len(txs) / max(phases[name], 1e-9):.0f} tx/s){found_note}")
        return logs

    maturity = now + 90 * DAY
    # Document hashes are keccak(certificate contract, index): fresh per deployment, the same on a resumed run.
    cert_bytes = bytes.fromhex(cert[2:])
    docs = [keccak(cert_bytes + i.to_bytes(32, "big")) for i in range(n)]
    roots = [done.roots.get(d.hex(), 0) for d in docs]
    todo = [i for i in range(n) if not roots[i]]
    logs = phase("issue", [
        (lane_of[i].core, cert, enc("ReceivableCertificate", "issue", lane_of[i].holders[0], FACE, maturity, docs[i]),
         GAS["issue"])
        for i in todo
    ], topic(scf.certificates, "ReceivableIssued"), n - len(todo)).result()
    for i, tx_logs in zip(todo, logs):
        roots[i] = arg(tx_logs[0], "rootId")
    current = list(roots)  # the certificate the current tier holds, per receivable
    held: dict[str, list[int]] = {}
    amount = FACE
    for k in range(tiers - 1):
        amount //= 2
        after = [done.children.get(c, 0) for c in current]
        todo = [i for i in range(n) if not after[i]]
        logs = phase(f"split tier {k + 1}→{k + 2}", [
            (lane_of[i].holders[k], cert,
             enc("ReceivableCertificate", "split", current[i], [lane_of[i].holders[k + 1]], [amount]), GAS["split"])
            for i in todo
        ], topic(scf.certificates, "CertificateSplit"), n - len(todo)).result()
        for i, tx_logs in zip(todo, logs):
            after[i] = arg(tx_logs[0], "childIds")[0]
        for c, lane in zip(current, lane_of):
            held.setdefault(lane.holders[k], []).append(c)
        current = after
    deadline = now + 3650 * DAY
    todo = [i for i in range(n) if current[i] not in done.financed]
    # The phases from here on whose logs no later phase needs read them in the background (`later`).
    def ignore(_logs: list[list[dict[str, Any]]]) -> None:
        """A phase's logs only checked (every transaction succeeded)."""

    def total(name: str) -> Callable[[list[list[dict[str, Any]]]], int]:
        """The sum of argument `name` of each transaction's (first) event."""
        return lambda logs: sum(arg(tx_logs[0], name) for tx_logs in logs)

    financed = phase("finance", [
        (lane_of[i].holders[-1], desk,
         enc("FinancingDesk", "finance", lane_of[i].offer, current[i], amount, 1, deadline),
         GAS["finance"])
        for i in todo
    ], topic(scf.desk, "Financed"), n - len(todo), later=total("proceeds"))
    for c, lane in zip(current, lane_of):
        held.setdefault(lane.factor, []).append(c)
    # Loans: the tier-1 holder pledges the remainder of its root to the lane's factor; the even-numbered loans are
    # repaid in full before the receivable is (the units come back, to be claimed), the odd ones settled after it.
    loan_ids = [0] * n
    early = [i for i in range(n) if i % 2 == 0] if tiers > 1 else []
    late = [i for i in range(n) if i % 2 == 1] if tiers > 1 else []
    if tiers > 1:
        loan_ids = [done.loans.get(r, 0) for r in roots]
        todo = [i for i in range(n) if not loan_ids[i]]
        logs = phase("request loan", [
            (lane_of[i].holders[0], loan_desk, enc("LoanDesk", "requestLoan", roots[i], LOAN_UNITS, LOAN_PRINCIPAL,
                                                   LOAN_RATE_BPS, lane_of[i].factor, now + 30 * DAY),
             GAS["requestLoan"]) for i in todo], topic(scf.loan_desk, "LoanRequested"), n - len(todo)).result()
        for i, tx_logs in zip(todo, logs):
            loan_ids[i] = arg(tx_logs[0], "loanId")
        todo = [i for i in range(n) if loan_ids[i] not in done.funded]
        phase("fund loan", [(lane_of[i].factor, loan_desk, enc("LoanDesk", "fundLoan", loan_ids[i]), GAS["fundLoan"])
                            for i in todo], topic(scf.loan_desk, "LoanFunded"), n - len(todo), later=ignore)
        todo = [i for i in early if loan_ids[i] not in done.loans_repaid]
        # twice the principal offered: the desk takes the debt only
        phase("repay loan", [(lane_of[i].holders[0], loan_desk, enc("LoanDesk", "repayLoan", loan_ids[i],
                                                                    2 * LOAN_PRINCIPAL),
                              GAS["repayLoan"]) for i in todo], topic(scf.loan_desk, "LoanRepaid"),
              len(early) - len(todo), later=ignore)
    todo = [i for i in range(n) if done.repaid.get(roots[i], 0) < FACE]
    phase("repay", [(lane_of[i].core, escrow, enc("SettlementEscrow", "repay", roots[i],
                                                     FACE - done.repaid.get(roots[i], 0)),
                     GAS["repay"]) for i in todo], topic(scf.escrow, "Repaid"), n - len(todo), later=ignore)
    todo = [i for i in late if loan_ids[i] not in done.loans_settled]
    settled = phase("settle loan", [(lane_of[i].factor, loan_desk, enc("LoanDesk", "settleLoan", loan_ids[i]),
                                     GAS["settleLoan"]) for i in todo], topic(scf.loan_desk, "LoanSettled"),
                    len(late) - len(todo), later=total("payout")) if tiers > 1 else None
    settled_roots = {(lane_of[i].holders[0], roots[i]) for i in late}
    held = {h: [c for c in ids if (h, c) not in settled_roots] for h, ids in held.items()}
    claims = []
    unclaimed = 0
    for holder, ids in held.items():
        if done.claimed:
            ids = [c for c in ids if (holder.lower(), c) not in done.claimed]
        unclaimed += len(ids)
        for i in range(0, len(ids), CLAIM_BATCH):
            part = ids[i : i + CLAIM_BATCH]
            claims.append((holder, escrow, enc("SettlementEscrow", "claim", part), 60_000 + 45_000 * len(part)))
    logs = phase("claim", claims, topic(scf.escrow, "Claimed"), n * tiers - len(settled_roots) - unclaimed).result()
    pipe.settle()  # every phase's transactions seen to succeed
    elapsed = time.monotonic() - started
    proceeds = sum(done.financed.get(c, 0) for c in current) + financed.result()
    # the desk claimed the pledged units' payout itself
    loan_payouts = sum(done.loans_settled.get(loan_ids[i], 0) for i in late) + (settled.result() if settled else 0)
    # the earlier runs' payouts and this run's (the desk's claims of pledged units are in the loan payouts, counted
    # once there)
    paid_out = sum(v for (h, _c), v in done.claimed.items() if h != loan_desk.lower()) + sum(
        arg(log, "payout") for tx_logs in logs for log in tx_logs)
    say("checking …")
    checks = _audit(scf, pipe.rpc, roots, held, n, paid_out + loan_payouts, proceeds,
                    {loan_ids[i]: 3 for i in early} | {loan_ids[i]: 4 for i in late}, [roots[i] for i in late])
    return LoadResult(n, tiers, pipe.sent, round(elapsed, 3), phases, checks, pipe.resent, found is not None,
                      skipped if found is not None else {}, first_block,
                      round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))  # Linux: KiB


def _audit(scf: Scf, rpc: Rpc, roots: list[int], held: dict[str, list[int]], n: int, paid_out: int,
           proceeds: int, loans: dict[int, int], pledged: list[int]) -> dict[str, bool]:
    """The money-legs checks: every root paid and closed, every unit burned (the loan desk's pledged ones too),
    payouts = face values, every loan in the state it was driven to (`loans`: id → 3 repaid or 4 settled), and
    every contract's token balance what the accounting says."""
    token = scf.token.functions
    abi = Calls(scf.deployment.contracts)

    def read(contract: str, function: str, *args: Any) -> list[Any]:
        """`function` of each argument tuple in `args`, in one batch of eth_calls: the values each returned."""
        answers = rpc.batch([("eth_call", [dict(zip(("to", "data"), abi.call(contract, function, *a))), "latest"])
                             for a in args])
        return [abi.result(contract, function, answer, len(a)) for answer, a in zip(answers, args)]

    statuses = [c[6] for c in read("ReceivableCertificate", "certificate", *((r,) for r in roots))]
    all_paid = all(status == 2 for status in statuses)  # PAID
    pairs = [(h, i) for h, ids in held.items() for i in ids] + [(scf.loan_desk.address, r) for r in pledged]
    states = [ln[7] for ln in read("LoanDesk", "loan", *((i,) for i in loans))]
    balances = [b[0] for b in read("ReceivableCertificate", "balanceOf", *pairs)]
    return {
        "every receivable closed as paid": all_paid and len(roots) == n,
        "every certificate unit burned": all(b == 0 for b in balances),
        "payouts equal face values": paid_out == FACE * n,
        "escrow holds exactly the unclaimed payouts (none)": token.balanceOf(scf.escrow.address).call() == 0,
        "desk holds the unspent budget": token.balanceOf(scf.desk.address).call() == FACE * n - proceeds,
        "guarantee contract holds no stray tokens": token.balanceOf(scf.guarantee.address).call() == 0,
        "every loan repaid or settled, the loan desk holding no tokens": all(
            state == want for state, want in zip(states, loans.values()))
        and token.balanceOf(scf.loan_desk.address).call() == 0,
    }


def raw_throughput(rpc_url: str, count: int = 3000, senders: int = 8, seal: bool = False) -> float:
    """Pre-signed plain transfers through eth_sendRawTransaction, sent and awaited the way the load does
    (`send_rounds`, as many senders as the load has lanes, `await_mined`; `seal`: on a node set to mine on
    demand, as the load's embedded node), until all are mined: transactions per second."""
    Account.enable_unaudited_hdwallet_features()
    mnemonic = "test test test test test test test test test test test junk"  # Anvil's dev accounts
    keys = [Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(senders)]
    rpc = Rpc(rpc_url)
    chain_id = int(rpc.call("eth_chainId"), 16)
    base = int(rpc.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    queues = []
    for i, k in enumerate(keys):
        nonce = int(rpc.call("eth_getTransactionCount", [k.address, "pending"]), 16)
        queues.append([
            ("eth_sendRawTransaction", ["0x" + k.sign_transaction({
                "to": keys[(i + 1) % senders].address, "value": 1, "gas": 21_000, "nonce": nonce + j,
                "maxFeePerGas": 4 * base + 10**9, "maxPriorityFeePerGas": 10**9, "chainId": chain_id, "type": 2,
            }).raw_transaction.hex()])
            for j in range(count // senders)
        ])
    if seal:
        rpc.call("evm_setAutomine", [False])
    t0 = time.monotonic()
    sent = send_rounds(rpc, queues)

    def resend(_pending: list[str]) -> None:  # as the load does with transactions the node dropped
        resend_lost(rpc, queues, sent)

    # Like the load: a sender's transactions are mined in nonce order, so its last one stands for all.
    await_mined(rpc, [hs[-1] for hs in sent], seal, resend)
    return sum(map(len, sent)) / (time.monotonic() - t0)


def print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

"""Load: N receivables through the whole lifecycle (issue, split down T tiers, financing at the last tier,
repayment, claims) with transactions pipelined in JSON-RPC batches, then auditor-grade checks.

Each phase sends all its transactions without waiting (nonces assigned here), then waits for each sender's
last one; ids created in a phase are read from the phase's logs."""
from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from eth_account import Account
from eth_utils import function_signature_to_4byte_selector as selector
from eth_utils import keccak

from .anvil import Anvil
from .chain import Chain, RpcError, connect
from .deploy import deploy
from .errors import ScfError
from .lifecycle import Scf
from .rpc import BatchRpc

DAY = 24 * 3600
FACE = 1_024_000  # divisible by 2**10: halving down ten tiers leaves no rounding dust
TOPIC_ISSUED = "0x" + keccak(text="ReceivableIssued(uint256,address,address,uint256,uint64,bytes32)").hex()
TOPIC_SPLIT = "0x" + keccak(text="CertificateSplit(uint256,uint256,address,uint256[],address[],uint256[])").hex()
TOPIC_REPAID = "0x" + keccak(text="Repaid(uint256,address,uint256,uint256)").hex()
TOPIC_CLAIMED = "0x" + keccak(text="Claimed(uint256,uint256,address,uint256,uint256)").hex()
TOPIC_FINANCED = "0x" + keccak(text="Financed(uint256,uint256,address,address,uint256,uint256)").hex()
CLAIM_BATCH = 40
# The embedded node seals blocks on demand: each phase goes out, then the load mines it (`evm_mine`), as a
# sequencer seals a batch. Anvil's work per block grows with the state (after 1000 receivables an empty block
# costs it 31 ms, against 0.7 ms on a fresh node): with a block per transaction (automine) the load fell from
# 412 tx/s in its first phase to 40 tx/s in its sixth, and with a block every 100 ms a third of the node's time
# went to blocks. The raw figure it is compared with is measured on a node set up and sealed the same way.
SEALED_GAS_LIMIT = 2_000_000_000  # one block holds a phase of ~10,000 transactions
SEALED_NODE_ARGS = ["--gas-limit", str(SEALED_GAS_LIMIT)]

SEL = {
    "issue": selector("issue(address,uint256,uint64,bytes32)"),
    "split": selector("split(uint256,address[],uint256[])"),
    "finance": selector("finance(uint256,uint256,uint256,uint256,uint256)"),
    "repay": selector("repay(uint256,uint256)"),
    "claim": selector("claim(uint256[])"),
    "certificate": selector("certificate(uint256)"),
    "balanceOf": selector("balanceOf(address,uint256)"),
}
GAS = {"issue": 250_000, "split": 250_000, "finance": 300_000, "repay": 200_000}


# The load encodes a few thousand calls a second: a minimal ABI coder for its static words and one-level
# arrays (eth_abi's general coder took a third of the client's time, which the node then waited on).
def _word(value: int | str | bytes) -> str:
    if isinstance(value, bytes):
        return value.hex().rjust(64, "0")
    return (value[2:].lower() if isinstance(value, str) else f"{value:x}").rjust(64, "0")


def _data(name: str, *args: int | str | bytes | list[Any]) -> str:
    """Calldata for `SEL[name]` with static arguments (ints, addresses, bytes32) and arrays of them."""
    head, tail = [], []
    for arg in args:
        if isinstance(arg, list):
            head.append(_word(32 * len(args) + 32 * len(tail)))
            tail += [_word(len(arg)), *map(_word, arg)]
        else:
            head.append(_word(arg))
    return "0x" + SEL[name].hex() + "".join(head) + "".join(tail)


def _read(data: str, index: int) -> int:
    """The `index`-th 32-byte word of hex `data` as an integer."""
    return int(data[2 + 64 * index : 66 + 64 * index], 16)


@dataclass
class LoadResult:
    receivables: int
    tiers: int
    transactions: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    resent: int = 0  # transactions the node dropped and the load sent again

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


def send_rounds(rpc: BatchRpc, queues: Sequence[Sequence[tuple[str, list[Any]]]]) -> list[list[Any]]:
    """Sends each sender's queue in order: one JSON-RPC batch per round, holding the next transaction of
    every sender, one batch at a time. A node may handle a batch in any order, and Anvil drops or strands a
    transaction that arrives before its predecessor, so no batch holds two transactions of one sender and
    no two batches are on the wire at once."""
    results: list[list[Any]] = [[] for _ in queues]
    for r in range(max((len(q) for q in queues), default=0)):
        live = [i for i, q in enumerate(queues) if r < len(q)]
        for i, res in zip(live, rpc.batch([queues[i][r] for i in live])):
            if isinstance(res, Exception):
                raise ScfError(f"a transaction was refused: {res}")
            results[i].append(res)
    return results


def await_mined(rpc: BatchRpc, hashes: Sequence[str], seal: bool, resend: Callable[[list[str]], None],
                stall_after: float = 0.5) -> list[dict[str, Any]]:
    """Waits until `hashes` are mined and returns their receipts. `seal`: the node mines on demand, so mine
    a block first and again whenever one did not take everything. `resend(pending)` runs when nothing was
    mined for `stall_after` seconds (or, sealing, after a block that mined none of them)."""
    if not seal:
        return rpc.wait_receipts(hashes, on_stall=resend, stall_after=stall_after)
    rpc.call("evm_mine")

    def next_block(pending: list[str]) -> None:
        resend(pending)
        rpc.call("evm_mine")

    return rpc.wait_receipts(hashes, on_stall=next_block, stall_after=0.0)


class Pipeline:
    """Sends many transactions from node-held accounts with locally tracked nonces, without waiting for
    each: all of a phase goes out (see `send_rounds`), then its results are read from the logs.

    A node may drop a transaction it accepted: Anvil, building a block, skips one that no longer fits the
    block's gas and then drops the sender's next one as "nonce too high". A phase that stops making progress
    sends what the node no longer knows again (same nonce, same fields: nothing can run twice)."""

    def __init__(self, url: str, tip: int, seal: bool = False, stall_after: float = 0.5):
        self.rpc = BatchRpc(url)
        self.tip = tip
        self.seal = seal
        self.stall_after = stall_after
        self.nonces: dict[str, int] = {}
        self.sent = 0
        self.resent = 0

    def fees(self, gas: int) -> dict[str, str]:
        """Fees for a phase that may use up to `gas`: when blocks fill up the base fee rises by up to 1/8 per
        block, so the cap covers that rise over the blocks the phase can fill (plus two). Only the base fee
        of the block and the tip are paid; a cap at twice the base fee would price the tail of a long phase
        out of every block, leaving it in the pool for good."""
        block = self.rpc.call("eth_getBlockByNumber", ["latest", False])
        if block.get("baseFeePerGas") is None:  # a pre-London chain
            return {"gasPrice": self.rpc.call("eth_gasPrice")}
        base, limit = int(block["baseFeePerGas"], 16), int(block["gasLimit"], 16)
        blocks = min(-(-gas // limit) + 2, 60)
        return {"maxFeePerGas": hex(base * 9**blocks // 8**blocks + self.tip), "maxPriorityFeePerGas": hex(self.tip)}

    def run(self, txs: Sequence[tuple[str, str, str, int]], topic: str) -> list[list[dict[str, Any]]]:
        """Sends (from, to, data, gas) and waits until all are mined; returns, in the order of `txs`, each
        transaction's logs with event `topic`. Every transaction must have succeeded."""
        fees = self.fees(sum(gas for *_, gas in txs))
        first_block = int(self.rpc.call("eth_blockNumber"), 16)
        queues: dict[str, list[tuple[int, tuple[str, list[Any]]]]] = {}
        for index, (sender, to, data, gas) in enumerate(txs):
            if sender not in self.nonces:
                self.nonces[sender] = int(self.rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
            tx = {"from": sender, "to": to, "data": data, "gas": hex(gas), "nonce": hex(self.nonces[sender]), **fees}
            self.nonces[sender] += 1
            queues.setdefault(sender, []).append((index, ("eth_sendTransaction", [tx])))
        lanes = list(queues.values())
        calls = [call for lane in lanes for _, call in lane]
        hashes = [""] * len(txs)
        for lane, lane_hashes in zip(lanes, send_rounds(self.rpc, [[call for _, call in lane] for lane in lanes])):
            for (index, _), tx_hash in zip(lane, lane_hashes):
                hashes[index] = tx_hash
        order = [index for lane in lanes for index, _ in lane]  # `calls` in the order of `hashes`

        def resend(_pending: list[str]) -> None:
            known = self.rpc.batch([("eth_getTransactionByHash", [hashes[i]]) for i in order])
            lost = [(i, call) for i, call, tx in zip(order, calls, known) if tx is None]
            by_sender: dict[str, list[tuple[str, list[Any]]]] = {}
            for _, call in lost:
                by_sender.setdefault(call[1][0]["from"], []).append(call)
            for (i, _), tx_hash in zip(lost, [h for q in send_rounds(self.rpc, list(by_sender.values())) for h in q]):
                if tx_hash != hashes[i]:  # a node that signs with random nonces gives another hash
                    raise ScfError(f"the node dropped transaction {hashes[i]} and signed it anew as {tx_hash}")
            self.resent += len(lost)

        # A sender's transactions are mined in nonce order: once each sender's last one has a receipt, all have.
        last = await_mined(self.rpc, [hashes[lane[-1][0]] for lane in lanes], self.seal, resend, self.stall_after)
        last_block = max(int(r["blockNumber"], 16) for r in last)
        logs: dict[str, list[dict[str, Any]]] = {h: [] for h in hashes}
        for log in self.rpc.call("eth_getLogs", [{"fromBlock": hex(first_block), "toBlock": hex(last_block),
                                                    "address": sorted({to for _, to, _, _ in txs}), "topics": [topic]}]):
            if log["transactionHash"] in logs:
                logs[log["transactionHash"]].append(log)
        # Each action emits its event when it succeeds; a transaction without one is looked at on its own.
        silent = [h for h in hashes if not logs[h]]
        reverted = [r["transactionHash"] for r in self.rpc.wait_receipts(silent) if int(r["status"], 16) != 1]
        if reverted:
            raise ScfError(f"{len(reverted)} of {len(txs)} transactions reverted (first {reverted[0]})")
        self.sent += len(txs)
        return [logs[h] for h in hashes]


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
) -> LoadResult:
    if receivables < 1:
        raise ScfError(f"--receivables must be at least 1, got {receivables}")
    if not 1 <= tiers <= 10:
        raise ScfError(f"--tiers must be between 1 and 10, got {tiers}")
    say = progress or (lambda _m: None)
    per_lane = tiers + 2
    seal = False
    with ExitStack() as stack:
        if rpc_url is None:
            rpc_url = stack.enter_context(Anvil(accounts=2 + lanes * per_lane, extra_args=SEALED_NODE_ARGS)).url
            seal = True
        w3 = connect(rpc_url)
        accounts = w3.eth.accounts
        lanes = min(lanes, (len(accounts) - 2) // per_lane)
        if lanes < 1:
            raise ScfError(f"load needs {2 + per_lane} unlocked accounts on the node, it has {len(accounts)}")
        chain = Chain(w3)
        op, bank = accounts[:2]
        plan = [Lane(accounts[2 + j * per_lane], list(accounts[3 + j * per_lane : 3 + j * per_lane + tiers]),
                     accounts[3 + j * per_lane + tiers]) for j in range(lanes)]
        say(f"deploying and onboarding {lanes} supply chains of {tiers} tiers …")
        deployment = deploy(chain, op)
        if deployment_out:  # for auditors: `scfchain audit … --deployment FILE`
            deployment.save(deployment_out)
        scf = Scf(chain, deployment)
        scf.onboard(op, bank, "FINANCIER", "bank")
        now = scf.now()
        for j, lane in enumerate(plan):
            face = FACE * len(range(j, receivables, lanes))
            scf.onboard(op, lane.core, "CORE_ENTERPRISE", f"core-{j}")
            scf.onboard(op, lane.factor, "FINANCIER", f"factor-{j}")
            for i, h in enumerate(lane.holders):
                scf.onboard(op, h, "SUPPLIER", f"lane-{j}-tier-{i + 1}")
            if face == 0:
                continue
            scf.set_credit_line(bank, lane.core, face)
            scf.mint(op, lane.core, face)
            scf.mint(op, lane.factor, face)
            scf._ensure_allowance(lane.core, scf.escrow.address, face)
            lane.offer = scf.post_offer(lane.factor, lane.core, 500, face, 1, now + 30 * DAY)
            chain.transact(scf.certificates.functions.setApprovalForAll(scf.desk.address, True), lane.holders[-1])
        return _drive(scf, rpc_url, receivables, tiers, plan, now, say, seal)


def _drive(
    scf: Scf, rpc_url: str, n: int, tiers: int, plan: list[Lane], now: int, say: Callable[[str], None], seal: bool
) -> LoadResult:
    cert, desk, escrow = scf.certificates.address, scf.desk.address, scf.escrow.address
    pipe = Pipeline(rpc_url, scf.chain.fees().get("maxPriorityFeePerGas", 0), seal)
    if seal:  # set-up ran with automine; from here the load seals its blocks
        pipe.rpc.call("evm_setAutomine", [False])
    phases: dict[str, float] = {}
    started = time.monotonic()
    run_tag = keccak(text=f"{time.time_ns()}")  # fresh document hashes on every run
    lane_of = [plan[i % len(plan)] for i in range(n)]

    def phase(name: str, txs: list[tuple[str, str, str, int]], topic: str) -> list[list[dict[str, Any]]]:
        t0 = time.monotonic()
        logs = pipe.run(txs, topic)
        phases[name] = round(time.monotonic() - t0, 3)
        say(f"{name}: {len(txs)} transactions in {phases[name]:.2f}s ({len(txs) / max(phases[name], 1e-9):.0f} tx/s)")
        return logs

    maturity = now + 90 * DAY
    logs = phase("issue", [
        (lane.core, cert, _data("issue", lane.holders[0], FACE, maturity, keccak(run_tag + i.to_bytes(8, "big"))), GAS["issue"])
        for i, lane in enumerate(lane_of)
    ], TOPIC_ISSUED)
    roots = [int(tx_logs[0]["topics"][1], 16) for tx_logs in logs]
    current = list(roots)  # the certificate the current tier holds, per receivable
    held: dict[str, list[int]] = {}
    amount = FACE
    for k in range(tiers - 1):
        amount //= 2
        logs = phase(f"split tier {k + 1}→{k + 2}", [
            (lane.holders[k], cert,
             _data("split", c, [lane.holders[k + 1]], [amount]), GAS["split"])
            for c, lane in zip(current, lane_of)
        ], TOPIC_SPLIT)
        for c, lane in zip(current, lane_of):
            held.setdefault(lane.holders[k], []).append(c)
        # CertificateSplit's data: (childIds, holders, amounts); the one child is the first word of childIds.
        current = [_read(d, _read(d, 0) // 32 + 1) for d in (tx_logs[0]["data"] for tx_logs in logs)]
    deadline = now + 3650 * DAY
    logs = phase("finance", [
        (lane.holders[-1], desk, _data("finance", lane.offer, c, amount, 1, deadline), GAS["finance"])
        for c, lane in zip(current, lane_of)
    ], TOPIC_FINANCED)
    proceeds = sum(_read(tx_logs[0]["data"], 2) for tx_logs in logs)  # Financed: (seller, units, proceeds)
    for c, lane in zip(current, lane_of):
        held.setdefault(lane.factor, []).append(c)
    phase("repay", [(lane.core, escrow, _data("repay", r, FACE), GAS["repay"])
                    for r, lane in zip(roots, lane_of)], TOPIC_REPAID)
    claims = []
    for holder, ids in held.items():
        for i in range(0, len(ids), CLAIM_BATCH):
            part = ids[i : i + CLAIM_BATCH]
            claims.append((holder, escrow, _data("claim", part), 60_000 + 45_000 * len(part)))
    logs = phase("claim", claims, TOPIC_CLAIMED)
    elapsed = time.monotonic() - started
    paid_out = sum(_read(log["data"], 1) for tx_logs in logs for log in tx_logs)  # Claimed: (units, payout)
    say("checking …")
    checks = _audit(scf, pipe.rpc, roots, held, n, paid_out, proceeds)
    return LoadResult(n, tiers, pipe.sent, round(elapsed, 3), phases, checks, pipe.resent)


def _audit(scf: Scf, rpc: BatchRpc, roots: list[int], held: dict[str, list[int]], n: int, paid_out: int,
           proceeds: int) -> dict[str, bool]:
    """The money-legs checks: every root paid and closed, every unit burned, payouts = face values,
    and every contract's token balance what the accounting says."""
    token = scf.token.functions
    statuses = rpc.batch([("eth_call", [{"to": scf.certificates.address,
                                         "data": _data("certificate", r)}, "latest"])
                          for r in roots])
    all_paid = all(int(s[2 + 64 * 6 : 2 + 64 * 7], 16) == 2 for s in statuses)
    pairs = [(h, i) for h, ids in held.items() for i in ids]
    balances = rpc.batch([("eth_call", [{"to": scf.certificates.address,
                                         "data": _data("balanceOf", h, i)}, "latest"])
                          for h, i in pairs])
    return {
        "every receivable closed as paid": all_paid and len(roots) == n,
        "every certificate unit burned": all(int(b, 16) == 0 for b in balances),
        "payouts equal face values": paid_out == FACE * n,
        "escrow holds exactly the unclaimed payouts (none)": token.balanceOf(scf.escrow.address).call() == 0,
        "desk holds the unspent budget": token.balanceOf(scf.desk.address).call() == FACE * n - proceeds,
        "guarantee contract holds no stray tokens": token.balanceOf(scf.guarantee.address).call() == 0,
    }


def raw_throughput(rpc_url: str, count: int = 3000, senders: int = 8, seal: bool = False) -> float:
    """Pre-signed plain transfers through eth_sendRawTransaction, sent and awaited the way the load does
    (`send_rounds`, as many senders as the load has lanes, `await_mined`; `seal`: on a node set to mine on
    demand, as the load's embedded node), until all are mined: transactions per second."""
    Account.enable_unaudited_hdwallet_features()
    mnemonic = "test test test test test test test test test test test junk"  # Anvil's dev accounts
    keys = [Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(senders)]
    rpc = BatchRpc(rpc_url)
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

    def resend(pending: list[str]) -> None:  # as the load does with transactions the node dropped
        stuck = {i for i, hs in enumerate(sent) if hs[-1] in pending}
        rpc.batch([call for i in sorted(stuck) for call in queues[i]])  # known ones are refused, harmlessly

    # Like the load: a sender's transactions are mined in nonce order, so its last one stands for all.
    await_mined(rpc, [hs[-1] for hs in sent], seal, resend)
    return sum(map(len, sent)) / (time.monotonic() - t0)


def print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

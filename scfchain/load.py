"""Load: N receivables through the whole lifecycle (issue, split down T tiers, financing at the last tier,
repayment, claims) with transactions pipelined in JSON-RPC batches, then auditor-grade checks.

Each phase sends all its transactions without waiting (nonces assigned here), then collects the
receipts in batches; ids created in a phase are read from its receipts' logs."""
from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector as selector
from eth_utils import keccak

from .anvil import Anvil
from .chain import Chain, connect
from .deploy import deploy
from .errors import ScfError
from .lifecycle import Scf
from .rpc import BatchRpc

DAY = 24 * 3600
FACE = 1_024_000  # divisible by 2**10: halving down ten tiers leaves no rounding dust
TOPIC_ISSUED = "0x" + keccak(text="ReceivableIssued(uint256,address,address,uint256,uint64,bytes32)").hex()
TOPIC_SPLIT = "0x" + keccak(text="CertificateSplit(uint256,uint256,address,uint256[],address[],uint256[])").hex()
TOPIC_CLAIMED = "0x" + keccak(text="Claimed(uint256,uint256,address,uint256,uint256)").hex()
TOPIC_FINANCED = "0x" + keccak(text="Financed(uint256,uint256,address,address,uint256,uint256)").hex()
CLAIM_BATCH = 40

SEL = {
    "issue": selector("issue(address,uint256,uint64,bytes32)"),
    "split": selector("split(uint256,address[],uint256[])"),
    "finance": selector("finance(uint256,uint256,uint256,uint256,uint256)"),
    "repay": selector("repay(uint256,uint256)"),
    "claim": selector("claim(uint256[])"),
}
GAS = {"issue": 250_000, "split": 250_000, "finance": 300_000, "repay": 200_000}


def _data(name: str, types: list[str], args: list[Any]) -> str:
    return "0x" + (SEL[name] + abi_encode(types, args)).hex()


@dataclass
class LoadResult:
    receivables: int
    tiers: int
    transactions: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


def send_rounds(rpc: BatchRpc, queues: Sequence[Sequence[tuple[str, list[Any]]]]) -> list[list[Any]]:
    """Sends each sender's queue in order: one JSON-RPC batch per round, holding the next transaction of
    every sender. A batch may be handled in any order inside the node (Anvil's automine can then strand
    a transaction behind its own predecessor), so no batch holds two transactions of one sender."""
    results: list[list[Any]] = [[] for _ in queues]
    for r in range(max((len(q) for q in queues), default=0)):
        live = [i for i, q in enumerate(queues) if r < len(q)]
        for i, res in zip(live, rpc.batch([queues[i][r] for i in live])):
            if isinstance(res, Exception):
                raise ScfError(f"a transaction was refused: {res}")
            results[i].append(res)
    return results


class Pipeline:
    """Sends many transactions from node-held accounts with locally tracked nonces, without waiting for
    each: all of a phase goes out (see `send_rounds`), then the receipts are collected in batches."""

    def __init__(self, url: str, fees: dict[str, int]):
        self.rpc = BatchRpc(url)
        self.fees = {k: hex(v) for k, v in fees.items()}
        self.nonces: dict[str, int] = {}
        self.sent = 0

    def run(self, txs: Sequence[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
        """Sends (from, to, data, gas); returns the receipts in the same order, all of which must have succeeded."""
        queues: dict[str, list[tuple[int, tuple[str, list[Any]]]]] = {}
        for index, (sender, to, data, gas) in enumerate(txs):
            if sender not in self.nonces:
                self.nonces[sender] = int(self.rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
            tx = {"from": sender, "to": to, "data": data, "gas": hex(gas), "nonce": hex(self.nonces[sender]), **self.fees}
            self.nonces[sender] += 1
            queues.setdefault(sender, []).append((index, ("eth_sendTransaction", [tx])))
        lanes = list(queues.values())
        sent = send_rounds(self.rpc, [[call for _, call in lane] for lane in lanes])
        hashes = [""] * len(txs)
        for lane, lane_hashes in zip(lanes, sent):
            for (index, _), tx_hash in zip(lane, lane_hashes):
                hashes[index] = tx_hash
        # A sender's transactions are mined in nonce order: once each sender's last one has a receipt, all
        # have. Polling only those keeps the node free for mining; then every receipt is read once.
        self.rpc.wait_receipts([lane_hashes[-1] for lane_hashes in sent if lane_hashes])
        receipts = self.rpc.wait_receipts(hashes)
        failed = [r for r in receipts if int(r["status"], 16) != 1]
        if failed:
            raise ScfError(f"{len(failed)} of {len(receipts)} transactions reverted (first {failed[0]['transactionHash']})")
        self.sent += len(txs)
        return receipts


def _logs(receipts: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
    return [log for r in receipts for log in r["logs"] if log["topics"] and log["topics"][0] == topic]


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
    with ExitStack() as stack:
        if rpc_url is None:
            rpc_url = stack.enter_context(Anvil(accounts=2 + lanes * per_lane)).url
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
        return _drive(scf, rpc_url, receivables, tiers, plan, now, say)


def _drive(
    scf: Scf, rpc_url: str, n: int, tiers: int, plan: list[Lane], now: int, say: Callable[[str], None]
) -> LoadResult:
    cert, desk, escrow = scf.certificates.address, scf.desk.address, scf.escrow.address
    pipe = Pipeline(rpc_url, scf.chain.fees())
    phases: dict[str, float] = {}
    started = time.monotonic()
    run_tag = keccak(text=f"{time.time_ns()}")  # fresh document hashes on every run
    lane_of = [plan[i % len(plan)] for i in range(n)]

    def phase(name: str, txs: list[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
        t0 = time.monotonic()
        receipts = pipe.run(txs)
        phases[name] = round(time.monotonic() - t0, 3)
        say(f"{name}: {len(txs)} transactions in {phases[name]:.2f}s ({len(txs) / max(phases[name], 1e-9):.0f} tx/s)")
        return receipts

    maturity = now + 90 * DAY
    receipts = phase("issue", [
        (lane.core, cert, _data("issue", ["address", "uint256", "uint64", "bytes32"],
                                [lane.holders[0], FACE, maturity, keccak(run_tag + i.to_bytes(8, "big"))]), GAS["issue"])
        for i, lane in enumerate(lane_of)
    ])
    roots = [int(log["topics"][1], 16) for log in _logs(receipts, TOPIC_ISSUED)]
    current = list(roots)  # the certificate the current tier holds, per receivable
    held: dict[str, list[int]] = {}
    amount = FACE
    for k in range(tiers - 1):
        amount //= 2
        receipts = phase(f"split tier {k + 1}→{k + 2}", [
            (lane.holders[k], cert,
             _data("split", ["uint256", "address[]", "uint256[]"], [c, [lane.holders[k + 1]], [amount]]), GAS["split"])
            for c, lane in zip(current, lane_of)
        ])
        for c, lane in zip(current, lane_of):
            held.setdefault(lane.holders[k], []).append(c)
        current = [abi_decode(["uint256[]", "address[]", "uint256[]"], bytes.fromhex(log["data"][2:]))[0][0]
                   for log in _logs(receipts, TOPIC_SPLIT)]
    deadline = now + 3650 * DAY
    receipts = phase("finance", [
        (lane.holders[-1], desk, _data("finance", ["uint256"] * 5, [lane.offer, c, amount, 1, deadline]), GAS["finance"])
        for c, lane in zip(current, lane_of)
    ])
    proceeds = sum(abi_decode(["address", "uint256", "uint256"], bytes.fromhex(log["data"][2:]))[2]
                   for log in _logs(receipts, TOPIC_FINANCED))
    for c, lane in zip(current, lane_of):
        held.setdefault(lane.factor, []).append(c)
    phase("repay", [(lane.core, escrow, _data("repay", ["uint256", "uint256"], [r, FACE]), GAS["repay"])
                    for r, lane in zip(roots, lane_of)])
    claims = []
    for holder, ids in held.items():
        for i in range(0, len(ids), CLAIM_BATCH):
            part = ids[i : i + CLAIM_BATCH]
            claims.append((holder, escrow, _data("claim", ["uint256[]"], [part]), 60_000 + 45_000 * len(part)))
    receipts = phase("claim", claims)
    elapsed = time.monotonic() - started
    paid_out = sum(abi_decode(["uint256", "uint256"], bytes.fromhex(log["data"][2:]))[1]
                   for log in _logs(receipts, TOPIC_CLAIMED))
    say("checking …")
    checks = _audit(scf, pipe.rpc, roots, held, n, paid_out, proceeds)
    return LoadResult(n, tiers, pipe.sent, round(elapsed, 3), phases, checks)


def _audit(scf: Scf, rpc: BatchRpc, roots: list[int], held: dict[str, list[int]], n: int, paid_out: int,
           proceeds: int) -> dict[str, bool]:
    """The money-legs checks: every root paid and closed, every unit burned, payouts = face values,
    and every contract's token balance what the accounting says."""
    token = scf.token.functions
    statuses = rpc.batch([("eth_call", [{"to": scf.certificates.address,
                                         "data": scf.certificates.encode_abi("certificate", [r])}, "latest"])
                          for r in roots])
    all_paid = all(int(s[2 + 64 * 6 : 2 + 64 * 7], 16) == 2 for s in statuses)
    pairs = [(h, i) for h, ids in held.items() for i in ids]
    balances = rpc.batch([("eth_call", [{"to": scf.certificates.address,
                                         "data": scf.certificates.encode_abi("balanceOf", [h, i])}, "latest"])
                          for h, i in pairs])
    return {
        "every receivable closed as paid": all_paid and len(roots) == n,
        "every certificate unit burned": all(int(b, 16) == 0 for b in balances),
        "payouts equal face values": paid_out == FACE * n,
        "escrow holds exactly the unclaimed payouts (none)": token.balanceOf(scf.escrow.address).call() == 0,
        "desk holds the unspent budget": token.balanceOf(scf.desk.address).call() == FACE * n - proceeds,
        "guarantee contract holds no stray tokens": token.balanceOf(scf.guarantee.address).call() == 0,
    }


def raw_throughput(rpc_url: str, count: int = 3000, senders: int = 8) -> float:
    """Pre-signed plain transfers through eth_sendRawTransaction, sent the way the load sends
    (`send_rounds`, as many senders as the load has lanes), until all are mined: transactions per second."""
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
    t0 = time.monotonic()
    hashes = [h for lane in send_rounds(rpc, queues) for h in lane]
    rpc.wait_receipts(hashes)
    return len(hashes) / (time.monotonic() - t0)


def print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

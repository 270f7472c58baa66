"""Indexing throughput (`python -m scfchain.audit.bench`, run by `make bench`): builds a chain with
10,000 certificates on an embedded Anvil, then, in the same run, times (a) merely fetching its logs with
raw `eth_getLogs` calls over the same block ranges and (b) indexing them (fetch + decode + store in
SQLite). Prints both rates; the target is indexing at least half as fast as the raw fetch. Writes
bench/audit.json; exits 1 when the target is missed."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector as selector
from eth_utils import keccak

from ..anvil import Anvil
from ..chain import Chain, rpc_session
from ..deploy import deploy
from ..errors import ScfError
from ..lifecycle import Scf
from ..toolchain import ROOT
from .index import Indexer
from .node import Node
from .replay import load
from .store import Store

DAY = 86_400
TARGET = 0.5
FACE = 1_000_00
SPLIT = [200_00, 300_00, 100_00]  # three children per receivable; the supplier keeps 400.00


def _data(sig: str, types: list[str], values: list[Any]) -> str:
    return "0x" + (selector(sig) + abi_encode(types, values)).hex()


class Sender:
    """Transactions from node-held accounts, sent in JSON-RPC batches with local nonces."""

    def __init__(self, node: Node):
        # A generous fee cap: full blocks raise the base fee 12.5% a block, and a transaction whose cap
        # falls below it is never mined.
        self.node, self.fees = node, {"maxFeePerGas": hex(100 * 10**9), "maxPriorityFeePerGas": hex(10**9)}
        self.nonces: dict[str, int] = {}
        self.sent = 0

    def run(self, txs: list[tuple[str, str, str, int]]) -> None:
        calls = []
        for frm, to, data, gas in txs:
            if frm not in self.nonces:
                self.nonces[frm] = int(self.node.call("eth_getTransactionCount", [frm, "pending"]), 16)
            calls.append(("eth_sendTransaction", [{"from": frm, "to": to, "data": data, "gas": hex(gas),
                                                   "nonce": hex(self.nonces[frm]), **self.fees}]))
            self.nonces[frm] += 1
        # Automine off while sending: submitting a batch to an automining Anvil can strand transactions
        # in its queue; instead the pool fills, then blocks are mined until it is empty.
        self.node.call("evm_setAutomine", [False])
        try:
            hashes = self.node.batch(calls, chunk=250)
            bad = [h for h in hashes if isinstance(h, Exception)]
            if bad:
                raise ScfError(f"{len(bad)} transactions refused: {bad[0]}")
            for _ in range(len(calls) + 10):
                status = self.node.call("txpool_status")
                if int(status["pending"], 16) == 0:
                    if int(status["queued"], 16):
                        raise ScfError(f"{int(status['queued'], 16)} transactions stuck in the node's queue")
                    break
                self.node.call("evm_mine")
        finally:
            self.node.call("evm_setAutomine", [True])
        receipts = self.node.batch([("eth_getTransactionReceipt", [h]) for h in hashes], chunk=250)
        failed = [r for r in receipts if not isinstance(r, dict) or int(r["status"], 16) != 1]
        if failed:
            first = failed[0]["transactionHash"] if isinstance(failed[0], dict) else failed[0]
            raise ScfError(f"{len(failed)} transactions failed, e.g. {first}")
        self.sent += len(txs)


def build(url: str, certificates: int, say: Callable[[str], None]) -> tuple[Any, int]:
    """A lifecycle with `certificates` certificates (a quarter of them receivables split in three),
    financing, repayment and claims. Returns the deployment and the transaction count."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    chain = Chain(w3)
    acc = w3.eth.accounts
    op, core, bank, factor, s1, s2, s3 = acc[:7]
    dep = deploy(chain, op)
    scf = Scf(chain, dep)
    for who, role in ((core, "CORE_ENTERPRISE"), (bank, "FINANCIER"), (factor, "FINANCIER"), (s1, "SUPPLIER"),
                      (s2, "SUPPLIER"), (s3, "SUPPLIER")):
        scf.onboard(op, who, role, f"{role.lower()} {who[:8]}")
    n = max(1, certificates // 4)
    scf.set_credit_line(bank, core, FACE * n)
    scf.mint(op, core, FACE * n)
    scf.mint(op, factor, FACE * n)
    scf._ensure_allowance(core, scf.escrow.address, FACE * n)
    now = scf.now()
    offer = scf.post_offer(factor, core, 500, FACE * n, 1, now + 30 * DAY)
    chain.transact(scf.certificates.functions.setApprovalForAll(scf.desk.address, True), s1)
    node = Node(url)
    send = Sender(node)
    cert, desk, escrow = dep.address("ReceivableCertificate"), dep.address("FinancingDesk"), dep.address("SettlementEscrow")
    tag = keccak(text=str(time.time_ns()))
    t0 = time.monotonic()
    # One sender per phase keeps ids predictable (the node may run a batch's senders in any order):
    # roots are 1..n in nonce order, then the three children of root r are n + 3(r-1) + 1..3.
    roots = list(range(1, n + 1))
    issue = [(core, cert, _data("issue(address,uint256,uint64,bytes32)", ["address", "uint256", "uint64", "bytes32"],
                                [s1, FACE, now + 90 * DAY, keccak(tag + i.to_bytes(8, "big"))]), 250_000)
             for i in roots]
    split = [(s1, cert, _data("split(uint256,address[],uint256[])", ["uint256", "address[]", "uint256[]"],
                              [r, [s2, s3, s2], SPLIT]), 300_000) for r in roots]
    for label, txs in (("issued", issue), ("split", split)):
        for k in range(0, len(txs), 1000):
            send.run(txs[k : k + 1000])
            say(f"  {min(k + 1000, len(txs))} of {n} receivables {label}")
    deadline = now + 3650 * DAY
    financed = roots[: n // 5]
    send.run([(s1, desk, _data("finance(uint256,uint256,uint256,uint256,uint256)", ["uint256"] * 5,
                               [offer, r, 100_00, 1, deadline]), 300_000) for r in financed])
    repaid = roots[: n // 2]
    send.run([(core, escrow, _data("repay(uint256,uint256)", ["uint256", "uint256"], [r, FACE]), 200_000)
              for r in repaid])
    claims = [(s1, escrow, _data("claim(uint256[])", ["uint256[]"], [repaid[k : k + 40]]), 60_000 + 45_000 * 40)
              for k in range(0, len(repaid), 40)]
    kids = [n + 3 * (r - 1) + j for r in repaid for j in (1, 3)]
    claims += [(s2, escrow, _data("claim(uint256[])", ["uint256[]"], [kids[k : k + 40]]), 60_000 + 45_000 * 40)
               for k in range(0, len(kids), 40)]
    send.run(claims)
    say(f"  built in {time.monotonic() - t0:.1f}s: {send.sent} transactions")
    return dep, send.sent


def raw_fetch(url: str, addresses: list[str], ranges: list[tuple[int, int]]) -> tuple[int, float]:
    """Only the eth_getLogs calls over `ranges`, answers parsed from JSON: (logs, seconds). The same kind of
    session as the indexer's `Node`, so the comparison is of the work, not of the HTTP set-up."""
    session = rpc_session(url)
    t0 = time.perf_counter()
    count = 0
    for i, (a, b) in enumerate(ranges):
        r = session.post(url, json={"jsonrpc": "2.0", "id": i, "method": "eth_getLogs",
                                    "params": [{"fromBlock": hex(a), "toBlock": hex(b), "address": addresses}]},
                         timeout=120)
        count += len(r.json()["result"])
    return count, time.perf_counter() - t0


def run(certificates: int = 10_000, rounds: int = 5, url: str | None = None,
        say: Callable[[str], None] = print) -> dict[str, Any]:
    with Anvil(accounts=10) if url is None else _Nothing(url) as anvil:
        say(f"building a chain with {certificates:,} certificates on {anvil.url} …")
        dep, txs = build(anvil.url, certificates, say)
        addresses = [c["address"] for c in dep.contracts.values()]
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(rounds):
                store = Store(Path(tmp) / f"bench-{k}.sqlite")
                indexer = Indexer(Node(anvil.url), dep, store, confirmations=0)
                t0 = time.perf_counter()
                result = indexer.run()
                index_s = time.perf_counter() - t0
                logs, raw_s = raw_fetch(anvil.url, addresses, indexer.ranges_used)
                if logs != result.logs:
                    raise ScfError(f"raw fetch saw {logs} logs, the index {result.logs}")
                _, one_s = raw_fetch(anvil.url, addresses, [(indexer.ranges_used[0][0], indexer.ranges_used[-1][1])])
                ledger = load(store)
                store.close()
                results.append({"logs": logs, "stored": result.stored, "chunks": len(indexer.ranges_used),
                                "raw_seconds": raw_s, "index_seconds": index_s, "one_call_seconds": one_s,
                                "certificates": len(ledger.certs)})
                say(f"  round {k + 1}: raw eth_getLogs {raw_s:.3f}s, index {index_s:.3f}s "
                    f"({len(indexer.ranges_used)} ranges, {logs:,} logs)")
    best_raw = min(r["raw_seconds"] for r in results)
    best_index = min(r["index_seconds"] for r in results)
    logs = results[0]["logs"]
    figures = {
        "certificates": results[0]["certificates"], "transactions": txs, "logs": logs,
        "chunks": results[0]["chunks"],
        "raw_getlogs_seconds": round(best_raw, 4), "index_seconds": round(best_index, 4),
        "raw_getlogs_logs_per_second": round(logs / best_raw), "index_logs_per_second": round(logs / best_index),
        "index_vs_raw": round(best_raw / best_index, 3), "target": TARGET,
        "raw_one_call_seconds": round(min(r["one_call_seconds"] for r in results), 4),
    }
    figures["ok"] = figures["index_vs_raw"] >= TARGET
    return figures


class _Nothing:
    def __init__(self, url: str):
        self.url = url

    def __enter__(self) -> "_Nothing":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scfchain.audit.bench", description=__doc__.split("\n")[0])
    p.add_argument("--certificates", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--rpc-url", help="an existing Anvil with unlocked accounts (default: an embedded one)")
    p.add_argument("--out", default=str(ROOT / "bench" / "audit.json"))
    args = p.parse_args(argv)
    try:
        f = run(args.certificates, args.rounds, args.rpc_url, say=lambda m: print(m, file=sys.stderr))
    except ScfError as exc:
        print(f"scfchain: {exc}", file=sys.stderr)
        return 1
    print(f"audit index benchmark: {f['certificates']:,} certificates, {f['logs']:,} logs in {f['chunks']} "
          f"eth_getLogs ranges")
    print(f"  raw eth_getLogs fetch   {f['raw_getlogs_seconds']:8.3f} s  {f['raw_getlogs_logs_per_second']:>9,} logs/s")
    print(f"  index (fetch+decode+store) {f['index_seconds']:5.3f} s  {f['index_logs_per_second']:>9,} logs/s")
    print(f"  index rate / raw rate   {f['index_vs_raw']:.2f} (target >= {TARGET}) "
          f"{'ok' if f['ok'] else 'MISSED'}")
    print(f"  (for reference: raw eth_getLogs in one call over all blocks {f['raw_one_call_seconds']:.3f} s)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(f, indent=2) + "\n")
    return 0 if f["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

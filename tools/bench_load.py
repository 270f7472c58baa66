"""The load's throughput against its limits: flat cost as work grows, and the node's own limit for the same work.

1. Scale: `scfchain load --json` at each size (default 1,000 and 10,000 receivables over 5 tiers), each in its
   own process so its peak memory is its own; the larger run's tx/s against the smaller's (target >= 0.8).
2. True limit: a load on an Anvil started here (sealed like the load's own), then every transaction of its blocks
   replayed raw (`eth_sendRawTransaction`, the very bytes) on a fresh identical Anvil: the set-up's blocks untimed,
   the phases' blocks timed, sent with the load's discipline (`send_rounds` per block, `evm_mine`, receipts of each
   sender's last one). Each block gets its original timestamp, so the replay must reproduce the chain: the same
   transactions per block and the same final state root, checked and printed. Load tx/s / replay tx/s: target 0.9.
3. Plain transfers (`raw_throughput`) on a node sealed alike, for reference, and the load's ratio to them.

Each figure is the median of `--runs` runs (default 3; the machine is shared, so one run is noise), the runs
printed one by one. Figures go to bench/load.json."""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scfchain.anvil import Anvil
from scfchain.apps.load import SEALED_NODE_ARGS, LoadResult, raw_throughput, run_load, send_rounds
from scfchain.errors import ScfError
from scfchain.rpc import Rpc

ROOT = Path(__file__).resolve().parent.parent
LANES = 8  # the load's default
SCALE_TARGET = 0.8
REPLAY_TARGET = 0.9


def load_process(receivables: int, tiers: int) -> dict[str, Any]:
    """`scfchain load --json` in a process of its own (its peak memory is this run's alone): its JSON."""
    cmd = [sys.executable, "-m", "scfchain.apps.cli", "load", "--receivables", str(receivables), "--tiers",
           str(tiers), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise ScfError(f"scfchain load {receivables}x{tiers} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout)


def _blocks(rpc: Rpc, first: int, last: int) -> list[dict[str, Any]]:
    return rpc.batch([("eth_getBlockByNumber", [hex(b), False]) for b in range(first, last + 1)], chunk=50)


def replay(receivables: int, tiers: int) -> dict[str, Any]:
    """The load on a node started here, then its blocks replayed raw on a fresh twin (see the module's text)."""
    accounts = 2 + LANES * (tiers + 2)
    with Anvil(accounts=accounts, extra_args=SEALED_NODE_ARGS) as node:
        result: LoadResult = run_load(receivables, tiers, node.url, seal=True)
        if not result.ok:
            raise ScfError("the load's checks failed: " + ", ".join(k for k, v in result.checks.items() if not v))
        rpc = Rpc(node.url)
        head = rpc.block_number()
        blocks = _blocks(rpc, 0, head)
        hashes = [h for b in blocks for h in b["transactions"]]
        raws = dict(zip(hashes, rpc.batch([("eth_getRawTransactionByHash", [h]) for h in hashes])))
        senders = dict(zip(hashes, (tx["from"] for tx in rpc.batch([("eth_getTransactionByHash", [h])
                                                                     for h in hashes]))))
    for h, raw in raws.items():
        if not isinstance(raw, str):
            raise ScfError(f"the node gave no raw bytes for transaction {h}: {raw}")
    genesis = int(blocks[0]["timestamp"], 16)
    with Anvil(accounts=accounts, extra_args=[*SEALED_NODE_ARGS, "--timestamp", str(genesis)]) as twin:
        rpc = Rpc(twin.url)
        rpc.call("evm_setAutomine", [False])
        timed = 0.0
        for block in blocks[1:]:
            number = int(block["number"], 16)
            # Per sender in nonce order (the block's order), as the load sends: `send_rounds`.
            queues: dict[str, list[tuple[str, list[Any]]]] = {}
            for h in block["transactions"]:
                queues.setdefault(senders[h], []).append(("eth_sendRawTransaction", [raws[h]]))
            t0 = time.monotonic()
            sent = send_rounds(rpc, list(queues.values()))
            rpc.call("evm_setNextBlockTimestamp", [int(block["timestamp"], 16)])
            rpc.call("evm_mine")
            rpc.wait_receipts([q[-1] for q in sent], timeout=600.0)
            if number >= result.first_block:
                timed += time.monotonic() - t0
        copy = _blocks(rpc, 0, head)
        if rpc.block_number() != head:
            raise ScfError(f"the replay ended at block {rpc.block_number()}, the load at {head}")
    same_blocks = all(a["transactions"] == b["transactions"] for a, b in zip(blocks, copy))
    same_state = blocks[-1]["stateRoot"] == copy[-1]["stateRoot"]
    phase_txs = sum(len(b["transactions"]) for b in blocks[result.first_block:])
    replay_tps = phase_txs / timed
    return {"load tx/s": round(result.tps, 1), "replay tx/s": round(replay_tps, 1),
            "load/replay": round(result.tps / replay_tps, 3), "replayed transactions": phase_txs,
            "phase blocks": head + 1 - result.first_block, "replay same blocks": same_blocks,
            "replay same state root": same_state}


def plain(seal: bool = True) -> float:
    with Anvil(extra_args=SEALED_NODE_ARGS if seal else None) as node:
        return raw_throughput(node.url, seal=seal)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.bench_load", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1000,10000", help="receivables per scale run, small first (default 1000,10000)")
    p.add_argument("--tiers", type=int, default=5)
    p.add_argument("--replay", type=int, default=1000, help="receivables of the load replayed raw (default 1000)")
    p.add_argument("--runs", type=int, default=3, help="runs per figure, the median reported (default 3)")
    args = p.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        print(f"bench_load: --sizes takes comma-separated integers, got {args.sizes!r}", file=sys.stderr)
        return 2
    if args.runs < 1:
        print(f"bench_load: --runs must be at least 1, got {args.runs}", file=sys.stderr)
        return 2
    median = statistics.median
    out: dict[str, Any] = {"runs": args.runs}
    checks_ok = True
    ratios = []
    for run in range(1, args.runs + 1):
        tps = []
        for n in sizes:
            print(f"load {n}x{args.tiers} (own process) …", file=sys.stderr, flush=True)
            r = load_process(n, args.tiers)
            ok = all(r["checks"].values())
            checks_ok &= ok
            tps.append(r["tps"])
            print(f"run {run}: load {n}x{args.tiers}: {r['transactions']} tx in {r['seconds']:.1f}s = {r['tps']:.0f} "
                  f"tx/s, peak {r['peak_mib']:.0f} MiB, checks {'ok' if ok else 'FAILED'}")
            entry = out.setdefault(f"load {n}x{args.tiers}", {"runs": []})
            entry["runs"].append({k: r[k] for k in ("transactions", "seconds", "tps", "peak_mib", "phases")})
            entry["runs"][-1]["checks ok"] = ok
        if len(sizes) > 1:
            ratios.append(tps[-1] / tps[0])  # each run's pair: both sizes under the same background
            print(f"run {run}: scale {sizes[-1]}x{args.tiers} at {ratios[-1]:.2f} of {sizes[0]}x{args.tiers}'s tx/s")
    for n in sizes:
        entry = out[f"load {n}x{args.tiers}"]
        entry["tps"] = round(median(r["tps"] for r in entry["runs"]), 1)
        print(f"load {n}x{args.tiers}: median {entry['tps']:.0f} tx/s over {args.runs} runs")
    if ratios:
        out["scale ratio"] = round(median(ratios), 3)
        out["scale ratios"] = [round(x, 3) for x in ratios]
        print(f"scale: {sizes[-1]}x{args.tiers} at {out['scale ratio']:.2f} of {sizes[0]}x{args.tiers}'s tx/s, median "
              f"of {', '.join(f'{x:.2f}' for x in ratios)} (target >= {SCALE_TARGET})")
    reps = []
    for run in range(1, args.runs + 1):
        print(f"replay: load {args.replay}x{args.tiers} on a node started here, replayed raw on a fresh twin …",
              file=sys.stderr, flush=True)
        before = plain()
        rep = replay(args.replay, args.tiers)
        best = max(before, plain())  # before and after the load: noise on a shared machine cannot flatter the ratio
        rep["plain tx/s"], rep["load/plain"] = round(best, 1), round(rep["load tx/s"] / best, 3)
        reps.append(rep)
        print(f"run {run}: replay: {rep['replayed transactions']} tx in {rep['phase blocks']} blocks replayed raw at "
              f"{rep['replay tx/s']:.0f} tx/s (same blocks {rep['replay same blocks']}, same state root "
              f"{rep['replay same state root']}); load {rep['load tx/s']:.0f} tx/s; ratio {rep['load/replay']:.2f}; "
              f"plain transfers {best:.0f} tx/s, load/plain {rep['load/plain']:.2f}")
    replay_ratio = median(r["load/replay"] for r in reps)
    plain_ratio = median(r["load/plain"] for r in reps)
    each = ", ".join(f"{r['load/replay']:.2f}" for r in reps)
    print(f"replay: load/replay median {replay_ratio:.2f} of {each} "
          f"(target >= {REPLAY_TARGET}); load {median(r['load tx/s'] for r in reps):.0f} tx/s, replay "
          f"{median(r['replay tx/s'] for r in reps):.0f} tx/s")
    print(f"plain transfers (pre-signed, sealed alike): median {median(r['plain tx/s'] for r in reps):.0f} tx/s; "
          f"load/plain median {plain_ratio:.2f}")
    out["replay"] = {"runs": reps, "load/replay": round(replay_ratio, 3)}
    out["plain tx/s"] = round(median(r["plain tx/s"] for r in reps), 1)
    out["load/plain"] = round(plain_ratio, 3)
    path = ROOT / "bench" / "load.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    reproduced = all(r["replay same blocks"] and r["replay same state root"] for r in reps)
    return 0 if reproduced and checks_ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ScfError as exc:
        print(f"bench_load: {exc}", file=sys.stderr)
        sys.exit(1)

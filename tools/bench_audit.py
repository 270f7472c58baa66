"""Indexing throughput (`python -m tools.bench_audit`, run by `make bench`): for each size (default 10,000
and 100,000 certificates) builds a chain on an embedded Anvil with the load's pipeline (`scfchain.apps.load`: its
supply-chain lanes, its sending discipline and its checks; a receivable split down four tiers is four
certificates), then, in the same run, times (a) merely fetching its logs with raw `eth_getLogs` calls over
the same block ranges and (b) indexing them (fetch + decode + store) into SQLite and into PostgreSQL (a
throwaway server, or `--pg-url`). Prints logs/s for each beside the raw rate, and the cost per 10,000
certificates at each size; the target (issue 16) is indexing at 0.9 of the raw fetch's rate or better, on each
engine.
Writes bench/audit.json; exits 1 when the target is missed."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

from scfchain.anvil import Anvil
from scfchain.deploy import load_deployment
from scfchain.errors import ScfError
from scfchain.apps.load import SEALED_NODE_ARGS, run_load
from scfchain.rpc import Rpc
from scfchain.toolchain import ROOT
from scfchain.audit.index import Indexer
from scfchain.audit.replay import load
from scfchain.audit.store import Store

TARGET = 0.9  # issue 16, point 4: the index at >= 0.9 of raw eth_getLogs over the same ranges
TIERS = 4  # certificates per receivable: the root and one child per further tier
LANES = 8  # the load's independent supply chains (one sender per role and lane)
ENGINES = ("sqlite", "postgresql")
SIZES = (10_000, 100_000)
PER = 10_000  # the cost is given per this many certificates


def raw_fetch(url: str, addresses: list[str], ranges: list[tuple[int, int]]) -> tuple[int, float]:
    """Only the eth_getLogs calls over `ranges`, answers parsed from JSON: (logs, seconds). The same client as
    the indexer's, so the comparison is of the work, not of the HTTP set-up."""
    rpc = Rpc(url, timeout=300)
    t0 = time.perf_counter()
    count = 0
    for a, b in ranges:
        count += len(rpc.call("eth_getLogs", [{"fromBlock": hex(a), "toBlock": hex(b), "address": addresses}]))
    return count, time.perf_counter() - t0


def _cpu() -> float:
    """CPU-seconds of this process (all its threads) and of its ended children (the index's worker
    processes, ended with its run); not the node's, nor PostgreSQL's: steadier than the wall-clock rates on a
    shared machine."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Databases:
    """A fresh index database per round: SQLite files in a temporary folder; PostgreSQL databases on a
    throwaway server (or, given `pg_url`, that one database, emptied before each round)."""

    def __init__(self, stack: ExitStack, pg_url: str | None, engines: tuple[str, ...]):
        self.tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        self.pg_url = pg_url
        self.pg = None
        if "postgresql" in engines and pg_url is None:
            from scfchain.pgserver import PgServer

            self.pg = stack.enter_context(PgServer())
        self.n = 0

    def new(self, engine: str) -> Store:
        self.n += 1
        if engine == "sqlite":
            return Store(self.tmp / f"bench-{self.n}.sqlite")
        if self.pg is not None:
            return Store(self.pg.new("bench"))
        store = Store(self.pg_url or "")
        store.reset()
        return store


def run(certificates: int = 10_000, rounds: int = 3, url: str | None = None,
        say: Callable[[str], None] = print, engines: tuple[str, ...] = ENGINES, pg_url: str | None = None,
        databases: Databases | None = None) -> dict[str, Any]:
    """Builds one chain of `certificates` certificates and indexes it `rounds` times into each engine."""
    receivables = max(1, certificates // TIERS)
    with ExitStack() as stack:
        dbs = databases or Databases(stack, pg_url, engines)
        seal = url is None
        if url is None:
            url = stack.enter_context(Anvil(accounts=2 + LANES * (TIERS + 2), extra_args=SEALED_NODE_ARGS)).url
        say(f"building a chain with {receivables * TIERS:,} certificates ({receivables:,} receivables down "
            f"{TIERS} tiers) on {url} …")
        dep_file = dbs.tmp / f"deployment-{certificates}.json"
        t0 = time.monotonic()
        built = run_load(receivables, TIERS, url, progress=lambda m: say("  " + m), lanes=LANES,
                         deployment_out=str(dep_file), seal=seal)
        build_s = time.monotonic() - t0
        if not built.ok:
            raise ScfError("the benchmark's chain failed the load's checks: "
                           + ", ".join(k for k, ok in built.checks.items() if not ok))
        say(f"  built in {build_s:.1f}s: {built.transactions:,} transactions ({built.tps:,.0f} tx/s)")
        dep = load_deployment(dep_file)
        addresses = [c["address"] for c in dep.contracts.values()]
        per_engine: dict[str, Any] = {}
        logs = 0
        for engine in engines:
            results = []
            for k in range(rounds):
                store = dbs.new(engine)
                indexer = Indexer(Rpc(url), dep, store, confirmations=0)
                c1, t1 = _cpu(), time.perf_counter()
                result = indexer.run()
                index_s, c2 = time.perf_counter() - t1, _cpu()
                raw_logs, raw_s = raw_fetch(url, addresses, indexer.ranges_used)
                index_cpu, raw_cpu = c2 - c1, _cpu() - c2
                if raw_logs != result.logs or store.count() != result.logs:
                    raise ScfError(f"raw fetch saw {raw_logs} logs, the {engine} index {result.logs} "
                                   f"({store.count()} stored)")
                ledger = load(store)
                store.close()
                if len(ledger.certs) != receivables * TIERS:
                    raise ScfError(f"the {engine} index holds {len(ledger.certs)} certificates, the chain "
                                   f"{receivables * TIERS}")
                logs = raw_logs
                results.append((index_s, raw_s, len(indexer.ranges_used), index_cpu, raw_cpu))
                say(f"  {engine} round {k + 1}: raw eth_getLogs {raw_s:.3f}s ({raw_cpu:.3f} CPU-s), index "
                    f"{index_s:.3f}s ({index_cpu:.3f} CPU-s) ({len(indexer.ranges_used)} ranges, {raw_logs:,} logs)")
            index_s = min(r[0] for r in results)
            raw_s = min(r[1] for r in results)
            per_engine[engine] = {
                "index_seconds": round(index_s, 4), "index_logs_per_second": round(logs / index_s),
                "raw_getlogs_seconds": round(raw_s, 4), "raw_getlogs_logs_per_second": round(logs / raw_s),
                "index_vs_raw": round(raw_s / index_s, 3), "chunks": results[0][2],
                "seconds_per_10k_certificates": round(index_s * PER / (receivables * TIERS), 4),
                "index_cpu_seconds": round(min(r[3] for r in results), 4),
                "raw_getlogs_cpu_seconds": round(min(r[4] for r in results), 4),
            }
        _, one_s = raw_fetch(url, addresses, [(dep.block, Rpc(url).block_number())])
    figures = {
        "certificates": receivables * TIERS, "receivables": receivables, "transactions": built.transactions,
        "build_seconds": round(build_s, 1), "logs": logs, "raw_one_call_seconds": round(one_s, 4),
        "engines": per_engine, "target": TARGET,
    }
    figures["ok"] = all(e["index_vs_raw"] >= TARGET for e in per_engine.values())
    return figures


def report(f: dict[str, Any]) -> list[str]:
    lines = [f"audit index benchmark: {f['certificates']:,} certificates ({f['receivables']:,} receivables, "
             f"{f['transactions']:,} transactions built in {f['build_seconds']:.0f}s), {f['logs']:,} logs"]
    for engine, e in f["engines"].items():
        lines.append(f"  {engine:10} index {e['index_seconds']:8.3f} s {e['index_logs_per_second']:>9,} logs/s   "
                     f"raw eth_getLogs over its {e['chunks']} ranges {e['raw_getlogs_seconds']:7.3f} s "
                     f"{e['raw_getlogs_logs_per_second']:>9,} logs/s   index rate / raw rate {e['index_vs_raw']:.2f} "
                     f"(target >= {TARGET}) {'ok' if e['index_vs_raw'] >= TARGET else 'MISSED'}   "
                     f"{e['seconds_per_10k_certificates']:.3f} s per 10,000 certificates   client CPU index "
                     f"{e['index_cpu_seconds']:.3f} s, raw {e['raw_getlogs_cpu_seconds']:.3f} s")
    lines.append(f"  (for reference: raw eth_getLogs in one call over all blocks {f['raw_one_call_seconds']:.3f} s)")
    return lines


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(t.replace("_", "")) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers, e.g. 10000,100000; got {text!r}") from None
    if not sizes or min(sizes) < TIERS:
        raise argparse.ArgumentTypeError(f"each size must be at least {TIERS} certificates, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.bench_audit", description=__doc__.split("\n")[0])
    p.add_argument("--certificates", type=_sizes, default=list(SIZES),
                   help="sizes to build and index, comma-separated (default 10000,100000)")
    p.add_argument("--rounds", type=int, help="index each chain this many times per engine, best time counts "
                   "(default 3, and 1 from 50,000 certificates)")
    p.add_argument("--engines", default=",".join(ENGINES), help="sqlite,postgresql (default both)")
    p.add_argument("--pg-url", help="an empty PostgreSQL database to use (default: a throwaway server)")
    p.add_argument("--rpc-url", help="an existing Anvil with unlocked accounts (default: an embedded one)")
    p.add_argument("--out", default=str(ROOT / "bench" / "audit.json"))
    args = p.parse_args(argv)
    engines = tuple(e.strip() for e in args.engines.split(",") if e.strip())
    if not engines or set(engines) - set(ENGINES):
        p.error(f"--engines takes {','.join(ENGINES)}, got {args.engines!r}")
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    results = []
    try:
        with ExitStack() as stack:
            dbs = Databases(stack, args.pg_url, engines)
            for size in args.certificates:
                rounds = args.rounds or (3 if size < 50_000 else 1)
                f = run(size, rounds, args.rpc_url, say=say, engines=engines, databases=dbs)
                results.append(f)
                print("\n".join(report(f)), flush=True)
    except ScfError as exc:
        print(f"scfchain: {exc}", file=sys.stderr)
        return 1
    summary = {"sizes": results, "target": TARGET, "ok": all(f["ok"] for f in results),
               "seconds_per_10k_certificates": {engine: {str(f["certificates"]): f["engines"][engine][
                   "seconds_per_10k_certificates"] for f in results} for engine in engines}}
    if len(results) > 1:
        print("cost per 10,000 certificates: " + "; ".join(
            f"{engine} " + ", ".join(f"{s:.3f} s at {int(n):,}" for n, s in costs.items())
            for engine, costs in summary["seconds_per_10k_certificates"].items()))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Auditor toolkit: everything rebuilt and checked from on-chain events alone, with an RPC URL and the
deployment file (no brownie, no keys).

    node = Rpc(url); store = Store(path)    # scfchain.rpc.Rpc; or Store("postgresql://USER@HOST:PORT/DB")
    index(node, deployment, store)          # fetch + decode + store, resumable
    ledger = load(store)                    # replay the events
    verify(ledger, node, store=store, deployment=deployment).ok  # the index vs the chain, membership,
                                            # SPEC invariants 1-4, balances, lineage
    trace_json(ledger, 4); credit_profile(ledger, addr); rows(store.events(), ledger); write_report(ledger, dir)
"""
from .credit import credit_profile, credit_text
from .export import rows as export_rows
from .index import IndexResult, Indexer, index
from .replay import Ledger, load, replay
from .report import write_report
from .store import Event, Store, db_path
from .trace import trace_json, trace_text, tree_node
from .verify import CHECKS, Verdict, verify

__all__ = [
    "CHECKS", "Event", "IndexResult", "Indexer", "Ledger", "Store", "Verdict", "credit_profile",
    "credit_text", "db_path", "export_rows", "index", "load", "replay", "trace_json", "trace_text", "tree_node",
    "verify", "write_report",
]

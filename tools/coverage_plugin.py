"""pytest plugin for `make coverage`: statement and branch coverage of the project's contracts.

brownie 1.22's own `--coverage` cannot be used here (its report merge crashes in the compiled release, and it
pulls full traces with stack and memory). This plugin traces every transaction and every `eth_call` the tests
send through brownie's web3, right after it runs (before a snapshot revert can drop it), with a lean struct
log (pc, op, depth only) plus Anvil's call tracer to know which contract's code runs at each depth. Executed
program counters are mapped to statements and branches with brownie's own `pcMap` / `coverageMap` of the
contract deployed there (a build without viaIR, made by tools/coverage.py). A branch has two outcomes (jump or
fall through); branch coverage is outcomes seen / (2 x branches). The node must run with `--steps-tracing`.

Results go to $SCF_COVERAGE_OUT (JSON): for each source path, its branches and statements and which were hit.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest

SEND = ("eth_sendTransaction", "eth_sendRawTransaction")
CALL_OPS = {"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"}
LEAN = {"disableStack": True, "disableMemory": True, "disableStorage": True}


class Collector:
    def __init__(self) -> None:
        self.pending: list[str] = []
        self.branches: dict[tuple, set] = defaultdict(set)  # (path, start, end) -> {"jump", "fall"}
        self.branch_fn: dict[tuple, str] = {}
        self.statements: set[tuple] = set()  # (path, start, end) executed
        self.statements_total: set[tuple] = set()
        self.maps: dict[str, dict] = {}  # contract name -> prepared maps
        self.traced = 0
        self.failed = 0
        self.methods: dict[str, int] = defaultdict(int)
        self.unknown: dict[str, int] = defaultdict(int)

    # ------------------------------------------------------------ contract maps
    def _maps(self, contract) -> dict | None:
        name = contract._name
        if name not in self.maps:
            # The artifact on disk: brownie keeps pcMap out of the builds it loads into memory.
            artifact = os.path.join("build", "contracts", f"{name}.json")
            build = json.load(open(artifact)) if os.path.exists(artifact) else contract._build
            paths = build.get("allSourcePaths") or {}
            pc_map = {int(k): v for k, v in (build.get("pcMap") or {}).items()}
            cov = build.get("coverageMap") or {"statements": {}, "branches": {}}
            stmt_loc, branch_loc = {}, {}
            for path_id, fns in cov.get("statements", {}).items():
                for fn, items in fns.items():
                    for sid, (start, end) in items.items():
                        stmt_loc[(path_id, int(sid))] = (paths.get(path_id), start, end, fn)
            for path_id, fns in cov.get("branches", {}).items():
                for fn, items in fns.items():
                    for bid, (start, end, _jump) in items.items():
                        branch_loc[(path_id, int(bid))] = (paths.get(path_id), start, end, fn)
            self.maps[name] = {"pc": pc_map, "stmt": stmt_loc, "branch": branch_loc}
            self._record_totals(self.maps[name])
        return self.maps[name]

    def _record_totals(self, maps: dict) -> None:
        for (_, _), (path, start, end, fn) in maps["branch"].items():
            self.branches.setdefault((path, start, end), set())
            self.branch_fn[(path, start, end)] = fn
        for (_, _), (path, start, end, fn) in maps["stmt"].items():
            self.statements_total.add((path, start, end))

    # ------------------------------------------------------------ tracing
    def flush(self, send) -> None:
        still = []
        for tx_hash in self.pending:
            receipt = send("eth_getTransactionReceipt", [tx_hash]).get("result")
            if not receipt:
                still.append(tx_hash)
                continue
            self._trace("debug_traceTransaction", [tx_hash, LEAN], [tx_hash, {"tracer": "callTracer"}], send)
        self.pending = still

    def trace_call(self, params, send) -> None:
        call, block = params[0], params[1] if len(params) > 1 else "latest"
        self._trace("debug_traceCall", [call, block, LEAN], [call, block, {"tracer": "callTracer"}], send)

    def _trace(self, method, lean_params, call_params, send) -> None:
        lean = send(method, lean_params).get("result")
        calls = send(method, call_params).get("result")
        if not lean or not calls or not lean.get("structLogs"):
            self.failed += 1
            return
        self.traced += 1
        self._walk(lean["structLogs"], calls)

    def _walk(self, logs: list, root: dict) -> None:
        from brownie.network import state

        order = []  # call frames in execution (pre-)order, root excluded

        def dfs(frame):
            for sub in frame.get("calls", []) or []:
                order.append(sub)
                dfs(sub)

        dfs(root)
        contracts: dict[str, object] = {}

        def maps_at(address):
            if address is None:
                return None
            if address not in contracts:
                contract = state._find_contract(address)
                if contract is None:
                    self.unknown[address] += 1
                contracts[address] = self._maps(contract) if contract is not None else None
            return contracts[address]

        root_to = root.get("to") if root.get("type") not in ("CREATE", "CREATE2") else None
        frames = [[maps_at(root_to), set()]]  # (maps, active branches) per depth
        k = 0
        n = len(logs)
        for i, step in enumerate(logs):
            depth = step["depth"]
            while len(frames) > depth:
                frames.pop()
            maps, active = frames[-1]
            nxt = logs[i + 1] if i + 1 < n else None
            if maps is not None:
                pc = maps["pc"].get(step["pc"])
                if pc and "path" in pc:
                    if "statement" in pc:
                        loc = maps["stmt"].get((pc["path"], pc["statement"]))
                        if loc:
                            self.statements.add(loc[:3])
                    if "branch" in pc:
                        if pc["op"] != "JUMPI":
                            active.add(pc["branch"])
                        elif pc["branch"] in active and nxt is not None and nxt["depth"] == depth:
                            loc = maps["branch"].get((pc["path"], pc["branch"]))
                            if loc:
                                self.branches[loc[:3]].add("fall" if nxt["pc"] == step["pc"] + 1 else "jump")
                            active.discard(pc["branch"])
            if step["op"] in CALL_OPS:
                callee = order[k] if k < len(order) else {}
                k += 1
                if nxt is not None and nxt["depth"] == depth + 1:
                    code = None if step["op"] in ("CREATE", "CREATE2") else callee.get("to")
                    frames.append([maps_at(code), set()])

    def report(self) -> dict:
        return {
            "traced": self.traced,
            "methods": dict(self.methods),
            "unknown": dict(self.unknown),
            "failed": self.failed,
            "branches": [
                {"path": p, "start": s, "end": e, "fn": self.branch_fn.get((p, s, e)), "outcomes": sorted(o)}
                for (p, s, e), o in sorted(self.branches.items(), key=lambda x: (str(x[0][0]), x[0][1], x[0][2]))
            ],
            "statements": [
                {"path": p, "start": s, "end": e, "hit": (p, s, e) in self.statements}
                for (p, s, e) in sorted(self.statements_total, key=lambda x: (str(x[0]), x[1], x[2]))
            ],
        }


COLLECTOR = Collector()


def _install() -> None:
    """Wraps the HTTP provider's make_request (at class level, before brownie builds its request pipeline)."""
    from web3.providers.rpc import HTTPProvider

    original = HTTPProvider.make_request
    if getattr(original, "_scf_coverage", False):
        return

    def make_request(self, method, params):
        COLLECTOR.methods[method] += 1

        def send(m, p):
            return original(self, m, p)

        if method == "debug_traceTransaction" and params:
            # brownie's own request (return values, revert reasons): answer as a node without step tracing
            # would (no struct logs), instead of a full trace with memory that can take minutes.
            response = original(self, method, [params[0], LEAN])
            if isinstance(response.get("result"), dict):
                response = {**response, "result": {**response["result"], "structLogs": []}}
            return response
        if method == "evm_revert":
            COLLECTOR.flush(send)
        if method == "eth_call":
            try:
                COLLECTOR.trace_call(params, send)
            except Exception:  # noqa: BLE001 — coverage must never break a test
                COLLECTOR.failed += 1
        response = original(self, method, params)
        if method in SEND and isinstance(response, dict) and "result" in response:
            COLLECTOR.pending.append(response["result"])
        if method in SEND or method in ("evm_mine", "evm_setAutomine"):
            try:
                COLLECTOR.flush(send)
            except Exception:  # noqa: BLE001
                COLLECTOR.failed += 1
        return response

    make_request._scf_coverage = True
    HTTPProvider.make_request = make_request


def pytest_configure(config):
    _install()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("SCF_COVERAGE_OUT", "coverage.json")
    with open(out, "w") as fh:
        json.dump(COLLECTOR.report(), fh)

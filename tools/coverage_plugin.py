"""pytest plugin for `make coverage`: statement and branch coverage of the project's contracts.

brownie 1.22's own `--coverage` cannot be used here (its report merge crashes in the compiled release, and it
pulls full traces with stack and memory). This plugin traces every transaction and every `eth_call` the tests
send through brownie's web3, right after it runs (before a snapshot revert can drop it), with a lean struct
log (pc, op, depth only) plus Anvil's call tracer to know which contract's code runs at each depth. Executed
program counters are mapped to statements and branches with brownie's own `pcMap` / `coverageMap` of the
contract deployed there (a build without viaIR, made by tools/coverage.py). A branch has two outcomes (jump or
fall through; brownie's map says which one means the condition is true); branch coverage is outcomes seen /
(2 x branches). The node must run with `--steps-tracing`.

Only requests to brownie's node ($SCF_COVERAGE_NODE, the Anvil tools/coverage.py started) are traced. Tests of the
Python tooling (CLI, demo, load, audit) start Anvil nodes of their own and deploy scfchain's viaIR build there:
those nodes keep no step traces, brownie's maps do not describe that bytecode, and contract addresses repeat
across nodes (same deployer, same nonces), so a trace there would be mapped to whatever brownie deployed at that
address on its own chain. They are counted per method and test file as "other nodes", never traced.

Every trace attempt ends in exactly one class: traced (walked), no code (an ether transfer or a call to an account
without code: no contract ran, nothing to measure), or failed with a reason (node error, an empty step trace for
a call into code, an exception, a transaction never mined). Results go to $SCF_COVERAGE_OUT (JSON): for each
source path, its branches and statements and which were hit, plus these counts with sample tests.
"""
from __future__ import annotations

import json
import os
import time
from collections import defaultdict

import pytest

SEND = ("eth_sendTransaction", "eth_sendRawTransaction")
CALL_OPS = {"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"}
LEAN = {"disableStack": True, "disableMemory": True, "disableStorage": True}


class Collector:
    def __init__(self) -> None:
        self.pending: list[str] = []
        self.branches: dict[tuple, set] = defaultdict(set)  # (path, start, end) -> {"jump", "fall"}
        self.branch_fn: dict[tuple, tuple] = {}  # (path, start, end) -> (function, condition value on a jump)
        self.statements: set[tuple] = set()  # (path, start, end) executed
        self.statements_total: set[tuple] = set()
        self.maps: dict[str, dict] = {}  # contract name -> prepared maps
        self.traced = {"transactions": 0, "calls": 0}
        self.no_code = {"transactions": 0, "calls": 0}
        self.per_file: dict[str, int] = defaultdict(int)  # test file -> transactions and calls traced
        self.outcome_files: dict[tuple, set] = defaultdict(set)  # (path, start, end, outcome) -> test files
        self.failures: dict[str, dict] = {}  # reason -> {"count", "samples": [...]}
        self.other_nodes: dict[str, dict] = defaultdict(lambda: defaultdict(int))  # method -> test file -> count
        self.methods: dict[str, int] = defaultdict(int)
        self.unknown: dict[str, dict] = {}  # address -> {"frames", "code_bytes", "tests"}: code not mapped
        self.by_code: dict[str, int] = defaultdict(int)  # contract name -> frames mapped by code, not by brownie
        self.codes: dict[str, bytes] | None = None
        self.automine = True
        self.answers: dict[str, dict] = {}  # tx hash -> its lean trace without steps, for brownie's own request
        self.test = ""  # node id of the running test (or the fixture set-up around it)

    def fail(self, reason: str, detail: str = "") -> None:
        entry = self.failures.setdefault(reason, {"count": 0, "samples": []})
        entry["count"] += 1
        if len(entry["samples"]) < 5:
            entry["samples"].append(f"{self.test} {detail}".strip())

    # ------------------------------------------------------------ contract maps
    def _by_code(self, code: str) -> str | None:
        """Name of the contract of this build whose runtime code `code` is (immutables, zero in the artifact,
        may differ): for code brownie did not deploy itself (a contract deployed by another contract, or
        by a script through web3 on this node)."""
        if self.codes is None:
            self.codes = {}
            folder = os.path.join("build", "contracts")
            for name in sorted(os.listdir(folder)):
                deployed = json.load(open(os.path.join(folder, name))).get("deployedBytecode") or ""
                if deployed:
                    self.codes[name[:-5]] = bytes.fromhex(deployed)
        raw = bytes.fromhex(code[2:]) if code and code.startswith("0x") else b""
        for name, build in self.codes.items():
            if len(build) == len(raw) and all(b == 0 or b == r for b, r in zip(build, raw)):
                return name
        return None

    def _maps(self, contract) -> dict | None:
        name = contract if isinstance(contract, str) else contract._name
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
                    for bid, (start, end, jump) in items.items():
                        branch_loc[(path_id, int(bid))] = (paths.get(path_id), start, end, fn, jump)
            self.maps[name] = {"pc": pc_map, "stmt": stmt_loc, "branch": branch_loc}
            self._record_totals(self.maps[name])
        return self.maps[name]

    def _record_totals(self, maps: dict) -> None:
        for (_, _), (path, start, end, fn, jump) in maps["branch"].items():
            self.branches.setdefault((path, start, end), set())
            self.branch_fn[(path, start, end)] = (fn, jump)
        for (_, _), (path, start, end, fn) in maps["stmt"].items():
            self.statements_total.add((path, start, end))

    # ------------------------------------------------------------ tracing
    def flush(self, send) -> None:
        still = []
        for tx_hash, test in self.pending:
            try:
                receipt = send("eth_getTransactionReceipt", [tx_hash]).get("result")
                if not receipt:
                    still.append((tx_hash, test))
                    continue

                def init_code():
                    return (send("eth_getTransactionByHash", [tx_hash]).get("result") or {}).get("input")

                self._trace("transactions", "debug_traceTransaction", [tx_hash], receipt.get("to"), init_code,
                            receipt["blockNumber"], send, key=tx_hash)
            except Exception as exc:  # noqa: BLE001 — coverage must never break a test
                self.fail(f"exception while tracing a transaction: {type(exc).__name__}", f"{tx_hash}: {exc}"[:200])
        self.pending = still

    def await_receipt(self, tx_hash: str, send, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while time.monotonic() < deadline:
            try:
                if send("eth_getTransactionReceipt", [tx_hash]).get("result"):
                    return
            except Exception:  # noqa: BLE001 — the flush that follows reports it
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def trace_call(self, params, send) -> None:
        call, block = params[0], params[1] if len(params) > 1 else "latest"
        try:
            self._trace("calls", "debug_traceCall", [call, block], call.get("to"),
                        lambda: call.get("data") or call.get("input"), block, send)
        except Exception as exc:  # noqa: BLE001
            self.fail(f"exception while tracing a call: {type(exc).__name__}", str(exc)[:200])

    def _trace(self, kind, method, args, to, init_code, block, send, key=None) -> None:
        reply = send(method, [*args, LEAN])
        if "error" in reply or not isinstance(reply.get("result"), dict):
            message = (reply.get("error") or {}).get("message", "no result")
            self.fail(f"node error on {method}", f"to={to}: {message}"[:200])
            return
        lean = reply["result"]
        logs = lean.get("structLogs") or []
        if key is not None:
            # brownie asks for this trace itself when it wants a return value or a revert reason: kept, without
            # the steps, to answer it (see make_request).
            self.answers[key] = {**lean, "structLogs": []}
            while len(self.answers) > 64:
                self.answers.pop(next(iter(self.answers)))
        if not logs:
            # No step at all: either no code ran (an ether transfer, a call to an account without code, a contract
            # creation with empty init code) — nothing to measure — or the node lost the trace.
            if to is None:
                no_code = init_code() in (None, "", "0x")
            else:
                no_code = send("eth_getCode", [to, block]).get("result") in ("0x", "")
            if no_code:
                self.no_code[kind] += 1
            else:
                self.fail(f"empty step trace on {method} for code", f"to={to}")
            return
        if any(step["op"] in CALL_OPS for step in logs):
            # Which code runs in each inner frame: the call tracer names every callee, in execution order.
            reply = send(method, [*args, {"tracer": "callTracer"}])
            if "error" in reply or not isinstance(reply.get("result"), dict):
                message = (reply.get("error") or {}).get("message", "no result")
                self.fail(f"node error on {method} (call tracer)", f"to={to}: {message}"[:200])
                return
            root = reply["result"]
        else:
            root = {"to": to, "type": "CALL" if to is not None else "CREATE"}
        self.traced[kind] += 1
        self.per_file[self.test.split("::")[0]] += 1
        self._walk(logs, root, block, send)

    def _walk(self, logs: list, root: dict, block, send) -> None:
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
            address = address.lower()
            if address not in contracts:
                contract = state._find_contract(address)
                if contract is None:
                    code = send("eth_getCode", [address, block]).get("result") or "0x"
                    contract = self._by_code(code)
                    if contract is not None:
                        self.by_code[contract] += 1
                    elif len(code) > 2:
                        entry = self.unknown.setdefault(address, {"frames": 0, "code_bytes": len(code) // 2 - 1,
                                                                  "tests": []})
                        entry["frames"] += 1
                        if self.test not in entry["tests"] and len(entry["tests"]) < 5:
                            entry["tests"].append(self.test)
                contracts[address] = self._maps(contract) if contract is not None else None
            return contracts[address]

        test_file = self.test.split("::")[0]
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
                                outcome = "fall" if nxt["pc"] == step["pc"] + 1 else "jump"
                                self.branches[loc[:3]].add(outcome)
                                self.outcome_files[(*loc[:3], outcome)].add(test_file)
                            active.discard(pc["branch"])
            if step["op"] in CALL_OPS:
                callee = order[k] if k < len(order) else {}
                k += 1
                if nxt is not None and nxt["depth"] == depth + 1:
                    code = None if step["op"] in ("CREATE", "CREATE2") else callee.get("to")
                    frames.append([maps_at(code), set()])

    def report(self) -> dict:
        for tx_hash, test in self.pending:
            self.test = test
            self.fail("transaction never mined by the end of the session", tx_hash)
        self.pending = []
        return {
            "traced": self.traced,
            "no_code": self.no_code,
            "failures": self.failures,
            "other_nodes": {m: dict(files) for m, files in self.other_nodes.items()},
            "traced_per_file": dict(sorted(self.per_file.items())),
            "methods": dict(self.methods),
            "unknown": self.unknown,
            "mapped_by_code": dict(self.by_code),
            "branches": [
                {"path": p, "start": s, "end": e, "fn": self.branch_fn[(p, s, e)][0],
                 "jump_means": self.branch_fn[(p, s, e)][1], "outcomes": sorted(o),
                 "files": {x: sorted(self.outcome_files[(p, s, e, x)]) for x in sorted(o)}}
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
    from web3._utils.encoding import Web3JsonEncoder

    from scfchain.rpc import Connection

    node = os.environ.get("SCF_COVERAGE_NODE", "").rstrip("/")
    # The plugin's own requests (traces, receipts, code: several per transaction and call of the tests) go over
    # the JSON-RPC layer's kept-alive Connection, without web3's middleware and requests' per-request cost.
    direct = Connection(node) if node else None

    def make_request(self, method, params):
        if node and str(self.endpoint_uri).rstrip("/") != node:
            if method in SEND or method in ("eth_call", "debug_traceTransaction"):
                COLLECTOR.other_nodes[method][COLLECTOR.test.split("::")[0]] += 1
            return original(self, method, params)
        COLLECTOR.methods[method] += 1

        def send(m, p):
            if direct is None:
                return original(self, m, p)
            return direct.post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p},
                                          cls=Web3JsonEncoder).encode(), idempotent=True)  # reads

        if method == "debug_traceTransaction" and params:
            # brownie's own request (return values, revert reasons): answer as a node without step tracing
            # would (no struct logs), instead of a full trace with memory that can take minutes; the trace
            # taken for coverage right after the transaction was mined has the answer.
            if params[0] in COLLECTOR.answers:
                return {"jsonrpc": "2.0", "id": 0, "result": COLLECTOR.answers[params[0]]}
            response = original(self, method, [params[0], LEAN])
            if isinstance(response.get("result"), dict):
                response = {**response, "result": {**response["result"], "structLogs": []}}
            return response
        if method == "evm_revert":
            COLLECTOR.flush(send)
        if method == "eth_call":
            COLLECTOR.trace_call(params, send)
        response = original(self, method, params)
        if method == "evm_setAutomine" and params:
            COLLECTOR.automine = bool(params[0])
        if method in SEND and isinstance(response, dict) and "result" in response:
            COLLECTOR.pending.append((response["result"], COLLECTOR.test))
            if COLLECTOR.automine:
                # Anvil answers with the hash and mines just after; a transaction with many steps to record can
                # take a while. Waiting for its receipt here traces it at once, and spares brownie a race it
                # loses under load (the sender's nonce already counts the transaction while its receipt is not
                # there yet: brownie reports "Tx dropped without known replacement").
                COLLECTOR.await_receipt(response["result"], send)
        if method in SEND or method in ("evm_mine", "evm_setAutomine"):
            COLLECTOR.flush(send)
        return response

    make_request._scf_coverage = True
    HTTPProvider.make_request = make_request


def pytest_configure(config):
    _install()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    COLLECTOR.test = item.nodeid  # fixture set-up and tear-down of this test included


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("SCF_COVERAGE_OUT", "coverage.json")
    with open(out, "w") as fh:
        json.dump(COLLECTOR.report(), fh)


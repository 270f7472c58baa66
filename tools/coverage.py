"""`make coverage`: statement and branch coverage of the contracts, measured on the test suite.

1. Copies the brownie project (contracts, interfaces, tests, scripts, configuration) to build/coverage/project
   with viaIR off: the IR pipeline's source maps do not tie jumps back to source conditions reliably, the
   legacy pipeline's do (the contracts compile either way; gas is measured by `make bench` on the viaIR build).
2. Starts an Anvil with --steps-tracing on a free port; it and pytest get a HOME of their own (build/coverage/home)
   whose brownie `development` network (the one `make test` uses, same settings) points there (brownie
   attaches): nothing in ~/.brownie is read or written, and a `make test` running at the same time (port 8545)
   does not collide.
3. Runs the tests there with tools/coverage_plugin.py, which traces every transaction and call sent to that node:
   all of tests/ but the tests of the Python tooling (marked `tooling`, see TOOLING_MARK below: they run their own
   nodes, nothing of theirs can be traced), unless test paths are given.
4. Prints statement and branch coverage per contract source and in total (the uncovered branch outcomes
   too), what was traced and what was not and why, writes reports/coverage-branches.json, and fails below
   COVERAGE_MIN % branch coverage (default 95), or on any trace failure (a figure with untraced transactions
   of the contracts would not be credible).

Arguments go to pytest (test paths, -k, ...), not --network. Production contracts only: contracts/test/
(attack and mock contracts) and interfaces are not counted.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COPY = ROOT / "build" / "coverage" / "project"
REPORT = ROOT / "reports" / "coverage-branches.json"
RAW = ROOT / "build" / "coverage" / "raw.json"
HOME = ROOT / "build" / "coverage" / "home"
COUNTED = ("contracts/access/", "contracts/finance/", "contracts/token/", "contracts/libraries/", "contracts/mocks/")


def prepare() -> None:
    if COPY.exists():
        # Keep brownie's build cache between runs; refresh everything else.
        for item in COPY.iterdir():
            if item.name != "build":
                shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
    COPY.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("contracts", "interfaces", "tests", "scripts"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, COPY / name, ignore=ignore)
    config = (ROOT / "brownie-config.yaml").read_text()
    assert "viaIR: true" in config, "brownie-config.yaml: expected `viaIR: true` to switch off"
    (COPY / "brownie-config.yaml").write_text(config.replace("viaIR: true", "viaIR: false"))
    shutil.copy(ROOT / "pyproject.toml", COPY / "pyproject.toml")
    (COPY / "node_modules").symlink_to(ROOT / "node_modules")
    (COPY / "tools").symlink_to(ROOT / "tools")  # the dev toolchain and benchmarks some tests import (tools.*)


def brownie_home(port: int) -> dict:
    """A HOME for the tests whose ~/.brownie is brownie's packaged defaults with the `development` network
    (what `make test` runs on, and what scripts/deploy.py takes for a local chain) moved to `port`.

    Read from brownie's package data without importing brownie (an import would create ~/.brownie)."""
    import importlib.util

    import yaml

    data = Path(importlib.util.find_spec("brownie").submodule_search_locations[0]) / "data" / "network-config.yaml"
    config = yaml.safe_load(data.read_text())
    development = next(n for n in config["development"] if n["id"] == "development")
    development["cmd_settings"]["port"] = port
    settings = dict(development["cmd_settings"])
    (HOME / ".brownie").mkdir(parents=True, exist_ok=True)
    (HOME / ".brownie" / "network-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return settings


def start_node(settings: dict):
    from scfchain.anvil import Anvil

    extra = ["--steps-tracing", "--block-base-fee-per-gas", str(settings.get("base_fee", 0))]
    if settings.get("gas_limit"):
        extra += ["--gas-limit", str(settings["gas_limit"])]
    return Anvil(port=int(settings["port"]), accounts=int(settings.get("accounts", 10)), extra_args=extra).start()


def _source(path: str, cache: dict = {}) -> bytes:
    if path not in cache:
        cache[path] = (COPY / path).read_bytes()  # the sources compiled (the offsets are theirs)
    return cache[path]


def line_of(path: str, offset: int) -> int:
    return _source(path)[:offset].count(b"\n") + 1


def source_of(path: str, start: int, end: int) -> str:
    return " ".join(_source(path)[start:end].decode().split())


def summarize(raw: dict) -> tuple[float, list[str], dict]:
    per = defaultdict(lambda: {"branches": 0, "outcomes": 0, "statements": 0, "hit": 0, "missing": []})
    for b in raw["branches"]:
        if not b["path"] or not b["path"].startswith(COUNTED):
            continue
        r = per[b["path"]]
        r["branches"] += 1
        r["outcomes"] += len(b["outcomes"])
        for outcome in sorted({"jump", "fall"} - set(b["outcomes"])):
            value = b["jump_means"] if outcome == "jump" else not b["jump_means"]
            r["missing"].append(f"{b['path']}:{line_of(b['path'], b['start'])} {b['fn']}: "
                                f"`{source_of(b['path'], b['start'], b['end'])}` never {str(value).lower()}")
    for st in raw["statements"]:
        if not st["path"] or not st["path"].startswith(COUNTED):
            continue
        per[st["path"]]["statements"] += 1
        per[st["path"]]["hit"] += st["hit"]
    lines = [f"{'contract source':52} {'branches':>9} {'outcomes':>9} {'branch %':>9} {'stmts %':>8}"]
    tb = to = ts = th = 0
    for path in sorted(per):
        r = per[path]
        tb, to, ts, th = tb + r["branches"], to + r["outcomes"], ts + r["statements"], th + r["hit"]
        bp = 100 * r["outcomes"] / (2 * r["branches"]) if r["branches"] else 100.0
        sp = 100 * r["hit"] / r["statements"] if r["statements"] else 100.0
        lines.append(f"{path:52} {r['branches']:>9} {r['outcomes']:>9} {bp:>8.1f}% {sp:>7.1f}%")
    total = 100 * to / (2 * tb) if tb else 100.0
    lines.append(f"{'total':52} {tb:>9} {to:>9} {total:>8.1f}% {100 * th / ts if ts else 100:>7.1f}%")
    missing = [m for p in sorted(per) for m in per[p]["missing"]]
    failures = raw["failures"]
    other = {"transactions": sum(sum(f.values()) for m, f in raw["other_nodes"].items() if m in SEND),
             "calls": sum(raw["other_nodes"].get("eth_call", {}).values()),
             "by_test_file": dict(sorted(defaultdict_sum(raw["other_nodes"]).items()))}
    summary = {"branch_coverage": round(total, 2), "branches": tb, "outcomes_covered": to,
               "statement_coverage": round(100 * th / ts, 2) if ts else 100.0, "per_source": per,
               "traced": raw["traced"], "no_code": raw["no_code"],
               "trace_failures": sum(f["count"] for f in failures.values()), "failure_reasons": failures,
               "other_nodes": other, "traced_per_file": raw["traced_per_file"],
               "unique_outcomes_per_file": unique_outcomes(raw), "mapped_by_code": raw["mapped_by_code"],
               "unknown_code_addresses": raw["unknown"],
               "uncovered_explained": {m: why for m in missing for key, why in UNREACHABLE.items() if key in m}}
    lines += ["", "uncovered branch outcomes:"] + [
        "  " + m + "".join(f"\n      unreachable: {why}" for key, why in UNREACHABLE.items() if key in m)
        for m in missing] if missing else []
    unreachable = len(summary["uncovered_explained"])
    summary["branch_outcomes_unreachable"] = unreachable
    summary["branch_coverage_of_reachable"] = round(100 * to / (2 * tb - unreachable), 2) if tb else 100.0
    return total, lines, summary


SEND = ("eth_sendTransaction", "eth_sendRawTransaction")

# Uncovered outcomes that no transaction can produce, with the reason (checked by hand against the source; a
# reachable outcome gets a test instead). Keys are matched against the "path:line function: `condition` never
# true|false" lines, which name the condition rather than a line number that comments can shift.
UNREACHABLE: dict[str, str] = {
    "SettlementEscrow._checkSettleable: `status == RootStatus.ACTIVE` never false":
        "settle checks an id here only when the certificate refused its redeem inside settleOne, which it does "
        "only for an unknown id (reverted just before) or an open root: a known id's root is always active here",
    "Discount.proceeds: `rateBps <= type(uint64).max` never false":
        "the desk passes an offer's rate, checked <= 10,000 (MAX_RATE_BPS) at postOffer and kept as a uint16",
    "Discount.proceeds: `timeToMaturity <= type(uint64).max` never false":
        "the desk passes maturity - block.timestamp, with maturity a uint64 above block.timestamp",
    "LeanERC1155._checkTransferEnds: `from == address(0)` never true":
        "a transfer from the zero address passes the approval check only if the zero address approved the "
        "caller (the caller is never the zero address), and setApprovalForAll records only its caller's "
        "approvals (the certificate's desk bits too: they sit in the caller's own word, and the consortium "
        "never onboards the zero address): OpenZeppelin's check, kept in its order as defence in depth",
}


def defaultdict_sum(other_nodes: dict) -> dict:
    per_file: dict[str, int] = defaultdict(int)
    for files in other_nodes.values():
        for name, count in files.items():
            per_file[name] += count
    return per_file


def tracing_lines(summary: dict) -> list[str]:
    t, nc, o = summary["traced"], summary["no_code"], summary["other_nodes"]
    lines = ["", "what was traced (on the coverage node, every transaction and eth_call of the tests):",
             f"  traced and mapped:  {t['transactions']} transactions, {t['calls']} calls",
             f"  no code executed:   {nc['transactions']} transactions, {nc['calls']} calls "
             "(ether transfers, calls to accounts without code: nothing to measure)",
             f"  trace failures:     {summary['trace_failures']}"]
    for reason, f in summary["failure_reasons"].items():
        lines.append(f"    {f['count']:>6}  {reason}")
        lines += [f"            e.g. {sample}" for sample in f["samples"][:3]]
    lines += [f"  not traced:         {o['transactions']} transactions, {o['calls']} calls sent to the tests' own "
              "Anvil nodes (CLI, demo, load and audit tests; scfchain's viaIR build, no step traces there)"
              + (", by file:" if o["by_test_file"] else "")]
    lines += [f"    {count:>6}  {name}" for name, count in o["by_test_file"].items()]
    lines.append("  traced per test file (transactions and calls; branch outcomes no other file produced):")
    unique = summary["unique_outcomes_per_file"]
    lines += [f"    {count:>6} {unique.get(name, 0):>4}  {name}" for name, count in summary["traced_per_file"].items()]
    if summary["mapped_by_code"]:
        lines.append("  call frames into code brownie did not deploy, mapped by bytecode: "
                     + ", ".join(f"{name} {n}" for name, n in sorted(summary["mapped_by_code"].items())))
    for address, u in summary["unknown_code_addresses"].items():
        lines.append(f"  not mapped: {u['frames']} call frames into {address} ({u['code_bytes']} bytes of code no "
                     f"contract of this build has), in {', '.join(u['tests'])}")
    return lines


# Tests of the Python tooling carry `pytestmark = pytest.mark.tooling`: they start Anvil nodes of their own (or run
# `scfchain deploy` as a subprocess) and deploy scfchain's viaIR build, which this coverage cannot trace or map (see
# coverage_plugin.py), or test plain Python. They add no outcome and no statement (a run over all of tests/,
# `make coverage COVERAGE_ARGS=tests`, shows each of them with nothing traced under "traced per test file"); the
# default run leaves them out and `make test` runs them apart, untraced.
TOOLING_MARK = "tooling"


def unique_outcomes(raw: dict) -> dict[str, int]:
    """Per test file, the branch outcomes of the counted sources that no other test file produced."""
    unique: dict[str, int] = defaultdict(int)
    for b in raw["branches"]:
        if b["path"] and b["path"].startswith(COUNTED):
            for files in b.get("files", {}).values():
                if len(files) == 1:
                    unique[files[0]] += 1
    return dict(unique)


def main(args: list[str]) -> int:
    from scfchain.anvil import free_port

    if "--network" in args:
        raise SystemExit("coverage: the tests run on `development` moved to a traced node on a free port; "
                         "drop --network")
    minimum = float(os.environ.get("COVERAGE_MIN", "95"))
    prepare()
    settings = brownie_home(free_port())
    os.environ["HOME"] = str(HOME)  # Anvil too (it keeps a ~/.foundry/anvil/tmp)
    node = start_node(settings)
    try:
        env = dict(os.environ, HOME=str(HOME), SCF_COVERAGE_OUT=str(RAW), SCF_COVERAGE_NODE=node.url,
                   PYTHONPATH=os.pathsep.join([str(ROOT / "tools"), os.environ.get("PYTHONPATH", "")]))
        tests, opts, it = [], [], iter(args)
        for a in it:
            if a in ("-k", "-m", "--deselect"):
                opts += [a, next(it)]
            elif a.startswith("-"):
                opts.append(a)
            else:
                tests.append(a)
        if not tests:
            tests = ["tests", "-m", f"not {TOOLING_MARK}"]
            print(f"coverage: tests/ but those marked `{TOOLING_MARK}` (nothing to trace there; "
                  "COVERAGE_ARGS=tests runs them too)")
        cmd = [sys.executable, "-m", "pytest", *tests, "-q", "-p", "coverage_plugin", *opts]
        tests_rc = subprocess.run(cmd, cwd=COPY, env=env).returncode
    finally:
        node.stop()
    raw = json.loads(RAW.read_text())
    total, lines, summary = summarize(raw)
    print("\n".join(["", "coverage of the contracts (tests run on a build without viaIR):", *lines,
                     *tracing_lines(summary)]))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2, default=list) + "\n")
    print(f"\nbranch coverage {total:.1f}% (minimum {minimum:.0f}%; {summary['branch_coverage_of_reachable']:.1f}% of "
          f"the outcomes not shown unreachable above), statement coverage {summary['statement_coverage']:.1f}%; "
          f"report: {REPORT.relative_to(ROOT)}")
    if tests_rc != 0:
        print(f"coverage: the tests failed (pytest exit {tests_rc})")
        return 1
    if summary["trace_failures"]:
        print(f"coverage: {summary['trace_failures']} transactions or calls could not be traced (reasons above)")
        return 1
    return 0 if total >= minimum else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

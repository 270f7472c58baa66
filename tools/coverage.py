"""`make coverage`: statement and branch coverage of the contracts, measured on the test suite.

1. Copies the brownie project (contracts, interfaces, tests, scripts, configuration) to build/coverage/project
   with viaIR off: the IR pipeline's source maps do not tie jumps back to source conditions reliably, the
   legacy pipeline's do (the contracts compile either way; gas is measured by `make bench` on the viaIR build).
2. Starts an Anvil with --steps-tracing on the port of the brownie network the tests use (brownie attaches).
3. Runs the tests there with tools/coverage_plugin.py, which traces every transaction and call.
4. Prints statement and branch coverage per contract source and in total (the uncovered branch outcomes
   too), writes reports/coverage-branches.json, and fails below COVERAGE_MIN % branch coverage (default 95).

Arguments go to pytest (e.g. `--network dev-d`, or test paths). Production contracts only: contracts/test/
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


def network_settings(args: list[str]) -> dict:
    """cmd_settings of the brownie network the tests will use (`--network`, else the default)."""
    from brownie._config import CONFIG

    network = CONFIG.settings["networks"]["default"]
    if "--network" in args:
        network = args[args.index("--network") + 1]
    entry = CONFIG.networks[network]
    if "cmd" not in entry:
        raise SystemExit(f"coverage: network {network!r} is not a local development network")
    return dict(entry.get("cmd_settings") or {})


def start_node(settings: dict):
    from scfchain.anvil import Anvil

    extra = ["--steps-tracing", "--block-base-fee-per-gas", str(settings.get("base_fee", 0))]
    if settings.get("gas_limit"):
        extra += ["--gas-limit", str(settings["gas_limit"])]
    return Anvil(port=int(settings.get("port", 8545)), accounts=int(settings.get("accounts", 10)),
                 extra_args=extra).start()


def line_of(path: str, offset: int, cache: dict = {}) -> int:
    if path not in cache:
        cache[path] = (ROOT / path).read_text().encode()
    return cache[path][:offset].count(b"\n") + 1


def summarize(raw: dict) -> tuple[float, list[str], dict]:
    per = defaultdict(lambda: {"branches": 0, "outcomes": 0, "statements": 0, "hit": 0, "missing": []})
    for b in raw["branches"]:
        if not b["path"] or not b["path"].startswith(COUNTED):
            continue
        r = per[b["path"]]
        r["branches"] += 1
        r["outcomes"] += len(b["outcomes"])
        for outcome in {"jump", "fall"} - set(b["outcomes"]):
            r["missing"].append(f"{b['path']}:{line_of(b['path'], b['start'])} {b['fn']} (never {outcome}s)")
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
    summary = {"branch_coverage": round(total, 2), "branches": tb, "outcomes_covered": to,
               "statement_coverage": round(100 * th / ts, 2) if ts else 100.0, "per_source": per,
               "traced": raw["traced"], "trace_failures": raw["failed"]}
    return total, lines + (["", "uncovered branch outcomes:"] + ["  " + m for m in missing] if missing else []), summary


def main(args: list[str]) -> int:
    minimum = float(os.environ.get("COVERAGE_MIN", "95"))
    prepare()
    node = start_node(network_settings(args))
    try:
        env = dict(os.environ, SCF_COVERAGE_OUT=str(RAW), PYTHONPATH=os.pathsep.join(
            [str(ROOT / "tools"), os.environ.get("PYTHONPATH", "")]))
        tests, opts, it = [], [], iter(args)
        for a in it:
            if a in ("--network", "-k", "-m", "--deselect"):
                opts += [a, next(it)]
            elif a.startswith("-"):
                opts.append(a)
            else:
                tests.append(a)
        cmd = [sys.executable, "-m", "pytest", *(tests or ["tests"]), "-q", "-p", "coverage_plugin", *opts]
        tests_rc = subprocess.run(cmd, cwd=COPY, env=env).returncode
    finally:
        node.stop()
    raw = json.loads(RAW.read_text())
    total, lines, summary = summarize(raw)
    print("\n".join(["", "coverage of the contracts (tests run on a build without viaIR):", *lines]))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2, default=list) + "\n")
    print(f"\nbranch coverage {total:.1f}% (minimum {minimum:.0f}%), "
          f"{raw['traced']} transactions and calls traced; report: {REPORT.relative_to(ROOT)}")
    if tests_rc != 0:
        print(f"coverage: the tests failed (pytest exit {tests_rc})")
        return 1
    return 0 if total >= minimum else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Shared by the explorer tests: a `scfchain …` server process whose output is read line by line (waiting for
a line, never sleeping), JSON from its API, and the check that the API tells what the contracts' views say."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

from tests.audit_support import ROOT, SCFCHAIN

ZERO = "0x" + "00" * 20


class Proc:
    """A `scfchain` subprocess; its merged output is collected by a thread so the test can wait for a line."""

    def __init__(self, *args: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
        env["PYTHONUNBUFFERED"] = "1"
        # started with SIGINT at its default, as from a terminal (a background test run may hand it down ignored)
        self.p = subprocess.Popen([SCFCHAIN, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_for(self, test: Callable[[str], bool], timeout: float = 300) -> str:
        """The first line (from now on) for which `test` holds; fails with the output so far if none comes."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no such line within the time; output:\n" + "\n".join(self.lines[-40:]))
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"exited with {self.p.wait()} first; output:\n" + "\n".join(self.lines[-40:]))
            self.lines.append(line)
            if test(line):
                return line

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, and the exit code (the rest of the output is collected)."""
        self.p.send_signal(signal.SIGINT)
        code = self.p.wait(timeout=timeout)
        while True:
            line = self._q.get(timeout=10)
            if line is None:
                return code
            self.lines.append(line)

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=30)


def explorer_url(line: str) -> str:
    return line.split("Explorer: ", 1)[1].split()[0]


def get(url: str) -> tuple[int, Any]:
    """(HTTP status, parsed JSON) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def ok(url: str) -> Any:
    status, data = get(url)
    assert status == 200, (url, status, data)
    return data


def wait_until(fetch: Callable[[], Any], test: Callable[[Any], bool], timeout: float = 60) -> Any:
    """Asks `fetch()` again until `test` holds on its answer (a state, not a time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if test(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"state not reached within {timeout}s; last answer: {str(value)[:2000]}")
        time.sleep(0.2)


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for ch in node.get("children", []) for n in walk(ch)]


def assert_api_matches_chain(base: str, w3: Any, deployment: dict[str, Any], accounts: list[str]) -> int:
    """Every receivable and certificate the API shows against the contracts' views: certificate() for each id
    up to nextId(), balanceOf() of every account for every certificate, paid() and recovered() of each root.
    Returns the number of certificates checked."""
    c = {name: w3.eth.contract(address=v["address"], abi=v["abi"]) for name, v in deployment["contracts"].items()}
    certs, escrow = c["ReceivableCertificate"].functions, c["SettlementEscrow"].functions
    status_names = {1: "active", 2: "paid", 3: "defaulted"}
    listing = ok(base + "/api/receivables")
    block = listing["asOfBlock"]
    at = {"block_identifier": block}
    holders_of_interest = list(accounts) + [v["address"] for v in deployment["contracts"].values()]
    seen: set[int] = set()
    for row in listing["receivables"]:
        rid = row["rootId"]
        root, parent, tier, amount, debtor, maturity, status = certs.certificate(rid).call(**at)
        assert (root, parent, tier) == (rid, 0, 1)
        assert (row["faceValue"], row["debtor"], row["maturity"]) == (amount, debtor, maturity)
        assert row["status"] == status_names[status]
        assert row["paid"] == escrow.paid(rid).call(**at)
        if row["status"] != "active":
            assert row["recovered"] == escrow.recovered(rid).call(**at)
        detail = ok(f"{base}/api/receivables/{rid}")
        assert detail["receivable"]["paid"] == row["paid"] and detail["receivable"]["status"] == row["status"]
        for node in walk(detail["tree"]):
            cid = node["id"]
            seen.add(cid)
            got = certs.certificate(cid).call(**at)
            assert (node["rootId"], node["parentId"], node["tier"], node["amount"], node["debtor"],
                    node["maturity"]) == tuple(got[:6])
            shown = {h["address"]: h["units"] for h in node["holders"]}
            for who in holders_of_interest:
                assert shown.get(who, 0) == certs.balanceOf(who, cid).call(**at), (cid, who)
            assert all(u > 0 for u in shown.values()) and set(shown) <= set(holders_of_interest)
    assert sorted(seen) == list(range(1, certs.nextId().call(**at)))  # every certificate ever created
    return len(seen)

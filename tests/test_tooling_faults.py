"""Tooling faults: the node dies in the middle of a CLI run.

The node is an Anvil of our own (a free port) that keeps its chain in a state file, dumped every second, and
mines a block a second (so that a run takes long enough to be cut in the middle). It is killed (SIGKILL)
while `scfchain demo` runs: the CLI stops with one line on stderr and exit code 1. The node is started again
from its state file; the same command then completes, and the chain shows every action exactly once.
Issuing is idempotent by document hash: issuing the same document again returns the same receivable.
The demo itself is also killed in the loan steps and resumed: its record and the chain equal an uninterrupted
run's, on nodes whose clocks are fixed (one genesis time, blocks one second apart, time travel by exact stamps).
"""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scfchain import Anvil, Chain, Scf, connect, load_deployment
from scfchain.constants import DAY
from scfchain.rpc import Rpc

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")


def _node(state: Path, port: int | None = None) -> Anvil:
    return Anvil(port=port, accounts=10, extra_args=["--state", str(state), "--state-interval", "1", "--block-time", "1"])


def _cli(*args, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
    return subprocess.run([SCFCHAIN, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("scfchain: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def _start_demo(node: Anvil, out: Path, marker: str) -> tuple[subprocess.Popen, list[str]]:
    """Starts `scfchain demo` on `node` and reads its output until a line containing `marker` (it runs on)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}, "PYTHONUNBUFFERED": "1"}
    run = subprocess.Popen([SCFCHAIN, "demo", "--rpc-url", node.url, "--out", str(out)], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in run.stdout:
        seen.append(line)
        if marker in line:
            return run, seen
    run.wait()
    pytest.fail(f"the demo ended before {marker!r}:\n" + "".join(seen) + run.stderr.read())


@pytest.fixture
def state_file(tmp_path):
    return tmp_path / "anvil-state.json"


def test_nodeKilledMidDemo_clearErrorAndExit1_thenSameCommandResumesWithoutDuplicates(tmp_path, state_file):
    out = tmp_path / "demo"
    node = _node(state_file).start()
    port = node.port
    try:
        # the deployment and a dozen steps are done; the story is half told
        run, _ = _start_demo(node, out, "Tier 1 splits")
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        rest, stderr = run.communicate(timeout=180)
        assert run.returncode == 1, (rest, stderr)
        message = _one_line_error(stderr)
        assert "node" in message, message
    finally:
        node.stop()

    node = _node(state_file, port).start()  # the same node, back with the chain it had dumped
    try:
        again = _cli("demo", "--rpc-url", node.url, "--out", str(out))
        assert again.returncode == 0, again.stderr
        assert "Resuming the demo" in again.stdout
        record = json.loads((out / "demo.json").read_text())
        scf = Scf(Chain(connect(node.url)), load_deployment(out / "deployment.json"))
        _assert_every_action_once(scf, record)

        # Issuing the same document again (the CLI re-run after a failure) gives back the same receivable.
        core, tier1 = scf.w3.eth.accounts[1], scf.w3.eth.accounts[2]
        maturity = scf.now() + 30 * DAY
        args = ["issue", tier1, "1000", str(maturity), "INV-after-restart", "--rpc-url", node.url,
                "--deployment", str(out / "deployment.json"), "--from", core, "--json"]
        first, second = _cli(*args), _cli(*args)
        assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
        assert json.loads(first.stdout)["rootId"] == json.loads(second.stdout)["rootId"]
        assert len(_logs(scf, scf.certificates, "ReceivableIssued")) == 3
    finally:
        node.stop()

    # With the node gone for good, an action fails soon with one clear line and exit code 1: the retry policy
    # gives up after its budget (10 s; tests/test_rpc.py counts it), so a process still running after a minute
    # (TimeoutExpired) means retries nested again, as they once did (~90 s).
    dead = _cli(*args[:-1], timeout=60)
    assert dead.returncode == 1
    assert "cannot reach the node" in _one_line_error(dead.stderr)


def _logs(scf, contract, name):
    return [e["args"] for e in getattr(contract.events, name).get_logs(from_block=scf.deployment.block)]


def _assert_every_action_once(scf, record):
    accounts = scf.w3.eth.accounts
    onboarded = [(e["account"], e["role"]) for e in _logs(scf, scf.consortium, "MemberOnboarded")]
    assert len(onboarded) == len(set(onboarded)) == 9
    mints = [e for e in _logs(scf, scf.token, "Transfer") if int(e["from"], 16) == 0]
    assert sorted((e["to"], e["value"]) for e in mints) == sorted(
        [(accounts[1], 2_000_000_00), (accounts[7], 1_000_000_00), (accounts[6], 1_000_000_00),
         (accounts[8], 500_000_00)])
    assert len(_logs(scf, scf.guarantee, "GuaranteeProvided")) == 1
    assert len(_logs(scf, scf.certificates, "CreditLineSet")) == 1
    roots = [e["rootId"] for e in _logs(scf, scf.certificates, "ReceivableIssued")]
    assert len(roots) == 2
    assert len(_logs(scf, scf.certificates, "CertificateSplit")) == 3
    assert len(_logs(scf, scf.desk, "OfferPosted")) == 1 and len(_logs(scf, scf.desk, "Financed")) == 1
    repaid = {r: sum(e["amount"] for e in _logs(scf, scf.escrow, "Repaid") if e["rootId"] == r) for r in roots}
    assert repaid == {roots[0]: 1_000_000_00, roots[1]: 100_000_00}
    assert len(_logs(scf, scf.escrow, "DefaultDeclared")) == 1
    claimed = [(e["id"], e["holder"]) for e in _logs(scf, scf.escrow, "Claimed")]
    assert len(claimed) == len(set(claimed))
    # One loan: requested, funded, repaid in part on demand, settled at maturity.
    desk = scf.loan_desk
    assert [len(_logs(scf, desk, n)) for n in ("LoanRequested", "LoanFunded", "LoanRepaid", "LoanSettled")] == [1] * 4
    assert scf.loan(record["loan"]["loanId"]).state == "settled"
    # The record of the resumed run is the whole story.
    paid, defaulted = record["receivables"]
    assert paid["status"] == "paid" and paid["paidOut"] == paid["recovered"] == 1_000_000_00
    assert defaulted["status"] == "defaulted" and defaulted["paidOut"] == defaulted["recovered"] == 400_000_00
    assert record["liveUnits"] == 0 and record["financing"]["proceeds"] > 0


# ------------------------------------------------------------ the demo killed in the loan steps

GENESIS = 1_800_000_000  # both chains start at the same time and stamp their blocks one second apart


def _clocked_node() -> Anvil:
    node = Anvil(accounts=10, extra_args=["--timestamp", str(GENESIS)]).start()
    Rpc(node.url).call("anvil_setBlockTimestampInterval", [1])
    return node


def _demo_until(node: Anvil, out: Path, marker: str) -> list[str]:
    """Runs `scfchain demo` on `node` and kills it (SIGKILL) as soon as it prints a line containing `marker`."""
    run, seen = _start_demo(node, out, marker)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    return seen


def _loan_events(scf) -> dict[str, int]:
    return {n: len(_logs(scf, scf.loan_desk, n)) for n in ("LoanRequested", "LoanFunded", "LoanRepaid", "LoanSettled")}


def _end_state(node: Anvil, out: Path) -> dict:
    """What a user of the demo relies on, from the chain: the loan (loan(), debt()), every account's and
    contract's token balance, every certificate and its holders' units."""
    scf = Scf(Chain(connect(node.url)), load_deployment(out / "deployment.json"))
    everyone = list(scf.w3.eth.accounts) + [c.address for c in (scf.certificates, scf.desk, scf.loan_desk,
                                                                 scf.escrow, scf.guarantee)]
    ids = list(range(1, scf.certificates.functions.nextId().call()))
    return {"loan": scf.loan(1), "debt": scf.debt(1), "loans": scf.loan_desk.functions.loanCount().call(),
            "tokens": {a: scf.token_balance(a) for a in everyone},
            "certificates": [scf.certificate(i) for i in ids],
            "units": {(a, i): scf.balance(a, i) for a in everyone for i in ids},
            "events": _loan_events(scf),
            "documentHash": "0x" + _logs(scf, scf.certificates, "ReceivableIssued")[0]["documentHash"].hex()}


def _record(out: Path, document_hash: str) -> dict:
    """demo.json without what the wall clock decides (how long the run and the timed transactions took) and what
    is drawn at random on each chain: the invoice's salts, hence its root (checked to be the receivable's
    documentHash on that chain), and the auditor's key."""
    record = json.loads((out / "demo.json").read_text())
    del record["seconds"], record["financing"]["seconds"], record["loan"]["fundSeconds"]
    documents = record["documents"]
    assert documents["invoiceRoot"] == documents["disclosure"]["documentHash"] == document_hash
    del documents["invoiceRoot"], documents["disclosure"]["documentHash"], documents["auditor"]["address"]
    return record


def test_demoKilledInTheLoanSteps_resumesToTheStateOfAnUninterruptedRun(tmp_path):
    """The demo is killed twice in the loan part of the story (once the loan request is on chain, and once the
    loan is funded), then run to its end: demo.json and the chain (the loan, debt, balances, certificates) are
    those of an uninterrupted run on a chain started the same way."""
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    node = _clocked_node()
    try:
        done = _cli("demo", "--rpc-url", node.url, "--out", str(whole))
        assert done.returncode == 0, done.stderr
        expected = _end_state(node, whole)
    finally:
        node.stop()
    assert expected["loan"].state == "settled" and expected["debt"] == 0

    node = _clocked_node()
    try:
        scf = lambda: Scf(Chain(connect(node.url)), load_deployment(cut / "deployment.json"))  # noqa: E731
        _demo_until(node, cut, "pledges 150,000.00 of #")  # the request is on chain, funding next
        events = _loan_events(scf())
        assert events["LoanRequested"] == 1 and events["LoanSettled"] == 0, events
        seen = _demo_until(node, cut, "funds loan #")  # funded; the repayment on demand next
        assert any("Resuming the demo" in line for line in seen)
        events = _loan_events(scf())
        assert events["LoanFunded"] == 1 and events["LoanSettled"] == 0, events
        again = _cli("demo", "--rpc-url", node.url, "--out", str(cut))
        assert again.returncode == 0, again.stderr
        assert "Resuming the demo" in again.stdout
        state = _end_state(node, cut)
        _assert_every_action_once(scf(), json.loads((cut / "demo.json").read_text()))
    finally:
        node.stop()
    record, want = _record(cut, state.pop("documentHash")), _record(whole, expected.pop("documentHash"))
    assert state == expected
    assert record.keys() == want.keys()
    for key in want:
        assert record[key] == want[key], key

"""`scfchain load` end to end, and the pipeline under it: sealing on demand, a dropped transaction sent again;
resuming a run cut short on a node given by URL (each action on chain once), and the node dying mid-run."""
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector
from eth_utils import keccak

from scfchain import Anvil, Chain, Scf, ScfError, connect, load_deployment
from scfchain.abi import Calls
from scfchain.apps.load import FACE, LOAN_PRINCIPAL, SEALED_NODE_ARGS, Pipeline, await_pool_drained, raw_throughput, run_load
from scfchain.rpc import Rpc
from tools.toolchain import compile_contracts

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")
TOPIC_TRANSFER = "0x" + "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"  # ERC-20 Transfer


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


TOPIC_ISSUED = _topic("ReceivableIssued(uint256,address,address,uint256,uint64,bytes32)")
TOPIC_SPLIT = _topic("CertificateSplit(uint256,uint256,address,uint256[],address[],uint256[])")
TOPIC_REPAID = _topic("Repaid(uint256,address,uint256,uint256)")
TOPIC_CLAIMED = _topic("Claimed(uint256,uint256,address,uint256,uint256)")
TOPIC_FINANCED = _topic("Financed(uint256,uint256,address,address,uint256,uint256)")
TOPIC_OFFER = _topic("OfferPosted(uint256,address,address,uint256,uint256,uint256,uint64)")
TOPIC_LOAN_REQUESTED = _topic("LoanRequested(uint256,address,uint256,uint256,uint256,uint256,address,uint64)")
TOPIC_LOAN_FUNDED = _topic("LoanFunded(uint256,address,uint256)")
TOPIC_LOAN_REPAID = _topic("LoanRepaid(uint256,address,uint256,uint256)")
TOPIC_LOAN_SETTLED = _topic("LoanSettled(uint256,uint256,uint256,uint256)")
ZERO_TOPIC = "0x" + "00" * 32


def _read(data: str, index: int) -> int:
    """The `index`-th 32-byte word of a log's hex data."""
    return int(data[2 + 64 * index : 66 + 64 * index], 16)


# A load of 24 receivables down 3 tiers, as mined: each phase's function and how many times the story calls it.
FULL_RUN_CALLS = {"issue": 24, "split": 48, "finance": 24, "requestLoan": 24, "fundLoan": 24, "repayLoan": 12,
                  "repay": 24, "settleLoan": 12, "claim": 4 + 8 + 8}


def test_load_runsLifecycleAndChecksHold(tmp_path):
    """24 receivables down 3 tiers on a node of the test's own, checked against the chain: every transaction the
    load says it sent mined once and succeeded, each phase's function as many times as the story has steps, the
    final balances of every account and contract the amounts the story implies, no units left anywhere, and the
    auditor's verify passing."""
    out = tmp_path / "load.json"
    with _node() as node:
        r = subprocess.run(_load_cmd(node, out) + ["--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        result = json.loads(r.stdout)
        # 24 issues, 2 split phases of 24, 24 sales, 24 repayments; 24 loans requested and funded, 12 repaid before
        # the receivables and 12 settled after; claims: one per holder (8 lanes, each with tier-2 suppliers and a
        # factor holding certificates; the tier-1 supplier of the 4 even lanes, whose loans were repaid and units came
        # back: lane j drives receivables j, j + 8 and j + 16, so an odd lane's pledges were all settled by the desk).
        mined = _mined_phase_calls(node, out)
        assert mined == FULL_RUN_CALLS
        assert result["transactions"] == sum(mined.values()) and result["resent"] == 0
        assert result["checks"] and all(result["checks"].values()) and len(result["checks"]) == 7
        assert {"request loan", "fund loan", "repay loan", "settle loan"} <= set(result["phases"])
        _assert_end_state(node, out, 24)
        verify = subprocess.run([SCFCHAIN, "audit", "verify", "--deployment", str(out), "--rpc-url", node.url,
                                 "--db", f"sqlite:///{tmp_path / 'audit.sqlite'}"], cwd=ROOT, capture_output=True,
                                text=True, timeout=600)
        assert verify.returncode == 0 and "all checks hold" in verify.stdout, verify.stdout + verify.stderr


def test_revert_load_badTiers():
    r = subprocess.run([SCFCHAIN, "load", "--tiers", "0"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == "scfchain: --tiers must be between 1 and 10, got 0"


def test_calldata_matchesAbiEncoding():
    """The load's calldata (scfchain.abi, from the compiled ABIs) against selectors hashed from the signatures."""
    art = compile_contracts()
    abi = Calls({name: {"address": "0x" + "00" * 20, "abi": art[name]["abi"]}
                 for name in ("ReceivableCertificate", "SettlementEscrow")})
    a = "0x" + "ab" * 20

    def want(signature: str, types: list[str], values: list) -> str:
        return "0x" + (keccak(text=signature)[:4] + encode(types, values)).hex()

    assert abi.data("ReceivableCertificate", "split", 7, [a], [5]) == want(
        "split(uint256,address[],uint256[])", ["uint256", "address[]", "uint256[]"], [7, [a], [5]])
    assert abi.data("SettlementEscrow", "claim", [1, 2, 3]) == want("claim(uint256[])", ["uint256[]"], [[1, 2, 3]])
    assert abi.data("ReceivableCertificate", "issue", a, 5, 9, b"\x01" * 32) == want(
        "issue(address,uint256,uint64,bytes32)", ["address", "uint256", "uint64", "bytes32"], [a, 5, 9, b"\x01" * 32])


def _transfers(rpc: Rpc, senders: list[str], per_sender: int) -> list[tuple[str, str, str, int]]:
    """Plain value transfers as (from, to, data, gas); logs: none, so the pipeline checks each receipt."""
    return [(s, senders[(i + 1) % len(senders)], "0x", 21_000) for i, s in enumerate(senders) for _ in range(per_sender)]


def test_pipeline_sealedNode_minesEachPhaseOnDemand():
    with Anvil(accounts=4, extra_args=SEALED_NODE_ARGS) as node:
        rpc = Rpc(node.url)
        rpc.call("evm_setAutomine", [False])
        senders = rpc.call("eth_accounts")
        before = int(rpc.call("eth_blockNumber"), 16)
        pipe = Pipeline(node.url, 10**9, seal=True)
        logs = pipe.run(_transfers(rpc, senders, 5), TOPIC_TRANSFER)
        assert logs == [[]] * 20 and pipe.sent == 20 and pipe.resent == 0
        assert int(rpc.call("eth_blockNumber"), 16) == before + 1  # the whole phase in one sealed block
        assert all(int(rpc.call("eth_getTransactionCount", [s, "latest"]), 16) == 5 for s in senders)


def test_pipeline_runLater_revertsSurfaceInPhaseOrder():
    """Phases read in the background (`run_later`): a later phase still goes out and succeeds, and `check` and
    `settle` raise the first failing phase's reverts (2 of 2, not the second failing phase's 3 of 3)."""
    with Anvil(accounts=4, extra_args=SEALED_NODE_ARGS) as node:
        rpc = Rpc(node.url)
        rpc.call("evm_setAutomine", [False])
        senders = rpc.call("eth_accounts")
        wall = "0x" + "be" * 20
        rpc.call("anvil_setCode", [wall, "0x5f5ffd"])  # revert(0, 0): every call to it fails
        pipe = Pipeline(node.url, 10**9, seal=True)
        first = pipe.run_later([(senders[0], wall, "0x", 50_000)] * 2, TOPIC_TRANSFER, len)
        second = pipe.run_later([(senders[1], wall, "0x", 50_000)] * 3, TOPIC_TRANSFER, len)
        good = pipe.run_later(_transfers(rpc, senders[2:], 2), TOPIC_TRANSFER, len)
        assert pipe.run(_transfers(rpc, senders[2:], 1), TOPIC_TRANSFER) == [[]] * 2
        with pytest.raises(ScfError, match=r"^2 of 2 transactions reverted; the first, 0x"):
            pipe.settle()
        assert "3 of 3 transactions reverted" in str(second.exception())
        with pytest.raises(ScfError, match=r"^2 of 2 transactions reverted") as err:
            pipe.check()
        assert err.value is first.exception()
        assert good.result() == 4 and pipe.sent == 11  # `then` of the logs: one list per transaction


def test_load_phasesLargerThanTheWindow_sealAWindowPerBlockAndCompleteExactly(tmp_path):
    """A window of 10 under phases of 12 to 24 transactions: each phase goes out in windows, one sealed block
    each, never more than 10 transactions in a block (the node's pool never held more), and the run is exactly
    the full one: the same calls mined once each and successful, the same end state, the checks holding."""
    out = tmp_path / "load.json"
    with _ClockedAnvil(accounts=2 + 8 * 5, extra_args=SEALED_NODE_ARGS) as node:
        r = run_load(24, 3, node.url, deployment_out=str(out), seal=True, window=10)
        assert r.ok and r.resent == 0
        assert _mined_phase_calls(node, out) == FULL_RUN_CALLS and r.transactions == sum(FULL_RUN_CALLS.values())
        _assert_end_state(node, out, 24)
        rpc = Rpc(node.url)
        head = int(rpc.call("eth_blockNumber"), 16)
        sizes = [len(b["transactions"]) for b in rpc.batch([("eth_getBlockByNumber", [hex(n), False])
                                                             for n in range(r.first_block, head + 1)])]
        assert max(sizes) == 10
        # windows never span phases: per phase of c transactions, ceil(c / 10) blocks
        assert sum(1 for s in sizes if s) == sum(-(-c // 10) for c in (24, 24, 24, 24, 24, 24, 12, 24, 12, 20))


def test_sign1559_matchesEthAccount_andDevKeysAreTheNodesAccounts():
    """The load's own signer gives eth_account's bytes (the oracle), and dev_keys finds exactly the node's dev
    accounts by address."""
    from eth_account import Account
    from eth_utils import to_checksum_address

    from scfchain.apps.load import dev_keys, sign_1559

    with Anvil(accounts=3) as node:
        accounts = Rpc(node.url).call("eth_accounts")
    keys = dev_keys(accounts + ["0x" + "11" * 20])
    assert sorted(keys) == sorted(a.lower() for a in accounts)
    key = keys[accounts[1].lower()]
    for nonce, data, gas in ((0, "0x", 21_000), (7, "0x" + "ab" * 300, 250_000), (2**40, "0x00", 2**31)):
        tx = {"chainId": 31337, "nonce": nonce, "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 3 * 10**9 + 7,
              "gas": gas, "to": to_checksum_address(accounts[2]), "value": 0, "data": data, "type": 2}
        want = Account.sign_transaction(tx, key.secret)
        assert sign_1559(key, 31337, nonce, 10**9, 3 * 10**9 + 7, gas, accounts[2], data) == "0x" + bytes(
            want.raw_transaction).hex()
        assert Account.recover_transaction(want.raw_transaction).lower() == accounts[1]


def test_pipeline_window_mustBePositive():
    with pytest.raises(ScfError, match="window must be at least 1 transaction, got 0"):
        Pipeline("http://127.0.0.1:1", 0, window=0)


def test_pipeline_droppedTransactions_areSentAgainOnce():
    with Anvil(accounts=4, extra_args=SEALED_NODE_ARGS) as node:
        rpc = Rpc(node.url)
        rpc.call("evm_setAutomine", [False])
        senders = rpc.call("eth_accounts")
        pipe = Pipeline(node.url, 10**9, seal=True)
        import scfchain.apps.load as load

        original = load.send_rounds
        lost = []

        def send_then_drop(r, queues, ready=None):
            hashes = original(r, queues, ready)
            if len(hashes) == 4:  # the phase, not the re-send: the node loses sender 1's second transaction
                assert r.call("anvil_dropTransaction", [hashes[1][1]]) == hashes[1][1]
                lost.extend(h for h in hashes[1] if r.call("eth_getTransactionByHash", [h]) is None)
            return hashes

        load.send_rounds = send_then_drop
        try:
            pipe.run(_transfers(rpc, senders, 3), TOPIC_TRANSFER)
        finally:
            load.send_rounds = original
        # Sender 1's third transaction can be lost too: Anvil, building the block, drops it as "nonce too high".
        assert len(lost) == 1
        assert pipe.resent in (1, 2)
        assert [int(rpc.call("eth_getTransactionCount", [s, "latest"]), 16) for s in senders] == [3, 3, 3, 3]


def test_rawThroughput_sealedAndAutomine():
    """Every pre-signed transfer mined once, as signed (from the node's blocks), and the rate no higher than the
    test's own clock allows."""
    for args, seal in ((SEALED_NODE_ARGS, True), (None, False)):
        with Anvil(extra_args=args) as node:
            rpc = Rpc(node.url)
            senders = rpc.call("eth_accounts")[:4]
            before = int(rpc.call("eth_blockNumber"), 16)
            t0 = time.monotonic()
            tps = raw_throughput(node.url, count=80, senders=4, seal=seal)
            took = time.monotonic() - t0
            head = int(rpc.call("eth_blockNumber"), 16)
            blocks = rpc.batch([("eth_getBlockByNumber", [hex(b), True]) for b in range(before + 1, head + 1)])
            txs = [tx for block in blocks for tx in block["transactions"]]
            assert sorted((tx["from"], int(tx["nonce"], 16)) for tx in txs) == sorted(
                (s.lower(), n) for s in senders for n in range(20))  # 20 each, every nonce once
            ring = {a.lower(): senders[(i + 1) % 4].lower() for i, a in enumerate(senders)}  # each pays the next
            assert all(tx["to"] == ring[tx["from"]] and int(tx["value"], 16) == 1 for tx in txs)
            receipts = rpc.batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx in txs])
            assert {rc["status"] for rc in receipts} == {"0x1"}
            assert 80 / took <= tps  # its own clock ran inside the test's


# ------------------------------------------------------------ resuming on a node given by URL

def _load_cmd(node: Anvil, out: Path, receivables: int = 24, tiers: int = 3) -> list[str]:
    return [SCFCHAIN, "load", "--receivables", str(receivables), "--tiers", str(tiers), "--rpc-url", node.url,
            "--out", str(out)]


class _ClockedAnvil(Anvil):
    """An Anvil whose blocks are one second apart, whatever the wall clock (anvil_setBlockTimestampInterval): the
    loans' interest is then the same on every run (a cent each: 1 to 1,759 seconds of 7 % on 2,560.00, rounded
    up), where two blocks of the same wall-clock second would make it nothing."""

    def start(self):
        super().start()
        Rpc(self.url).call("anvil_setBlockTimestampInterval", [1])
        return self


def _node() -> Anvil:
    return _ClockedAnvil(accounts=2 + 8 * 5)  # eight lanes of a core enterprise, three tiers and a factor


PHASE_FUNCTIONS = ("issue", "split", "finance", "requestLoan", "fundLoan", "repayLoan", "repay", "settleLoan", "claim")


def _mined_phase_calls(node: Anvil, out: Path) -> dict[str, int]:
    """How many transactions of each phase's function are on chain (every block after the deployment read from the
    node, each receipt checked for success); the set-up's calls (onboard, mint, approvals, offers) are others."""
    dep = json.loads(out.read_text())
    rpc = Rpc(node.url)
    head = int(rpc.call("eth_blockNumber"), 16)
    blocks = rpc.batch([("eth_getBlockByNumber", [hex(b), True]) for b in range(dep["block"], head + 1)])
    targets = {dep["contracts"][c]["address"].lower() for c in ("ReceivableCertificate", "FinancingDesk", "LoanDesk",
                                                                  "SettlementEscrow")}
    selectors = {"0x" + function_abi_to_4byte_selector(f).hex(): f["name"]  # from the deployment's ABIs
                 for c in ("ReceivableCertificate", "FinancingDesk", "LoanDesk", "SettlementEscrow")
                 for f in dep["contracts"][c]["abi"] if f["type"] == "function" and f["name"] in PHASE_FUNCTIONS}
    calls = [tx for block in blocks for tx in block["transactions"]
             if (tx["to"] or "").lower() in targets and tx["input"][:10] in selectors]
    receipts = rpc.batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx in calls])
    assert all(rc["status"] == "0x1" for rc in receipts)
    return dict(Counter(selectors[tx["input"][:10]] for tx in calls))


def _assert_end_state(node: Anvil, out: Path, receivables: int, lanes: int = 8) -> None:
    """The end state of a load of three tiers, read from the chain, against what the story implies per lane with
    k receivables (face 10,240.00: 5,120.00 split to tier 2, which splits 2,560.00 to tier 3, which sells it to the
    lane's factor; the tier-1 supplier pledges its 5,120.00 for a loan of 2,560.00, a cent of interest): the core
    paid everything; tier 1 keeps its interest allowance of 256.00 a loan less the cent, plus 5,120.00 a receivable
    (the units' payout, or the principal and the settlement's rest); tier 2 its 2,560.00 payouts; tier 3 the sales'
    proceeds; the factor its loans back with the cents, the desk the unspent budget. No units anywhere."""
    scf = Scf(Chain(connect(node.url)), load_deployment(out))
    accounts = scf.w3.eth.accounts
    contracts = [scf.certificates.address, scf.desk.address, scf.loan_desk.address, scf.escrow.address,
                 scf.guarantee.address]
    everyone = list(accounts) + contracts
    balance = {a: scf.token_balance(a) for a in everyone}
    assert sum(balance.values()) == scf.token.functions.totalSupply().call() == receivables * (
        2 * FACE + LOAN_PRINCIPAL + LOAN_PRINCIPAL // 10)  # every token minted accounted for
    proceeds = {}
    for log in Rpc(node.url).call("eth_getLogs", [{"fromBlock": hex(scf.deployment.block), "toBlock": "latest",
                                                        "address": scf.desk.address, "topics": [TOPIC_FINANCED]}]):
        seller = "0x" + log["topics"][3][-40:]  # Financed(offerId, certId, seller, financier, units, proceeds)
        proceeds[seller.lower()] = proceeds.get(seller.lower(), 0) + _read(log["data"], 2)
    assert {a: balance[a] for a in accounts[:2]} == {accounts[0]: 0, accounts[1]: 0}  # operator, bank
    for j in range(lanes):
        k = len(range(j, receivables, lanes))
        core, t1, t2, t3, factor = accounts[2 + 5 * j : 7 + 5 * j]
        sold = proceeds.get(t3.lower(), 0)
        assert FACE // 4 * k * 0.95 < sold < FACE // 4 * k  # a discount of 5 % a year for at most 90 days
        assert [balance[a] for a in (core, t1, t2, t3, factor)] == [
            0, LOAN_PRINCIPAL // 10 * k - k + FACE // 2 * k, FACE // 4 * k, sold, (FACE // 2 + 1) * k], j
    assert balance[scf.desk.address] == FACE * receivables - sum(proceeds.values())
    assert [balance[c] for c in (scf.loan_desk.address, scf.escrow.address, scf.guarantee.address)] == [0, 0, 0]
    ids = list(range(1, scf.certificates.functions.nextId().call()))
    assert len(ids) == receivables * 3
    units = scf.certificates.functions.balanceOfBatch([a for a in everyone for _ in ids], ids * len(everyone)).call()
    assert not any(units)  # every certificate claimed: no holders left
    assert {scf.certificate(i).status for i in ids} == {"paid"}
    assert {scf.loan(i).state for i in range(1, receivables + 1)} == {"repaid", "settled"}
    assert all(scf.debt(i) == 0 for i in range(1, receivables + 1))


def _start(cmd: list[str], until: str) -> tuple[subprocess.Popen, list[str]]:
    """Starts the load and reads its progress (stderr) until a line starts with `until`."""
    run = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in run.stderr:
        seen.append(line)
        if line.startswith(until):
            return run, seen
    run.wait()
    pytest.fail(f"the load ended before {until!r}:\n" + "".join(seen))


def _on_chain(node: Anvil, out: Path) -> dict[str, list[dict]]:
    """Every event of the load that must happen once, from eth_getLogs over the deployment's contracts."""
    dep = json.loads(out.read_text())
    rpc = Rpc(node.url)
    found = {}
    for name, contract, topic in (("issued", "ReceivableCertificate", TOPIC_ISSUED),
                                  ("split", "ReceivableCertificate", TOPIC_SPLIT),
                                  ("financed", "FinancingDesk", TOPIC_FINANCED),
                                  ("repaid", "SettlementEscrow", TOPIC_REPAID),
                                  ("claimed", "SettlementEscrow", TOPIC_CLAIMED),
                                  ("offers", "FinancingDesk", TOPIC_OFFER),
                                  ("loanRequested", "LoanDesk", TOPIC_LOAN_REQUESTED),
                                  ("loanFunded", "LoanDesk", TOPIC_LOAN_FUNDED),
                                  ("loanRepaid", "LoanDesk", TOPIC_LOAN_REPAID),
                                  ("loanSettled", "LoanDesk", TOPIC_LOAN_SETTLED),
                                  ("mints", "PaymentToken", TOPIC_TRANSFER)):
        topics = [topic, ZERO_TOPIC] if name == "mints" else [topic]
        found[name] = rpc.call("eth_getLogs", [{"fromBlock": hex(dep["block"]), "toBlock": "latest",
                                                "address": dep["contracts"][contract]["address"], "topics": topics}])
    return found


def _assert_each_action_once(found: dict[str, list[dict]], receivables: int, tiers: int, lanes: int = 8) -> None:
    assert len(found["issued"]) == receivables
    assert len({log["data"][-64:] for log in found["issued"]}) == receivables  # one document hash each
    assert len(found["split"]) == receivables * (tiers - 1)
    assert len({log["topics"][1] for log in found["split"]}) == receivables * (tiers - 1)  # each parent once
    assert len(found["financed"]) == receivables
    assert len(found["repaid"]) == receivables
    certificates = {int(log["topics"][1], 16) for log in found["issued"]} | {
        _read(log["data"], _read(log["data"], 0) // 32 + 1) for log in found["split"]}
    claimed = Counter(int(log["topics"][1], 16) for log in found["claimed"])
    assert set(claimed) == certificates and set(claimed.values()) == {1}  # every certificate claimed exactly once
    # an offer per lane, one mint each to its core, its factor and (for its loans' interest) its tier-1 supplier
    assert tiers > 1  # (with one tier there is no remainder to pledge: no loans)
    assert len(found["offers"]) == lanes and len(found["mints"]) == 3 * lanes
    # a loan per receivable: the even-numbered ones repaid in full at once, the odd ones settled
    loans = {name: found[name] for name in ("loanRequested", "loanFunded", "loanRepaid", "loanSettled")}
    assert [len(loans["loanRequested"]), len(loans["loanFunded"])] == [receivables] * 2
    repaid = [log for log in loans["loanRepaid"] if _read(log["data"], 1) == 0]
    assert len(repaid) == len(loans["loanRepaid"]) == (receivables + 1) // 2
    assert len(loans["loanSettled"]) == receivables // 2
    ids = [log["topics"][1] for group in loans.values() for log in group]
    assert Counter(ids) == Counter({i: 3 for i in {log["topics"][1] for log in loans["loanRequested"]}})


def test_load_killedMidRun_resumesWithoutDuplicates(tmp_path):
    out = tmp_path / "load.json"
    with _node() as node:
        cmd = _load_cmd(node, out)
        run, _ = _start(cmd, "split tier 1→2")  # set-up, issuing and the first split are on chain
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
        assert run.returncode == -signal.SIGKILL

        again = subprocess.run(cmd + ["--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        r = json.loads(again.stdout)
        assert r["resumed"] is True and r["checks"] and all(r["checks"].values()) and len(r["checks"]) == 7
        assert r["skipped"]["issue"] == 24 and r["skipped"]["split tier 1→2"] == 24 and r["skipped"]["set-up"] == 121
        # Only what this run sent: at most the second split, the sales, the loans, the repayments and the claims.
        assert r["transactions"] <= 24 * 5 + 12 * 2 + (4 + 8 + 8) and "issue" not in r["phases"]
        _assert_each_action_once(_on_chain(node, out), 24, 3)
        # the end state of an uninterrupted run: each phase's calls mined once, the same balances, no units left
        assert _mined_phase_calls(node, out) == FULL_RUN_CALLS
        _assert_end_state(node, out, 24)


def test_load_afterCompletedRun_sendsNothingAndChecksHold(tmp_path):
    out = tmp_path / "load.json"
    with _node() as node:
        cmd = _load_cmd(node, out, receivables=10, tiers=2) + ["--json"]
        first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        r = json.loads(first.stdout)
        # 10 each of issue, split, sale, repayment, loan request and funding; 5 loans repaid, 5 settled; claims:
        # the 8 factors and the tier-1 suppliers of the 4 even lanes (their loans repaid).
        assert r["resumed"] is False and r["skipped"] == {} and r["transactions"] == 10 * 6 + 5 * 2 + 8 + 4
        assert json.loads(out.read_text())["load"] == {"receivables": 10, "tiers": 2, "lanes": 8}
        rpc = Rpc(node.url)
        block = rpc.call("eth_blockNumber")

        second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        r = json.loads(second.stdout)
        assert r["resumed"] is True and r["transactions"] == 0 and r["phases"] == {}
        assert all(r["checks"].values()) and len(r["checks"]) == 7
        # set-up: the bank; per lane 4 onboardings, 6 steps for the offer, 4 for the loans
        assert r["skipped"] == {"set-up": 1 + 8 * 4 + 8 * 6 + 8 * 4, "issue": 10, "split tier 1→2": 10,
                                "finance": 10, "request loan": 10, "fund loan": 10, "repay loan": 5, "repay": 10,
                                "settle loan": 5, "claim": 10 + 10 - 5}
        assert rpc.call("eth_blockNumber") == block  # not one transaction, set-up included
        _assert_each_action_once(_on_chain(node, out), 10, 2)

        # Other parameters on the same file are refused with one line, not mixed into the earlier load.
        other = subprocess.run(_load_cmd(node, out, receivables=11, tiers=2), cwd=ROOT, capture_output=True,
                               text=True, timeout=120)
        assert other.returncode == 1
        assert other.stderr.startswith("scfchain: ") and "holds a load of 10 receivables" in other.stderr
        assert len(other.stderr.strip().splitlines()) == 1
        assert rpc.call("eth_blockNumber") == block

        # A node whose state shows what its events do not (here payment tokens minted without a Transfer event:
        # ERC-20 total supply, slot 2, set one higher) is not resumed: one line, nothing sent.
        token = json.loads(out.read_text())["contracts"]["PaymentToken"]["address"]
        supply = int(rpc.call("eth_getStorageAt", [token, "0x2", "latest"]), 16)
        # each lane's core and factor were minted its face values, the factor the loans' principal (a quarter of
        # the face value) and the tier-1 supplier a tenth of that for interest
        assert supply == 10 * (2 * 1_024_000 + 256_000 + 25_600)
        rpc.call("anvil_setStorageAt", [token, "0x2", "0x" + f"{supply + 1:064x}"])
        gap = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert gap.returncode == 1 and len(gap.stderr.strip().splitlines()) == 1
        assert f"minted: {supply + 1} on chain, {supply} by the events" in gap.stderr, gap.stderr
        assert rpc.call("eth_blockNumber") == block


def test_load_nodeKilledMidRun_exit1WithOneLine_thenResumesOrRefusesWithoutRepeating(tmp_path):
    """The node (keeping its chain in a state file, dumped every second) dies in the middle: one line, exit 1.
    Back from its state file, the same command completes with each action once, unless the dump kept state of
    a block whose events it lost (Anvil writes it while mining): then it refuses, with one line, sending nothing."""
    out, state = tmp_path / "load.json", tmp_path / "anvil-state.json"
    node = Anvil(accounts=2 + 8 * 5, extra_args=["--state", str(state), "--state-interval", "1"]).start()
    port = node.port
    try:
        cmd = _load_cmd(node, out, receivables=200)
        run, _ = _start(cmd, "split tier 1→2")
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        _, rest = run.communicate(timeout=120)  # the requests in flight are retried for ~10 s (the retry budget), then it gives up
    finally:
        node.stop()
    assert run.returncode == 1, rest
    lines = [line for line in rest.splitlines() if line.strip() and not line.startswith("split tier")]
    assert len(lines) == 1 and "Traceback" not in rest, rest
    assert lines[0].startswith("scfchain: ") and "node" in lines[0] and f"resumes the load on {out}" in lines[0]

    with Anvil(port=port, accounts=2 + 8 * 5, extra_args=["--state", str(state)]) as node:
        block = Rpc(node.url).call("eth_blockNumber")
        again = subprocess.run(cmd + ["--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if again.returncode == 0:
            r = json.loads(again.stdout)
            assert r["resumed"] is True and all(r["checks"].values())
            _assert_each_action_once(_on_chain(node, out), 200, 3)
        else:
            assert again.stderr.count("\n") == 1 and "state and its event history disagree" in again.stderr, \
                again.stderr
            assert Rpc(node.url).call("eth_blockNumber") == block


def test_load_cutInsidePhases_eachResumeSendsOnlyTheRest(tmp_path, monkeypatch):
    """Cut inside a phase (half its transactions sent) twice, in the sales and in the claims (two certificates
    a claim: a holder's claims are cut in half too); the third run completes, each action once."""
    import scfchain.apps.load as load

    out = tmp_path / "load.json"
    original = {"run": Pipeline.run, "run_later": Pipeline.run_later}  # a phase read now, and one read later

    def cut_at(topic):
        def cut(name):
            def run(self, txs, phase_topic, *then):
                if phase_topic == topic:
                    original["run"](self, txs[::2], phase_topic)
                    raise KeyboardInterrupt  # the client stops here
                return original[name](self, txs, phase_topic, *then)
            monkeypatch.setattr(Pipeline, name, run)
        cut("run")
        cut("run_later")

    with _node() as node:
        cut_at(TOPIC_FINANCED)
        with pytest.raises(KeyboardInterrupt):
            run_load(24, 3, node.url, deployment_out=str(out))
        monkeypatch.setattr(load, "CLAIM_BATCH", 2)
        cut_at(TOPIC_CLAIMED)
        with pytest.raises(KeyboardInterrupt):
            run_load(24, 3, node.url, deployment_out=str(out))
        found = _on_chain(node, out)
        # Each of the 20 holders with claims (8 lanes: tier 2, the factor; tier 1 of the 4 even lanes, whose loans
        # were repaid) has 3 certificates, claimed 2 + 1: the first claim of each went out; and the loan desk
        # claimed the pledged roots of the 12 loans it settled.
        assert len(found["financed"]) == 24 and len(found["claimed"]) == 40 + 12
        for name, method in original.items():
            monkeypatch.setattr(Pipeline, name, method)
        said = []
        r = run_load(24, 3, node.url, deployment_out=str(out), progress=said.append)
        assert r.resumed and r.ok and len(r.checks) == 7
        assert r.skipped["finance"] == 24 and r.skipped["claim"] == 40
        assert r.transactions == 20 and list(r.phases) == ["claim"]  # each holder's last certificate
        assert said[0].startswith(f"resuming on the deployment in {out}: on chain 24 of 24 receivables issued")
        _assert_each_action_once(_on_chain(node, out), 24, 3)
        assert _mined_phase_calls(node, out) == {**FULL_RUN_CALLS, "claim": 20 * 2}  # two certificates a claim
        _assert_end_state(node, out, 24)


def test_awaitPoolDrained_waitsForAnEarlierRunsTransactions():
    with Anvil(accounts=2) as node:
        rpc = Rpc(node.url)
        a, b = rpc.call("eth_accounts")
        rpc.call("evm_setAutomine", [False])  # a node that seals on demand: nothing is mined by itself
        rpc.call("eth_sendTransaction", [{"from": a, "to": b, "value": "0x1"}])
        with pytest.raises(ScfError, match=r"1 transactions of an earlier run are still pending .* is the node mining"):
            await_pool_drained(rpc, [a, b], timeout=0.5)
        rpc.call("evm_mine")
        await_pool_drained(rpc, [a, b], timeout=5)  # mined: returns at once


def test_benchLoadReplay_reproducesTheLoadsChain():
    """The true-limit baseline replays the very transactions of the load's blocks on a fresh twin: same
    transactions per block, same final state root, every phase transaction counted (16 x 2: 16 issues, 16
    splits, 16 sales, 16 loans requested and funded, 8 repaid and 8 settled, 16 repayments; claims by the 8
    factors and the tier-1 suppliers of the 4 even lanes, whose loans were repaid)."""
    from tools.bench_load import replay

    rep = replay(16, 2)
    assert rep["replay same blocks"] and rep["replay same state root"]
    assert rep["replayed transactions"] == 16 * 6 + 8 + 8 + 8 + 4

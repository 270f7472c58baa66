"""`scfchain load` end to end, and the pipeline under it: sealing on demand, a dropped transaction sent again."""
import json
import subprocess
import sys
from pathlib import Path

from eth_abi import encode

from scfchain import Anvil
from scfchain.load import SEALED_NODE_ARGS, SEL, Pipeline, _data, raw_throughput
from scfchain.rpc import BatchRpc

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")
TOPIC_TRANSFER = "0x" + "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def test_load_runsLifecycleAndChecksHold():
    r = subprocess.run([SCFCHAIN, "load", "--receivables", "12", "--tiers", "3", "--json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # 12 issues, 2 split phases of 12, 12 sales, 12 repayments; claims: one per holder (8 lanes, each with
    # tier-1 and tier-2 suppliers and a factor holding certificates): 12 * 5 + 8 * 3.
    assert out["transactions"] == 12 * 5 + 8 * 3
    assert out["checks"] and all(out["checks"].values()) and len(out["checks"]) == 6
    assert out["resent"] == 0 and out["tps"] > 0


def test_revert_load_badTiers():
    r = subprocess.run([SCFCHAIN, "load", "--tiers", "0"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == "scfchain: --tiers must be between 1 and 10, got 0"


def test_calldata_matchesAbiEncoding():
    a = "0x" + "ab" * 20
    assert _data("split", 7, [a], [5]) == "0x" + (SEL["split"] + encode(["uint256", "address[]", "uint256[]"], [7, [a], [5]])).hex()
    assert _data("claim", [1, 2, 3]) == "0x" + (SEL["claim"] + encode(["uint256[]"], [[1, 2, 3]])).hex()
    assert _data("issue", a, 5, 9, b"\x01" * 32) == "0x" + (
        SEL["issue"] + encode(["address", "uint256", "uint64", "bytes32"], [a, 5, 9, b"\x01" * 32])).hex()


def _transfers(rpc: BatchRpc, senders: list[str], per_sender: int) -> list[tuple[str, str, str, int]]:
    """Plain value transfers as (from, to, data, gas); logs: none, so the pipeline checks each receipt."""
    return [(s, senders[(i + 1) % len(senders)], "0x", 21_000) for i, s in enumerate(senders) for _ in range(per_sender)]


def test_pipeline_sealedNode_minesEachPhaseOnDemand():
    with Anvil(accounts=4, extra_args=SEALED_NODE_ARGS) as node:
        rpc = BatchRpc(node.url)
        rpc.call("evm_setAutomine", [False])
        senders = rpc.call("eth_accounts")
        before = int(rpc.call("eth_blockNumber"), 16)
        pipe = Pipeline(node.url, 10**9, seal=True)
        logs = pipe.run(_transfers(rpc, senders, 5), TOPIC_TRANSFER)
        assert logs == [[]] * 20 and pipe.sent == 20 and pipe.resent == 0
        assert int(rpc.call("eth_blockNumber"), 16) == before + 1  # the whole phase in one sealed block
        assert all(int(rpc.call("eth_getTransactionCount", [s, "latest"]), 16) == 5 for s in senders)


def test_pipeline_droppedTransactions_areSentAgainOnce():
    with Anvil(accounts=4, extra_args=SEALED_NODE_ARGS) as node:
        rpc = BatchRpc(node.url)
        rpc.call("evm_setAutomine", [False])
        senders = rpc.call("eth_accounts")
        pipe = Pipeline(node.url, 10**9, seal=True)
        import scfchain.load as load

        original = load.send_rounds
        lost = []

        def send_then_drop(r, queues):
            hashes = original(r, queues)
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
    for args, seal in ((SEALED_NODE_ARGS, True), (None, False)):
        with Anvil(extra_args=args) as node:
            tps = raw_throughput(node.url, count=80, senders=4, seal=seal)
            rpc = BatchRpc(node.url)
            assert tps > 0
            assert int(rpc.call("eth_getTransactionCount", [rpc.call("eth_accounts")[0], "latest"]), 16) == 20

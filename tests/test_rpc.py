"""The JSON-RPC layer (`scfchain.rpc`) against stub nodes: the node's error object reaches the caller, a batch keeps
an error per entry, a dead node is given up within the retry budget (counted on a fake clock, not timed), and a
request that may have reached the node is sent again only when it is idempotent."""
import json
import socket
from contextlib import contextmanager

import pytest

from scfchain.anvil import free_port
from scfchain.rpc import Connection, NodeError, RetryPolicy, Rpc, RpcError, Unreachable, idempotent
from tests.http_stub import JsonHandler, serve

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

REVERT = {"code": 3, "message": "execution reverted", "data": "0x08c379a0" + "00" * 4}


class FakeClock:
    """A clock that moves only when the policy sleeps: the attempts a budget allows, without waiting."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def policy(clock, budget=10.0):
    return RetryPolicy(budget=budget, clock=lambda: clock.now, sleep=clock.sleep)


class Stub(JsonHandler):
    """A node: answers eth_call with REVERT's error, eth_chainId with 0x1; `drop`: reads each request, then
    closes the connection without an answer (the request reached the node; the answer was lost)."""
    drop = False
    seen: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        if self.drop:
            self.close_connection = True
            return
        calls = body if isinstance(body, list) else [body]
        out = [{"jsonrpc": "2.0", "id": c["id"], **({"error": REVERT} if c["method"] == "eth_call" else
                                                     {"result": "0x1"})} for c in calls]
        self.reply(json.dumps(out if isinstance(body, list) else out[0]).encode())


@contextmanager
def stub(drop=False):
    handler = type("Handler", (Stub,), {"drop": drop, "seen": []})
    with serve(handler) as url:
        yield url, handler.seen


def dead_url():
    """A local port with nothing listening: every connection is refused."""
    port = free_port()
    with socket.socket() as s:  # nothing listens there once free_port closed its probe
        assert s.connect_ex(("127.0.0.1", port)) != 0
    return f"http://127.0.0.1:{port}"


def test_nodeError_carriesTheNodesErrorObject():
    with stub() as (url, _):
        with pytest.raises(NodeError) as caught:
            Rpc(url).call("eth_call", [{"to": "0x" + "11" * 20, "data": "0x"}, "latest"])
    err = caught.value
    assert (err.method, err.code, err.message, err.data) == ("eth_call", 3, "execution reverted", REVERT["data"])
    assert str(err) == "eth_call refused by the node: execution reverted"


def test_batch_keepsAnErrorPerEntry_inChunks():
    with stub() as (url, seen):
        calls = [("eth_chainId", []), ("eth_call", [{}, "latest"])] * 3
        got = Rpc(url).batch(calls, chunk=4)
    assert got[0::2] == ["0x1"] * 3
    assert all(isinstance(e, NodeError) and e.data == REVERT["data"] for e in got[1::2])
    assert [len(b) for b in seen] == [4, 2]


@pytest.mark.parametrize("client", [Rpc, Connection])
def test_deadNode_givenUpWithinTheBudget(client):
    clock = FakeClock()
    rpc = client(dead_url(), retry=policy(clock))
    with pytest.raises(Unreachable, match=r"^node unreachable at http://127\.0\.0\.1:\d+: \w+$"):
        rpc.post(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}')
    assert len(clock.sleeps) >= 3  # retried with backoff …
    assert clock.now <= 10.0  # … and no attempt started after the budget


def test_refusedConnection_retriedEvenForARequestThatIsNotIdempotent():
    clock = FakeClock()
    with pytest.raises(Unreachable):
        Rpc(dead_url(), retry=policy(clock)).call("evm_mine")  # refused: it never reached a node
    assert len(clock.sleeps) >= 3


def test_droppedAnswer_retriedOnlyWhenIdempotent():
    clock = FakeClock()
    with stub(drop=True) as (url, seen):
        rpc = Rpc(url, retry=policy(clock, budget=1.0))
        with pytest.raises(RpcError, match="may have reached it; not sent again"):
            rpc.call("evm_mine")
        assert [c["method"] for c in seen] == ["evm_mine"]  # sent once
        with pytest.raises(Unreachable):
            rpc.call("eth_sendRawTransaction", ["0x02"])  # same transaction, same hash: sent again
        assert [c["method"] for c in seen].count("eth_sendRawTransaction") > 1


def test_idempotent_byMethod():
    assert idempotent("eth_call", [{}, "latest"]) and idempotent("eth_sendRawTransaction", ["0x02"])
    assert idempotent("eth_sendTransaction", [{"from": "0x1", "nonce": "0x5"}])
    assert not idempotent("eth_sendTransaction", [{"from": "0x1"}])  # the node would pick the next nonce
    assert not idempotent("evm_mine") and not idempotent("evm_increaseTime", [60])

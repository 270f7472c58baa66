"""Reorganisations: blocks within the safety margin are fetched again, so rows of blocks that were
replaced do not survive; a reorganisation below the margin is refused with a one-line error."""
import pytest
from web3 import Web3

from scfchain import Anvil, Chain, Scf, deploy
from scfchain.audit import Store, index
from scfchain.rpc import Rpc
from tests.audit_support import backend, dump, pg_cluster  # noqa: F401

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling


@pytest.fixture
def chain():
    with Anvil() as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        op = w3.eth.accounts[0]
        scf = Scf(Chain(w3), deploy(Chain(w3), op))
        yield anvil.url, w3, scf, op


def onboard(scf, op, accounts, names):
    for account, name in zip(accounts, names):
        scf.onboard(op, account, "SUPPLIER", name)


def names_in(path):
    rows, _ = dump(path)
    return [r[7] for r in rows if r[6] == "MemberOnboarded"]


def test_reorgWithinTheMargin_leavesNoStaleRows(chain, backend):
    url, w3, scf, op = chain
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    onboard(scf, op, w3.eth.accounts[1:4], ["old-1", "old-2", "old-3"])
    a_db, fresh_db = backend.new("a"), backend.new("fresh")
    store = Store(a_db)
    first = index(Rpc(url), scf.deployment, store, confirmations=5)
    provisional = [r for r in dump(a_db)[0] if r[0] > first.final_block]
    assert first.final_block == first.head - 5 and len(provisional) >= 6
    assert [n for n in names_in(a_db) if "old" in n] == [
        '{"account":"%s","role":"%s","name":"old-%d"}' % (w3.eth.accounts[i], "0x" + bytes(
            Web3.keccak(text="SUPPLIER_ROLE")).hex(), i) for i in (1, 2, 3)]
    # The last three blocks are replaced by others holding different events.
    w3.provider.make_request("evm_revert", [snap])
    scf.chain.resync(op)  # the reverted transactions' nonces are free again
    onboard(scf, op, w3.eth.accounts[4:8], ["new-4", "new-5", "new-6", "new-7"])
    result = index(Rpc(url), scf.deployment, store, confirmations=5)
    store.close()
    assert result.dropped == len(provisional) and result.from_block == first.final_block + 1
    fresh = Store(fresh_db)
    index(Rpc(url), scf.deployment, fresh, confirmations=5)
    fresh.close()
    assert dump(a_db)[0] == dump(fresh_db)[0]
    assert not any("old-" in n for n in names_in(a_db))


def test_reorgBelowTheMargin_isRefused(chain, backend):
    url, w3, scf, op = chain
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    onboard(scf, op, w3.eth.accounts[1:4], ["old-1", "old-2", "old-3"])
    b_db = backend.new("b")
    store = Store(b_db)
    index(Rpc(url), scf.deployment, store, confirmations=0)
    w3.provider.make_request("evm_revert", [snap])
    scf.chain.resync(op)  # the reverted transactions' nonces are free again
    onboard(scf, op, w3.eth.accounts[4:8], ["new-4", "new-5", "new-6", "new-7"])
    with pytest.raises(Exception) as err:
        index(Rpc(url), scf.deployment, store, confirmations=0)
    assert str(err.value).startswith("the chain was reorganised below the index's safety margin (block ")
    assert str(err.value).endswith("run `scfchain audit index --rebuild`")
    store.reset()
    index(Rpc(url), scf.deployment, store, confirmations=0)
    store.close()
    assert any("new-7" in n for n in names_in(b_db))

"""The testnet path against an Anvil that stands in for a public testnet: interval mining (1 s blocks),
another chain id, a locally signed key, confirmations, several transactions in flight, and a connection
that drops in the middle of a run and is retried."""
import http.server
import threading

import pytest
import requests
from eth_account import Account
from eth_utils import keccak

from scfchain import Anvil, Chain, Scf, ScfError, connect, deploy
from scfchain.constants import DAY
from scfchain.deploy import Deployment
from tests.http_stub import JsonHandler

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # Anvil's first dev key
MNEMONIC = "test test test test test test test test test test test junk"  # Anvil's funded dev accounts


class FlakyProxy:
    """Forwards JSON-RPC to the node; while `down`, drops every connection without an answer."""

    def __init__(self, target: str):
        proxy = self
        self.down = False
        self.dropped = 0

        class Handler(JsonHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if proxy.down:
                    proxy.dropped += 1
                    self.close_connection = True
                    return  # no status line: the client sees the connection drop
                r = requests.post(target, data=body, headers={"Content-Type": "application/json"}, timeout=30)
                self.reply(r.content, r.status_code)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def testnet():
    with Anvil(chain_id=4242, block_time=1) as node:
        proxy = FlakyProxy(node.url)
        yield node, proxy
        proxy.close()


def test_deployAndActions_onIntervalMinedChain_withConfirmations(testnet):
    node, proxy = testnet
    signer = Account.from_key(KEY)
    chain = Chain(connect(proxy.url), confirmations=2)
    dep = deploy(chain, signer)
    assert dep.chain_id == 4242 and dep.deployer == signer.address
    scf = Scf(chain, dep)
    w3 = chain.w3
    Account.enable_unaudited_hdwallet_features()
    core, supplier, bank = (Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in (1, 2, 3))
    # Three onboardings in flight at once: nonces are assigned locally, not read back per transaction.
    sent = [chain.submit(scf.consortium.functions.onboard(a.address, role, n), signer, "onboard")
            for a, role, n in ((core, keccak(text="CORE_ENTERPRISE_ROLE"), "core"),
                               (supplier, keccak(text="SUPPLIER_ROLE"), "supplier"),
                               (bank, keccak(text="FINANCIER_ROLE"), "bank"))]
    blocks = {chain.wait(s)["blockNumber"] for s in sent}
    assert len(blocks) == 1  # all three were mined in the same block
    assert w3.eth.block_number >= blocks.pop() + 1  # and waited for a second confirmation
    scf.set_credit_line(bank, core.address, 10**9)

    # The connection drops for a while in the middle of issuing: the library retries and goes on.
    maturity = scf.now() + DAY
    proxy.down = True
    threading.Timer(1.5, lambda: setattr(proxy, "down", False)).start()
    root = scf.issue(core, supplier.address, 10**6, maturity, keccak(text="testnet-doc"))
    assert proxy.dropped > 0
    assert scf.certificate(root).amount == 10**6
    assert scf.balance(supplier.address, root) == 10**6


def test_revert_chainIdMismatch(testnet):
    node, _ = testnet
    chain = Chain(connect(node.url))
    wrong = Deployment(chain_id=1, deployer="0x" + "00" * 20, block=0, contracts={})
    with pytest.raises(ScfError, match="chain id mismatch: the node is chain 4242, the deployment is for 1"):
        Scf(chain, wrong)

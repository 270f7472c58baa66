"""`scfchain deploy` as a user runs it: the console script from the repo root, key from the environment."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from brownie import web3
from eth_account import Account
from web3.utils.address import get_create_address

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
SCFCHAIN = str(Path(sys.executable).parent / "scfchain")
# Anvil's well-known first dev key: funded on every fresh Anvil chain.
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
SYSTEM = ["Consortium", "ReceivableCertificate", "CreditGuarantee", "FinancingDesk", "SettlementEscrow", "LoanDesk",
          "PaymentToken"]


def run(*args, env_extra=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCFCHAIN_")}
    env.update(env_extra or {})
    return subprocess.run([SCFCHAIN, *args], cwd=ROOT, env=env, capture_output=True, text=True, input=stdin)


@pytest.fixture
def rpc():
    return web3.provider.endpoint_uri


def test_deploy_writesDeploymentFile(rpc, tmp_path):
    out = tmp_path / "dep.json"
    r = run("deploy", "--rpc-url", rpc, "--out", str(out), "--grace-period", "3600",
            env_extra={"SCFCHAIN_PRIVATE_KEY": ANVIL_KEY})
    assert r.returncode == 0, r.stderr
    dep = json.loads(out.read_text())
    assert dep["chainId"] == web3.eth.chain_id
    assert dep["deployer"] == Account.from_key(ANVIL_KEY).address
    assert dep["block"] > 0
    assert sorted(dep["contracts"]) == sorted(SYSTEM)
    consortium = web3.eth.contract(address=dep["contracts"]["Consortium"]["address"],
                                   abi=dep["contracts"]["Consortium"]["abi"])
    assert consortium.functions.hasRole(b"\x00" * 32, dep["deployer"]).call()
    assert consortium.functions.hasRole(consortium.functions.OPERATOR_ROLE().call(), dep["deployer"]).call()
    escrow = web3.eth.contract(address=dep["contracts"]["SettlementEscrow"]["address"],
                               abi=dep["contracts"]["SettlementEscrow"]["abi"])
    assert escrow.functions.gracePeriod().call() == 3600
    cert = web3.eth.contract(address=dep["contracts"]["ReceivableCertificate"]["address"],
                             abi=dep["contracts"]["ReceivableCertificate"]["abi"])
    assert cert.functions.settlementEscrow().call() == escrow.address
    assert ANVIL_KEY[2:] not in r.stdout + r.stderr  # the key is never printed


def test_deploy_fromKeystore(rpc, tmp_path):
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(ANVIL_KEY, "s3cret")))
    out = tmp_path / "dep.json"
    r = run("deploy", "--rpc-url", rpc, "--out", str(out), "--keystore", str(keystore),
            env_extra={"SCFCHAIN_KEYSTORE_PASSWORD": "s3cret"})
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["deployer"] == Account.from_key(ANVIL_KEY).address


def test_revert_deploy_withoutKey(rpc, tmp_path):
    r = run("deploy", "--rpc-url", rpc, "--out", str(tmp_path / "x.json"))
    assert r.returncode == 1
    assert r.stderr.strip() == "scfchain: no signing key: set SCFCHAIN_PRIVATE_KEY or pass --keystore FILE"
    assert not (tmp_path / "x.json").exists()


def test_revert_deploy_wrongKeystorePassword(rpc, tmp_path):
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(ANVIL_KEY, "right")))
    r = run("deploy", "--rpc-url", rpc, "--keystore", str(keystore), env_extra={"SCFCHAIN_KEYSTORE_PASSWORD": "wrong"})
    assert r.returncode == 1
    assert "cannot decrypt keystore" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_revert_deploy_unreachableNode(tmp_path):
    r = run("deploy", "--rpc-url", "http://127.0.0.1:9", env_extra={"SCFCHAIN_PRIVATE_KEY": ANVIL_KEY})
    assert r.returncode == 1
    assert r.stderr.startswith("scfchain: cannot reach the node at http://127.0.0.1:9")
    assert "Traceback" not in r.stderr


def _contract(dep, name):
    return web3.eth.contract(address=dep["contracts"][name]["address"], abi=dep["contracts"][name]["abi"])


def test_deploy_withExistingPaymentToken_wiresEveryContractToIt(rpc, tmp_path):
    """`--payment-token`: no mock is deployed, and the six contracts come at the deployer's next six addresses,
    which the Consortium and the certificate predicted (a wrong prediction would fail their constructors)."""
    key = {"SCFCHAIN_PRIVATE_KEY": ANVIL_KEY}
    first = tmp_path / "first.json"
    assert run("deploy", "--rpc-url", rpc, "--out", str(first), env_extra=key).returncode == 0
    token = json.loads(first.read_text())["contracts"]["PaymentToken"]["address"]
    deployer = Account.from_key(ANVIL_KEY).address
    nonce = web3.eth.get_transaction_count(deployer)
    out = tmp_path / "dep.json"
    r = run("deploy", "--rpc-url", rpc, "--out", str(out), "--payment-token", token.lower(), env_extra=key)
    assert r.returncode == 0, r.stderr
    dep = json.loads(out.read_text())
    assert dep["contracts"]["PaymentToken"]["address"] == token
    order = ["Consortium", "ReceivableCertificate", "CreditGuarantee", "FinancingDesk", "SettlementEscrow", "LoanDesk"]
    assert [dep["contracts"][name]["address"] for name in order] == [
        get_create_address(deployer, nonce + i) for i in range(6)]
    consortium, cert = _contract(dep, "Consortium"), _contract(dep, "ReceivableCertificate")
    assert consortium.functions.certificates().call() == cert.address
    assert cert.functions.consortium().call() == consortium.address
    assert cert.functions.settlementEscrow().call() == dep["contracts"]["SettlementEscrow"]["address"]
    assert cert.functions.loanDesk().call() == dep["contracts"]["LoanDesk"]["address"]
    for name in ("CreditGuarantee", "FinancingDesk", "SettlementEscrow", "LoanDesk"):
        assert _contract(dep, name).functions.token().call() == token
    # The membership push reaches this certificate: an onboarded member is active in both.
    member = Account.create().address
    supplier = consortium.functions.SUPPLIER_ROLE().call()
    tx = consortium.functions.onboard(member, supplier, "Tier-1 Supplier").transact({"from": deployer})
    assert web3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert consortium.functions.isActive(member).call() and cert.functions.activeFlag(member).call()


def test_revert_deploy_paymentTokenNotAnAddress(rpc, tmp_path):
    r = run("deploy", "--rpc-url", rpc, "--out", str(tmp_path / "x.json"), "--payment-token", "dCNY",
            env_extra={"SCFCHAIN_PRIVATE_KEY": ANVIL_KEY})
    assert r.returncode == 1
    assert r.stderr.strip() == "scfchain: not an address: 'dCNY'"
    assert not (tmp_path / "x.json").exists()

"""`brownie run scripts/deploy.py [--network NAME]`: the same deployment as `scfchain deploy`, through brownie.

On a development network the first brownie account deploys; on a live network the key comes from
$SCFCHAIN_PRIVATE_KEY or the keystore named by $SCFCHAIN_KEYSTORE (see README).
"""
import os

from brownie import accounts, network, web3

from scfchain import Chain, deploy, load_signer
from scfchain.deploy import default_deployment_path


def main():
    if network.show_active() in ("development", "anvil") or network.show_active().startswith("dev"):
        signer = accounts[0].address  # unlocked on the local node
    else:
        signer = load_signer(os.environ.get("SCFCHAIN_KEYSTORE"))
    chain = Chain(web3, confirmations=1)
    deployment = deploy(chain, signer, progress=print)
    path = deployment.save(os.environ.get("SCFCHAIN_DEPLOYMENT_OUT") or default_deployment_path(deployment.chain_id))
    print(f"deployment written to {path}")
    return deployment

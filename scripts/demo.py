"""`brownie run scripts/demo.py [--network ID]`: the SPEC demo case on brownie's chain.

Writes to `demo-output/` (or `$SCFCHAIN_DEMO_OUT`); like `scfchain demo --rpc-url`, a run cut short resumes there."""
import os

from brownie import web3

from scfchain.apps.demo import run_demo


def main():
    return run_demo(rpc_url=web3.provider.endpoint_uri, out_dir=os.environ.get("SCFCHAIN_DEMO_OUT", "demo-output"))

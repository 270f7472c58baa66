"""`brownie run scripts/demo.py`: the SPEC demo case on brownie's development chain."""
from brownie import web3

from scfchain.demo import run_demo


def main():
    run_demo(rpc_url=web3.provider.endpoint_uri)

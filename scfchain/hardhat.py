"""An embedded Hardhat Network node (npm `hardhat@2`): the second node implementation the tooling runs on.

`with HardhatNode() as node: node.url` — like `Anvil`: a free port, polled until it answers eth_chainId,
always stopped. Its config is written to a temporary folder (Hardhat reads settings from a config file, not
flags); the process runs from this checkout, where `hardhat` is installed. Offline: Hardhat fetches nothing
to run a node. Its dev accounts are Anvil's (the same mnemonic), each with 10,000 ether."""
from __future__ import annotations

import json
import os
import shutil
import tempfile

from .anvil import LocalNode
from .toolchain import ROOT, hardhat_cli


class HardhatNode(LocalNode):
    name = "hardhat"

    def __init__(
        self,
        port: int | None = None,
        chain_id: int = 31337,
        accounts: int = 20,
        block_gas_limit: int = 30_000_000,
        timeout: float = 120.0,
    ):
        super().__init__(port, timeout)
        self.chain_id = chain_id
        self._config = {
            "hardfork": "cancun",  # what the contracts are compiled for (OpenZeppelin 5 uses mcopy)
            "chainId": chain_id,
            "accounts": {"count": accounts},
            "blockGasLimit": block_gas_limit,
            # a block per transaction, as Anvil by default; the load turns it off where it seals blocks itself
            "mining": {"auto": True},
        }
        self._dir: str | None = None

    def _prepare(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="scfchain-hardhat-")
        config = os.path.join(self._dir, "hardhat.config.js")
        with open(config, "w") as f:
            f.write(f"module.exports = {{networks: {{hardhat: {json.dumps(self._config)}}}}};\n")
        self._args = ["node", hardhat_cli(), "--config", config, "node", "--hostname", "127.0.0.1",
                      "--port", str(self.port)]
        self._cwd = str(ROOT)  # Hardhat insists on a local installation, found from the working directory
        self._env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"}

    def _cleanup(self) -> None:
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def start(self) -> "HardhatNode":
        super().start()
        return self

    def __enter__(self) -> "HardhatNode":
        return self.start()

"""Where the local nodes come from (the checkout's npm Anvil and Hardhat, else Anvil on PATH), and the system's
contract names. Compiling lives outside the package, in the dev toolchain (tools/toolchain.py); the package deploys
the artifacts it ships (scfchain.artifacts).
"""
from __future__ import annotations

import shutil
from pathlib import Path

# The checkout this package runs from (editable install or PYTHONPATH); in an installed package nothing under it
# exists, and the finders fall back to PATH.
ROOT = Path(__file__).resolve().parent.parent
ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
HARDHAT_CLI = ROOT / "node_modules" / "hardhat" / "internal" / "cli" / "cli.js"


class ToolchainError(RuntimeError):
    """The compiler or a local node (Anvil, Hardhat) is missing or failed."""


def anvil_path() -> str:
    """The Anvil binary: the npm one of this checkout, else one on PATH."""
    if ANVIL_BIN.exists():
        return str(ANVIL_BIN)
    found = shutil.which("anvil")
    if not found:
        raise ToolchainError("anvil not found: not on PATH (in a checkout `make setup` installs npm "
                             "@foundry-rs/anvil); or give a node with --rpc-url")
    return found


def hardhat_cli() -> str:
    """Hardhat's command-line entry point (npm `hardhat@2`, run with node) in this checkout."""
    if not HARDHAT_CLI.exists():
        raise ToolchainError("hardhat not found: run `make setup` (npm hardhat@2)")
    return str(HARDHAT_CLI)

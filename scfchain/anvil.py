"""An embedded Anvil node: started on a free port, waited on until it answers, always stopped."""
from __future__ import annotations

import socket
import subprocess
import time
from types import TracebackType

import requests

from .toolchain import ToolchainError, anvil_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Anvil:
    """`with Anvil() as node: node.url` — a local chain for the duration of the block."""

    def __init__(
        self,
        port: int | None = None,
        chain_id: int = 31337,
        block_time: float | None = None,
        accounts: int = 20,
        timeout: float = 60.0,
        extra_args: list[str] | None = None,
    ):
        self.port = port or free_port()
        self.chain_id = chain_id
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            anvil_path(),
            "--port", str(self.port),
            "--chain-id", str(chain_id),
            "--accounts", str(accounts),
            "--hardfork", "cancun",
            "--silent",
        ]
        if block_time:
            args += ["--block-time", str(block_time)]
        self._args = args + (extra_args or [])
        self._timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Anvil":
        self.process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self._timeout
        # Startup can take seconds on a loaded machine: poll until it answers JSON-RPC.
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise ToolchainError(f"anvil exited at start: {err.strip()[:300]}")
            try:
                r = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
                if r.ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise ToolchainError(f"anvil did not answer on {self.url} within {self._timeout:.0f}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> "Anvil":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

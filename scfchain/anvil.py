"""Embedded local nodes: started on a free port, waited on until they answer, always stopped. `Anvil` here;
`HardhatNode` (Hardhat Network) in `scfchain.hardhat`, on the same `LocalNode` base."""
from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from types import TracebackType
from typing import IO

from .rpc import RetryPolicy, Rpc, RpcError
from .toolchain import ToolchainError, anvil_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalNode:
    """`with Node() as node: node.url` — a local chain for the duration of the block. Subclasses set
    `name`, `url` and `_args` (the command line), and may prepare files in `_prepare`."""

    name = "node"

    def __init__(self, port: int | None, timeout: float):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._args: list[str] = []
        self._timeout = timeout
        self._cwd: str | None = None
        self._env: dict[str, str] | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def _prepare(self) -> None:
        """Runs before the process starts (e.g. writes a config file)."""

    def _cleanup(self) -> None:
        """Runs after the process stopped."""

    def start(self) -> "LocalNode":
        self._prepare()
        # stderr to a file, not a pipe: a chatty node would block once a pipe nobody reads is full
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=self._log, cwd=self._cwd,
                                        env=self._env)
        deadline = time.monotonic() + self._timeout
        probe = Rpc(self.url, timeout=1, retry=RetryPolicy(budget=0))  # this loop polls: no retries inside
        # Startup can take seconds on a loaded machine: poll until it answers JSON-RPC.
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                self.stop()
                raise ToolchainError(f"{self.name} exited at start: {err.strip()[:300]}")
            try:
                probe.call("eth_chainId")
                return self
            except RpcError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ToolchainError(f"{self.name} did not answer on {self.url} within {self._timeout:.0f}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self._cleanup()

    def __enter__(self) -> "LocalNode":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class Anvil(LocalNode):
    """`with Anvil() as node: node.url` — an Anvil chain for the duration of the block."""

    name = "anvil"

    def __init__(
        self,
        port: int | None = None,
        chain_id: int = 31337,
        block_time: float | None = None,
        accounts: int = 20,
        timeout: float = 60.0,
        extra_args: list[str] | None = None,
    ):
        super().__init__(port, timeout)
        self.chain_id = chain_id
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

    def start(self) -> "Anvil":
        super().start()
        return self

    def __enter__(self) -> "Anvil":
        return self.start()

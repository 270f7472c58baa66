"""The web explorer (`scfchain serve`, `scfchain demo --serve`): a read-only web app over the audit index,
which it keeps following the chain while it runs.

    with ExplorerServer("deployment.json", "http://127.0.0.1:8545") as server:
        print(server.url)          # pages, and JSON under /api/
        server.wait()              # until Ctrl-C
"""
from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any, Callable

from scfchain.audit.index import DEFAULT_CONFIRMATIONS
from scfchain.errors import ScfError
from .follow import Follower, Snapshot

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a port in use is one clear error before anything starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ScfError(f"--host {host!r} is not an address this machine can listen on: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ScfError(f"cannot listen on {host}:{port}: {exc.strerror} (choose another --port)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ExplorerServer:
    """The explorer on host:port: the follower brings the index up to date first, then the web server starts
    in a background thread; `stop()` (or leaving the `with` block) ends both."""

    def __init__(self, deployment: str | None, rpc_url: str, db: str | None = None, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT, confirmations: int = DEFAULT_CONFIRMATIONS, interval: float = 1.0,
                 progress: Callable[[Any], None] | None = None, sock: socket.socket | None = None):
        self.host, self.port = host, port
        self._sock = sock  # a socket bound beforehand with `listen()`, e.g. before a demo deploys
        self.follower = Follower(deployment, rpc_url, db, confirmations, interval, progress)
        self.rpc_url = rpc_url
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def snapshot(self) -> Snapshot | None:
        return self.follower.snapshot

    def start(self) -> "ExplorerServer":
        import uvicorn

        from .app import create_app

        sock = self._sock or listen(self.host, self.port)
        self.port = sock.getsockname()[1]  # --port 0: the one the system chose
        try:
            self.follower.start()
        except BaseException:
            sock.close()
            self.follower.stop()
            raise
        app = create_app(self.follower, self.rpc_url, on_startup=self._started.set)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="scfchain-explorer-http", daemon=True)
        self._thread.start()
        while not self._started.wait(0.2):
            if not self._thread.is_alive():
                self.follower.stop()
                raise ScfError("the explorer's web server did not start")
        return self

    def wait(self) -> None:
        """Serves until Ctrl-C (or until the server stops)."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.follower.stop()

    def __enter__(self) -> "ExplorerServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ExplorerServer", "Follower", "Snapshot", "listen"]

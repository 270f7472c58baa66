"""What every audit command opens: the deployment, the index (brought up to date when a node is given)
and the ledger replayed from it."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from ..deploy import Deployment, default_deployment_path, load_deployment
from ..errors import ScfError
from ..rpc import Rpc
from .index import DEFAULT_CHUNK, DEFAULT_CONFIRMATIONS, IndexResult, Progress, index
from .replay import Anomaly, Ledger, load
from .store import Store, db_path


class ProgressLine:
    """One line on stderr, rewritten in place at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, label: str = "indexing"):
        self.stream = stream or sys.stderr
        self.label = label
        self._last = 0.0
        self._shown = False
        self._width = 0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and p.done_to < p.end:
            return
        self._last = now
        rate = p.logs / p.seconds if p.seconds > 0 else 0.0
        text = (f"{self.label}: block {p.done_to:,} of {p.end:,} ({100 * p.fraction:5.1f}%), {p.logs:,} events, "
                f"{rate:,.0f} events/s, chunk {p.chunk:,} blocks")
        self.stream.write("\r" + text.ljust(self._width))  # padded over a longer previous line
        self._width = len(text)
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


@dataclass
class Session:
    deployment: Deployment
    deployment_file: Path
    store: Store
    node: Rpc | None

    def update(self, confirmations: int = DEFAULT_CONFIRMATIONS, chunk: int = DEFAULT_CHUNK,
               to_block: int | None = None, progress: Callable[[Progress], None] | None = None) -> IndexResult:
        if self.node is None:
            raise ScfError("--rpc-url is required to index")
        return index(self.node, self.deployment, self.store, confirmations, chunk, to_block, progress)

    def ledger(self, checked: bool = False) -> Ledger:
        """The replayed index. `checked` (verify): rows not of their types are left out, each an anomaly that
        fails verification, naming it."""
        if self.store.get_int("fetched_to") is None:
            raise ScfError(f"the audit index {self.store.path} is empty: run `scfchain audit index` first")
        if not checked:
            return load(self.store)
        from .events import Decoder
        from .integrity import well_typed

        malformed: list[Anomaly] = []
        ledger = load(self.store, well_typed(self.store.events(strict=False), Decoder(self.deployment), malformed))
        ledger.anomalies[:0] = malformed
        return ledger

    def close(self) -> None:
        self.store.close()


def open_session(deployment: str | None, rpc_url: str | None, db: str | None, create: bool = True) -> Session:
    node = Rpc(rpc_url) if rpc_url else None
    if deployment:
        path = Path(deployment)
    elif node is not None:
        path = default_deployment_path(node.chain_id())
    else:
        raise ScfError("--deployment FILE is required (or --rpc-url, for deployments/<chainId>.json)")
    dep = load_deployment(path)
    store = Store(db_path(db, path), create=create)
    return Session(dep, path, store, node)

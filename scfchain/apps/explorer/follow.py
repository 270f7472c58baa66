"""Following the chain: a background thread brings the audit index up to date about once a second (as
`scfchain audit index` does) and, when new events were stored, replays them into a fresh Ledger. Pages and
the API read the latest Snapshot, an immutable value swapped in whole, so a request never sees half an update
and never touches the database (which stays with the thread that opened it)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from scfchain.audit.replay import Ledger
from scfchain.audit.session import Session, open_session
from scfchain.errors import ScfError
from .views import event_rows


@dataclass(frozen=True)
class Snapshot:
    ledger: Ledger
    events: list[dict[str, Any]]  # the live feed's rows, numbered 1.. in chain order
    version: int  # grows with every new ledger
    head: int  # the node's latest block at the last update
    updated: float  # wall-clock time of the last successful update
    error: str = ""  # why the last update failed (the node away), shown on every page
    cache: dict[Any, Any] = field(default_factory=dict, compare=False)  # pictures drawn from this snapshot

    @property
    def last_seq(self) -> int:
        return len(self.events)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Follower:
    """`Follower(deployment, rpc_url, db).start()` — indexes, then keeps the index following the chain."""

    def __init__(self, deployment: str | None, rpc_url: str, db: str | None, confirmations: int,
                 interval: float = 1.0, progress: Callable[[Any], None] | None = None):
        self.args = (deployment, rpc_url, db)
        self.confirmations = confirmations
        self.interval = interval
        self.progress = progress
        self.snapshot: Snapshot | None = None
        self.failure: BaseException | None = None  # what stopped the first update
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.deployment_file = ""
        self.thread = threading.Thread(target=self._run, name="scfchain-explorer-follow", daemon=True)

    def start(self, timeout: float | None = None) -> Snapshot:
        """Starts following; returns once the index is up to date with the chain (raises what stopped it)."""
        self.thread.start()
        self.ready.wait(timeout)
        if self.failure is not None:
            raise self.failure
        if self.snapshot is None:
            raise ScfError("the explorer's index did not come up in time")
        return self.snapshot

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=15)

    def _publish(self, snap: Snapshot) -> None:
        self.snapshot = snap  # one reference swap: readers see the old snapshot or the new one

    def _run(self) -> None:
        try:
            session = open_session(*self.args, create=True)
        except BaseException as exc:  # noqa: BLE001 — reported by start() in the main thread
            self.failure = exc
            self.ready.set()
            return
        self.deployment_file = str(session.deployment_file)
        try:
            self._follow(session)
        finally:
            session.close()

    def _follow(self, session: Session) -> None:
        version = restored = 0
        first = True
        total = -1
        while not self.stopping.is_set():
            try:
                r = session.update(confirmations=self.confirmations, progress=self.progress if first else None)
                snap = self.snapshot
                # Provisional blocks (within `confirmations` of the head) are dropped and fetched again on every
                # round: the same rows back mean nothing changed. Re-stored rows are replayed anyway every 30
                # rounds, in case a reorganisation replaced them with as many others.
                changed = snap is None or r.stored != r.dropped or r.total_events != total
                restored = restored + 1 if r.stored and not changed else 0
                if changed or restored >= 30:
                    restored, total = 0, r.total_events
                    version += 1
                    ledger = session.ledger()
                    rows = event_rows(session.store.events(), ledger)
                    snap = Snapshot(ledger, rows, version, r.head, time.time())
                else:
                    snap = Snapshot(snap.ledger, snap.events, snap.version, r.head, time.time(), cache=snap.cache)
                self._publish(snap)
            except Exception as exc:  # noqa: BLE001 — the node went away: keep serving the last state, retry
                if first:
                    self.failure = exc
                    self.ready.set()
                    return
                old = self.snapshot
                if old is not None:
                    self._publish(Snapshot(old.ledger, old.events, old.version, old.head, old.updated,
                                           f"cannot follow the chain: {_one_line(exc)}", old.cache))
            if first:
                first = False
                self.ready.set()
            self.stopping.wait(self.interval)

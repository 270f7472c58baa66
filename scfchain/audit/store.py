"""The audit index: one embedded SQLite file holding every decoded event, and where indexing stopped."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import ScfError

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block     INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    tx_hash   TEXT    NOT NULL,
    tx_index  INTEGER NOT NULL,
    time      INTEGER NOT NULL,
    contract  TEXT    NOT NULL,
    event     TEXT    NOT NULL,
    args      TEXT    NOT NULL,
    PRIMARY KEY (block, log_index)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Event:
    block: int
    log_index: int
    tx_hash: str
    tx_index: int
    time: int
    contract: str
    name: str
    args: dict[str, Any]


def db_path(url: str | None, deployment_file: str | Path) -> Path:
    """`sqlite:///PATH` (or a plain path); by default `<deployment>.audit.sqlite` beside the deployment."""
    if not url:
        dep = Path(deployment_file)
        return dep.with_name(dep.stem + ".audit.sqlite")
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///"):]
        if not rest:
            raise ScfError("--db sqlite:/// needs a file path, e.g. sqlite:///audit.sqlite")
        return Path(rest)
    if "://" in url:
        raise ScfError(f"--db must be sqlite:///PATH (an embedded SQLite file), got {url!r}")
    return Path(url)


class Store:
    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise ScfError(f"no audit index at {self.path}: run `scfchain audit index` first")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=60)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ScfError(f"cannot open the audit index {self.path}: {exc}") from None
        version = self.get("schema")
        if version is None:
            self.set("schema", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise ScfError(f"{self.path} is an audit index of schema {version}, this scfchain reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ meta
    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get_int(self, key: str) -> int | None:
        value = self.get(key)
        return None if value is None else int(value)

    def set(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta ORDER BY key").fetchall())

    # ------------------------------------------------------------ events
    def commit_chunk(self, rows: list[tuple[Any, ...]], meta: dict[str, Any]) -> None:
        """Stores one fetched range and the cursor that follows it, atomically."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            try:
                cur.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.IntegrityError:  # rows of a range stored before: the node's answer wins
                cur.executemany("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            cur.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                            [(k, str(v)) for k, v in meta.items()])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def drop_after(self, block: int, meta: dict[str, Any]) -> int:
        """Deletes the rows of blocks after `block` (not yet final: they may be reorganised away)."""
        cur = self.db.cursor()
        cur.execute("BEGIN")
        n = cur.execute("DELETE FROM events WHERE block > ?", (block,)).rowcount
        cur.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
        cur.execute("COMMIT")
        return n

    def reset(self) -> None:
        self.db.execute("DELETE FROM events")
        self.db.execute("DELETE FROM meta WHERE key != 'schema'")

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def events(self, names: Iterable[str] | None = None) -> Iterator[Event]:
        """Every stored event in chain order (block, log index)."""
        sql = "SELECT block, log_index, tx_hash, tx_index, time, contract, event, args FROM events"
        params: list[Any] = []
        if names is not None:
            names = list(names)
            sql += " WHERE event IN (" + ",".join("?" * len(names)) + ")"
            params = names
        sql += " ORDER BY block, log_index"
        try:
            for b, li, tx, ti, t, c, e, a in self.db.execute(sql, params):
                yield Event(b, li, tx, ti, t, c, e, json.loads(a))
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise ScfError(f"the audit index {self.path} is unreadable: {exc}") from None

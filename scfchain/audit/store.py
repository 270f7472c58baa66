"""The audit index: every decoded event and where indexing stopped, in one embedded SQLite file or in a
PostgreSQL database (several analysts, a served explorer, millions of events), through the same code."""
from __future__ import annotations

import json
import re
import sqlite3
import sys
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..errors import ScfError

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block     BIGINT  NOT NULL,
    log_index BIGINT  NOT NULL,
    tx_hash   TEXT    NOT NULL,
    tx_index  BIGINT  NOT NULL,
    time      BIGINT  NOT NULL,
    contract  TEXT    NOT NULL,
    event     TEXT    NOT NULL,
    args      TEXT    NOT NULL,
    PRIMARY KEY (block, log_index)
){suffix};
"""
# Both engines take the same statements (PostgreSQL's upsert syntax is SQLite's since 3.24): only the
# parameter marks, the table options and the way to start a writing transaction differ (see Dialect).
UPSERT_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
INSERT_EVENTS = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
ROWS_PER_INSERT = 500  # SQLite: rows an insert statement takes (8 parameters each; SQLite allows 32,766)
INSERT_MANY = "INSERT INTO events VALUES " + ",".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * ROWS_PER_INSERT)
UPSERT_EVENTS = (INSERT_EVENTS + " ON CONFLICT (block, log_index) DO UPDATE SET tx_hash = excluded.tx_hash, "
                 "tx_index = excluded.tx_index, time = excluded.time, contract = excluded.contract, "
                 "event = excluded.event, args = excluded.args")


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


def _json_or_text(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def db_path(url: str | None, deployment_file: str | Path) -> Path | str:
    """Where the index lives: `sqlite:///PATH` (or a plain path) as a Path, by default
    `<deployment>.audit.sqlite` beside the deployment; `postgresql://USER[:PASS]@HOST:PORT/DB` as that URL."""
    if not url:
        dep = Path(deployment_file)
        return dep.with_name(dep.stem + ".audit.sqlite")
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///"):]
        if not rest:
            raise ScfError("--db sqlite:/// needs a file path, e.g. sqlite:///audit.sqlite")
        return Path(rest)
    if url.startswith(PG_SCHEMES):
        return url
    if "://" in url:
        raise ScfError("--db must be sqlite:///PATH (an embedded SQLite file) or "
                       f"postgresql://USER[:PASS]@HOST:PORT/DB, got {url!r}")
    return Path(url)


PG_SCHEMES = ("postgresql://", "postgres://")


def shown(url: str) -> str:
    """A database URL fit to print: without its password."""
    return re.sub(r"^(\w+://[^:/@]+):[^@]*@", r"\1:***@", url)


def db_errors() -> tuple[type[BaseException], ...]:
    """The exceptions either engine's driver raises (psycopg's only once it has been loaded)."""
    pg = sys.modules.get("psycopg")
    return (sqlite3.Error,) if pg is None else (sqlite3.Error, pg.Error)


class Dialect:
    """What differs between the engines; every statement is written once, with `?` marks."""
    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"  # take the write lock now: no deadlock upgrading a read lock
    one_writer = True  # one writing transaction at a time: writers in other processes take turns
    table_suffix = " WITHOUT ROWID"

    def sql(self, statement: str) -> str:
        return statement

    def connect(self, target: str, create: bool) -> Any:
        path = Path(target)
        if not create and not path.is_file():
            raise ScfError(f"no audit index at {path}: run `scfchain audit index` first")
        new = not path.exists()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), isolation_level=None, timeout=60)
        if new:
            # rows of ~300 bytes in a WITHOUT ROWID table: 16 KB pages split less than 4 KB ones (storing the 10k
            # benchmark's 81,674 rows: 0.20 against 0.25 CPU-s); fixed when the file is made, before WAL mode
            db.execute("PRAGMA page_size=16384")
        db.execute("PRAGMA journal_mode=WAL")  # readers go on while the indexer writes
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def has_schema(self, db: Any) -> bool:
        return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None

    def create_schema(self, db: Any) -> None:
        db.executescript(SCHEMA.format(suffix=self.table_suffix))

    def rows(self, db: Any, statement: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        return db.execute(statement, params)

    def store_rows(self, db: Any, rows: list[tuple[Any, ...]]) -> None:
        """Event rows into the open write transaction; a row stored before is replaced."""
        try:  # the plain insert: a fifth faster than the upsert, which only re-stored rows need
            # ROWS_PER_INSERT rows a statement: one statement run (and one hand-over of the interpreter lock
            # to the fetching thread) per ROWS_PER_INSERT rows, not per row (the 10k bench's
            # 81,674 rows in parts of 2,500: 0.16 against 0.13 CPU-s at 500 rows, min of 3, busy machine)
            full = len(rows) - len(rows) % ROWS_PER_INSERT
            if full:
                db.executemany(INSERT_MANY, [tuple(chain.from_iterable(rows[k : k + ROWS_PER_INSERT]))
                                             for k in range(0, full, ROWS_PER_INSERT)])
            db.executemany(INSERT_EVENTS, rows[full:])
        except sqlite3.IntegrityError:  # (a failed statement leaves SQLite's transaction open)
            db.executemany(UPSERT_EVENTS, rows)

    def store_parts(self, db: Any, parts: Iterable[list[tuple[Any, ...]]]) -> int:
        """store_rows of each part (lists of rows) as it comes; the rows stored."""
        n = 0
        for rows in parts:
            if rows:
                self.store_rows(db, rows)
                n += len(rows)
        return n


EVENT_TYPES = ["int8", "int8", "text", "int8", "int8", "text", "text", "text"]  # the events table's, in order


class PostgresDialect(Dialect):
    name = "postgresql"
    begin_write = "BEGIN"  # MVCC: readers never wait for the writer, nor it for them
    one_writer = False  # writers of different rows go on side by side
    table_suffix = ""

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def connect(self, target: str, create: bool) -> Any:
        try:
            import psycopg
        except ImportError:
            raise ScfError("--db postgresql://… needs the psycopg package (pip install 'psycopg[binary]')") from None
        try:
            db = psycopg.connect(target, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ScfError(f"cannot open the audit index {shown(target)}: {first}") from None
        if not create and not self.has_schema(db):
            db.close()
            raise ScfError(f"no audit index at {shown(target)}: run `scfchain audit index` first")
        return db

    def has_schema(self, db: Any) -> bool:
        return db.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]

    def create_schema(self, db: Any) -> None:
        if not self.has_schema(db):
            for statement in SCHEMA.format(suffix="").split(";"):
                if statement.strip():
                    db.execute(statement)

    def rows(self, db: Any, statement: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        # streamed from the server: a reader of millions of rows holds one batch at a time
        return db.cursor().stream(statement, params, size=5000)

    def store_rows(self, db: Any, rows: list[tuple[Any, ...]]) -> None:
        self.store_parts(db, [rows])

    def store_parts(self, db: Any, parts: Iterable[list[tuple[Any, ...]]]) -> int:
        # COPY is several times faster than row-by-row inserts; rows of a range stored before (rare: the
        # index deletes what an interrupted run left past its cursor) make it fail, and the upsert runs instead.
        # One COPY for all the parts: the server stores a part while the next is decoded, and is waited for
        # once a range, not once a part.
        import psycopg

        taken: list[list[tuple[Any, ...]]] = []
        rest = iter(parts)
        db.execute("SAVEPOINT rows")
        try:
            # in binary: the integers not written out as text here nor parsed back there (the 10k bench's
            # 81,674 rows, parts of 2,500, min of 2: 0.10 against 0.055 CPU-s here, 0.38 against 0.33 s)
            with db.cursor().copy("COPY events (block, log_index, tx_hash, tx_index, time, contract, event, args) "
                                  "FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(EVENT_TYPES)
                for rows in rest:
                    taken.append(rows)
                    for row in rows:
                        copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            db.execute("ROLLBACK TO SAVEPOINT rows")
            taken.extend(rest)  # the parts not sent yet
            for rows in taken:
                if rows:
                    db.cursor().executemany(self.sql(UPSERT_EVENTS), rows)
        db.execute("RELEASE SAVEPOINT rows")
        return sum(map(len, taken))


class Store:
    """The index in an SQLite file or a PostgreSQL database: `where` is a path, `sqlite:///PATH` or
    `postgresql://USER[:PASS]@HOST:PORT/DB`."""

    def __init__(self, where: str | Path, create: bool = True):
        if isinstance(where, str) and not where.startswith(PG_SCHEMES):
            where = db_path(where, "")
        self.dialect: Dialect = PostgresDialect() if isinstance(where, str) else Dialect()
        self.url = str(where)  # what another process (a worker) opens
        self.path: Path | str = shown(where) if isinstance(where, str) else where  # what messages name
        try:
            self.db = self.dialect.connect(self.url, create)
            self.dialect.create_schema(self.db)
        except db_errors() as exc:
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

    # ------------------------------------------------------------ statements, in either engine
    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """Runs one statement written with `?` marks; returns the cursor."""
        return self.db.execute(self.dialect.sql(statement), params)

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.cursor().executemany(self.dialect.sql(statement), rows)

    def query(self, statement: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, streamed."""
        return self.dialect.rows(self.db, self.dialect.sql(statement), params)

    def _write(self, work: Any) -> Any:
        """`work()` in one writing transaction."""
        self.db.execute(self.dialect.begin_write)
        try:
            result = work()
            self.db.execute("COMMIT")
            return result
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------ meta
    def get(self, key: str) -> str | None:
        row = self.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get_int(self, key: str) -> int | None:
        value = self.get(key)
        return None if value is None else int(value)

    def set(self, key: str, value: Any) -> None:
        self.execute(UPSERT_META, (key, str(value)))

    def meta(self) -> dict[str, str]:
        return dict(self.execute("SELECT key, value FROM meta ORDER BY key").fetchall())

    # ------------------------------------------------------------ events
    def commit_chunk(self, rows: list[tuple[Any, ...]], meta: dict[str, Any]) -> None:
        """Stores one fetched range and the cursor that follows it, atomically (rows of a range stored
        before are replaced: the node's answer wins)."""
        self.commit_parts([rows], meta)

    def commit_parts(self, parts: Iterable[list[tuple[Any, ...]]], meta: dict[str, Any]) -> int:
        """commit_chunk of a range given in parts (lists of rows), each stored as it comes (the indexer
        decodes the next part meanwhile), in one transaction; the rows stored."""
        def work() -> int:
            n = self.dialect.store_parts(self.db, parts)
            if meta:
                self.executemany(UPSERT_META, [(k, str(v)) for k, v in meta.items()])
            return n

        return self._write(work)

    def drop_after(self, block: int, meta: dict[str, Any]) -> int:
        """Deletes the rows of blocks after `block` (not yet final: they may be reorganised away)."""
        def work() -> int:
            n = self.execute("DELETE FROM events WHERE block > ?", (block,)).rowcount
            self.executemany(UPSERT_META, [(k, str(v)) for k, v in meta.items()])
            return n

        return self._write(work)

    def fill_times(self, times: list[tuple[int, int]]) -> None:
        """Sets the time of rows stored without one: (time, block) pairs."""
        self.executemany("UPDATE events SET time = ? WHERE block = ? AND time < 0", times)

    def reset(self) -> None:
        self.execute("DELETE FROM events")
        self.execute("DELETE FROM meta WHERE key != 'schema'")

    def count(self) -> int:
        return self.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def events(self, names: Iterable[str] | None = None, blocks: tuple[int, int] | None = None,
               strict: bool = True) -> Iterator[Event]:
        """Every stored event in chain order (block, log index); only those named, or of blocks a..b. Arguments
        that are not JSON make the index unreadable, unless not `strict` (verify): then they come as their text."""
        sql = "SELECT block, log_index, tx_hash, tx_index, time, contract, event, args FROM events"
        where: list[str] = []
        params: list[Any] = []
        if names is not None:
            names = list(names)
            where.append("event IN (" + ",".join("?" * len(names)) + ")")
            params += names
        if blocks is not None:
            where.append("block BETWEEN ? AND ?")
            params += list(blocks)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY block, log_index"
        try:
            for b, li, tx, ti, t, c, e, a in self.query(sql, params):
                yield Event(b, li, tx, ti, t, c, e, json.loads(a) if strict else _json_or_text(a))
        except (*db_errors(), ValueError) as exc:
            raise ScfError(f"the audit index {self.path} is unreadable: {exc}") from None

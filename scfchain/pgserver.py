"""A throwaway PostgreSQL server for the audit tests and benchmark (what `Anvil` is for the chain): a fresh
cluster in a temporary folder, run by the unprivileged `postgres` user when we run as root (initdb and pg_ctl
refuse root), on a free port, stopped and removed at the end. `new` makes a database, `copy` copies one.

    with PgServer() as pg: Store(pg.new("audit"))
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from .anvil import free_port
from .errors import ScfError


def pg_bin() -> Path:
    """The newest installed server's bin folder (Debian's postgresql package puts it under a version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise ScfError("no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb): run `make setup`")
    return Path(found[-1]).parent


class PgServer:
    USER = "scf"

    def __init__(self, durable: bool = True) -> None:
        self.durable = durable
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="scf-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *cmd: str) -> None:
        r = subprocess.run([*self._as_user, *cmd], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise ScfError(f"{Path(cmd[0]).name} failed: {r.stderr.strip() or r.stdout.strip()}")

    def __enter__(self) -> "PgServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> "PgServer":
        # Commits do not wait for the disk, as SQLite's synchronous=NORMAL in WAL mode; a server for tests
        # only (`durable=False`) skips fsync altogether.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c synchronous_commit=off "
                   "-c max_connections=200" + ("" if self.durable else " -c fsync=off -c full_page_writes=off"))
        try:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.USER, "-E", "UTF8")
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                      "-w", "start")
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(sql)

    def new(self, name: str = "db") -> str:
        """The URL of a new, empty database."""
        database = f"{name.lower().replace('-', '_').replace('.', '_')}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def copy(self, url: str, name: str = "copy") -> str:
        """A new database holding what the database at `url` holds (nothing may be connected to it)."""
        database = f"{name.lower().replace('-', '_').replace('.', '_')}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{database}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
        return self.url(database)

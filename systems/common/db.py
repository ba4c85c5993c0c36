"""SQLite access for a reference system: shared reads, serialized write transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeAlias

__all__ = ["Database", "DatabaseMissing", "Params", "grouped", "placeholders"]

Params: TypeAlias = Sequence[object] | Mapping[str, object]

_BUSY_TIMEOUT_MS = 5000


class DatabaseMissing(FileNotFoundError):
    """The system's SQLite file does not exist: the systems have not been seeded."""


def placeholders(n: int) -> str:
    """``"?,?,?"`` for an ``IN (...)`` clause of ``n`` values."""
    if n < 1:
        raise ValueError("an IN clause needs at least one value")
    return ",".join("?" * n)


def grouped(rows: Iterable[sqlite3.Row], key: str) -> dict[str, list[sqlite3.Row]]:
    """Rows grouped by the value of column ``key``, each group in query order."""
    groups: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


class Database:
    """One SQLite file in WAL mode.

    Writes go through one connection, one ``transaction()`` at a time (a lock serializes the
    threads of the server's pool). Reads use a connection per thread, so they see committed
    data only and never wait for a writer, except inside a transaction, where the writing
    thread reads its own uncommitted changes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._closed = False
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode = WAL")

    @classmethod
    def open(cls, path: Path) -> Database:
        """Open an existing, seeded database file."""
        if not path.is_file():
            raise DatabaseMissing(
                f"no database at {path}: seed the systems first "
                "(`crossdock seed`, or systems.seeding.seed_all)"
            )
        return cls(path)

    def _connect(self, *, read_only: bool = False) -> sqlite3.Connection:
        # isolation_level=None: no implicit BEGIN; transaction() says exactly where they are.
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        return conn

    def _reader(self) -> sqlite3.Connection:
        if self._owner == threading.get_ident():
            return self._writer
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            conn = self._connect(read_only=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = self._reader().execute(sql, params).fetchall()
        return rows

    def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._reader().execute(sql, params).fetchone()
        return row

    def fetch_value(self, sql: str, params: Params = ()) -> object:
        """The first column of the first row, or ``None`` when there is no row."""
        row = self.fetch_one(sql, params)
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises.

        Not re-entrant: a transaction inside a transaction is a bug, reported as such.
        """
        if self._owner == threading.get_ident():
            raise RuntimeError("nested Database.transaction() in the same thread")
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            self._owner = threading.get_ident()
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._owner = None

    def close(self) -> None:
        """Close every connection; reads and transactions fail afterwards."""
        self._closed = True
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        with self._lock:
            self._writer.close()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

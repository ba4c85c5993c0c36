"""``SqliteOutbox``: the outbox (``events.outbox``) in a SQLite file on the intake's own disk.

The event is committed first, on disk (WAL, ``synchronous=FULL``: a commit has been fsynced),
and only then acknowledged. One process's relay reads it: ``claim`` holds no lock while the
relay publishes (that would stop the intake's commits), so two relays on one file could send a
row twice; ``events.postgres_outbox`` is for several.

Every call runs on a worker thread (``asyncio.to_thread``): a commit waits for the disk, and the
event loop must not. One connection is shared under a lock; a write that cannot take SQLite's
lock within ``timeout_seconds`` (another process holds it), or fails (disk full, I/O error),
raises ``OutboxUnavailable`` and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TypeVar

from events.ids import StreamId
from events.outbox import Admission, OutboxRow, OutboxStatus, OutboxUnavailable

__all__ = ["SqliteOutbox"]

_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    event_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    data BLOB NOT NULL,
    received_at REAL NOT NULL,
    -- since when the row waits for the relay: received, or queued again after a loss
    pending_since REAL,
    relayed_at REAL,
    entry_id TEXT,
    traceparent TEXT,
    UNIQUE (stream, event_id)
);
CREATE INDEX IF NOT EXISTS outbox_unrelayed ON outbox (seq) WHERE relayed_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_relayed ON outbox (stream, relayed_at);
CREATE INDEX IF NOT EXISTS outbox_received ON outbox (received_at);
"""

_ROW = "seq, stream, event_id, data, received_at, relayed_at, entry_id, traceparent"
_LAST_RELAYED = (
    "FROM outbox WHERE stream = ? AND relayed_at IS NOT NULL"
    " ORDER BY relayed_at DESC, seq DESC LIMIT 1"
)

# The streams of the outbox, one index probe each (``MIN`` over the (stream, event_id) index,
# from one to the next), rather than a scan of every row as ``DISTINCT`` would make.
_STREAMS = """
WITH RECURSIVE streams(name) AS (
    SELECT MIN(stream) FROM outbox
    UNION ALL
    SELECT (SELECT MIN(stream) FROM outbox WHERE stream > name) FROM streams
    WHERE name IS NOT NULL
)
SELECT name FROM streams WHERE name IS NOT NULL
"""


class SqliteOutbox:
    """The outbox table in the SQLite file ``path`` (``":memory:"``: in memory, for tests: it
    is then durable no longer than the process). ``clock`` gives wall-clock seconds."""

    def __init__(
        self,
        path: Path | str,
        *,
        retention_seconds: float = 7 * 24 * 3600.0,
        timeout_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_seconds <= 0 or timeout_seconds <= 0:
            raise ValueError("retention_seconds and timeout_seconds must be positive")
        self.path = str(path)
        self.retention_seconds = retention_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    # Lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the file and table unless they exist. Raises ``OutboxUnavailable``."""
        await self._call(lambda db: None)

    async def aclose(self) -> None:
        """Close the connection; a later call opens it again."""

        def close() -> None:
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None

        await asyncio.to_thread(close)

    # The intake's side ------------------------------------------------------------------

    async def add(
        self,
        stream: str,
        event_id: str,
        fingerprint: str,
        data: bytes,
        *,
        traceparent: str | None = None,
    ) -> Admission:
        """Commit the event unless its id is in the outbox already (see ``Admission``)."""

        def add(db: sqlite3.Connection) -> Admission:
            with _transaction(db):
                found = _admission(db, stream, event_id, fingerprint)
                if found is not None:
                    return found
                now = self._clock()
                db.execute(
                    "INSERT INTO outbox (stream, event_id, fingerprint, data, received_at,"
                    " pending_since, traceparent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (stream, event_id, fingerprint, data, now, now, traceparent),
                )
                return Admission.NEW

        return await self._call(add)

    async def admission(self, stream: str, event_id: str, fingerprint: str) -> Admission | None:
        """What ``add`` would answer for an event already in the outbox, ``None`` for a new one:
        a read, for skipping work (the account lookup) a duplicate does not need."""
        return await self._call(lambda db: _admission(db, stream, event_id, fingerprint))

    # The relay's side -------------------------------------------------------------------

    @asynccontextmanager
    async def claim(self, *, limit: int) -> AsyncIterator[_Claim]:
        """The oldest ``limit`` unrelayed rows (this file has one relay: nothing to lock)."""
        yield _Claim(self, await self.unrelayed(limit=limit))

    async def unrelayed(self, *, limit: int) -> list[OutboxRow]:
        """The oldest ``limit`` rows not relayed yet, in the order they were added."""
        return await self._rows(
            f"SELECT {_ROW} FROM outbox WHERE relayed_at IS NULL ORDER BY seq LIMIT ?", (limit,)
        )

    async def mark_relayed(self, relayed: Iterable[tuple[int, str]]) -> None:
        """Record rows (by ``seq``) as published, each with the bus's entry id."""
        pairs = [(entry_id, seq) for seq, entry_id in relayed]

        def mark(db: sqlite3.Connection) -> None:
            now = self._clock()
            with _transaction(db):
                db.executemany(
                    "UPDATE outbox SET relayed_at = ?, entry_id = ?, pending_since = NULL"
                    " WHERE seq = ?",
                    [(now, entry_id, seq) for entry_id, seq in pairs],
                )

        if pairs:
            await self._call(mark)

    async def last_relayed(self, *, since: float) -> list[OutboxRow]:
        """Each stream's row relayed last, if at ``since`` or later: what the relay checks the
        bus still holds. Index lookups only, however many rows the retention keeps: it runs
        every second."""

        def last(db: sqlite3.Connection) -> list[OutboxRow]:
            found = []
            for (stream,) in db.execute(_STREAMS).fetchall():
                row = db.execute(f"SELECT {_ROW} {_LAST_RELAYED}", (stream,)).fetchone()
                if row is not None and row[5] >= since:
                    found.append(OutboxRow.from_columns(row))
            return found

        return await self._call(last)

    async def requeue(
        self,
        stream: str,
        *,
        since: float,
        after: StreamId | None = None,
        last: OutboxRow | None = None,
    ) -> int:
        """Queue again, for the relay, the rows of ``stream`` relayed at ``since`` or later
        (only those whose entry is newer than ``after``, when given: the bus still holds the
        older ones), while ``last``, when given, is still the stream's last relayed row;
        returns how many."""

        def requeue(db: sqlite3.Connection) -> int:
            now = self._clock()
            with _transaction(db):
                if last is not None and _last_relayed(db, stream) != (last.seq, last.entry_id):
                    return 0  # queued again by another relay since
                found = db.execute(
                    "SELECT seq, entry_id FROM outbox WHERE stream = ? AND relayed_at >= ?",
                    (stream, since),
                ).fetchall()
                seqs = [
                    (now, seq)
                    for seq, entry_id in found
                    if after is None or entry_id is None or StreamId.parse(entry_id) > after
                ]
                db.executemany(
                    "UPDATE outbox SET relayed_at = NULL, entry_id = NULL, pending_since = ?"
                    " WHERE seq = ?",
                    seqs,
                )
                return len(seqs)

        return await self._call(requeue)

    async def status(self) -> OutboxStatus:
        """Rows waiting for the relay and since when the oldest waits."""

        def status(db: sqlite3.Connection) -> OutboxStatus:
            count, oldest = db.execute(
                "SELECT COUNT(*), MIN(pending_since) FROM outbox WHERE relayed_at IS NULL"
            ).fetchone()
            return OutboxStatus(int(count), oldest)

        return await self._call(status)

    async def prune(self) -> int:
        """Delete the relayed rows received more than the retention ago; returns how many."""

        def prune(db: sqlite3.Connection) -> int:
            cutoff = self._clock() - self.retention_seconds
            with _transaction(db):
                deleted = db.execute(
                    "DELETE FROM outbox WHERE received_at < ? AND relayed_at IS NOT NULL",
                    (cutoff,),
                )
                return deleted.rowcount

        return await self._call(prune)

    # Plumbing ----------------------------------------------------------------------------

    async def _rows(self, sql: str, args: tuple[object, ...]) -> list[OutboxRow]:
        return await self._call(
            lambda db: [OutboxRow.from_columns(found) for found in db.execute(sql, args)]
        )

    async def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        return await asyncio.to_thread(self._locked, work)

    def _locked(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        if not self._lock.acquire(timeout=self._timeout):
            raise OutboxUnavailable(f"the outbox {self.path} stayed busy for {self._timeout}s")
        try:
            return work(self._connection())
        except sqlite3.Error as exc:
            raise OutboxUnavailable(f"the outbox {self.path} cannot be used: {exc}") from exc
        finally:
            self._lock.release()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are begun explicitly (``_transaction``), IMMEDIATE so
            # that a writer waits for the lock at BEGIN (up to the timeout), not mid-way.
            db = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(_SCHEMA)
                _add_traceparent_column(db)
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db


def _add_traceparent_column(db: sqlite3.Connection) -> None:
    """An outbox file made before rows kept their trace context gets the column (empty)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "traceparent" not in columns:
        db.execute("ALTER TABLE outbox ADD COLUMN traceparent TEXT")


class _Claim:
    """``SqliteOutbox.claim``'s rows; marking them is the outbox's own ``mark_relayed``."""

    def __init__(self, outbox: SqliteOutbox, rows: list[OutboxRow]) -> None:
        self._outbox, self.rows = outbox, rows

    async def mark_relayed(self, relayed: Iterable[tuple[int, str]]) -> None:
        await self._outbox.mark_relayed(relayed)


def _last_relayed(db: sqlite3.Connection, stream: str) -> tuple[int, str] | None:
    found = db.execute(f"SELECT seq, entry_id {_LAST_RELAYED}", (stream,)).fetchone()
    return None if found is None else (found[0], found[1])


def _admission(
    db: sqlite3.Connection, stream: str, event_id: str, fingerprint: str
) -> Admission | None:
    found = db.execute(
        "SELECT fingerprint FROM outbox WHERE stream = ? AND event_id = ?", (stream, event_id)
    ).fetchone()
    if found is None:
        return None
    return Admission.of_stored(found[0], fingerprint)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any failure, a failed commit included
    (disk full), so that nothing of it is left behind."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise

"""``PostgresOutbox``: the outbox (``events.outbox``) as a table in PostgreSQL, for deployments.

The same table design as ``events.sqlite_outbox`` (a sequence, the stream and event id unique
together, the fingerprint, the event, when it was received, since when it waits, when it was
relayed and as which entry), in a database that outlives any one host and that several wms
replicas share: their intakes record into it, and their relays share it out.

- **Durable before the answer**: ``add`` commits with ``synchronous_commit = on`` (set on every
  connection, whatever the server's default), so the commit is in PostgreSQL's fsynced WAL
  before the intake acknowledges.
- **One admission across replicas**: ``INSERT … ON CONFLICT DO NOTHING`` on the unique
  (stream, event id): two replicas receiving one event at once make one row, the second
  waits for the first's commit and reads its fingerprint (``DUPLICATE`` or ``CONFLICT``).
- **Relays that neither double-send nor block each other**: ``claim`` selects the oldest
  unrelayed rows ``FOR UPDATE SKIP LOCKED`` in a transaction that stays open while the relay
  publishes them and ends with their mark. Another relay skips the rows held and takes the
  next ones; a relay that dies mid-batch lets go with its connection, and the next relay
  publishes those rows again (at least once: consumers are idempotent by event id).
- **A loss is queued again once**: ``requeue`` with ``last`` takes an advisory lock on the
  stream and queues only while ``last`` is still the stream's last relayed row, so two relays
  that saw the same loss do not both queue (and publish) the window again.

Each instance holds two connections: one for the intake's calls and the relay's reads, one
for its relay's claims (held open while a batch is published). A call that cannot get its
connection, or a row lock, within ``timeout_seconds``, or finds the database unreachable,
raises ``OutboxUnavailable``; the connection is opened again on the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from events.ids import StreamId
from events.outbox import Admission, OutboxRow, OutboxStatus, OutboxUnavailable

__all__ = ["DEFAULT_TABLE", "PostgresOutbox", "redacted", "table_name"]

_T = TypeVar("_T")

DEFAULT_TABLE = "wms_intake_outbox"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,47}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {t} (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream TEXT NOT NULL,
    event_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    data BYTEA NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    -- since when the row waits for the relay: received, or queued again after a loss
    pending_since DOUBLE PRECISION,
    relayed_at DOUBLE PRECISION,
    entry_id TEXT,
    traceparent TEXT,
    UNIQUE (stream, event_id)
);
CREATE INDEX IF NOT EXISTS {unrelayed} ON {t} (seq) WHERE relayed_at IS NULL;
CREATE INDEX IF NOT EXISTS {relayed} ON {t} (stream, relayed_at);
CREATE INDEX IF NOT EXISTS {received} ON {t} (received_at);
"""

_ROW = "seq, stream, event_id, data, received_at, relayed_at, entry_id, traceparent"
_LAST_RELAYED = (
    "FROM {t} WHERE stream = %s AND relayed_at IS NOT NULL"
    " ORDER BY relayed_at DESC, seq DESC LIMIT 1"
)
# The streams of the outbox, one index probe each (as in SQLite: a loose index scan).
_STREAMS = """
WITH RECURSIVE streams(name) AS (
    SELECT MIN(stream) FROM {t}
    UNION ALL
    SELECT (SELECT MIN(stream) FROM {t} WHERE stream > name) FROM streams
    WHERE name IS NOT NULL
)
SELECT name FROM streams WHERE name IS NOT NULL
"""


def table_name(namespace: str) -> str:
    """The outbox table of a streams' namespace (the events prefix): ``wms_intake_outbox_``
    and the namespace in lower-case letters, digits and underscores, cut to PostgreSQL's
    identifier length with a digest of the whole when longer."""
    cleaned = re.sub(r"[^a-z0-9]+", "_", namespace.lower()).strip("_") or "events"
    name = f"{DEFAULT_TABLE}_{cleaned}"
    if len(name) > 48:
        digest = hashlib.sha256(namespace.encode()).hexdigest()[:8]
        name = f"{name[:39]}_{digest}"
    return name


def redacted(url: str) -> str:
    """``url`` without its password (in the authority or as a ``password=`` parameter), for
    messages and logs."""
    parts = urlsplit(url)
    query = "&".join(
        p for p in parts.query.split("&") if p and not p.lower().startswith("password=")
    )
    if parts.password is None and query == parts.query:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, query, ""))


class PostgresOutbox:
    """The outbox table ``table`` in the PostgreSQL database at ``url``. ``clock`` gives
    wall-clock seconds (every replica's clock: keep them in step, as the retention and the
    replay window are measured with them)."""

    def __init__(
        self,
        url: str,
        *,
        table: str = DEFAULT_TABLE,
        retention_seconds: float = 7 * 24 * 3600.0,
        timeout_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_seconds <= 0 or timeout_seconds <= 0:
            raise ValueError("retention_seconds and timeout_seconds must be positive")
        if not _IDENTIFIER.fullmatch(table):
            raise ValueError(f"outbox table {table!r}: lower-case letters, digits and _, ≤ 48")
        self.url = url
        self.table = table
        self.retention_seconds = retention_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._t = sql.Identifier(table)
        self._main = _Connection(self)
        self._claims = _Connection(self)
        self._created = False

    def __repr__(self) -> str:
        return f"PostgresOutbox({redacted(self.url)!r}, table={self.table!r})"

    # Lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the table unless it exists. Raises ``OutboxUnavailable``."""
        await self._main.run(lambda conn: _noop())

    async def aclose(self) -> None:
        await self._main.close()
        await self._claims.close()

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
        async def add(conn: psycopg.AsyncConnection[Any]) -> Admission:
            now = self._clock()
            async with conn.transaction():
                inserted = await conn.execute(
                    self._sql(
                        "INSERT INTO {t} (stream, event_id, fingerprint, data, received_at,"
                        " pending_since, traceparent) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (stream, event_id) DO NOTHING RETURNING seq"
                    ),
                    (stream, event_id, fingerprint, data, now, now, traceparent),
                )
                if await inserted.fetchone() is not None:
                    return Admission.NEW
                found = await self._admission(conn, stream, event_id, fingerprint)
                assert found is not None  # the conflicting row is committed: it is seen
                return found

        return await self._main.run(add)

    async def admission(self, stream: str, event_id: str, fingerprint: str) -> Admission | None:
        return await self._main.run(
            lambda conn: self._admission(conn, stream, event_id, fingerprint)
        )

    # The relay's side -------------------------------------------------------------------

    @asynccontextmanager
    async def claim(self, *, limit: int) -> AsyncIterator[_Claim]:
        """The oldest ``limit`` unrelayed rows that no other relay holds, locked (``FOR UPDATE
        SKIP LOCKED``) in a transaction that ``mark_relayed`` commits; left unmarked, the
        transaction is rolled back and the rows are free again."""
        async with self._claims.held() as conn:
            try:
                await conn.execute("BEGIN")
                cursor = await conn.execute(
                    self._sql(
                        f"SELECT {_ROW} FROM {{t}} WHERE relayed_at IS NULL ORDER BY seq"
                        " LIMIT %s FOR UPDATE SKIP LOCKED"
                    ),
                    (limit,),
                )
                rows = [OutboxRow.from_columns(found) for found in await cursor.fetchall()]
            except psycopg.Error as exc:
                await self._claims.failed(conn)
                raise self._unavailable(exc) from exc
            claim = _Claim(self, conn, rows)
            try:
                yield claim
            finally:
                if not claim.ended:
                    await self._claims.rollback(conn)

    async def unrelayed(self, *, limit: int) -> list[OutboxRow]:
        return await self._rows(
            f"SELECT {_ROW} FROM {{t}} WHERE relayed_at IS NULL ORDER BY seq LIMIT %s", (limit,)
        )

    async def mark_relayed(self, relayed: Iterable[tuple[int, str]]) -> None:
        pairs = list(relayed)

        async def mark(conn: psycopg.AsyncConnection[Any]) -> None:
            async with conn.transaction():
                await self._mark(conn, pairs)

        if pairs:
            await self._main.run(mark)

    async def last_relayed(self, *, since: float) -> list[OutboxRow]:
        async def last(conn: psycopg.AsyncConnection[Any]) -> list[OutboxRow]:
            found = []
            streams = await (await conn.execute(self._sql(_STREAMS))).fetchall()
            for (stream,) in streams:
                cursor = await conn.execute(self._sql(f"SELECT {_ROW} {_LAST_RELAYED}"), (stream,))
                row = await cursor.fetchone()
                if row is not None and row[5] >= since:
                    found.append(OutboxRow.from_columns(row))
            return found

        return await self._main.run(last)

    async def requeue(
        self,
        stream: str,
        *,
        since: float,
        after: StreamId | None = None,
        last: OutboxRow | None = None,
    ) -> int:
        async def requeue(conn: psycopg.AsyncConnection[Any]) -> int:
            now = self._clock()
            async with conn.transaction():
                # Requeues of one stream, by any replica, one at a time.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"{self.table}:{stream}",),
                )
                if last is not None:
                    cursor = await conn.execute(
                        self._sql(f"SELECT seq, entry_id {_LAST_RELAYED}"), (stream,)
                    )
                    if await cursor.fetchone() != (last.seq, last.entry_id):
                        return 0  # queued again by another relay since
                cursor = await conn.execute(
                    self._sql(
                        "SELECT seq, entry_id FROM {t} WHERE stream = %s AND relayed_at >= %s"
                    ),
                    (stream, since),
                )
                seqs = [
                    seq
                    for seq, entry_id in await cursor.fetchall()
                    if after is None or entry_id is None or StreamId.parse(entry_id) > after
                ]
                if seqs:
                    await conn.execute(
                        self._sql(
                            "UPDATE {t} SET relayed_at = NULL, entry_id = NULL, pending_since = %s"
                            " WHERE seq = ANY(%s)"
                        ),
                        (now, seqs),
                    )
                return len(seqs)

        return await self._main.run(requeue)

    async def status(self) -> OutboxStatus:
        async def status(conn: psycopg.AsyncConnection[Any]) -> OutboxStatus:
            cursor = await conn.execute(
                self._sql("SELECT COUNT(*), MIN(pending_since) FROM {t} WHERE relayed_at IS NULL")
            )
            found = await cursor.fetchone()
            assert found is not None
            return OutboxStatus(int(found[0]), found[1])

        return await self._main.run(status)

    async def prune(self) -> int:
        async def prune(conn: psycopg.AsyncConnection[Any]) -> int:
            cutoff = self._clock() - self.retention_seconds
            cursor = await conn.execute(
                self._sql("DELETE FROM {t} WHERE received_at < %s AND relayed_at IS NOT NULL"),
                (cutoff,),
            )
            return cursor.rowcount

        return await self._main.run(prune)

    # Plumbing ----------------------------------------------------------------------------

    def _sql(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(t=self._t)

    async def _admission(
        self, conn: psycopg.AsyncConnection[Any], stream: str, event_id: str, fingerprint: str
    ) -> Admission | None:
        cursor = await conn.execute(
            self._sql("SELECT fingerprint FROM {t} WHERE stream = %s AND event_id = %s"),
            (stream, event_id),
        )
        found = await cursor.fetchone()
        if found is None:
            return None
        return Admission.of_stored(found[0], fingerprint)

    async def _mark(self, conn: psycopg.AsyncConnection[Any], pairs: list[tuple[int, str]]) -> None:
        now = self._clock()
        async with conn.cursor() as cursor:
            await cursor.executemany(
                self._sql(
                    "UPDATE {t} SET relayed_at = %s, entry_id = %s, pending_since = NULL"
                    " WHERE seq = %s"
                ),
                [(now, entry_id, seq) for seq, entry_id in pairs],
            )

    async def _rows(self, query: str, args: tuple[object, ...]) -> list[OutboxRow]:
        async def rows(conn: psycopg.AsyncConnection[Any]) -> list[OutboxRow]:
            cursor = await conn.execute(self._sql(query), args)
            return [OutboxRow.from_columns(found) for found in await cursor.fetchall()]

        return await self._main.run(rows)

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        try:
            conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=max(2, round(self._timeout))
                ),
                self._timeout,
            )
        except (psycopg.Error, OSError, TimeoutError) as exc:
            raise OutboxUnavailable(
                f"the outbox {self.table} at {redacted(self.url)} cannot be reached: {exc}"
            ) from exc
        try:
            # The guarantee: a commit is fsynced before the intake answers. A row lock (a
            # claim's, a table lock) waited for beyond the timeout fails the call.
            await conn.execute("SET synchronous_commit = on")
            await conn.execute(f"SET lock_timeout = {int(self._timeout * 1000)}")
            if not self._created:
                async with conn.transaction():
                    # Replicas starting together must not race each other's CREATE.
                    await conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                        (f"create {self.table}",),
                    )
                    await conn.execute(
                        sql.SQL(_SCHEMA).format(
                            t=self._t,
                            unrelayed=sql.Identifier(f"{self.table}_unrelayed"),
                            relayed=sql.Identifier(f"{self.table}_relayed"),
                            received=sql.Identifier(f"{self.table}_received"),
                        )
                    )
                    await self._add_traceparent_column(conn)
                self._created = True
        except psycopg.Error as exc:
            await conn.close()
            raise self._unavailable(exc) from exc
        return conn

    async def _add_traceparent_column(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """A table made before rows kept their trace context gets the column (empty). Looked
        up first: ``ALTER TABLE`` takes the table's strongest lock even when it changes
        nothing, and would wait for every claim in flight."""
        found = await conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s AND column_name = 'traceparent'",
            (self.table,),
        )
        if await found.fetchone() is None:
            await conn.execute(self._sql("ALTER TABLE {t} ADD COLUMN traceparent TEXT"))

    def _unavailable(self, exc: BaseException) -> OutboxUnavailable:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            message = f"locked: {message}"
        return OutboxUnavailable(
            f"the outbox {self.table} at {redacted(self.url)} cannot be used: {message}"
        )


class _Connection:
    """One connection of a ``PostgresOutbox``, used by one call at a time, opened when first
    needed and again after it broke."""

    def __init__(self, outbox: PostgresOutbox) -> None:
        self._outbox = outbox
        self._lock = asyncio.Lock()
        self._conn: psycopg.AsyncConnection[Any] | None = None

    @asynccontextmanager
    async def held(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        timeout = self._outbox._timeout
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout)
        except TimeoutError:
            raise OutboxUnavailable(
                f"the outbox {self._outbox.table} stayed busy for {timeout}s"
            ) from None
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = await self._outbox._connect()
            yield self._conn
        finally:
            self._lock.release()

    async def run(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]]) -> _T:
        async with self.held() as conn:
            try:
                return await work(conn)
            except psycopg.Error as exc:
                await self.failed(conn)
                raise self._outbox._unavailable(exc) from exc

    async def failed(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """After an error: a broken connection is dropped, a transaction left open ended."""
        if conn.broken or conn.closed:
            self._conn = None
            with contextlib.suppress(psycopg.Error):
                await conn.close()
            return
        await self.rollback(conn)

    async def rollback(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return
        try:
            await conn.execute("ROLLBACK")
        except psycopg.Error:
            self._conn = None
            with contextlib.suppress(psycopg.Error):
                await conn.close()

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    await conn.close()


class _Claim:
    """Rows a ``PostgresOutbox.claim`` holds locked until ``mark_relayed`` commits."""

    def __init__(
        self, outbox: PostgresOutbox, conn: psycopg.AsyncConnection[Any], rows: list[OutboxRow]
    ) -> None:
        self._outbox, self._conn, self.rows = outbox, conn, rows
        self.ended = False

    async def mark_relayed(self, relayed: Iterable[tuple[int, str]]) -> None:
        pairs = list(relayed)
        if self.ended:
            raise RuntimeError("this claim was marked already")
        self.ended = True
        try:
            if pairs:
                await self._outbox._mark(self._conn, pairs)
            await self._conn.execute("COMMIT")
        except psycopg.Error as exc:
            await self._outbox._claims.failed(self._conn)
            raise self._outbox._unavailable(exc) from exc


async def _noop() -> None:
    return None

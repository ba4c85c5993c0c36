"""The ``Outbox`` contract, over each real backend (a SQLite file; a table in the real
PostgreSQL): what it admits, what survives closing it, what it prunes, what a relay claims,
and that a write it cannot make leaves nothing behind."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from events.ids import StreamId
from events.outbox import Admission, OutboxUnavailable
from events.postgres_outbox import PostgresOutbox, redacted
from events.sqlite_outbox import SqliteOutbox
from tests.events.conftest import OpenOutbox

STREAM = "fulfillment-milestones"


class Clock:
    """Wall-clock seconds that a test moves."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "outbox.sqlite3"


async def test_an_event_is_new_once_then_a_duplicate_or_a_conflict(
    open_outbox: OpenOutbox,
) -> None:
    outbox = open_outbox()
    try:
        assert await outbox.add(STREAM, "e1", "fp-a", b"one") is Admission.NEW
        assert await outbox.add(STREAM, "e1", "fp-a", b"one") is Admission.DUPLICATE
        assert await outbox.add(STREAM, "e1", "fp-b", b"other") is Admission.CONFLICT
        assert await outbox.admission(STREAM, "e1", "fp-a") is Admission.DUPLICATE
        assert await outbox.admission(STREAM, "e2", "fp-a") is None
        # The same id on another stream is another event.
        assert await outbox.add("other-stream", "e1", "fp-b", b"x") is Admission.NEW
        rows = await outbox.unrelayed(limit=10)
        assert [(r.stream, r.event_id, r.data) for r in rows] == [
            (STREAM, "e1", b"one"),
            ("other-stream", "e1", b"x"),
        ]
    finally:
        await outbox.aclose()


async def test_what_was_added_is_there_after_the_outbox_is_opened_again(
    open_outbox: OpenOutbox,
) -> None:
    first = open_outbox()
    await first.add(STREAM, "e1", "fp", b"one")
    await first.add(STREAM, "e2", "fp", b"two")
    await first.aclose()
    again = open_outbox()
    try:
        assert [r.event_id for r in await again.unrelayed(limit=10)] == ["e1", "e2"]
        assert await again.add(STREAM, "e1", "fp", b"one") is Admission.DUPLICATE
    finally:
        await again.aclose()


async def test_a_row_keeps_the_traceparent_it_was_added_with(open_outbox: OpenOutbox) -> None:
    traced = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    outbox = open_outbox()
    try:
        await outbox.add(STREAM, "e1", "fp", b"one", traceparent=traced)
        await outbox.add(STREAM, "e2", "fp", b"two")
        rows = await outbox.unrelayed(limit=10)
        assert [(r.event_id, r.traceparent) for r in rows] == [("e1", traced), ("e2", None)]
        async with outbox.claim(limit=10) as claim:
            assert [r.traceparent for r in claim.rows] == [traced, None]
    finally:
        await outbox.aclose()


async def test_a_sqlite_outbox_from_before_traceparents_gets_the_column(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL,
                event_id TEXT NOT NULL, fingerprint TEXT NOT NULL, data BLOB NOT NULL,
                received_at REAL NOT NULL, pending_since REAL, relayed_at REAL, entry_id TEXT,
                UNIQUE (stream, event_id)
            );
            INSERT INTO outbox (stream, event_id, fingerprint, data, received_at, pending_since)
            VALUES ('fulfillment-milestones', 'old', 'fp', x'6f6c64', 1.0, 1.0);
            """
        )
    db.close()
    outbox = SqliteOutbox(path)
    try:
        await outbox.add(
            STREAM, "new", "fp", b"new", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01"
        )
        rows = await outbox.unrelayed(limit=10)
        assert [(r.event_id, r.traceparent is None) for r in rows] == [
            ("old", True),
            ("new", False),
        ]
    finally:
        await outbox.aclose()


async def test_a_postgres_outbox_from_before_traceparents_gets_the_column(
    postgres_url: str, postgres_table: str
) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute(
            sql.SQL(
                "CREATE TABLE {} (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " stream TEXT NOT NULL, event_id TEXT NOT NULL, fingerprint TEXT NOT NULL,"
                " data BYTEA NOT NULL, received_at DOUBLE PRECISION NOT NULL,"
                " pending_since DOUBLE PRECISION, relayed_at DOUBLE PRECISION, entry_id TEXT,"
                " UNIQUE (stream, event_id))"
            ).format(sql.Identifier(postgres_table))
        )
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (stream, event_id, fingerprint, data, received_at, pending_since)"
                " VALUES (%s, 'old', 'fp', 'old', 1.0, 1.0)"
            ).format(sql.Identifier(postgres_table)),
            (STREAM,),
        )
    outbox = PostgresOutbox(postgres_url, table=postgres_table)
    try:
        traced = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
        await outbox.add(STREAM, "new", "fp", b"new", traceparent=traced)
        rows = await outbox.unrelayed(limit=10)
        assert [(r.event_id, r.traceparent) for r in rows] == [("old", None), ("new", traced)]
    finally:
        await outbox.aclose()


async def test_the_sqlite_file_is_in_wal_mode(path: Path) -> None:
    outbox = SqliteOutbox(path)
    await outbox.add(STREAM, "e1", "fp", b"one")
    await outbox.aclose()
    assert path.exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_postgres_commits_are_synchronous_whatever_the_server_default(
    postgres_url: str, postgres_table: str
) -> None:
    outbox = PostgresOutbox(postgres_url, table=postgres_table)
    try:
        await outbox.add(STREAM, "e1", "fp", b"one")
        setting = await outbox._main.run(lambda conn: _fetch_one(conn, "SHOW synchronous_commit"))
        assert setting == ("on",)
    finally:
        await outbox.aclose()


async def _fetch_one(conn: psycopg.AsyncConnection[Any], query: str) -> Any:
    return await (await conn.execute(query)).fetchone()


async def test_concurrent_deliveries_of_one_event_make_one_row(open_outbox: OpenOutbox) -> None:
    outbox = open_outbox()
    try:
        answers = await asyncio.gather(
            *(outbox.add(STREAM, "same", "fp", b"body") for _ in range(20))
        )
        assert answers.count(Admission.NEW) == 1
        assert answers.count(Admission.DUPLICATE) == 19
        assert len(await outbox.unrelayed(limit=100)) == 1
    finally:
        await outbox.aclose()


async def test_relayed_rows_leave_the_queue_and_a_loss_queues_them_again(
    open_outbox: OpenOutbox,
) -> None:
    clock = Clock()
    outbox = open_outbox(clock=clock)
    try:
        for n in range(1, 5):
            await outbox.add(STREAM, f"e{n}", "fp", b"x")
        rows = await outbox.unrelayed(limit=10)
        await outbox.mark_relayed((row.seq, f"{1000 + row.seq}-0") for row in rows)
        assert (await outbox.status()).unrelayed == 0
        [last] = await outbox.last_relayed(since=clock.now - 60)
        assert (last.event_id, last.entry_id) == ("e4", f"{1000 + last.seq}-0")
        # The stream still holds the first two entries: only the later ones are queued again.
        kept = StreamId.parse(f"{1000 + rows[1].seq}-0")
        clock.now += 5
        assert await outbox.requeue(STREAM, since=clock.now - 60, after=kept) == 2
        status = await outbox.status()
        assert (status.unrelayed, status.oldest_pending_since) == (2, clock.now)
        assert [r.event_id for r in await outbox.unrelayed(limit=10)] == ["e3", "e4"]
        # Relayed before the window: not queued again.
        assert await outbox.requeue(STREAM, since=clock.now + 1) == 0
    finally:
        await outbox.aclose()


async def test_pruning_forgets_relayed_rows_past_the_retention_never_unrelayed_ones(
    open_outbox: OpenOutbox,
) -> None:
    clock = Clock()
    outbox = open_outbox(retention_seconds=100, clock=clock)
    try:
        await outbox.add(STREAM, "relayed", "fp", b"x")
        await outbox.add(STREAM, "waiting", "fp", b"x")
        [relayed, _] = await outbox.unrelayed(limit=10)
        await outbox.mark_relayed([(relayed.seq, "1-0")])
        clock.now += 99
        assert await outbox.prune() == 0
        clock.now += 2
        assert await outbox.prune() == 1
        # Forgotten: the id is new again. The unrelayed row stays, whatever its age.
        assert await outbox.add(STREAM, "relayed", "fp", b"x") is Admission.NEW
        assert await outbox.add(STREAM, "waiting", "fp", b"x") is Admission.DUPLICATE
    finally:
        await outbox.aclose()


async def test_a_sqlite_write_locked_out_beyond_the_timeout_fails_and_records_nothing(
    path: Path,
) -> None:
    outbox = SqliteOutbox(path, timeout_seconds=0.2)
    await outbox.open()
    # Another process holds the write lock (a second replica, a backup tool).
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OutboxUnavailable, match="locked"):
            await outbox.add(STREAM, "e1", "fp", b"x")
        other.execute("ROLLBACK")
        assert await outbox.unrelayed(limit=10) == []
        assert await outbox.add(STREAM, "e1", "fp", b"x") is Admission.NEW
    finally:
        other.close()
        await outbox.aclose()


async def test_a_full_disk_fails_the_write_and_records_nothing(path: Path) -> None:
    outbox = SqliteOutbox(path)
    await outbox.add(STREAM, "small", "fp", b"x")
    await outbox.aclose()
    # SQLite's own cap on the file's size: the same SQLITE_FULL a full disk gives.
    with sqlite3.connect(path) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    outbox = SqliteOutbox(path)
    try:
        await outbox._call(lambda db: db.execute(f"PRAGMA max_page_count={pages}"))
        with pytest.raises(OutboxUnavailable, match="full"):
            await outbox.add(STREAM, "big", "fp", b"x" * 200_000)
        assert [r.event_id for r in await outbox.unrelayed(limit=10)] == ["small"]
        assert await outbox.admission(STREAM, "big", "fp") is None
    finally:
        await outbox.aclose()


def test_a_retention_or_timeout_must_be_positive(open_outbox: OpenOutbox) -> None:
    with pytest.raises(ValueError):
        open_outbox(retention_seconds=0)
    with pytest.raises(ValueError):
        open_outbox(timeout_seconds=0)


async def test_a_requeue_for_a_loss_another_relay_requeued_first_queues_nothing(
    open_outbox: OpenOutbox,
) -> None:
    clock = Clock()
    outbox = open_outbox(clock=clock)
    try:
        for n in range(1, 4):
            await outbox.add(STREAM, f"e{n}", "fp", b"x")
        rows = await outbox.unrelayed(limit=10)
        await outbox.mark_relayed((row.seq, f"{1000 + row.seq}-0") for row in rows)
        # Two relays both saw the stream lose everything, with the same last row.
        [last] = await outbox.last_relayed(since=clock.now - 60)
        assert await outbox.requeue(STREAM, since=clock.now - 60, last=last) == 3
        # The first has relayed them again already, as new entries.
        again = await outbox.unrelayed(limit=10)
        await outbox.mark_relayed((row.seq, f"{2000 + row.seq}-0") for row in again)
        assert await outbox.requeue(STREAM, since=clock.now - 60, last=last) == 0
        assert (await outbox.status()).unrelayed == 0
    finally:
        await outbox.aclose()


async def test_a_claim_marked_leaves_the_queue_and_one_left_unmarked_gives_its_rows_back(
    open_outbox: OpenOutbox,
) -> None:
    outbox = open_outbox()
    try:
        for n in range(1, 4):
            await outbox.add(STREAM, f"e{n}", "fp", b"x")
        async with outbox.claim(limit=2) as claim:
            assert [r.event_id for r in claim.rows] == ["e1", "e2"]
            await claim.mark_relayed((row.seq, f"{row.seq}-0") for row in claim.rows)
        with pytest.raises(RuntimeError, match="the relay died"):
            async with outbox.claim(limit=2) as claim:
                assert [r.event_id for r in claim.rows] == ["e3"]
                raise RuntimeError("the relay died before marking")
        async with outbox.claim(limit=2) as claim:
            assert [r.event_id for r in claim.rows] == ["e3"]
    finally:
        await outbox.aclose()


async def test_postgres_claims_of_two_relays_never_share_a_row_nor_wait_for_each_other(
    postgres_url: str, postgres_table: str
) -> None:
    first = PostgresOutbox(postgres_url, table=postgres_table, timeout_seconds=1.0)
    second = PostgresOutbox(postgres_url, table=postgres_table, timeout_seconds=1.0)
    try:
        for n in range(1, 6):
            await first.add(STREAM, f"e{n}", "fp", b"x")
        async with first.claim(limit=2) as held:
            assert [r.event_id for r in held.rows] == ["e1", "e2"]
            # While the first publishes its rows, the second gets the next ones at once.
            async with second.claim(limit=10) as other:
                assert [r.event_id for r in other.rows] == ["e3", "e4", "e5"]
                await other.mark_relayed((row.seq, f"{row.seq}-0") for row in other.rows)
            async with second.claim(limit=10) as nothing:
                assert nothing.rows == []
            await held.mark_relayed((row.seq, f"{row.seq}-0") for row in held.rows)
        assert (await second.status()).unrelayed == 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_postgres_write_locked_out_beyond_the_timeout_fails_and_records_nothing(
    postgres_url: str, postgres_table: str
) -> None:
    outbox = PostgresOutbox(postgres_url, table=postgres_table, timeout_seconds=0.3)
    await outbox.open()
    # Another session holds the table (a migration, a backup tool taking a lock).
    other = await psycopg.AsyncConnection.connect(postgres_url)
    try:
        await other.execute(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.Identifier(postgres_table))
        )
        with pytest.raises(OutboxUnavailable, match="locked"):
            await outbox.add(STREAM, "e1", "fp", b"x")
        await other.rollback()
        assert await outbox.unrelayed(limit=10) == []
        assert await outbox.add(STREAM, "e1", "fp", b"x") is Admission.NEW
    finally:
        await other.close()
        await outbox.aclose()


async def test_a_postgres_that_cannot_be_reached_is_unavailable_without_its_password() -> None:
    outbox = PostgresOutbox(
        "postgresql://crossdock:s3cret@127.0.0.1:1/nowhere", timeout_seconds=0.5
    )
    with pytest.raises(OutboxUnavailable, match="cannot be reached") as caught:
        await outbox.add(STREAM, "e1", "fp", b"x")
    assert "s3cret" not in str(caught.value)
    await outbox.aclose()


async def test_a_postgres_outbox_comes_back_after_its_connection_broke(
    postgres_url: str, postgres_table: str
) -> None:
    outbox = PostgresOutbox(postgres_url, table=postgres_table)
    try:
        await outbox.add(STREAM, "e1", "fp", b"x")
        # The server ends the session (a restart, a failover, an idle timeout).
        pid = await outbox._main.run(lambda conn: _fetch_one(conn, "SELECT pg_backend_pid()"))
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid[0],))
        with pytest.raises(OutboxUnavailable):
            await outbox.add(STREAM, "e2", "fp", b"x")
        assert await outbox.add(STREAM, "e2", "fp", b"x") is Admission.NEW
    finally:
        await outbox.aclose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@db:5432/x", "postgresql://u@db:5432/x"),
        ("postgresql://u@db/x?password=pw&sslmode=require", "postgresql://u@db/x?sslmode=require"),
        ("postgresql://u:pw@[::1]/x", "postgresql://u@[::1]/x"),
        ("postgresql://db/x", "postgresql://db/x"),
    ],
)
def test_a_postgres_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redacted(url) == shown


async def test_replicas_receiving_one_event_at_once_make_one_row_in_postgres(
    postgres_url: str, postgres_table: str
) -> None:
    """Each replica its own connection: the unique (stream, event id) decides, not a lock of
    one process."""
    replicas = [PostgresOutbox(postgres_url, table=postgres_table) for _ in range(8)]
    try:
        await replicas[0].open()
        answers = await asyncio.gather(
            *(replica.add(STREAM, "same", "fp", b"body") for replica in replicas)
        )
        assert answers.count(Admission.NEW) == 1
        assert answers.count(Admission.DUPLICATE) == 7
        others = await asyncio.gather(
            *(replica.add(STREAM, "same", "other", b"x") for replica in replicas)
        )
        assert others == [Admission.CONFLICT] * 8
        assert len(await replicas[0].unrelayed(limit=100)) == 1
    finally:
        for replica in replicas:
            await replica.aclose()

"""``Outbox`` over a real SQLite file: what it admits, what survives closing it, what it prunes,
and that a write it cannot make leaves nothing behind."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from events.ids import StreamId
from events.outbox import Admission, Outbox, OutboxUnavailable

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


async def test_an_event_is_new_once_then_a_duplicate_or_a_conflict(path: Path) -> None:
    outbox = Outbox(path)
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


async def test_what_was_added_is_there_after_the_file_is_opened_again(path: Path) -> None:
    first = Outbox(path)
    await first.add(STREAM, "e1", "fp", b"one")
    await first.add(STREAM, "e2", "fp", b"two")
    await first.aclose()
    again = Outbox(path)
    try:
        assert [r.event_id for r in await again.unrelayed(limit=10)] == ["e1", "e2"]
        assert await again.add(STREAM, "e1", "fp", b"one") is Admission.DUPLICATE
    finally:
        await again.aclose()
    assert path.exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_concurrent_deliveries_of_one_event_make_one_row(path: Path) -> None:
    outbox = Outbox(path)
    try:
        answers = await asyncio.gather(
            *(outbox.add(STREAM, "same", "fp", b"body") for _ in range(20))
        )
        assert answers.count(Admission.NEW) == 1
        assert answers.count(Admission.DUPLICATE) == 19
        assert len(await outbox.unrelayed(limit=100)) == 1
    finally:
        await outbox.aclose()


async def test_relayed_rows_leave_the_queue_and_a_loss_queues_them_again(path: Path) -> None:
    clock = Clock()
    outbox = Outbox(path, clock=clock)
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
    path: Path,
) -> None:
    clock = Clock()
    outbox = Outbox(path, retention_seconds=100, clock=clock)
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


async def test_a_write_locked_out_beyond_the_timeout_fails_and_records_nothing(
    path: Path,
) -> None:
    outbox = Outbox(path, timeout_seconds=0.2)
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
    outbox = Outbox(path)
    await outbox.add(STREAM, "small", "fp", b"x")
    await outbox.aclose()
    # SQLite's own cap on the file's size: the same SQLITE_FULL a full disk gives.
    with sqlite3.connect(path) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    outbox = Outbox(path)
    try:
        await outbox._call(lambda db: db.execute(f"PRAGMA max_page_count={pages}"))
        with pytest.raises(OutboxUnavailable, match="full"):
            await outbox.add(STREAM, "big", "fp", b"x" * 200_000)
        assert [r.event_id for r in await outbox.unrelayed(limit=10)] == ["small"]
        assert await outbox.admission(STREAM, "big", "fp") is None
    finally:
        await outbox.aclose()


def test_a_retention_or_timeout_must_be_positive(path: Path) -> None:
    with pytest.raises(ValueError):
        Outbox(path, retention_seconds=0)
    with pytest.raises(ValueError):
        Outbox(path, timeout_seconds=0)

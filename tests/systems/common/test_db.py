"""Database: reads, transactions that roll back, writers from many threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from systems.common import Database, DatabaseMissing, placeholders


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "test.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter VALUES ('hits', 0), ('misses', 5)")
    conn.close()
    database = Database.open(path)
    yield database
    database.close()


def test_open_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite3"
    with pytest.raises(DatabaseMissing, match="seed"):
        Database.open(path)
    assert not path.exists()


def test_wal_and_row_access(db: Database) -> None:
    assert db.fetch_value("PRAGMA journal_mode") == "wal"
    rows = db.fetch_all("SELECT name, value FROM counter ORDER BY name")
    assert [(row["name"], row["value"]) for row in rows] == [("hits", 0), ("misses", 5)]
    row = db.fetch_one("SELECT value FROM counter WHERE name = :name", {"name": "misses"})
    assert row is not None and row["value"] == 5
    assert db.fetch_one("SELECT value FROM counter WHERE name = ?", ("nope",)) is None
    assert db.fetch_value("SELECT value FROM counter WHERE name = ?", ["nope"]) is None
    names = ["hits", "misses", "other"]
    in_clause = f"SELECT count(*) FROM counter WHERE name IN ({placeholders(len(names))})"
    assert db.fetch_value(in_clause, names) == 2


def test_placeholders() -> None:
    assert placeholders(1) == "?"
    assert placeholders(3) == "?,?,?"
    with pytest.raises(ValueError):
        placeholders(0)


def test_commit(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE counter SET value = 1 WHERE name = 'hits'")
    assert db.fetch_value("SELECT value FROM counter WHERE name = 'hits'") == 1


def test_rollback_on_exception(db: Database) -> None:
    with pytest.raises(ValueError, match="boom"), db.transaction() as conn:
        conn.execute("UPDATE counter SET value = 99 WHERE name = 'hits'")
        conn.execute("INSERT INTO counter VALUES ('new', 1)")
        raise ValueError("boom")
    assert db.fetch_value("SELECT value FROM counter WHERE name = 'hits'") == 0
    assert db.fetch_value("SELECT count(*) FROM counter") == 2
    # The connection is usable afterwards.
    with db.transaction() as conn:
        conn.execute("INSERT INTO counter VALUES ('new', 1)")
    assert db.fetch_value("SELECT count(*) FROM counter") == 3


def test_rollback_on_failed_statement(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
        conn.execute("UPDATE counter SET value = 7 WHERE name = 'misses'")
        conn.execute("INSERT INTO counter VALUES ('hits', 1)")
    assert db.fetch_value("SELECT value FROM counter WHERE name = 'misses'") == 5


def test_reads_see_own_writes_but_others_see_committed_data_only(db: Database) -> None:
    seen_elsewhere: list[object] = []
    sql = "SELECT value FROM counter WHERE name = 'hits'"
    with db.transaction() as conn:
        conn.execute("UPDATE counter SET value = 42 WHERE name = 'hits'")
        assert db.fetch_value(sql) == 42
        reader = threading.Thread(target=lambda: seen_elsewhere.append(db.fetch_value(sql)))
        reader.start()
        reader.join(timeout=10)
    assert seen_elsewhere == [0]
    assert db.fetch_value(sql) == 42


def test_fetch_does_not_write(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.fetch_all("UPDATE counter SET value = 1")


def test_nested_transaction_is_refused(db: Database) -> None:
    with db.transaction(), pytest.raises(RuntimeError, match="nested"), db.transaction():
        pass  # pragma: no cover


def test_concurrent_writers_do_not_lose_updates(db: Database) -> None:
    threads, rounds = 8, 50

    def increment(_: int) -> None:
        for _ in range(rounds):
            with db.transaction() as conn:
                # Read-modify-write: loses updates unless transactions are serialized.
                value = conn.execute("SELECT value FROM counter WHERE name = 'hits'").fetchone()[0]
                conn.execute("UPDATE counter SET value = ? WHERE name = 'hits'", (value + 1,))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(increment, range(threads)))
    assert db.fetch_value("SELECT value FROM counter WHERE name = 'hits'") == threads * rounds


def test_other_processes_are_waited_for(db: Database) -> None:
    # Seeding or a second server may hold the write lock for a moment: wait, do not fail.
    assert db.fetch_value("PRAGMA busy_timeout") == 5000
    with db.transaction() as conn:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_closed(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    sqlite3.connect(path).close()
    db = Database.open(path)
    db.fetch_value("SELECT 1")
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        db.fetch_value("SELECT 1")
    with pytest.raises(sqlite3.ProgrammingError), db.transaction():
        pass  # pragma: no cover

"""``SqliteMonitoringStore``: the monitoring's state in a SQLite file in the data dir.

The embedded default (no ``REDIS_URL``): every process of ``crossdock up`` on one machine opens
the same file, so the orders subgraph's outcomes and the wms subgraph's milestones meet there,
and it outlives a restart. Each call runs on a worker thread under one lock per store; a write
is one ``BEGIN IMMEDIATE`` transaction (WAL), so two processes recording at once serialize and
the event id is claimed in the transaction that applies it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from monitoring._codec import dump_state, load_state
from monitoring.projection import project
from monitoring.records import Fact, FactKind, Measure, OrderState, Sample
from monitoring.risk import due_at
from monitoring.settings import MonitoringSettings
from monitoring.store import StoredOrder

__all__ = ["SqliteMonitoringStore"]

_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_at ON seen (at);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    state BLOB NOT NULL,
    open INTEGER NOT NULL,
    due REAL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_due ON orders (due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_open ON orders (open, updated);
CREATE TABLE IF NOT EXISTS samples (
    event_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    label TEXT NOT NULL,
    at REAL NOT NULL,
    value REAL NOT NULL,
    center TEXT,
    reason TEXT,
    order_id TEXT
);
CREATE INDEX IF NOT EXISTS samples_measure_at ON samples (measure, at);
"""


def _row(event_id: str, s: Sample) -> tuple[object, ...]:
    return (event_id, s.measure.value, s.label, s.at, s.value, s.center_id, s.reason, s.order_id)


class SqliteMonitoringStore:
    """The store in the SQLite file ``path`` (``":memory:"`` for tests), indexing open orders
    by ``policy``; ``clock`` gives wall-clock seconds (when a row was last written)."""

    def __init__(
        self,
        path: Path | str,
        policy: MonitoringSettings,
        *,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._policy, self._clock = policy, clock
        self._db = sqlite3.connect(
            str(path), timeout=timeout_seconds, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    async def _run(self, work: Callable[[], _T]) -> _T:
        def locked() -> _T:
            with self._lock:
                return work()

        return await asyncio.to_thread(locked)

    async def record(self, fact: Fact) -> bool:
        return await self._run(lambda: self._record(fact))

    def _record(self, fact: Fact) -> bool:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            claimed = db.execute(
                "INSERT OR IGNORE INTO seen (event_id, at) VALUES (?, ?)",
                (fact.event_id, fact.at),
            ).rowcount
            if not claimed:
                db.execute("ROLLBACK")
                return False
            before = None
            if fact.kind is not FactKind.STATUS_DELIVERED:
                row = db.execute(
                    "SELECT state FROM orders WHERE order_id = ?", (fact.order_id,)
                ).fetchone()
                before = None if row is None else load_state(row[0])
            state, samples = project(before, fact)
            if state is not None and fact.kind is not FactKind.STATUS_DELIVERED:
                db.execute(
                    "INSERT OR REPLACE INTO orders (order_id, state, open, due, updated)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        state.order_id,
                        dump_state(state),
                        int(state.open),
                        due_at(state, self._policy),
                        self._clock(),
                    ),
                )
            db.executemany(
                "INSERT INTO samples (event_id, measure, label, at, value, center, reason,"
                " order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(fact.event_id, s) for s in samples],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return True

    async def order(self, order_id: str) -> OrderState | None:
        def read() -> OrderState | None:
            row = self._db.execute(
                "SELECT state FROM orders WHERE order_id = ?", (order_id,)
            ).fetchone()
            return None if row is None else load_state(row[0])

        return await self._run(read)

    async def due(self, now: float, limit: int) -> list[StoredOrder]:
        def read() -> list[StoredOrder]:
            rows = self._db.execute(
                "SELECT state, due FROM orders WHERE due IS NOT NULL AND due <= ?"
                " ORDER BY due LIMIT ?",
                (now, limit),
            ).fetchall()
            return [StoredOrder(load_state(state), due) for state, due in rows]

        return await self._run(read)

    async def due_count(self, now: float) -> int:
        def read() -> int:
            sql = "SELECT COUNT(*) FROM orders WHERE due IS NOT NULL AND due <= ?"
            return int(self._db.execute(sql, (now,)).fetchone()[0])

        return await self._run(read)

    async def open_count(self) -> int:
        def read() -> int:
            sql = "SELECT COUNT(*) FROM orders WHERE open = 1"
            return int(self._db.execute(sql).fetchone()[0])

        return await self._run(read)

    async def samples(self, measure: Measure, since: float, until: float) -> list[Sample]:
        def read() -> list[Sample]:
            rows = self._db.execute(
                "SELECT label, at, value, center, reason, order_id FROM samples"
                " WHERE measure = ? AND at >= ? AND at <= ? ORDER BY at",
                (measure.value, since, until),
            ).fetchall()
            return [
                Sample(measure, label, at, value, center_id=c, reason=r, order_id=o)
                for label, at, value, c, r, o in rows
            ]

        return await self._run(read)

    async def prune(self, before: float) -> None:
        def prune() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM samples WHERE at < ?", (before,))
                db.execute("DELETE FROM seen WHERE at < ?", (before,))
                db.execute("DELETE FROM orders WHERE open = 0 AND updated < ?", (before,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(prune)

    async def reindex(self) -> int:
        """Recompute every open order's risk moment with this store's policy (the thresholds
        may have changed since it was written); how many were open."""

        def reindex() -> int:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute("SELECT state FROM orders WHERE open = 1").fetchall()
                states = [load_state(row[0]) for row in rows]
                db.executemany(
                    "UPDATE orders SET due = ? WHERE order_id = ?",
                    [(due_at(s, self._policy), s.order_id) for s in states],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return len(states)

        return await self._run(reindex)

    async def aclose(self) -> None:
        await self._run(self._db.close)

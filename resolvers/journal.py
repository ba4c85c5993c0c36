"""The workflow journal: each workflow's state after every step, so a restart can finish it.

One small Protocol with two implementations: a SQLite file in the data dir (the embedded
default) and Redis (when several orders replicas share the work). A workflow has one writer
at a time, so saving is a plain upsert of its whole state.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cache.base import CacheUnavailable
from resolvers.authority import actor_from_json, actor_json
from schema.actor import SYSTEM, Actor

__all__ = [
    "JOURNAL_FILE",
    "STATE_UNAVAILABLE",
    "RedisJournal",
    "SqliteJournal",
    "WorkflowJournal",
    "WorkflowState",
    "WorkflowStatus",
    "create_journal",
]

WorkflowStatus = Literal["RUNNING", "COMPLETED", "COMPENSATED", "FAILED"]

STATE_UNAVAILABLE: tuple[type[Exception], ...] = (
    CacheUnavailable,
    RedisConnectionError,
    RedisTimeoutError,
)
"""What the journal, the idempotency records and the leases raise when Redis, where they
live with ``REDIS_URL``, cannot be reached (killed, restarting, loading its file)."""


@dataclass(frozen=True, slots=True)
class WorkflowState:
    """Where one workflow is: the steps it finished and what they produced (``data``),
    and who started it (``actor``): recovery carries it forward in that name."""

    id: str
    kind: str
    request: dict[str, Any]
    idempotency_key: str | None = None
    fingerprint: str | None = None
    status: WorkflowStatus = "RUNNING"
    steps: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    updated_at: str = ""
    actor: Actor = SYSTEM

    @property
    def order_id(self) -> str | None:
        """The ERP order the workflow is about, once known."""
        found = self.data.get("orderId") or self.request.get("orderId")
        return str(found) if found else None

    def done(self, step: str) -> bool:
        return step in self.steps

    def after(self, step: str, **data: Any) -> WorkflowState:
        """This state with ``step`` finished and ``data`` merged in."""
        steps = self.steps if step in self.steps else (*self.steps, step)
        return replace(self, steps=steps, data={**self.data, **data})

    def finished(self, status: WorkflowStatus, result: dict[str, Any] | None) -> WorkflowState:
        return replace(self, status=status, result=result)

    def dumps(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "kind": self.kind,
                "request": self.request,
                "idempotencyKey": self.idempotency_key,
                "fingerprint": self.fingerprint,
                "status": self.status,
                "steps": list(self.steps),
                "data": self.data,
                "result": self.result,
                "updatedAt": datetime.now(UTC).isoformat(),
                "actor": actor_json(self.actor),
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> WorkflowState:
        data = orjson.loads(raw)
        return cls(
            id=data["id"],
            kind=data["kind"],
            request=data["request"],
            idempotency_key=data["idempotencyKey"],
            fingerprint=data["fingerprint"],
            status=data["status"],
            steps=tuple(data["steps"]),
            data=data["data"],
            result=data["result"],
            updated_at=data["updatedAt"],
            actor=actor_from_json(data.get("actor")),
        )


class WorkflowJournal(Protocol):
    async def save(self, state: WorkflowState) -> None:
        """Record ``state`` (replacing the workflow's previous one)."""
        ...

    async def load(self, workflow_id: str) -> WorkflowState | None: ...

    async def unfinished(self) -> list[WorkflowState]:
        """Every workflow still RUNNING, oldest first."""
        ...

    async def of_order(self, order_id: str) -> list[WorkflowState]:
        """Every workflow about the ERP order ``order_id`` (its ``orderId``)."""
        ...

    async def of_key(self, kind: str, key: str) -> WorkflowState | None:
        """The latest ``kind`` workflow started under idempotency key ``key``, if any."""
        ...

    async def aclose(self) -> None: ...


class SqliteJournal:
    """The journal in one SQLite file; calls run in a thread, serialized by a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # Survives the process dying (what recovery is for); an OS crash may lose the last step.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS workflows ("
            " id TEXT PRIMARY KEY, status TEXT NOT NULL, body BLOB NOT NULL,"
            " order_id TEXT, started REAL NOT NULL DEFAULT (julianday('now')))"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS workflows_by_order ON workflows (order_id)")
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(workflows)")}
        if "idem_key" not in columns:  # a journal written before keys were indexed
            self._conn.execute("ALTER TABLE workflows ADD COLUMN idem_key TEXT")
        self._conn.execute("CREATE INDEX IF NOT EXISTS workflows_by_key ON workflows (idem_key)")
        self._lock = threading.Lock()

    def _save(self, state: WorkflowState) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO workflows (id, status, body, order_id, idem_key) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET status = excluded.status, body = excluded.body, "
                "order_id = excluded.order_id, idem_key = excluded.idem_key",
                (state.id, state.status, state.dumps(), state.order_id, _key_of(state)),
            )

    def _query(self, sql: str, params: tuple[object, ...]) -> list[WorkflowState]:
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [WorkflowState.loads(row[0]) for row in rows]

    async def save(self, state: WorkflowState) -> None:
        await asyncio.to_thread(self._save, state)

    async def load(self, workflow_id: str) -> WorkflowState | None:
        found = await asyncio.to_thread(
            self._query, "SELECT body FROM workflows WHERE id = ?", (workflow_id,)
        )
        return found[0] if found else None

    async def unfinished(self) -> list[WorkflowState]:
        return await asyncio.to_thread(
            self._query,
            "SELECT body FROM workflows WHERE status = 'RUNNING' ORDER BY started, id",
            (),
        )

    async def of_order(self, order_id: str) -> list[WorkflowState]:
        return await asyncio.to_thread(
            self._query,
            "SELECT body FROM workflows WHERE order_id = ? ORDER BY started, id",
            (order_id,),
        )

    async def of_key(self, kind: str, key: str) -> WorkflowState | None:
        found = await asyncio.to_thread(
            self._query,
            "SELECT body FROM workflows WHERE idem_key = ? ORDER BY started DESC, rowid DESC "
            "LIMIT 1",
            (f"{kind}:{key}",),
        )
        return found[0] if found else None

    async def aclose(self) -> None:
        with self._lock:
            self._conn.close()


class RedisJournal:
    """The journal in Redis: a hash of states, a sorted set of the running ones, and a set of
    workflow ids per ERP order."""

    def __init__(self, url: str, *, prefix: str = "crossdock:orders:") -> None:
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url)
        self._states = f"{prefix}workflows"
        self._running = f"{prefix}running"
        self._orders = f"{prefix}by-order:"
        self._keys = f"{prefix}by-key"

    async def save(self, state: WorkflowState) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._states, state.id, state.dumps())
            if state.status == "RUNNING":
                pipe.zadd(self._running, {state.id: datetime.now(UTC).timestamp()}, nx=True)
            else:
                pipe.zrem(self._running, state.id)
            if state.order_id is not None:
                pipe.sadd(f"{self._orders}{state.order_id}", state.id)
            key = _key_of(state)
            if key is not None and not state.steps and state.status == "RUNNING":
                pipe.hset(self._keys, key, state.id)  # the workflow begins: the key's latest
            await pipe.execute()

    async def load(self, workflow_id: str) -> WorkflowState | None:
        raw = await self._redis.hget(self._states, workflow_id)
        return None if raw is None else WorkflowState.loads(raw)

    async def unfinished(self) -> list[WorkflowState]:
        members = await self._redis.zrange(self._running, 0, -1)
        ids = [x.decode() if isinstance(x, bytes) else str(x) for x in members]
        if not ids:
            return []
        raws = await self._redis.hmget(self._states, ids)
        return [WorkflowState.loads(raw) for raw in raws if raw is not None]

    async def of_order(self, order_id: str) -> list[WorkflowState]:
        members = await self._redis.smembers(f"{self._orders}{order_id}")
        ids = sorted(x.decode() if isinstance(x, bytes) else str(x) for x in members)
        if not ids:
            return []
        raws = await self._redis.hmget(self._states, ids)
        return [WorkflowState.loads(raw) for raw in raws if raw is not None]

    async def of_key(self, kind: str, key: str) -> WorkflowState | None:
        found = await self._redis.hget(self._keys, f"{kind}:{key}")
        if found is None:
            return None
        workflow_id = found.decode() if isinstance(found, bytes) else str(found)
        return await self.load(workflow_id)

    async def aclose(self) -> None:
        await self._redis.aclose()


def _key_of(state: WorkflowState) -> str | None:
    """How the journal indexes ``state`` by its idempotency key."""
    return None if state.idempotency_key is None else f"{state.kind}:{state.idempotency_key}"


JOURNAL_FILE = "orders-journal.sqlite3"
"""The SQLite journal's file name in the data directory (when Redis is not configured)."""


def create_journal(
    redis_url: str | None, data_dir: Path, *, prefix: str = "crossdock:orders:"
) -> WorkflowJournal:
    """Redis (keys under ``prefix``) when configured, else :data:`JOURNAL_FILE` in the
    data dir."""
    if redis_url:
        return RedisJournal(redis_url, prefix=prefix)
    return SqliteJournal(data_dir / JOURNAL_FILE)

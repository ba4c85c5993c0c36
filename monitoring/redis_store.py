"""``RedisMonitoringStore``: the monitoring's state in Redis, shared by every replica.

Under ``prefix``: ``seen:<event id>`` (expiring after the retention), ``order:<id>`` (the
state, JSON), ``due`` (a sorted set of open orders by the moment their first risk begins),
``open`` (the open orders), ``closed`` (closed orders by when, for pruning) and
``samples:<measure>`` (sorted by time). A fact is recorded in one optimistic transaction
(``WATCH`` on its event id and its order, ``MULTI``/``EXEC``, again on a conflict), so two
replicas handed the same event, or two events of one order, cannot both apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from monitoring._codec import dump_sample, dump_state, load_sample, load_state
from monitoring.projection import project
from monitoring.records import Fact, FactKind, Measure, OrderState, Sample
from monitoring.risk import due_at
from monitoring.settings import RETENTION_SECONDS, MonitoringSettings
from monitoring.store import StoredOrder

__all__ = ["RedisMonitoringStore"]

_PAGE = 500


class RedisMonitoringStore:
    """The store in the Redis at ``url`` under ``prefix``, indexing open orders by ``policy``."""

    def __init__(
        self,
        url: str,
        policy: MonitoringSettings,
        *,
        prefix: str = "crossdock:monitoring:",
        timeout_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy, self._prefix, self._clock = policy, prefix, clock
        self._redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=32,
                timeout=timeout_seconds,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
            )
        )

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    async def record(self, fact: Fact) -> bool:
        seen = self._key("seen", fact.event_id)
        order = self._key("order", fact.order_id)
        touches_order = fact.kind is not FactKind.STATUS_DELIVERED
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(seen, order)
                    if await pipe.exists(seen):
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return False
                    before = None
                    if touches_order:
                        raw = await pipe.get(order)
                        before = None if raw is None else load_state(raw)
                    state, samples = project(before, fact)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(seen, b"1", ex=int(RETENTION_SECONDS) + 3600)
                    if touches_order and state is not None:
                        self._write(pipe, state)
                    for sample in samples:
                        key = self._key("samples", sample.measure.value)
                        pipe.zadd(key, {dump_sample(sample, fact.event_id): sample.at})
                    await pipe.execute()
                    return True
                except WatchError:
                    continue

    def _write(self, pipe: aioredis.client.Pipeline, state: OrderState) -> None:
        order_id = state.order_id
        pipe.set(self._key("order", order_id), dump_state(state))
        due = due_at(state, self._policy)
        if due is None:
            pipe.zrem(self._key("due"), order_id)
        else:
            pipe.zadd(self._key("due"), {order_id: due})
        if state.open:
            pipe.sadd(self._key("open"), order_id)
            pipe.zrem(self._key("closed"), order_id)
        else:
            pipe.srem(self._key("open"), order_id)
            pipe.zadd(self._key("closed"), {order_id: self._clock()})

    async def order(self, order_id: str) -> OrderState | None:
        raw = await self._redis.get(self._key("order", order_id))
        return None if raw is None else load_state(raw)

    async def due(self, now: float, limit: int) -> list[StoredOrder]:
        found: Any = await self._redis.zrangebyscore(
            self._key("due"), "-inf", now, start=0, num=limit, withscores=True
        )
        if not found:
            return []
        states = await self._redis.mget([self._key("order", m.decode()) for m, _ in found])
        return [
            StoredOrder(load_state(raw), due)
            for (_, due), raw in zip(found, states, strict=True)
            if raw is not None
        ]

    async def due_count(self, now: float) -> int:
        return int(await self._redis.zcount(self._key("due"), "-inf", now))

    async def open_count(self) -> int:
        return int(await self._redis.scard(self._key("open")))

    async def samples(self, measure: Measure, since: float, until: float) -> list[Sample]:
        key = self._key("samples", measure.value)
        raw: Any = await self._redis.zrangebyscore(key, since, until)
        return [load_sample(item) for item in raw]

    async def prune(self, before: float) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for measure in Measure:
                pipe.zremrangebyscore(self._key("samples", measure.value), "-inf", f"({before}")
            await pipe.execute()
        closed: Any = await self._redis.zrangebyscore(self._key("closed"), "-inf", f"({before}")
        for start in range(0, len(closed), _PAGE):
            page = [m.decode() for m in closed[start : start + _PAGE]]
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.delete(*[self._key("order", order_id) for order_id in page])
                pipe.zrem(self._key("closed"), *page)
                await pipe.execute()
        # The seen ids expire on their own.

    async def reindex(self) -> int:
        raw: Any = await self._redis.smembers(self._key("open"))
        members = [m.decode() for m in raw]
        for start in range(0, len(members), _PAGE):
            page = members[start : start + _PAGE]
            states = await self._redis.mget([self._key("order", m) for m in page])
            async with self._redis.pipeline(transaction=False) as pipe:
                for raw in states:
                    if raw is None:
                        continue
                    state = load_state(raw)
                    due = due_at(state, self._policy)
                    if due is None:
                        pipe.zrem(self._key("due"), state.order_id)
                    else:
                        pipe.zadd(self._key("due"), {state.order_id: due})
                await pipe.execute()
        return len(members)

    async def aclose(self) -> None:
        # The client does not own the pool it was given, so the pool is closed here.
        pool: Any = self._redis.connection_pool
        await pool.aclose()

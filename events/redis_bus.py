"""``RedisStreamBus``: the bus that replicas share, on Redis Streams with consumer groups."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cache.redis_cache import _safe_address
from events import redis_scripts
from events.base import (
    DeadLetter,
    Delivery,
    EventBusUnavailable,
    GroupInfo,
    StreamEntry,
    StreamInfo,
)
from events.ids import StreamId, parse_range_end, parse_range_start

__all__ = ["RedisStreamBus"]

_REPLAY_PAGE = 500
_FIND_PAGE = 1000


class _Closable(Protocol):
    async def aclose(self) -> None: ...


class RedisStreamBus:
    """An ``EventBus`` on Redis: stream ``S`` is the key ``{prefix}stream:S``, its dead letters
    ``{prefix}dead:S``. Appends trim each stream to about ``max_length`` entries (``MAXLEN ~``).

    ``timeout_seconds`` bounds connecting and each command; a blocking read waits at most
    ``max_block_seconds`` on top of it. Connection failures surface as ``EventBusUnavailable``.

    A blocking ``XREAD`` holds its connection for as long as it waits, so blocking tail reads
    (``entries`` with ``block_seconds``) take theirs from a pool of their own, at most
    ``tail_connections``: however many tails wait, publishing, acknowledging and the groups'
    reads keep the ``max_connections`` of the main pool. ``find`` scans a stream page by page
    (each page a short script on the server) and takes its connections from another pool of
    its own, at most ``lookup_connections``, one per lookup: more lookups at once wait their
    turn (rather than fail on the pool's checkout) and never take the connections publishing
    needs.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "crossdock:events:",
        max_length: int = 100_000,
        max_connections: int = 32,
        timeout_seconds: float = 2.0,
        max_block_seconds: float = 5.0,
        tail_connections: int = 4,
        lookup_connections: int = 2,
    ) -> None:
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        self._prefix = prefix
        self._max_length = max_length
        self._max_block = max_block_seconds
        self._address = _safe_address(url)

        def client(connections: int) -> aioredis.Redis:
            return aioredis.Redis(
                connection_pool=aioredis.BlockingConnectionPool.from_url(
                    url,
                    max_connections=connections,
                    timeout=timeout_seconds,
                    socket_timeout=timeout_seconds + max_block_seconds,
                    socket_connect_timeout=timeout_seconds,
                    retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=2),
                )
            )

        self._redis = client(max_connections)
        self._tail = client(tail_connections)
        self._lookup = client(lookup_connections)
        self._lookup_turns = asyncio.Semaphore(lookup_connections)
        self._claim = self._redis.register_script(redis_scripts.CLAIM)
        self._claim_idle = self._redis.register_script(redis_scripts.CLAIM_IDLE)
        self._replay = self._redis.register_script(redis_scripts.REPLAY_DEAD_LETTERS)
        self._find = self._lookup.register_script(redis_scripts.FIND_EVENT)

    @property
    def prefix(self) -> str:
        return self._prefix

    def stream_key(self, stream: str) -> str:
        return f"{self._prefix}stream:{stream}"

    def dead_letter_key(self, stream: str) -> str:
        return f"{self._prefix}dead:{stream}"

    async def publish(
        self, stream: str, event_id: str, data: bytes, *, traceparent: str | None = None
    ) -> str:
        fields: dict[Any, Any] = {"event_id": event_id, "data": data}
        if traceparent is not None:
            fields["traceparent"] = traceparent
        with self._errors(stream, None):
            entry_id = await self._redis.xadd(
                self.stream_key(stream),
                fields,
                maxlen=self._max_length,
                approximate=True,
            )
        return _text(entry_id)

    async def ensure_group(self, stream: str, group: str, *, start_id: str = "0") -> None:
        with self._errors(stream, group):
            try:
                await self._redis.xgroup_create(
                    self.stream_key(stream), group, start_id, mkstream=True
                )
            except ResponseError as exc:
                if not str(exc).startswith("BUSYGROUP"):
                    raise

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_seconds: float = 0
    ) -> list[Delivery]:
        # redis-py: block=None does not block, block=0 blocks forever.
        block = min(block_seconds, self._max_block)
        block_ms = max(1, round(block * 1000)) if block > 0 else None
        with self._errors(stream, group):
            reply: Any = await self._redis.xreadgroup(
                group, consumer, {self.stream_key(stream): ">"}, count=count, block=block_ms
            )
        if not reply:
            return []
        return [_delivery(stream, entry_id, fields, 1) for entry_id, fields in reply[0][1]]

    async def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        ids: Sequence[str],
        *,
        min_idle_seconds: float = 0,
    ) -> list[Delivery]:
        if not ids:
            return []
        idle_ms = max(0, round(min_idle_seconds * 1000))
        with self._errors(stream, group):
            found = await self._claim(
                keys=[self.stream_key(stream)], args=[group, consumer, idle_ms, *ids]
            )
        return _claimed(stream, found)

    async def claim_idle(
        self, stream: str, group: str, consumer: str, *, min_idle_seconds: float, count: int
    ) -> list[Delivery]:
        idle_ms = max(0, round(min_idle_seconds * 1000))
        with self._errors(stream, group):
            found = await self._claim_idle(
                keys=[self.stream_key(stream)], args=[group, consumer, idle_ms, count]
            )
        return _claimed(stream, found)

    async def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with self._errors(stream, group):
            acked: int = await self._redis.xack(self.stream_key(stream), group, *ids)
        return acked

    async def dead_letter(
        self, stream: str, group: str, consumer: str, delivery: Delivery, error: str
    ) -> str:
        fields: dict[Any, Any] = {
            "original_id": delivery.id,
            "event_id": delivery.event_id,
            "data": delivery.data,
            "group": group,
            "consumer": consumer,
            "attempts": delivery.attempts,
            "error": error,
            "failed_at": datetime.now(UTC).isoformat(),
        }
        if delivery.traceparent is not None:
            fields["traceparent"] = delivery.traceparent
        with self._errors(stream, group):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xadd(
                    self.dead_letter_key(stream), fields, maxlen=self._max_length, approximate=True
                )
                pipe.xack(self.stream_key(stream), group, delivery.id)
                dead_id, _ = await pipe.execute()
        return _text(dead_id)

    async def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        with self._errors(stream, None):
            entries: Any = await self._redis.xrange(self.dead_letter_key(stream), count=count)
        return [_dead_letter(stream, entry_id, fields) for entry_id, fields in entries]

    async def replay_dead_letters(self, stream: str, ids: Sequence[str] | None = None) -> list[str]:
        if ids is None:
            ids = [letter.id for letter in await self.dead_letters(stream, count=1_000_000)]
        replayed: list[str] = []
        with self._errors(stream, None):
            for start in range(0, len(ids), _REPLAY_PAGE):
                new_ids = await self._replay(
                    keys=[self.dead_letter_key(stream), self.stream_key(stream)],
                    args=[self._max_length, *ids[start : start + _REPLAY_PAGE]],
                )
                replayed.extend(_text(new_id) for new_id in new_ids)
        return replayed

    async def replay_range(self, stream: str, start_id: str, end_id: str) -> list[str]:
        low, high = parse_range_start(start_id), parse_range_end(end_id)
        key = self.stream_key(stream)
        replayed: list[str] = []
        with self._errors(stream, None):
            # Fix "+" to the entry that is last now, or the replay would chase its own tail.
            last = await self._redis.xrevrange(key, count=1)
            if not last:
                return []
            end = min(high, parse_range_end(_text(last[0][0])))
            cursor = str(low)
            while entries := cast(
                Any, await self._redis.xrange(key, cursor, str(end), count=_REPLAY_PAGE)
            ):
                async with self._redis.pipeline(transaction=True) as pipe:
                    for entry_id, fields in entries:
                        # Marked for tail readers; a replay of a replay names the original.
                        marked = {**fields, b"replay_of": fields.get(b"replay_of", entry_id)}
                        pipe.xadd(key, marked, maxlen=self._max_length, approximate=True)
                    replayed.extend(_text(new_id) for new_id in await pipe.execute())
                cursor = f"({_text(entries[-1][0])}"
        return replayed

    async def streams(self) -> list[StreamInfo]:
        names: set[str] = set()
        with self._errors("*", None):
            for kind in ("stream:", "dead:"):
                async for key in self._redis.scan_iter(
                    match=f"{_glob_escape(self._prefix + kind)}*", count=1000, _type="STREAM"
                ):
                    names.add(_text(key)[len(self._prefix + kind) :])
            return [await self._info(name) for name in sorted(names)]

    async def entries(
        self, stream: str, *, after_id: str, count: int, block_seconds: float = 0
    ) -> list[StreamEntry]:
        after = str(StreamId.parse(after_id))  # the in-process bus's ValueError, not Redis's
        block = min(block_seconds, self._max_block)
        # redis-py: block=None does not block, block=0 blocks forever.
        block_ms = max(1, round(block * 1000)) if block > 0 else None
        client = self._redis if block_ms is None else self._tail
        with self._errors(stream, None):
            reply: Any = await client.xread(
                {self.stream_key(stream): after}, count=count, block=block_ms
            )
        if not reply:
            return []
        return [_stream_entry(entry_id, fields) for entry_id, fields in reply[0][1]]

    async def last_id(self, stream: str) -> str:
        with self._errors(stream, None):
            newest: Any = await self._redis.xrevrange(self.stream_key(stream), count=1)
        return _text(newest[0][0]) if newest else "0-0"

    async def find(self, stream: str, event_id: str) -> str | None:
        cursor = "+"
        async with self._lookup_turns:
            with self._errors(stream, None):
                while True:
                    found: Any = await self._find(
                        keys=[self.stream_key(stream)], args=[event_id, cursor, _FIND_PAGE]
                    )
                    if int(found[0]) == 1:
                        return _text(found[1])
                    if int(found[0]) == 0:
                        return None
                    cursor = f"({_text(found[1])}"

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def aclose(self) -> None:
        await cast(_Closable, self._redis.connection_pool).aclose()
        await cast(_Closable, self._tail.connection_pool).aclose()
        await cast(_Closable, self._lookup.connection_pool).aclose()

    async def _info(self, stream: str) -> StreamInfo:
        key = self.stream_key(stream)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.exists(key)
            pipe.xlen(self.dead_letter_key(stream))
            exists, dead = await pipe.execute()
        if not exists:
            return StreamInfo(stream, 0, "0-0", (), dead)
        info = await self._redis.xinfo_stream(key)
        groups = tuple(
            GroupInfo(
                name=_text(group["name"]),
                consumers=int(group["consumers"]),
                pending=int(group["pending"]),
                lag=None if group.get("lag") is None else int(group["lag"]),
                last_delivered_id=_text(group["last-delivered-id"]),
            )
            for group in sorted(await self._redis.xinfo_groups(key), key=lambda g: g["name"])
        )
        return StreamInfo(
            stream, int(info["length"]), _text(info["last-generated-id"]), groups, dead
        )

    @contextmanager
    def _errors(self, stream: str, group: str | None) -> Iterator[None]:
        """Connection failures become ``EventBusUnavailable``; a missing group ``LookupError``."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, InvalidResponse) as exc:
            raise EventBusUnavailable(f"Redis at {self._address} is unavailable: {exc}") from exc
        except ResponseError as exc:
            # NOGROUP: no such group; UNBLOCKED: the stream (and its groups) went away while a
            # read waited on it.
            if str(exc).startswith(("NOGROUP", "UNBLOCKED")):
                raise LookupError(f"no consumer group {group!r} on stream {stream!r}") from exc
            raise


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _glob_escape(text: str) -> str:
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def _traceparent(fields: Any) -> str | None:
    found = fields.get(b"traceparent")
    return None if found is None else _text(found)


def _delivery(stream: str, entry_id: object, fields: Any, attempts: int) -> Delivery:
    return Delivery(
        stream,
        _text(entry_id),
        _text(fields[b"event_id"]),
        bytes(fields[b"data"]),
        attempts,
        _traceparent(fields),
    )


def _stream_entry(entry_id: object, fields: Any) -> StreamEntry:
    return StreamEntry(
        _text(entry_id),
        _text(fields[b"event_id"]),
        bytes(fields[b"data"]),
        replayed=b"replay_of" in fields,
        traceparent=_traceparent(fields),
    )


def _claimed(stream: str, found: Any) -> list[Delivery]:
    deliveries = []
    for entry_id, flat, attempts in found:
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        deliveries.append(_delivery(stream, entry_id, fields, int(attempts)))
    return deliveries


def _dead_letter(stream: str, entry_id: object, fields: Any) -> DeadLetter:
    return DeadLetter(
        id=_text(entry_id),
        stream=stream,
        original_id=_text(fields[b"original_id"]),
        event_id=_text(fields[b"event_id"]),
        data=bytes(fields[b"data"]),
        group=_text(fields[b"group"]),
        consumer=_text(fields[b"consumer"]),
        attempts=int(fields[b"attempts"]),
        error=_text(fields[b"error"]),
        traceparent=_traceparent(fields),
        failed_at=datetime.fromisoformat(_text(fields[b"failed_at"])),
    )

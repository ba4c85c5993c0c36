"""``create_event_bus``: Redis Streams when a URL is configured, else the in-process bus.

``create_event_bus_for(settings)`` is the one every service uses: the bus its
:class:`BusSettings` ask for, with its streams under the dataset's own prefix, so that graphs
over different datasets sharing one Redis never see each other's events.
``create_outbox_for(settings)`` opens the outbox :class:`~events.outbox.OutboxSettings` name:
SQLite (a file, or memory) or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from events.base import EventBus
from events.memory import InProcessBus
from events.outbox import Outbox, OutboxSettings
from events.postgres_outbox import PostgresOutbox, table_name
from events.redis_bus import RedisStreamBus
from events.sqlite_outbox import SqliteOutbox

__all__ = [
    "DEFAULT_PREFIX",
    "BusSettings",
    "create_event_bus",
    "create_event_bus_for",
    "create_outbox_for",
]

DEFAULT_PREFIX = "crossdock:events:"


@dataclass(frozen=True, slots=True)
class BusSettings:
    """Where the event streams live: Redis at ``redis_url`` with every stream key under
    ``prefix``, or one process's memory when ``redis_url`` is unset."""

    redis_url: str | None = None
    prefix: str = DEFAULT_PREFIX


def create_event_bus(
    redis_url: str | None, *, prefix: str = DEFAULT_PREFIX, max_length: int = 100_000
) -> EventBus:
    """The bus the settings ask for; ``prefix`` namespaces its keys in a shared Redis."""
    if redis_url:
        return RedisStreamBus(redis_url, prefix=prefix, max_length=max_length)
    return InProcessBus(max_length=max_length)


def create_event_bus_for(settings: BusSettings, *, max_length: int = 100_000) -> EventBus:
    """The bus ``settings`` describe: Redis Streams under their prefix, else a new in-process
    bus."""
    return create_event_bus(settings.redis_url, prefix=settings.prefix, max_length=max_length)


def create_outbox_for(settings: OutboxSettings) -> Outbox:
    """The outbox ``settings`` locate: a table of its namespace in PostgreSQL for a
    ``postgresql://`` URL, else the SQLite file at the path (in memory when unset)."""
    if settings.is_postgres:
        return PostgresOutbox(
            str(settings.location),
            table=table_name(settings.namespace),
            retention_seconds=settings.retention_seconds,
            timeout_seconds=settings.timeout_seconds,
        )
    return SqliteOutbox(
        ":memory:" if settings.location is None else settings.location,
        retention_seconds=settings.retention_seconds,
        timeout_seconds=settings.timeout_seconds,
    )

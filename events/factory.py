"""``create_event_bus``: Redis Streams when a URL is configured, else the in-process bus."""

from __future__ import annotations

from events.base import EventBus
from events.memory import InProcessBus
from events.redis_bus import RedisStreamBus

__all__ = ["DEFAULT_PREFIX", "create_event_bus"]

DEFAULT_PREFIX = "crossdock:events:"


def create_event_bus(
    redis_url: str | None, *, prefix: str = DEFAULT_PREFIX, max_length: int = 100_000
) -> EventBus:
    """The bus the settings ask for; ``prefix`` namespaces its keys in a shared Redis."""
    if redis_url:
        return RedisStreamBus(redis_url, prefix=prefix, max_length=max_length)
    return InProcessBus(max_length=max_length)

"""``create_event_bus``: Redis Streams when a URL is configured, else the in-process bus.

``create_event_bus_for(settings)`` is the one every service uses: the bus the settings ask
for, with its streams under the dataset's own prefix (``Settings.event_streams_prefix``), so
that graphs over different datasets sharing one Redis never see each other's events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from events.base import EventBus
from events.memory import InProcessBus
from events.redis_bus import RedisStreamBus

if TYPE_CHECKING:
    from crossdock.settings import Settings

__all__ = ["DEFAULT_PREFIX", "create_event_bus", "create_event_bus_for"]

DEFAULT_PREFIX = "crossdock:events:"


def create_event_bus(
    redis_url: str | None, *, prefix: str = DEFAULT_PREFIX, max_length: int = 100_000
) -> EventBus:
    """The bus the settings ask for; ``prefix`` namespaces its keys in a shared Redis."""
    if redis_url:
        return RedisStreamBus(redis_url, prefix=prefix, max_length=max_length)
    return InProcessBus(max_length=max_length)


def create_event_bus_for(settings: Settings, *, max_length: int = 100_000) -> EventBus:
    """The bus ``settings`` configure: Redis at ``redis_url`` under ``event_streams_prefix``,
    else a new in-process bus."""
    return create_event_bus(
        settings.redis_url, prefix=settings.event_streams_prefix, max_length=max_length
    )

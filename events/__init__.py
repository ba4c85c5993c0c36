"""The event backbone: streams of canonical events, read through consumer groups.

``EventBus`` is the seam: ``RedisStreamBus`` (Redis Streams, shared by replicas) and
``InProcessBus`` (the embedded default) implement it and pass the same tests. ``Consumer``
runs a handler over a stream with acknowledgement after success, retries, reclaiming from dead
consumers and dead letters; ``idempotent`` and ``SeenEvents`` make a handler run once per event.
``Outbox`` is the other seam: events made durable before they are acknowledged (SQLite or
PostgreSQL, ``create_outbox_for``), relayed to the bus by ``events.relay.OutboxRelay``.
"""

from events.base import (
    DeadLetter,
    Delivery,
    EventBus,
    EventBusUnavailable,
    GroupInfo,
    RetryLater,
    StreamEntry,
    StreamInfo,
)
from events.consumer import Consumer, ConsumerStats, Handler
from events.factory import (
    DEFAULT_PREFIX,
    BusSettings,
    create_event_bus,
    create_event_bus_for,
    create_outbox_for,
)
from events.idempotency import EventInProgress, SeenEvents, idempotent
from events.memory import InProcessBus
from events.outbox import Admission, Outbox, OutboxSettings, OutboxUnavailable
from events.redis_bus import RedisStreamBus

__all__ = [
    "DEFAULT_PREFIX",
    "Admission",
    "BusSettings",
    "Consumer",
    "ConsumerStats",
    "DeadLetter",
    "Delivery",
    "EventBus",
    "EventBusUnavailable",
    "EventInProgress",
    "GroupInfo",
    "Handler",
    "InProcessBus",
    "Outbox",
    "OutboxSettings",
    "OutboxUnavailable",
    "RedisStreamBus",
    "RetryLater",
    "SeenEvents",
    "StreamEntry",
    "StreamInfo",
    "create_event_bus",
    "create_event_bus_for",
    "create_outbox_for",
    "idempotent",
]

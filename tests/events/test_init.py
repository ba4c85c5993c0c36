"""The package's public surface: what other packages may import from ``events``."""

from __future__ import annotations

import events


def test_public_surface() -> None:
    assert sorted(events.__all__) == sorted(
        [
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
    )
    for name in events.__all__:
        assert getattr(events, name) is not None

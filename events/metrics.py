"""Where every consumer group on a bus stands, for a service's ``/metrics``: per stream and
group the entries not yet delivered (lag) and those delivered and not yet acknowledged
(pending); per stream its length and its dead letters. Read from the bus at each scrape, so
it holds for groups consumed in any process."""

from __future__ import annotations

from events.base import EventBus, EventBusUnavailable
from telemetry.metrics import Metric, gauge_family

__all__ = ["GROUP_LAG", "GROUP_PENDING", "bus_families"]

GROUP_LAG = "crossdock_stream_group_lag"
GROUP_PENDING = "crossdock_stream_group_pending"


async def bus_families(bus: EventBus) -> list[Metric]:
    """The bus's streams and groups as gauges; none when the bus cannot be read (``/ready``
    says so), rather than numbers that look like an idle stream."""
    try:
        streams = await bus.streams()
    except EventBusUnavailable:
        return []
    groups = [(info.name, group) for info in streams for group in info.groups]
    return [
        gauge_family(
            GROUP_LAG,
            "entries of the stream not yet delivered to the consumer group",
            ("stream", "group"),
            [((stream, g.name), g.lag) for stream, g in groups if g.lag is not None],
        ),
        gauge_family(
            GROUP_PENDING,
            "entries delivered to the consumer group and not yet acknowledged",
            ("stream", "group"),
            [((stream, g.name), g.pending) for stream, g in groups],
        ),
        gauge_family(
            "crossdock_stream_length",
            "entries the stream holds",
            ("stream",),
            [((info.name,), info.length) for info in streams],
        ),
        gauge_family(
            "crossdock_stream_dead_letters",
            "dead letters parked beside the stream",
            ("stream",),
            [((info.name,), info.dead_letters) for info in streams],
        ),
    ]

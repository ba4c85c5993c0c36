"""The monitoring's consumer of the milestone stream: each milestone as a ``Fact``.

It reads ``fulfillment-milestones`` in a consumer group of its own (:data:`MONITORING_GROUP`),
so it sees every milestone whatever the other consumers do, and records each in the store,
which counts a redelivered event once by its id.
"""

from __future__ import annotations

from events.base import Delivery
from monitoring.monitor import Monitor
from monitoring.outcomes import return_received
from monitoring.records import Fact, FactKind
from schema.events import FulfillmentMilestone

__all__ = ["MONITORING_GROUP", "MilestoneFacts", "fact_of"]

MONITORING_GROUP = "monitoring"
"""The consumer group of the monitoring's consumer."""


def fact_of(event: FulfillmentMilestone) -> Fact:
    """The milestone as the monitoring records it. A return's receipt is keyed by its return
    (``monitoring.outcomes.return_received``), as the ``receiveReturn`` workflow reports it:
    one receipt fact per return, whichever reports it first."""
    detail = event.detail
    reason = detail.exception_reason
    if event.type.value == "BACKORDERED":
        reason = "WMS_BACKORDER"
    event_id = event.event_id
    if event.type.value == "RETURN_RECEIVED" and detail.return_authorization_id is not None:
        event_id = return_received(event.order_id, detail.return_authorization_id).event_id
    return Fact(
        event_id=event_id,
        kind=FactKind(event.type.value),
        order_id=event.order_id,
        at=event.occurred_at.timestamp(),
        center_id=event.center_id,
        shipment_id=event.shipment_id,
        return_id=detail.return_authorization_id,
        reason=reason,
    )


class MilestoneFacts:
    """The handler of the monitoring's consumer group: record the milestone."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    async def __call__(self, delivery: Delivery) -> None:
        await self.monitor.record(fact_of(FulfillmentMilestone.from_json(delivery.data)))

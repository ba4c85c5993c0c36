"""``ErpInvoicing``: the ERP's side of a milestone, invoicing shipments and completing orders.

On ``SHIPPED`` the shipment's lines are read from the WMS (``GET /shipments?ids=``: what was
picked and packed, the source of truth rather than the event's copy) and invoiced with
``POST /invoices`` under the shipment id, which the ERP answers with one invoice per shipment
however often it is asked. On ``SHIPPED``, ``DELIVERED`` and ``CANCELLED`` the order is rolled
up: once every fulfillment order of it is delivered (cancelled ones aside) the ERP order is
``COMPLETED``. Both steps are safe to repeat, so a redelivered event changes nothing twice; the
``SeenEvents`` record around the handler (``MilestoneConsumers``) spares the calls as well.

Rolling up on ``SHIPPED`` too covers events handled out of order (by two replicas): whichever
of the last invoice and the last delivery is handled second completes the order.
"""

from __future__ import annotations

import logging
from collections import Counter

from connectors.http import SystemClient
from connectors.wms.client import WmsClient
from connectors.wms.enums import FulfillmentStatus
from connectors.wms.status import fulfillment_status
from events.base import Delivery
from monitoring import Monitor
from monitoring.outcomes import invoiced
from schema.events import FulfillmentMilestone, MilestoneType

__all__ = ["ERP_GROUP", "ErpInvoicing", "ShipmentNotFound"]

log = logging.getLogger("crossdock.consumers")

ERP_GROUP = "erp"
"""The consumer group (and ``SeenEvents`` scope) of the ERP's consumer."""

_ROLL_UP = frozenset({MilestoneType.SHIPPED, MilestoneType.DELIVERED, MilestoneType.CANCELLED})


class ShipmentNotFound(LookupError):
    """The WMS does not know the shipment a ``SHIPPED`` event names (retried, then dead
    letters: a WMS that shipped it knows it)."""


class ErpInvoicing:
    """The handler of the ``erp`` group: one milestone at a time, over the ERP and the WMS."""

    def __init__(
        self, erp: SystemClient, wms: SystemClient, *, monitor: Monitor | None = None
    ) -> None:
        self._erp = erp
        self._wms = WmsClient(wms)
        self._monitor = monitor

    async def __call__(self, delivery: Delivery) -> None:
        # An event that does not parse raises here: retried, then parked in the dead letters.
        event = FulfillmentMilestone.from_json(delivery.data)
        if event.type is MilestoneType.SHIPPED:
            assert event.shipment_id is not None  # the event's own validation guarantees it
            await self.invoice(event.shipment_id)
        if event.type in _ROLL_UP:
            await self.roll_up(event.order_id)

    async def invoice(self, shipment_id: str) -> None:
        """Invoice what shipment ``shipment_id`` shipped (once: the ERP keys it by the id)."""
        found = await self._wms.shipments([shipment_id])
        if not found:
            raise ShipmentNotFound(f"the wms has no shipment {shipment_id!r}")
        shipment = found[0]
        shipped: Counter[str] = Counter()
        for line in shipment.lines:
            shipped[line.sku] += line.quantity
        items = [
            {"item": {"refName": sku}, "quantity": quantity}
            for sku, quantity in shipped.items()
            if quantity > 0
        ]
        if not items:
            log.info("shipment %s shipped nothing; no invoice", shipment.id)
            return
        body = {
            "externalId": shipment.id,
            "createdFrom": {"internalId": shipment.order_id},
            "items": items,
        }
        await self._erp.post_json("/invoices", body)
        if self._monitor is not None:
            await self._monitor.record_quietly(invoiced(shipment.order_id, shipment.id))

    async def roll_up(self, order_id: str) -> None:
        """Complete the ERP order once every live fulfillment order of it is delivered."""
        orders = await self._wms.fulfillment_orders([order_id], by="order_refs")
        shipments = await self._wms.shipments([order_id], by="order_refs")
        if fulfillment_status(orders, shipments) is not FulfillmentStatus.DELIVERED:
            return
        answer = await self._erp.request(
            "PATCH",
            f"/salesOrders/{order_id}",
            json={"custbody_status": "COMPLETED"},
            accept=(409,),
        )
        if answer.status == 409:
            # Not everything is billed (a backorder still open, an invoice not yet made: its
            # SHIPPED event rolls up again), or the order is on hold or cancelled.
            log.info("order %s delivered but not completed: %s", order_id, answer.body)

"""The WMS subgraph's schema: root fields over distribution centers and shipments, and the
live milestones (``subscriptions``)."""

from __future__ import annotations

import strawberry

from subgraphs.common.access import ORDERS, REFERENCE, STAFF
from subgraphs.common.federation import SubgraphSchema, federation_schema
from subgraphs.common.fields import described
from subgraphs.wms.monitoring import operations
from subgraphs.wms.subscriptions import Subscription
from subgraphs.wms.types import (
    DistributionCenter,
    FulfillmentOrder,
    Info,
    Order,
    Product,
    ReturnAuthorization,
    Shipment,
    checked_id,
    load_center,
    shipment_of,
)

__all__ = ["EXAMPLE_QUERY", "Query", "schema"]


@strawberry.type
class Query:
    @described("Every distribution center, by facility code.", directives=REFERENCE)
    async def distribution_centers(self, info: Info) -> list[DistributionCenter] | None:
        records = await info.context.centers.every()
        return [DistributionCenter.from_record(record) for record in records]

    @described(
        "The distribution center with this facility code, or null if there is none.",
        directives=REFERENCE,
    )
    async def distribution_center(self, info: Info, id: strawberry.ID) -> DistributionCenter | None:
        return await load_center(info, checked_id(str(id), "id"))

    @described("The shipment with this WMS number, or null if there is none.", directives=ORDERS)
    async def shipment(self, info: Info, id: strawberry.ID) -> Shipment | None:
        return shipment_of(await info.context.loaders.shipment.load(checked_id(str(id), "id")))

    @described(
        "The shipment with this carrier tracking number, or null if there is none.",
        directives=ORDERS,
    )
    async def shipment_by_tracking(self, info: Info, tracking_number: str) -> Shipment | None:
        number = checked_id(tracking_number.strip(), "trackingNumber")
        return shipment_of(await info.context.loaders.shipment_by_tracking.load(number))

    operations = strawberry.field(
        resolver=operations,
        description="Business activity monitoring over the last `windowHours` (default 24, "
        "1..720).",
        directives=STAFF,
    )


schema: SubgraphSchema = federation_schema(
    Query,
    subscription=Subscription,
    types=[DistributionCenter, FulfillmentOrder, Order, Product, ReturnAuthorization, Shipment],
)

EXAMPLE_QUERY = """\
{
  distributionCenters { id name region timezone address { city state } }
}
"""
"""What GraphiQL opens on for a first-time visitor of this subgraph."""

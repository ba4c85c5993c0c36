"""The per-request context of the WMS subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk WMS call (``?ids=``, ``?order_refs=``,
``?items=`` …); distribution centers come from the ``CenterDirectory`` (reference cache).
Inventory is never cached: it changes with every allocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from connectors.wms.client import WmsClient
from connectors.wms.records import (
    FacilityRecord,
    FulfillmentOrderRecord,
    PositionRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
)
from subgraphs.common.identity import CallerContext
from subgraphs.common.loaders import GroupLoader, Loader, grouped
from subgraphs.wms.directory import CenterDirectory
from subgraphs.wms.feed import MilestoneFeed

__all__ = ["WmsContext", "WmsLoaders"]


@dataclass(frozen=True, slots=True)
class WmsLoaders:
    """Fresh for every request, so nothing but the reference cache outlives one."""

    facility: Loader[str, FacilityRecord]
    positions_of_sku: GroupLoader[str, PositionRecord]
    fulfillment_order: Loader[str, FulfillmentOrderRecord]
    fulfillment_orders_of_order: GroupLoader[str, FulfillmentOrderRecord]
    shipment: Loader[str, ShipmentRecord]
    shipment_by_tracking: Loader[str, ShipmentRecord]
    shipments_of_order: GroupLoader[str, ShipmentRecord]
    receipts_of_return: GroupLoader[str, ReturnReceiptRecord]

    @classmethod
    def create(cls, client: WmsClient, centers: CenterDirectory) -> WmsLoaders:
        async def load_orders_fulfillment(
            ids: list[str],
        ) -> Mapping[str, list[FulfillmentOrderRecord]]:
            records = await client.fulfillment_orders(ids, by="order_refs")
            for record in records:
                loaders.fulfillment_order.prime(record.id, record)
            return grouped(records, lambda f: f.order_id)

        async def load_order_shipments(ids: list[str]) -> Mapping[str, list[ShipmentRecord]]:
            records = await client.shipments(ids, by="order_refs")
            for record in records:
                loaders.shipment.prime(record.id, record)
            return grouped(records, lambda s: s.order_id)

        loaders = cls(
            facility=Loader(centers.get_many),
            positions_of_sku=GroupLoader.of_records(client.positions, lambda p: p.sku),
            fulfillment_order=Loader.of_records(client.fulfillment_orders, lambda f: f.id),
            fulfillment_orders_of_order=GroupLoader(load_orders_fulfillment),
            shipment=Loader.of_records(client.shipments, lambda s: s.id),
            shipment_by_tracking=Loader.of_records(
                partial(client.shipments, by="tracking_nos"), lambda s: s.tracking_number
            ),
            shipments_of_order=GroupLoader(load_order_shipments),
            receipts_of_return=GroupLoader.of_records(
                client.return_receipts, lambda r: r.return_authorization_id
            ),
        )
        return loaders

    def clear(self) -> None:
        """Forget everything loaded: between two events of a subscription, whose context
        lives as long as its WebSocket."""
        for loader in (
            self.facility,
            self.positions_of_sku,
            self.fulfillment_order,
            self.fulfillment_orders_of_order,
            self.shipment,
            self.shipment_by_tracking,
            self.shipments_of_order,
            self.receipts_of_return,
        ):
            loader.clear()


@dataclass(slots=True)
class WmsContext(CallerContext):
    """What every resolver of the WMS subgraph gets as ``info.context``, for its ``actor``;
    ``feed`` serves the
    subscriptions (``None``: the app serves none)."""

    client: WmsClient
    centers: CenterDirectory
    loaders: WmsLoaders
    feed: MilestoneFeed | None = None

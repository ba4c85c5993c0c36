"""The per-request context of the WMS subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk WMS call (``?ids=``, ``?order_refs=``,
``?items=`` …); distribution centers come from the ``CenterDirectory`` (reference cache).
Inventory is never cached: it changes with every allocation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from subgraphs.common.loaders import GroupLoader, Loader
from subgraphs.wms.client import WmsClient
from subgraphs.wms.directory import CenterDirectory
from subgraphs.wms.records import (
    FacilityRecord,
    FulfillmentOrderRecord,
    PositionRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
)

__all__ = ["WmsContext", "WmsLoaders"]

R = TypeVar("R")


def _by_key(records: Iterable[R], key: Callable[[R], str]) -> dict[str, R]:
    return {key(record): record for record in records}


def _grouped(records: Iterable[R], key: Callable[[R], str]) -> dict[str, list[R]]:
    groups: dict[str, list[R]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return groups


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
        async def load_positions(skus: list[str]) -> Mapping[str, list[PositionRecord]]:
            return _grouped(await client.positions(skus), lambda p: p.sku)

        async def load_fulfillment_orders(ids: list[str]) -> Mapping[str, FulfillmentOrderRecord]:
            return _by_key(await client.fulfillment_orders(ids), lambda f: f.id)

        async def load_orders_fulfillment(
            ids: list[str],
        ) -> Mapping[str, list[FulfillmentOrderRecord]]:
            records = await client.fulfillment_orders(ids, by="order_refs")
            for record in records:
                loaders.fulfillment_order.prime(record.id, record)
            return _grouped(records, lambda f: f.order_id)

        async def load_shipments(ids: list[str]) -> Mapping[str, ShipmentRecord]:
            return _by_key(await client.shipments(ids), lambda s: s.id)

        async def load_tracked(numbers: list[str]) -> Mapping[str, ShipmentRecord]:
            return _by_key(await client.shipments(numbers, by="tracking_nos"), _tracking)

        async def load_order_shipments(ids: list[str]) -> Mapping[str, list[ShipmentRecord]]:
            records = await client.shipments(ids, by="order_refs")
            for record in records:
                loaders.shipment.prime(record.id, record)
            return _grouped(records, lambda s: s.order_id)

        async def load_receipts(ids: list[str]) -> Mapping[str, list[ReturnReceiptRecord]]:
            return _grouped(await client.return_receipts(ids), lambda r: r.return_authorization_id)

        loaders = cls(
            facility=Loader(centers.get_many),
            positions_of_sku=GroupLoader(load_positions),
            fulfillment_order=Loader(load_fulfillment_orders),
            fulfillment_orders_of_order=GroupLoader(load_orders_fulfillment),
            shipment=Loader(load_shipments),
            shipment_by_tracking=Loader(load_tracked),
            shipments_of_order=GroupLoader(load_order_shipments),
            receipts_of_return=GroupLoader(load_receipts),
        )
        return loaders


def _tracking(record: ShipmentRecord) -> str:
    return record.tracking_number


@dataclass(frozen=True, slots=True)
class WmsContext:
    """What every resolver of the WMS subgraph gets as ``info.context``."""

    client: WmsClient
    centers: CenterDirectory
    loaders: WmsLoaders

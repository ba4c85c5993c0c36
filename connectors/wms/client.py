"""Typed calls to the WMS's REST API, answering normalized records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cache.base import JSON
from connectors.http import SystemClient
from connectors.wms.records import (
    FulfillmentOrderRecord,
    PositionRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
)
from connectors.wms.vendor import (
    FacilityPayload,
    FulfillmentOrderPayload,
    PositionPayload,
    ReturnReceiptPayload,
    ShipmentPayload,
    parse_list,
    parse_record,
)

__all__ = ["WmsClient"]

# The WMS answers at most this many records in one page of a list.
_PAGE_LIMIT = 200


class WmsClient:
    """The WMS endpoints the graph uses, over one shared ``SystemClient``."""

    def __init__(self, system: SystemClient) -> None:
        self.system = system

    async def _records(self, path: str, ids: Sequence[str], param: str) -> list[dict[str, Any]]:
        # Ids that cannot name a WMS record are not sent (see sendable_id).
        items: list[dict[str, Any]] = await self.system.get_many(
            path, ids, param=param, items_key=lambda body: parse_list(body).data
        )
        return items

    async def facility_directory(self) -> dict[str, JSON]:
        """Every facility the WMS knows, raw and validated, by code (page after page)."""
        found: dict[str, JSON] = {}
        offset = 0
        while True:
            body = parse_list(
                await self.system.get_json("/facilities", {"offset": offset, "limit": _PAGE_LIMIT})
            )
            for data in body.data:
                found[parse_record(FacilityPayload, data).facility_id] = data
            offset += len(body.data)
            if not body.data or offset >= body.meta.total:
                return found

    async def positions(self, skus: Sequence[str]) -> list[PositionRecord]:
        """Every facility's position of the items ``skus``."""
        return [
            parse_record(PositionPayload, data).record()
            for data in await self._records("/inventory", skus, "items")
        ]

    async def fulfillment_orders(
        self, ids: Sequence[str], *, by: str = "ids"
    ) -> list[FulfillmentOrderRecord]:
        """Fulfillment orders by number (``by="ids"``) or by ERP order (``"order_refs"``)."""
        return [
            parse_record(FulfillmentOrderPayload, data).record()
            for data in await self._records("/fulfillment-orders", ids, by)
        ]

    async def shipments(self, ids: Sequence[str], *, by: str = "ids") -> list[ShipmentRecord]:
        """Shipments by number, or by ``order_refs``, ``fulfillment_order_ids``,
        ``tracking_nos``."""
        return [
            parse_record(ShipmentPayload, data).record()
            for data in await self._records("/shipments", ids, by)
        ]

    async def return_receipts(self, rma_refs: Sequence[str]) -> list[ReturnReceiptRecord]:
        """The receipts booked against the return authorizations ``rma_refs``."""
        return [
            parse_record(ReturnReceiptPayload, data).record()
            for data in await self._records("/return-receipts", rma_refs, "rma_refs")
        ]

    async def ping(self) -> bool:
        """Whether the WMS can be used: it answers its health check, and a one-record read
        (a system can be up, its health check fine, and failing every real request)."""
        body = await self.system.get_json("/health")
        if not (isinstance(body, dict) and body.get("status") == "ok"):
            return False
        await self.system.get_json("/facilities", {"offset": 0, "limit": 1})
        return True

"""The WMS vendor's payloads, validated at the edge and normalized into our records.

The WMS speaks like a Manhattan or Blue Yonder install: snake_case, SCAC carrier codes
(``UPSN``), wave statuses (``IN_PICKING``), carrier status codes (``OFD``), disposition codes
(``RS``) and list envelopes ``{"data": [...], "meta": {"total", "offset", "limit"}}``.
Anything that does not fit (a missing key, a wrong type, an unknown code) raises
``SystemResponseInvalid``, which the subgraphs report as ``SUBGRAPH_ERROR`` on the fields it
affects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BeforeValidator, Field, StrictInt, StrictStr

from connectors.payloads import Payload, parse_payload
from connectors.values import AddressRecord, Region
from connectors.wms.enums import (
    Carrier,
    FulfillmentOrderStatus,
    ReturnDisposition,
    ShipmentStatus,
)
from connectors.wms.records import (
    FacilityRecord,
    FulfillmentOrderRecord,
    LineRecord,
    PositionRecord,
    ReceiptLineRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
    TrackingEventRecord,
)

__all__ = [
    "SYSTEM",
    "FacilityPayload",
    "FulfillmentOrderPayload",
    "ListPayload",
    "PositionPayload",
    "ReturnReceiptPayload",
    "ShipmentPayload",
    "parse_list",
    "parse_record",
]

SYSTEM = "wms"

E = TypeVar("E", bound=Enum)
P = TypeVar("P", bound=Payload)

_SCAC = {"UPSN": Carrier.UPS, "FDEG": Carrier.FEDEX, "USPS": Carrier.USPS, "CNWY": Carrier.XPO}
_WAVE = {status.value: status for status in FulfillmentOrderStatus} | {
    "IN_PICKING": FulfillmentOrderStatus.PICKING
}
_SHIP = {
    "LBL": ShipmentStatus.LABEL_CREATED,
    "PU": ShipmentStatus.PICKED_UP,
    "IT": ShipmentStatus.IN_TRANSIT,
    "OFD": ShipmentStatus.OUT_FOR_DELIVERY,
    "DLV": ShipmentStatus.DELIVERED,
    "DLY": ShipmentStatus.DELAYED,
    "EXC": ShipmentStatus.EXCEPTION,
    "RTS": ShipmentStatus.RETURNED_TO_SENDER,
}
_DISPOSITION = {
    "RS": ReturnDisposition.RESTOCKED,
    "NR": ReturnDisposition.NOT_RESTOCKED,
    "QI": ReturnDisposition.INSPECTION_REQUIRED,
    "SC": ReturnDisposition.SCRAPPED,
}


def _code(table: Mapping[str, E], what: str) -> Callable[[Any], E]:
    """A vendor code (``"OFD"``) to our enum member, through ``table``."""

    def convert(value: Any) -> E:
        if not isinstance(value, str):
            raise ValueError(f"{what} must be a string")
        try:
            return table[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown {what} {value!r}") from None

    return convert


RegionValue = Annotated[Region, BeforeValidator(_code({r.value: r for r in Region}, "region"))]
CarrierValue = Annotated[Carrier, BeforeValidator(_code(_SCAC, "carrier SCAC"))]
WaveValue = Annotated[FulfillmentOrderStatus, BeforeValidator(_code(_WAVE, "wave status"))]
ShipValue = Annotated[ShipmentStatus, BeforeValidator(_code(_SHIP, "ship status"))]
DispositionValue = Annotated[
    ReturnDisposition, BeforeValidator(_code(_DISPOSITION, "disposition code"))
]
Quantity = Annotated[StrictInt, Field(ge=0)]


class AddressPayload(Payload):
    line1: StrictStr
    city: StrictStr
    state_code: StrictStr
    postal_code: StrictStr
    country_code: StrictStr
    region_code: RegionValue | None = None


class FacilityPayload(Payload):
    facility_id: StrictStr = Field(min_length=1)
    facility_name: StrictStr
    region_code: RegionValue
    time_zone: StrictStr
    address: AddressPayload

    def record(self) -> FacilityRecord:
        a = self.address
        return FacilityRecord(
            id=self.facility_id,
            name=self.facility_name,
            region=self.region_code,
            address=AddressRecord(
                street=a.line1,
                city=a.city,
                state=a.state_code,
                postal_code=a.postal_code,
                country=a.country_code,
                region=a.region_code or self.region_code,
            ),
            timezone=self.time_zone,
        )


class PositionPayload(Payload):
    facility_id: StrictStr = Field(min_length=1)
    item_number: StrictStr = Field(min_length=1)
    qty_on_hand: Quantity
    qty_allocated: Quantity
    qty_available: Quantity
    qty_inbound: Quantity
    inbound_eta: date | None = None

    def record(self) -> PositionRecord:
        return PositionRecord(
            sku=self.item_number,
            center_id=self.facility_id,
            on_hand=self.qty_on_hand,
            allocated=self.qty_allocated,
            available=self.qty_available,
            incoming=self.qty_inbound,
            incoming_date=self.inbound_eta,
        )


class OrderLinePayload(Payload):
    item_number: StrictStr = Field(min_length=1)
    qty_ordered: Quantity
    qty_backordered: Quantity = 0


class FulfillmentOrderPayload(Payload):
    fulfillment_order_no: StrictStr = Field(min_length=1)
    order_ref: StrictStr = Field(min_length=1)
    order_number: StrictStr
    facility_id: StrictStr = Field(min_length=1)
    wave_status: WaveValue
    released_ts: AwareDatetime
    lines: list[OrderLinePayload]

    def record(self) -> FulfillmentOrderRecord:
        return FulfillmentOrderRecord(
            id=self.fulfillment_order_no,
            order_id=self.order_ref,
            order_number=self.order_number,
            center_id=self.facility_id,
            status=self.wave_status,
            released_at=self.released_ts,
            lines=tuple(
                LineRecord(line.item_number, line.qty_ordered, line.qty_backordered)
                for line in self.lines
            ),
        )


class ShipmentLinePayload(Payload):
    item_number: StrictStr = Field(min_length=1)
    qty_shipped: Quantity


class TrackingEventPayload(Payload):
    code: ShipValue
    desc: StrictStr
    city_state: StrictStr
    event_ts: AwareDatetime


class ShipmentPayload(Payload):
    shipment_no: StrictStr = Field(min_length=1)
    fulfillment_order_no: StrictStr = Field(min_length=1)
    order_ref: StrictStr = Field(min_length=1)
    facility_id: StrictStr = Field(min_length=1)
    carrier_scac: CarrierValue
    service_level: StrictStr
    tracking_no: StrictStr
    ship_status: ShipValue
    package_count: Quantity
    gross_weight_kg: Decimal = Field(ge=0, allow_inf_nan=False)
    ship_ts: AwareDatetime
    est_delivery_date: date
    delivered_ts: AwareDatetime | None = None
    lines: list[ShipmentLinePayload]
    events: list[TrackingEventPayload]

    def record(self) -> ShipmentRecord:
        return ShipmentRecord(
            id=self.shipment_no,
            fulfillment_order_id=self.fulfillment_order_no,
            order_id=self.order_ref,
            center_id=self.facility_id,
            carrier=self.carrier_scac,
            service=self.service_level,
            tracking_number=self.tracking_no,
            status=self.ship_status,
            package_count=self.package_count,
            weight_kg=self.gross_weight_kg,
            shipped_at=self.ship_ts,
            estimated_delivery=self.est_delivery_date,
            delivered_at=self.delivered_ts,
            lines=tuple(LineRecord(line.item_number, line.qty_shipped) for line in self.lines),
            events=tuple(
                TrackingEventRecord(e.code, e.desc, e.city_state, e.event_ts) for e in self.events
            ),
        )


class ReceiptLinePayload(Payload):
    item_number: StrictStr = Field(min_length=1)
    qty_received: Quantity
    disposition_code: DispositionValue


class ReturnReceiptPayload(Payload):
    receipt_no: StrictStr = Field(min_length=1)
    rma_ref: StrictStr = Field(min_length=1)
    order_ref: StrictStr
    facility_id: StrictStr = Field(min_length=1)
    received_ts: AwareDatetime
    lines: list[ReceiptLinePayload]

    def record(self) -> ReturnReceiptRecord:
        return ReturnReceiptRecord(
            id=self.receipt_no,
            return_authorization_id=self.rma_ref,
            order_id=self.order_ref,
            center_id=self.facility_id,
            received_at=self.received_ts,
            lines=tuple(
                ReceiptLineRecord(line.item_number, line.qty_received, line.disposition_code)
                for line in self.lines
            ),
        )


class ListMetaPayload(Payload):
    total: StrictInt = Field(ge=0)
    offset: StrictInt = Field(ge=0)
    limit: StrictInt = Field(ge=0)


class ListPayload(Payload):
    """A list answer: ``data`` stays raw until each item is parsed as its own type."""

    data: list[dict[str, Any]]
    meta: ListMetaPayload


def parse_record(model: type[P], data: Any) -> P:
    """One vendor record as ``model``; ``SystemResponseInvalid`` if it does not fit."""
    return parse_payload(SYSTEM, model, data)


def parse_list(data: Any) -> ListPayload:
    """A list envelope; ``SystemResponseInvalid`` if it is not one."""
    return parse_payload(SYSTEM, ListPayload, data, what="list")

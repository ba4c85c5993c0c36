"""The WMS's milestone webhooks: their format, and their normalization into canonical events.

A webhook is the WMS's JSON (snake_case, its own event and carrier codes, see
``docs/wms-webhooks.md``); :func:`parse_webhook` validates a body and returns the
``FulfillmentMilestone`` it announces, or raises ``ValueError`` saying what is wrong (not JSON,
a missing or mistyped field, an unknown code, an event that is not valid once normalized).
Its signature is checked first, by ``connectors.wms.signature``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError

from schema.events import FulfillmentMilestone, LineQuantity, MilestoneDetail, MilestoneType

__all__ = ["WmsWebhook", "normalize", "parse_webhook"]

# The WMS's webhook event codes and carrier codes, in our words.
_EVENT = {
    "WV_REL": MilestoneType.RELEASED,
    "WV_PCK": MilestoneType.PICKING,
    "WV_PKD": MilestoneType.PICKED,
    "WV_PAK": MilestoneType.PACKED,
    "WV_BKO": MilestoneType.BACKORDERED,
    "SH_SHP": MilestoneType.SHIPPED,
    "SH_IT": MilestoneType.IN_TRANSIT,
    "SH_OFD": MilestoneType.OUT_FOR_DELIVERY,
    "SH_DLV": MilestoneType.DELIVERED,
    "SH_DLY": MilestoneType.DELAYED,
    "SH_EXC": MilestoneType.EXCEPTION,
    "RT_RCV": MilestoneType.RETURN_RECEIVED,
}
_CARRIER = {"UPSN": "UPS", "FDEG": "FEDEX", "USPS": "USPS", "CNWY": "XPO"}


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_number: str = Field(min_length=1, max_length=200)
    qty: StrictInt = Field(ge=0)


class WmsWebhook(BaseModel):
    """A milestone webhook as the WMS sends it (snake_case, its own codes)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=200)
    event_code: str = Field(min_length=1, max_length=32)
    event_ts: AwareDatetime
    facility_id: str = Field(min_length=1, max_length=200)
    order_ref: str = Field(min_length=1, max_length=200)
    order_number: str = Field(min_length=1, max_length=200)
    fulfillment_order_no: str | None = None
    shipment_no: str | None = None
    tracking_no: str | None = None
    carrier_scac: str | None = None
    service_level: str | None = None
    est_delivery_date: date | None = None
    lines: list[_Line] = Field(default_factory=list, max_length=1000)
    exception_code: str | None = None
    exception_desc: str | None = None
    # A return receipt's (RT_RCV): the RMA it received against, the ERP's return authorization.
    rma_ref: str | None = Field(default=None, min_length=1, max_length=200)


def normalize(webhook: WmsWebhook, *, account_id: str | None = None) -> FulfillmentMilestone:
    """The canonical event of ``webhook``; ``ValueError`` for an unknown code or an event that
    is not valid once normalized (a shipment milestone without its shipment, …)."""
    kind = _EVENT.get(webhook.event_code.upper())
    if kind is None:
        raise ValueError(f"unknown event_code {webhook.event_code!r}")
    if kind is MilestoneType.RETURN_RECEIVED and webhook.rma_ref is None:
        raise ValueError("a return receipt webhook needs its rma_ref")
    carrier = None
    if webhook.carrier_scac is not None:
        carrier = _CARRIER.get(webhook.carrier_scac.upper())
        if carrier is None:
            raise ValueError(f"unknown carrier_scac {webhook.carrier_scac!r}")
    estimated = None
    if webhook.est_delivery_date is not None:
        estimated = datetime.combine(webhook.est_delivery_date, time(0), tzinfo=UTC)
    reason = webhook.exception_desc or webhook.exception_code
    return FulfillmentMilestone(
        event_id=webhook.event_id,
        type=kind,
        order_id=webhook.order_ref,
        order_number=webhook.order_number,
        account_id=account_id,
        fulfillment_order_id=webhook.fulfillment_order_no,
        shipment_id=webhook.shipment_no,
        center_id=webhook.facility_id,
        occurred_at=webhook.event_ts,
        source="wms",
        detail=MilestoneDetail(
            tracking_number=webhook.tracking_no,
            carrier=carrier,
            service=webhook.service_level,
            quantities=tuple(
                LineQuantity(sku=line.item_number, quantity=line.qty) for line in webhook.lines
            ),
            exception_reason=reason,
            estimated_delivery=estimated,
            return_authorization_id=webhook.rma_ref,
        ),
    )


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or exc.title
    return f"{where}: {first['msg']}"


def parse_webhook(body: bytes) -> FulfillmentMilestone:
    """The canonical event a webhook body announces; ``ValueError`` saying what is wrong."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("body is not JSON") from None
    try:
        return normalize(WmsWebhook.model_validate(data))
    except ValidationError as exc:
        raise ValueError(_describe(exc)) from None

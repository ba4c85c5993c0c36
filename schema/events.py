"""Canonical events: the ``FulfillmentMilestone`` every WMS webhook is normalized into.

Events are immutable pydantic models that refuse unknown fields, so a vendor payload that
slipped through unnormalized fails loudly instead of travelling the bus half-understood. On the
bus an event is the orjson bytes of ``to_json``; ``from_json`` reads them back and validates.
Milestones travel on one stream, :data:`MILESTONE_STREAM`: the wms subgraph's intake appends
to it, the consumers and the subscriptions read it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "MILESTONE_STREAM",
    "SHIPMENT_MILESTONES",
    "FulfillmentMilestone",
    "LineQuantity",
    "MilestoneDetail",
    "MilestoneType",
]

MILESTONE_STREAM = "fulfillment-milestones"
"""The stream every ``FulfillmentMilestone`` is appended to (under the bus's prefix)."""

Identifier = Annotated[str, Field(min_length=1, max_length=200)]


class MilestoneType(StrEnum):
    """Where a fulfillment order or its shipment stands, in the order they usually happen."""

    RELEASED = "RELEASED"
    PICKING = "PICKING"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    DELAYED = "DELAYED"
    EXCEPTION = "EXCEPTION"
    BACKORDERED = "BACKORDERED"
    CANCELLED = "CANCELLED"
    RETURN_RECEIVED = "RETURN_RECEIVED"


SHIPMENT_MILESTONES = frozenset(
    {
        MilestoneType.SHIPPED,
        MilestoneType.IN_TRANSIT,
        MilestoneType.OUT_FOR_DELIVERY,
        MilestoneType.DELIVERED,
    }
)
"""Milestones of a shipment: they always name the shipment they are about."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LineQuantity(_Frozen):
    """How many units of one SKU a milestone concerns (picked, shipped, backordered, received)."""

    sku: Identifier
    quantity: int = Field(ge=0)


class MilestoneDetail(_Frozen):
    """What a milestone says beyond who and when; every field is optional."""

    tracking_number: Identifier | None = None
    carrier: Identifier | None = None
    service: Identifier | None = None
    quantities: tuple[LineQuantity, ...] = ()
    exception_reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    estimated_delivery: AwareDatetime | None = None
    return_authorization_id: Identifier | None = None


class FulfillmentMilestone(_Frozen):
    """One step in the life of a fulfillment order or shipment, as every consumer sees it.

    ``event_id`` is unique per milestone (duplicated webhooks carry the same one), which is
    what makes consumers idempotent. ``occurred_at`` must carry a time zone and is kept in UTC.
    """

    event_id: Identifier
    type: MilestoneType
    order_id: Identifier
    order_number: Identifier
    # The WMS does not know whose order it ships: an event may be enriched with it later.
    account_id: Identifier | None = None
    fulfillment_order_id: Identifier | None = None
    shipment_id: Identifier | None = None
    center_id: Identifier
    occurred_at: AwareDatetime
    source: Identifier = "wms"
    detail: MilestoneDetail = MilestoneDetail()

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type in SHIPMENT_MILESTONES and self.shipment_id is None:
            raise ValueError(f"a {self.type} milestone needs a shipment_id")
        if self.type is MilestoneType.SHIPPED and self.detail.tracking_number is None:
            raise ValueError("a SHIPPED milestone needs detail.tracking_number")
        if self.type is MilestoneType.EXCEPTION and self.detail.exception_reason is None:
            raise ValueError("an EXCEPTION milestone needs detail.exception_reason")
        if self.type is MilestoneType.RETURN_RECEIVED and not self.detail.quantities:
            raise ValueError("a RETURN_RECEIVED milestone needs detail.quantities")
        return self

    def to_json(self) -> bytes:
        """The event as compact JSON bytes (orjson), as it travels on the bus."""
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_json(cls, data: bytes | str) -> FulfillmentMilestone:
        """Read an event back from JSON.

        Raises ``ValueError``: ``pydantic.ValidationError`` for a well-formed document that is
        not a valid event, ``orjson.JSONDecodeError`` for one that is not JSON at all.
        """
        return cls.model_validate(orjson.loads(data))

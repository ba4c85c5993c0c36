"""The monitoring's vocabulary: the facts it is told, the samples it keeps, an order's state.

A ``Fact`` is one business event, from wherever it happened (a milestone on the stream, a
workflow's outcome, an invoice or a credit made by a consumer, a milestone handed to
subscribers); its ``event_id`` makes recording it idempotent. A ``Sample`` is one measured value
kept for the windows (a cycle time, a fallout, a submission, a latency). ``OrderState`` is what
the monitoring knows of one open order: the stage each center's part of it reached and since
when, its promise, its shipments' troubles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

__all__ = [
    "AtRiskReason",
    "CycleStage",
    "Fact",
    "FactKind",
    "FalloutKind",
    "Leg",
    "Measure",
    "OrderState",
    "Sample",
]


class FactKind(StrEnum):
    """What happened. The milestone kinds carry the WMS's names."""

    SUBMITTED = "SUBMITTED"
    HELD = "HELD"  # held at submission; ``reason`` is the hold reason (CREDIT, MANUAL_REVIEW…)
    REJECTED = "REJECTED"
    RELEASE_FAILED = "RELEASE_FAILED"
    BACKORDER_PLANNED = "BACKORDER_PLANNED"  # a submission that left quantities backordered
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
    INVOICED = "INVOICED"
    RETURN_AUTHORIZED = "RETURN_AUTHORIZED"
    RETURN_RECEIVED = "RETURN_RECEIVED"
    RETURN_CREDITED = "RETURN_CREDITED"
    STATUS_DELIVERED = "STATUS_DELIVERED"  # a milestone handed to subscribers; ``seconds``


class CycleStage(StrEnum):
    """The stage pairs whose durations are measured."""

    SUBMITTED_TO_RELEASED = "SUBMITTED_TO_RELEASED"
    RELEASED_TO_SHIPPED = "RELEASED_TO_SHIPPED"
    SHIPPED_TO_DELIVERED = "SHIPPED_TO_DELIVERED"
    SHIPPED_TO_INVOICED = "SHIPPED_TO_INVOICED"
    RETURN_AUTHORIZED_TO_RECEIVED = "RETURN_AUTHORIZED_TO_RECEIVED"
    RETURN_RECEIVED_TO_CREDITED = "RETURN_RECEIVED_TO_CREDITED"


class FalloutKind(StrEnum):
    """Ways an order falls out of the straight path."""

    CREDIT_HOLD = "CREDIT_HOLD"
    MANUAL_REVIEW = "MANUAL_REVIEW"
    REJECTED = "REJECTED"
    RELEASE_FAILED = "RELEASE_FAILED"
    BACKORDERED = "BACKORDERED"


class AtRiskReason(StrEnum):
    """Why an open order is at risk."""

    STUCK_IN_STAGE = "STUCK_IN_STAGE"
    PROMISE_AT_RISK = "PROMISE_AT_RISK"
    SHIPMENT_DELAYED = "SHIPMENT_DELAYED"
    SHIPMENT_EXCEPTION = "SHIPMENT_EXCEPTION"


class Measure(StrEnum):
    """The families of samples: ``label`` is a ``CycleStage`` or a ``FalloutKind``."""

    CYCLE = "cycle"
    FALLOUT = "fallout"
    SUBMITTED = "submitted"
    LATENCY = "latency"


@dataclass(frozen=True, slots=True)
class Fact:
    """One business event; ``at`` is when it happened, in epoch seconds."""

    event_id: str
    kind: FactKind
    order_id: str
    at: float
    center_id: str | None = None
    shipment_id: str | None = None
    return_id: str | None = None
    reason: str | None = None
    promised_date: date | None = None
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured value: ``value`` seconds for a cycle or a latency, 1 for a count."""

    measure: Measure
    label: str
    at: float
    value: float = 1.0
    center_id: str | None = None
    reason: str | None = None
    order_id: str | None = None


@dataclass(slots=True)
class Leg:
    """One center's part of an order: its stage, since when, and a shipment's trouble."""

    stage: str
    since: float
    released_at: float | None = None
    trouble: str | None = None  # DELAYED or EXCEPTION
    trouble_since: float | None = None
    trouble_detail: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "since": self.since,
            "releasedAt": self.released_at,
            "trouble": self.trouble,
            "troubleSince": self.trouble_since,
            "troubleDetail": self.trouble_detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Leg:
        return cls(
            stage=data["stage"],
            since=data["since"],
            released_at=data.get("releasedAt"),
            trouble=data.get("trouble"),
            trouble_since=data.get("troubleSince"),
            trouble_detail=data.get("troubleDetail"),
        )


@dataclass(slots=True)
class OrderState:
    """What the monitoring knows of one order. ``open`` until every leg is delivered or
    cancelled (or the order was rejected); ``shipments`` maps a shipment to its center and
    times, ``returns`` a return authorization to its times."""

    order_id: str
    stage: str
    since: float
    open: bool = True
    submitted_at: float | None = None
    promised_date: date | None = None
    legs: dict[str, Leg] = field(default_factory=dict)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "stage": self.stage,
            "since": self.since,
            "open": self.open,
            "submittedAt": self.submitted_at,
            "promisedDate": None if self.promised_date is None else self.promised_date.isoformat(),
            "legs": {center: leg.json() for center, leg in self.legs.items()},
            "shipments": self.shipments,
            "returns": self.returns,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderState:
        promised = data.get("promisedDate")
        return cls(
            order_id=data["orderId"],
            stage=data["stage"],
            since=data["since"],
            open=data["open"],
            submitted_at=data.get("submittedAt"),
            promised_date=None if promised is None else date.fromisoformat(promised),
            legs={c: Leg.from_json(v) for c, v in data.get("legs", {}).items()},
            shipments=data.get("shipments", {}),
            returns=data.get("returns", {}),
        )

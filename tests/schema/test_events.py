"""``FulfillmentMilestone``: the canonical event, its validation and its JSON on the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from schema.events import (
    SHIPMENT_MILESTONES,
    FulfillmentMilestone,
    LineQuantity,
    MilestoneDetail,
    MilestoneType,
)

SHIPPED: dict[str, Any] = {
    "event_id": "wms-evt-000123",
    "type": "SHIPPED",
    "order_id": "4711",
    "order_number": "SO-004711",
    "account_id": "001CD000000000001A",
    "fulfillment_order_id": "FO-88",
    "shipment_id": "SH-501",
    "center_id": "ATL1",
    "occurred_at": "2024-05-01T08:30:00-04:00",
    "source": "wms",
    "detail": {
        "tracking_number": "1Z999AA10123456784",
        "carrier": "UPS",
        "service": "GROUND",
        "quantities": [{"sku": "SKU-10001", "quantity": 3}],
    },
}


def test_a_shipped_milestone_round_trips_through_json() -> None:
    event = FulfillmentMilestone.model_validate(SHIPPED)
    data = event.to_json()
    assert isinstance(data, bytes)
    assert FulfillmentMilestone.from_json(data) == event
    assert FulfillmentMilestone.from_json(data.decode()) == event


def test_occurred_at_is_kept_in_utc() -> None:
    event = FulfillmentMilestone.model_validate(SHIPPED)
    assert event.occurred_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert orjson.loads(event.to_json())["occurred_at"] == "2024-05-01T12:30:00Z"


def test_the_wire_form_leaves_out_empty_optionals() -> None:
    event = FulfillmentMilestone(
        event_id="e1",
        type=MilestoneType.RELEASED,
        order_id="1",
        order_number="SO-000001",
        account_id="001CD000000000001A",
        center_id="EWR1",
        occurred_at=datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2))),
    )
    wire = orjson.loads(event.to_json())
    assert "shipment_id" not in wire and wire["detail"] == {"quantities": []}
    assert wire["source"] == "wms" and wire["type"] == "RELEASED"
    assert FulfillmentMilestone.from_json(event.to_json()) == event


def test_events_are_immutable_and_hashable() -> None:
    event = FulfillmentMilestone.model_validate(SHIPPED)
    with pytest.raises(ValidationError, match="frozen"):
        event.order_id = "other"  # type: ignore[misc]
    assert hash(event) == hash(FulfillmentMilestone.model_validate(SHIPPED))


def test_every_milestone_type_has_its_wire_name() -> None:
    assert [t.value for t in MilestoneType] == [t.name for t in MilestoneType]
    assert {"RELEASED", "DELIVERED", "EXCEPTION", "RETURN_RECEIVED"} <= set(MilestoneType)
    assert MilestoneType.SHIPPED in SHIPMENT_MILESTONES


def _with(**changes: Any) -> dict[str, Any]:
    return {**SHIPPED, **changes}


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (_with(type="TELEPORTED"), "type"),
        (_with(event_id=""), "event_id"),
        (_with(event_id="   "), "event_id"),
        (_with(occurred_at="2024-05-01T08:30:00"), "timezone"),
        (_with(occurred_at="yesterday"), "occurred_at"),
        (_with(order_id=None), "order_id"),
        (_with(unexpected="field"), "unexpected"),
        (_with(account_id=""), "account_id"),
        (_with(shipment_id=None), "needs a shipment_id"),
        (_with(detail={"carrier": "UPS"}), "tracking_number"),
        (_with(detail={**SHIPPED["detail"], "quantities": [{"sku": "X", "quantity": -1}]}), "0"),
        (_with(detail={**SHIPPED["detail"], "weight": 3}), "weight"),
        (_with(type="EXCEPTION", detail={}), "exception_reason"),
        (_with(type="RETURN_RECEIVED", detail={}), "quantities"),
    ],
)
def test_bad_input_is_refused_with_the_reason(payload: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        FulfillmentMilestone.model_validate(payload)
    with pytest.raises(ValidationError, match=problem):
        FulfillmentMilestone.from_json(orjson.dumps(payload))


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b"null", b'"SHIPPED"'])
def test_malformed_json_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        FulfillmentMilestone.from_json(data)


def test_exception_and_return_milestones_with_their_detail() -> None:
    exception = FulfillmentMilestone.model_validate(
        _with(type="EXCEPTION", detail={"exception_reason": "address not found"})
    )
    assert exception.detail == MilestoneDetail(exception_reason="address not found")
    received = FulfillmentMilestone.model_validate(
        _with(
            type="RETURN_RECEIVED",
            shipment_id=None,
            detail={
                "return_authorization_id": "RA-9",
                "quantities": [{"sku": "SKU-10001", "quantity": 1}],
            },
        )
    )
    assert received.detail.quantities == (LineQuantity(sku="SKU-10001", quantity=1),)
    assert FulfillmentMilestone.from_json(received.to_json()) == received

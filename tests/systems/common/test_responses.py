"""json_response: orjson, with exact decimals and ISO dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import orjson
import pytest
from pydantic import BaseModel

from systems.common import error_response, json_response


class Line(BaseModel):
    sku: str
    price: Decimal


def test_values_that_json_lacks() -> None:
    response = json_response(
        {
            "amount": Decimal("1234.50"),
            "day": date(2024, 5, 1),
            "at": datetime(2024, 5, 1, 12, 30, 5, 120000, tzinfo=UTC),
            "naive": datetime(2024, 5, 1, 12, 30),
            "line": Line(sku="S-1", price=Decimal("0.10")),
            "tags": {"b", "a"},
        },
        status_code=201,
        headers={"X-Request-Id": "r1"},
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "r1"
    assert orjson.loads(response.body) == {
        "amount": "1234.50",
        "day": "2024-05-01",
        "at": "2024-05-01T12:30:05.120000+00:00",
        "naive": "2024-05-01T12:30:00",
        "line": {"sku": "S-1", "price": "0.10"},
        "tags": ["a", "b"],
    }


def test_unknown_types_fail_loudly() -> None:
    with pytest.raises(TypeError):
        json_response({"x": object()})


def test_error_response_shape() -> None:
    response = error_response(409, "CONFLICT", "already shipped")
    assert response.status_code == 409
    assert orjson.loads(response.body) == {
        "error": {"code": "CONFLICT", "message": "already shipped"}
    }


def test_served_dates(client: httpx.Client) -> None:
    assert client.get("/dated").json() == {"day": "2024-05-01"}

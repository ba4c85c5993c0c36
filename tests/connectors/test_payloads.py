"""Payload parsing at the edge: a payload that does not fit is an invalid system answer."""

from __future__ import annotations

import pytest
from pydantic import Field, StrictInt, StrictStr

from connectors import Payload, SystemResponseInvalid, dangling, parse_payload


class BinPayload(Payload):
    code: StrictStr = Field(alias="binCode")
    capacity: StrictInt = Field(ge=0)


def test_a_payload_that_fits_is_parsed_and_extra_fields_ignored() -> None:
    parsed = parse_payload("wms", BinPayload, {"binCode": "A-1", "capacity": 4, "zone": "Z"})
    assert (parsed.code, parsed.capacity) == ("A-1", 4)


@pytest.mark.parametrize(
    ("data", "what", "message"),
    [
        ({"capacity": 4}, None, "malformed Bin (binCode: Field required)"),
        (
            {"binCode": "A-1", "capacity": -1},
            None,
            "malformed Bin (capacity: Input should be greater than or equal to 0)",
        ),
        ("not an object", "bin list", "malformed bin list (body: Input should be a valid"),
    ],
)
def test_a_payload_that_does_not_fit_is_an_invalid_answer(
    data: object, what: str | None, message: str
) -> None:
    with pytest.raises(SystemResponseInvalid) as raised:
        parse_payload("wms", BinPayload, data, what=what)
    assert raised.value.system == "wms"
    assert raised.value.message.startswith(message)


def test_payloads_are_immutable() -> None:
    parsed = parse_payload("wms", BinPayload, {"binCode": "A-1", "capacity": 4})
    with pytest.raises(ValueError, match="frozen"):
        parsed.capacity = 5  # type: ignore[misc]


def test_a_dangling_reference_names_both_records() -> None:
    error = dangling("erp", "Invoice 9", "sales order", "41")
    assert isinstance(error, SystemResponseInvalid)
    assert (error.system, error.message) == ("erp", "Invoice 9 refers to unknown sales order 41")

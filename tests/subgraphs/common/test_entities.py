"""Malformed ``_entities`` representations are BAD_USER_INPUT at their index, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry

from subgraphs.common import create_graphql_app, federation_schema
from tests.subgraphs.common.tiny import context_getter, schema
from tests.support.fake_system import PATIENT_TIMEOUT, FakeSystem, fake_system_client
from tests.support.graphql import entities, error_codes
from tests.support.servers import serve

ITEM = "... on Item { id name }"


@pytest.fixture(scope="module")
def tiny(fake_system_server: FakeSystem) -> Iterator[httpx.Client]:
    """A client of the tiny subgraph over the fake system."""
    client = fake_system_client(fake_system_server, max_retries=1, timeout=PATIENT_TIMEOUT)
    app = create_graphql_app(
        schema,
        name="tiny",
        context_getter=lambda actor: context_getter(client),
        on_shutdown=[client.aclose],
    )
    with serve(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        yield http


def bad_input(body: dict[str, Any]) -> list[tuple[str, list[str | int], str]]:
    return [(e["extensions"]["code"], e["path"], e["message"]) for e in body.get("errors", [])]


@pytest.mark.parametrize(
    ("representation", "message"),
    [
        (
            {"__typename": "Nope", "id": "I1"},
            "representations[0] has __typename 'Nope', which is not an entity of this subgraph"
            " (entities: Item)",
        ),
        (
            {"__typename": "Money", "amount": "1.00"},
            "representations[0] has __typename 'Money', which is not an entity of this subgraph"
            " (entities: Item)",
        ),
        ({"id": "I1"}, "representations[0] has no __typename"),
        (
            {"__typename": 7, "id": "I1"},
            "representations[0] has __typename 7, which is not an entity of this subgraph"
            " (entities: Item)",
        ),
        ("I1", "representations[0] must be an object with __typename and key fields"),
        ({"__typename": "Item"}, "representations[0] (Item) lacks its key field(s): id"),
        (
            {"__typename": "Item", "ID": "I1"},
            "representations[0] (Item) lacks its key field(s): id",
        ),
        (
            {"__typename": "Item", "id": None},
            "representations[0] (Item): key field id must not be null",
        ),
        (
            {"__typename": "Item", "id": {"nested": 1}},
            "representations[0] (Item): key field id: ID cannot represent value: {'nested': 1}",
        ),
    ],
)
def test_a_malformed_representation_is_bad_user_input(
    tiny: httpx.Client,
    fake_system: FakeSystem,
    caplog: pytest.LogCaptureFixture,
    representation: object,
    message: str,
) -> None:
    with caplog.at_level(logging.INFO):
        body = entities(tiny, [representation], ITEM)
    assert body["data"] == {"_entities": [None]}
    assert bad_input(body) == [("BAD_USER_INPUT", ["_entities", 0], message)]
    assert fake_system.hits("/items") == 0
    # Bad input is the caller's: nothing logged as an error, no traceback anywhere.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_good_representations_resolve_beside_bad_ones_in_one_call(
    tiny: httpx.Client, fake_system: FakeSystem
) -> None:
    body = entities(
        tiny,
        [
            {"__typename": "Item", "id": "I1"},
            {"__typename": "Nope", "id": "I2"},
            {"__typename": "Item"},
            {"__typename": "Item", "id": "I3"},
        ],
        ITEM,
    )
    assert body["data"] == {
        "_entities": [{"id": "I1", "name": "Item I1"}, None, None, {"id": "I3", "name": "Item I3"}]
    }
    assert error_codes(body) == [
        ("BAD_USER_INPUT", ["_entities", 1]),
        ("BAD_USER_INPUT", ["_entities", 2]),
    ]
    assert fake_system.queries("/items") == ["ids=I1%2CI3"]


def test_an_integer_id_is_coerced_and_extra_fields_are_ignored(
    tiny: httpx.Client, fake_system: FakeSystem
) -> None:
    # An ID may be sent as an integer; fields resolve_reference does not take (say a
    # gateway's @requires extras) are not passed to it.
    body = entities(tiny, [{"__typename": "Item", "id": 5, "name": "ignored"}], ITEM)
    assert body == {"data": {"_entities": [{"id": "5", "name": "Item 5"}]}}
    assert fake_system.queries("/items") == ["ids=5"]


@strawberry.federation.type(keys=["warehouse bin"])
class Slot:
    warehouse: str
    bin: int
    label: str = "unlabelled"


@strawberry.type
class SlotQuery:
    @strawberry.field
    def slot(self) -> Slot | None:
        return None


@pytest.fixture(scope="module")
def slots() -> Iterator[httpx.Client]:
    """A subgraph whose entity has a compound key and no resolve_reference."""
    app = create_graphql_app(
        federation_schema(SlotQuery, types=[Slot]), name="slots", context_getter=lambda actor: None
    )
    with serve(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        yield http


def test_a_compound_key_needs_every_field(slots: httpx.Client) -> None:
    selection = "... on Slot { warehouse bin label }"
    body = entities(
        slots,
        [
            {"__typename": "Slot", "warehouse": "ATL1", "bin": 12, "other": "x"},
            {"__typename": "Slot", "warehouse": "ATL1"},
            {"__typename": "Slot", "warehouse": "ATL1", "bin": "twelve"},
        ],
        selection,
    )
    assert body["data"] == {
        "_entities": [{"warehouse": "ATL1", "bin": 12, "label": "unlabelled"}, None, None]
    }
    assert bad_input(body) == [
        (
            "BAD_USER_INPUT",
            ["_entities", 1],
            "representations[1] (Slot) lacks its key field(s): warehouse, bin",
        ),
        (
            "BAD_USER_INPUT",
            ["_entities", 2],
            "representations[2] (Slot): key field bin: Int cannot represent non-integer value:"
            " 'twelve'",
        ),
    ]

"""``@inaccessible`` enum values a subgraph sends: the client's schema has no such value.

They become null; where the field is non-null, with an error and the null propagating as the
spec has it. A client never reads a value its schema does not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from gateway import Gateway
from gateway.composition import SubgraphSource, compose
from gateway.executor import hidden_enums
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.cases.inaccessible_enums import CATALOG, build
from tests.support.servers import serve


@pytest.fixture(scope="module")
def supergraph() -> Iterator[str]:
    catalog = build()["catalog"]
    with ExitStack() as stack:
        url = stack.enter_context(serve(catalog.app)) + "/graphql"
        yield compose([SubgraphSource("catalog", url, CATALOG)])


async def _execute(supergraph: str, query: str) -> dict[str, Any]:
    gateway = Gateway(parse_supergraph(supergraph))
    try:
        outcome = await gateway.execute({"query": query})
    finally:
        await gateway.aclose()
    return dict(outcome.response)


async def test_a_hidden_value_in_a_nullable_field_is_null_without_an_error(
    supergraph: str,
) -> None:
    response = await _execute(supergraph, "{ items { id kind maybe } }")
    assert response == {
        "data": {
            "items": [
                {"id": "1", "kind": "A", "maybe": ["A", None]},
                {"id": "2", "kind": None, "maybe": [None, "B"]},
                {"id": "3", "kind": "B", "maybe": []},
            ]
        }
    }


async def test_a_hidden_value_in_a_non_null_field_is_an_error_and_the_null_propagates(
    supergraph: str,
) -> None:
    # items is [Item!]!: item 3's null sure reaches the root.
    response = await _execute(supergraph, "{ items { id sure } }")
    assert response["data"] is None
    assert response["errors"][0] == {
        "message": "Cannot return null for non-nullable field Item.sure.",
        "path": ["items", 2, "sure"],
    }
    # boxes is [Box]: only box 3's item goes null.
    response = await _execute(supergraph, "{ boxes { label item { sure kinds } } }")
    assert response == {
        "data": {
            "boxes": [
                {"label": "box 1", "item": {"sure": "B", "kinds": ["A", "B"]}},
                {"label": "box 2", "item": {"sure": "A", "kinds": ["A"]}},
                {"label": "box 3", "item": None},
            ]
        },
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Item.sure.",
                "path": ["boxes", 2, "item", "sure"],
            },
        ],
    }


async def test_a_hidden_value_in_a_list_of_non_null_nulls_the_list(supergraph: str) -> None:
    response = await _execute(supergraph, "{ boxes { item { id kinds } } }")
    assert response["data"]["boxes"][2] == {"item": {"id": "3", "kinds": None}}
    assert response["errors"] == [
        {
            "message": "Cannot return null for non-nullable field Item.kinds.",
            "path": ["boxes", 2, "item", "kinds", 1],
        }
    ]


def test_only_enums_with_hidden_values_are_checked(supergraph: str) -> None:
    parsed = parse_supergraph(supergraph)
    assert hidden_enums(parsed.api_schema, parsed.schema) == frozenset({"Kind"})
    plain = parse_supergraph(
        compose(
            [SubgraphSource("c", "http://127.0.0.1:1/c", CATALOG.replace(" @inaccessible", ""))]
        )
    )
    assert hidden_enums(plain.api_schema, plain.schema) == frozenset()

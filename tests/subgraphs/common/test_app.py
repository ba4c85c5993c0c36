"""create_graphql_app served on loopback: GraphQL over HTTP, batching, errors, health, readiness."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import strawberry
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from connectors import SystemClient, SystemUnavailable
from subgraphs.common import (
    create_graphql_app,
    decode_cursor,
    encode_cursor,
    federation_schema,
    subgraph_sdl,
)
from tests.subgraphs.common.tiny import context_getter, schema
from tests.support.fake_system import PATIENT_TIMEOUT, FakeSystem, fake_system_client
from tests.support.servers import serve

PROTOCOL = "graphql-transport-ws"


@dataclass
class Served:
    url: str
    client: SystemClient
    ready: list[bool] = field(default_factory=lambda: [True])
    shutdowns: list[str] = field(default_factory=list)

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=5
        )
        assert response.status_code == 200, response.text
        assert "Traceback" not in response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def served(fake_system_server: FakeSystem) -> Iterator[Served]:
    client = fake_system_client(fake_system_server, max_retries=1, timeout=PATIENT_TIMEOUT)
    state = Served(url="", client=client)

    async def ready_check() -> bool:
        if state.ready[0] is None:
            raise RuntimeError("cannot tell")
        return state.ready[0]

    async def closed() -> None:
        state.shutdowns.append("closed")

    app = create_graphql_app(
        schema,
        name="tiny",
        context_getter=lambda actor: context_getter(client),
        on_shutdown=[client.aclose, closed],
        ready_checks={"tiny system": ready_check},
    )
    with serve(app) as url:
        state.url = url
        yield state
    assert state.shutdowns == ["closed"]


def test_entities_of_one_request_make_one_system_call(
    served: Served, fake_system: FakeSystem
) -> None:
    ids = ["I1", "I2", "I3", "I2", "missing", "I4"]
    body = served.post(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Item { id name } } }",
        {"r": [{"__typename": "Item", "id": i} for i in ids]},
    )
    assert "errors" not in body
    assert body["data"]["_entities"] == [
        {"id": "I1", "name": "Item I1"},
        {"id": "I2", "name": "Item I2"},
        {"id": "I3", "name": "Item I3"},
        {"id": "I2", "name": "Item I2"},
        None,
        {"id": "I4", "name": "Item I4"},
    ]
    assert fake_system.queries("/items") == ["ids=I1%2CI2%2CI3%2Cmissing%2CI4"]


def test_root_fields_share_the_batch(served: Served, fake_system: FakeSystem) -> None:
    body = served.post('{ a: item(id: "A") { name } b: item(id: "B") { name price { amount } } }')
    assert body == {
        "data": {"a": {"name": "Item A"}, "b": {"name": "Item B", "price": {"amount": "19.50"}}}
    }
    assert fake_system.hits("/items") == 1


def test_each_request_gets_fresh_loaders(served: Served, fake_system: FakeSystem) -> None:
    served.post('{ item(id: "A") { name } }')
    served.post('{ item(id: "A") { name } }')
    assert fake_system.hits("/items") == 2


def test_a_failing_system_fails_only_its_field(served: Served) -> None:
    body = served.post('{ unavailable item(id: "A") { name } }')
    assert body["data"] == {"unavailable": None, "item": {"name": "Item A"}}
    assert body["errors"] == [
        {
            "message": "erp is unavailable: erp answered 503",
            "locations": [{"line": 1, "column": 3}],
            "path": ["unavailable"],
            "extensions": {"code": "SUBGRAPH_ERROR", "system": "erp"},
        }
    ]
    assert "exploded" not in str(body)


def test_connection_pages_with_cursors(served: Served) -> None:
    query = """query($first: Int, $after: String) {
        items(first: $first, after: $after) {
            totalCount
            edges { cursor node { id } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
    }"""
    first = served.post(query, {"first": 2})["data"]["items"]
    assert [edge["node"]["id"] for edge in first["edges"]] == ["I1", "I2"]
    assert first["totalCount"] == 7
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": encode_cursor(0),
        "endCursor": encode_cursor(1),
    }
    after = first["pageInfo"]["endCursor"]
    second = served.post(query, {"first": 5, "after": after})["data"]["items"]
    assert [edge["node"]["id"] for edge in second["edges"]] == ["I3", "I4", "I5", "I6", "I7"]
    assert [decode_cursor(edge["cursor"]) for edge in second["edges"]] == [2, 3, 4, 5, 6]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    default = served.post(query)["data"]["items"]
    assert len(default["edges"]) == 3


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": -1}, "first must be between 0 and 5, got -1"),
        ({"first": 6}, "first must be between 0 and 5, got 6"),
        ({"after": "not-a-cursor"}, "Malformed cursor: 'not-a-cursor'"),
    ],
)
def test_bad_paging_arguments_are_bad_user_input(
    served: Served, variables: dict[str, Any], message: str
) -> None:
    body = served.post(
        "query($first: Int, $after: String) { items(first: $first, after: $after) { totalCount } }",
        variables,
    )
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": message,
            "locations": [{"line": 1, "column": 38}],
            "path": ["items"],
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]


def test_unexpected_errors_are_masked(served: Served) -> None:
    body = served.post("{ boom }")
    assert body == {
        "data": {"boom": None},
        "errors": [
            {
                "message": "Internal server error",
                "locations": [{"line": 1, "column": 3}],
                "path": ["boom"],
                "extensions": {"code": "INTERNAL"},
            }
        ],
    }


def test_invalid_documents_are_coded(served: Served) -> None:
    parse = served.post("{ item(")
    validation = served.post("{ missingField }")
    assert parse["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert validation["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_queries_via_get(served: Served) -> None:
    response = httpx.get(f"{served.url}/graphql", params={"query": "{ warehouse { region } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"warehouse": {"region": "SOUTHEAST"}}}


def test_graphiql_for_a_browser_needs_nothing_but_the_subgraph(served: Served) -> None:
    response = httpx.get(f"{served.url}/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>tiny subgraph · Crossdock GraphiQL</title>" in response.text
    urls = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', response.text)
    assert len(urls) == 4
    for url in urls:
        assert url.startswith("/"), f"{url} is not served by the subgraph"
        asset = httpx.get(f"{served.url}{url}")
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000


def test_service_sdl_is_subgraph_sdl(served: Served) -> None:
    body = served.post("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"] == subgraph_sdl(schema)


def test_health(served: Served) -> None:
    response = httpx.get(f"{served.url}/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "service": "tiny"})


def test_ready_follows_the_check(served: Served) -> None:
    try:
        response = httpx.get(f"{served.url}/ready")
        assert (response.status_code, response.json()["status"]) == (200, "ready")
        assert response.json()["checks"] == {"tiny system": "ok"}
        served.ready[0] = False
        response = httpx.get(f"{served.url}/ready")
        assert (response.status_code, response.json()["status"]) == (503, "unavailable")
        assert response.json()["checks"] == {"tiny system": "failing"}
        served.ready[0] = None  # type: ignore[call-overload]
        response = httpx.get(f"{served.url}/ready")
        assert response.status_code == 503
        assert "cannot tell" not in response.text
    finally:
        served.ready[0] = True


def test_ready_without_a_check() -> None:
    app = create_graphql_app(schema, name="bare", context_getter=lambda actor: {})
    with serve(app) as url:
        response = httpx.get(f"{url}/ready")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ready", "service": "bare", "checks": {}},
    )


def test_server_errors_carry_no_trace(served: Served) -> None:
    response = httpx.post(
        f"{served.url}/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1
        raise SystemUnavailable("wms", "wms answered 503")


def test_subscriptions_over_graphql_transport_ws() -> None:
    @strawberry.type
    class Query:
        hello: str = "world"

    app = create_graphql_app(
        federation_schema(Query, subscription=Subscription),
        name="ws",
        context_getter=lambda actor: {},
    )
    protocols = [Subprotocol(PROTOCOL)]
    with serve(app) as url, connect(f"ws{url[4:]}/graphql", subprotocols=protocols) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        query = {"query": "subscription { ticks }"}
        ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": query}))
        frames = [ws.recv(timeout=5) for _ in range(3)]
    assert all(isinstance(frame, str) for frame in frames)  # text frames, as the protocol says
    assert [json.loads(frame) for frame in frames] == [
        {"id": "1", "type": "next", "payload": {"data": {"ticks": 1}}},
        {
            "id": "1",
            "type": "next",
            "payload": {
                "data": None,
                "errors": [
                    {
                        "message": "wms is unavailable: wms answered 503",
                        "extensions": {"code": "SUBGRAPH_ERROR", "system": "wms"},
                    }
                ],
            },
        },
        {"id": "1", "type": "complete"},
    ]

"""A subgraph that is down: partial data plus located, coded errors, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from graphql import GraphQLObjectType, is_non_null_type

from crossdock.settings import Settings
from gateway.server import create_gateway_app
from gateway.supergraph import parse_supergraph
from subgraphs.apps import create_subgraph_app
from systems.world_records import World
from tests.gateway.graph.conftest import GRAPH_GATEWAY_SETTINGS, graph_supergraph
from tests.support.servers import serve

QUERY = """
query ($order: ID!, $account: ID!) {
  order(id: $order) { number account { id creditHold owner } }
  account(id: $account) { name }
}
"""


@dataclass
class StoppableGraph:
    """A gateway over the session's erp and wms subgraphs and a crm subgraph of its own."""

    gateway_url: str
    supergraph_file: Path
    stop_crm: ExitStack


@pytest.fixture
def stoppable(
    settings: Settings, subgraph_urls: dict[str, str], tmp_path: Path
) -> Iterator[StoppableGraph]:
    with ExitStack() as stack:
        crm = ExitStack()
        stack.enter_context(crm)
        crm_url = crm.enter_context(serve(create_subgraph_app("crm", settings.subgraphs)))
        path = tmp_path / "supergraph.graphql"
        path.write_text(graph_supergraph(settings, {**subgraph_urls, "crm": crm_url}))
        gateway_url = stack.enter_context(serve(create_gateway_app(path, GRAPH_GATEWAY_SETTINGS)))
        yield StoppableGraph(gateway_url, path, crm)


def ask(graph: StoppableGraph, world: World) -> httpx.Response:
    order = world.orders[0]
    variables = {"order": order.id, "account": order.account_id}
    return httpx.post(
        f"{graph.gateway_url}/graphql", json={"query": QUERY, "variables": variables}, timeout=30
    )


def test_all_up_then_crm_down(stoppable: StoppableGraph, world: World) -> None:
    order = world.orders[0]
    account = next(a for a in world.accounts if a.id == order.account_id)
    up = ask(stoppable, world)
    assert up.json() == {
        "data": {
            "order": {
                "number": order.number,
                "account": {
                    "id": account.id,
                    "creditHold": account.credit_hold,
                    "owner": account.owner,
                },
            },
            "account": {"name": account.name},
        }
    }

    stoppable.stop_crm.close()
    down = ask(stoppable, world)
    assert down.status_code == 200
    assert "Traceback" not in down.text
    body = down.json()
    assert body["data"] == {
        "order": {
            "number": order.number,
            "account": {"id": account.id, "creditHold": account.credit_hold, "owner": None},
        },
        "account": None,
    }
    errors = body["errors"]
    assert len(errors) == 2  # one per fetch to the crm: the entity fetch and the root field
    for error in errors:
        assert error["extensions"]["code"] == "SUBGRAPH_ERROR"
        assert error["extensions"]["serviceName"] == "crm"


def test_errors_of_a_down_subgraph_are_located(stoppable: StoppableGraph, world: World) -> None:
    stoppable.stop_crm.close()
    errors = ask(stoppable, world).json()["errors"]
    # The path of the failed field, or of the entity the failed fetch was for (Apollo Router).
    located = {("account",), ("order", "account"), ("order", "account", "owner")}
    assert all(tuple(e.get("path", ())) in located for e in errors), errors
    assert {e["path"][0] for e in errors} == {"order", "account"}


def test_ready_reports_the_subgraph_that_is_down(
    stoppable: StoppableGraph, subgraph_urls: dict[str, str]
) -> None:
    before = httpx.get(f"{stoppable.gateway_url}/ready")
    assert before.status_code == 200, before.text
    stoppable.stop_crm.close()
    ready = httpx.get(f"{stoppable.gateway_url}/ready")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "subgraphs": {name: name != "crm" for name in subgraph_urls},
    }


def test_non_null_field_of_a_down_subgraph_nulls_its_nullable_parent(
    stoppable: StoppableGraph, world: World
) -> None:
    api = parse_supergraph(stoppable.supergraph_file.read_text()).api_schema
    order_type = api.get_type("Order")
    account_type = api.get_type("Account")
    assert isinstance(order_type, GraphQLObjectType)
    assert isinstance(account_type, GraphQLObjectType)
    assert is_non_null_type(account_type.fields["name"].type)
    order = world.orders[0]
    stoppable.stop_crm.close()
    query = "query ($id: ID!) { order(id: $id) { number account { name } } }"
    response = httpx.post(
        f"{stoppable.gateway_url}/graphql",
        json={"query": query, "variables": {"id": order.id}},
        timeout=30,
    )
    assert response.status_code == 200
    body = response.json()
    # Account.name is String!: its null goes up to the account, or to the order if the
    # account is not nullable either.
    if is_non_null_type(order_type.fields["account"].type):
        assert body["data"] == {"order": None}
    else:
        assert body["data"] == {"order": {"number": order.number, "account": None}}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_ERROR", "serviceName": "crm"}


@pytest.mark.parametrize(
    "crm_url",
    ["http://127.0.0.1:99999", "http://no-such-host.invalid:4001", "http://[::1"],
    ids=["port-out-of-range", "unknown-host", "malformed"],
)
def test_a_subgraph_url_that_cannot_be_reached_is_a_located_subgraph_error(
    crm_url: str,
    settings: Settings,
    subgraph_urls: dict[str, str],
    world: World,
    tmp_path: Path,
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(graph_supergraph(settings, {**subgraph_urls, "crm": crm_url}))
    order = world.orders[0]
    account = next(a for a in world.accounts if a.id == order.account_id)
    with serve(create_gateway_app(path, GRAPH_GATEWAY_SETTINGS)) as gateway_url:
        response = httpx.post(
            f"{gateway_url}/graphql",
            json={"query": QUERY, "variables": {"order": order.id, "account": account.id}},
            timeout=30,
        )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {
        "order": {
            "number": order.number,
            "account": {"id": account.id, "creditHold": account.credit_hold, "owner": None},
        },
        "account": None,
    }
    assert sorted(tuple(e["path"]) for e in body["errors"]) == [("account",), ("order", "account")]
    for error in body["errors"]:
        assert error["extensions"] == {"code": "SUBGRAPH_ERROR", "serviceName": "crm"}

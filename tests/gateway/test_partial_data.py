"""One system down, the rest of the answer still arrives: the graph's nullability at work.

A gateway over the session's crm, erp and wms subgraphs (composed here from the code's SDL),
with each system in turn answering every request with a 503. The fields of the failing system
come back null with located ``SUBGRAPH_ERROR``s naming the subgraph; every other system's
fields arrive; the status is 200 and ``data`` is never null for a query that also asks for
healthy fields. The nullability rule this relies on is in docs/graph.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.composition import SubgraphSource, compose
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SubgraphName, subgraph_schema
from subgraphs.common import subgraph_sdl
from systems.world_records import World
from tests.support.graphql import fault_setter
from tests.support.servers import serve

NAMES: tuple[SubgraphName, ...] = ("crm", "erp", "wms")


@pytest.fixture(scope="module")
def gateway(
    crm_subgraph_url: str,
    erp_subgraph_url: str,
    wms_subgraph_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """A client of a gateway over the three subgraphs of the session."""
    urls = {"crm": crm_subgraph_url, "erp": erp_subgraph_url, "wms": wms_subgraph_url}
    supergraph = compose(
        [
            SubgraphSource(name, f"{urls[name]}/graphql", subgraph_sdl(subgraph_schema(name)))
            for name in NAMES
        ]
    )
    path = tmp_path_factory.mktemp("partial") / "supergraph.graphql"
    path.write_text(supergraph)
    with (
        serve(create_gateway_app(path, GatewaySettings(reload_interval=0))) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def admins(
    crm_system_url: str, erp_system_url: str, wms_system_url: str
) -> Iterator[dict[str, httpx.Client]]:
    """Clients of the systems' ``/_admin`` endpoints, by system."""
    urls = {"crm": crm_system_url, "erp": erp_system_url, "wms": wms_system_url}
    clients = {name: httpx.Client(base_url=url, timeout=30) for name, url in urls.items()}
    try:
        yield clients
    finally:
        for client in clients.values():
            client.close()


def ask(gateway: httpx.Client, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """POST to the gateway; the body, which must come with a 200 and no trace of a crash."""
    response = gateway.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    return body


def ask_while_down(
    gateway: httpx.Client,
    admin: httpx.Client,
    document: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    """The answer while the system behind ``admin`` fails every request (restored after)."""
    with fault_setter(admin) as set_faults:
        set_faults(error_rate=1.0)
        return ask(gateway, document, variables)


def failures(body: dict[str, Any], service: str) -> set[tuple[str | int, ...]]:
    """The paths of the errors, each of which must be a located SUBGRAPH_ERROR of ``service``."""
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        assert error["extensions"]["code"] == "SUBGRAPH_ERROR", error
        assert error["extensions"]["serviceName"] == service, error
        assert error.get("path"), error
    return {tuple(error["path"]) for error in errors}


ORDERS_WITH_FULFILLMENT = """
query {
  orders(first: 3) { edges { node { number fulfillmentStatus } } }
}
"""


def test_wms_down_keeps_the_erps_orders(
    gateway: httpx.Client, admins: dict[str, httpx.Client]
) -> None:
    healthy = ask(gateway, ORDERS_WITH_FULFILLMENT, {})
    assert "errors" not in healthy, healthy["errors"]
    numbers = [edge["node"]["number"] for edge in healthy["data"]["orders"]["edges"]]
    assert len(numbers) == 3

    body = ask_while_down(gateway, admins["wms"], ORDERS_WITH_FULFILLMENT, {})
    assert body["data"] == {
        "orders": {
            "edges": [{"node": {"number": number, "fulfillmentStatus": None}} for number in numbers]
        }
    }
    assert failures(body, "wms") == {
        ("orders", "edges", index, "node", "fulfillmentStatus") for index in range(3)
    }


def test_wms_down_keeps_the_erps_products(
    gateway: httpx.Client, admins: dict[str, httpx.Client], world: World
) -> None:
    product = world.products[41]
    document = """
    query($sku: String!) {
      product(sku: $sku) { sku name availableToPromise inventory { available } }
    }
    """
    body = ask_while_down(gateway, admins["wms"], document, {"sku": product.sku})
    assert body["data"] == {
        "product": {
            "sku": product.sku,
            "name": product.name,
            "availableToPromise": None,
            "inventory": None,
        }
    }
    assert failures(body, "wms") <= {
        ("product", "availableToPromise"),
        ("product", "inventory"),
        ("product",),
    }


def test_erp_down_keeps_the_crms_account(
    gateway: httpx.Client, admins: dict[str, httpx.Client], world: World
) -> None:
    account = world.accounts[31]
    document = """
    query($id: ID!) {
      account(id: $id) { name region creditHold }
      orders(first: 2) { totalCount }
    }
    """
    body = ask_while_down(gateway, admins["erp"], document, {"id": account.id})
    assert body["data"] == {
        "account": {"name": account.name, "region": account.region, "creditHold": None},
        "orders": None,
    }
    paths = failures(body, "erp")
    assert ("orders",) in paths
    assert paths - {("orders",)} <= {("account", "creditHold"), ("account",)}
    assert paths - {("orders",)}, "the failed entity fetch has its error too"


def test_crm_down_keeps_the_erps_order(
    gateway: httpx.Client, admins: dict[str, httpx.Client], world: World
) -> None:
    order = next(o for o in world.orders if any(c.order_id == o.id for c in world.cases))
    document = """
    query($id: ID!) {
      order(id: $id) {
        number
        account { id creditHold contacts { id } }
        cases { id }
      }
    }
    """
    body = ask_while_down(gateway, admins["crm"], document, {"id": order.id})
    # Account.contacts is the CRM's own non-null field: its null takes the account (a
    # reference to another subgraph's entity, so nullable) and nothing above it.
    assert body["data"] == {"order": {"number": order.number, "account": None, "cases": None}}
    paths = failures(body, "crm")
    assert ("order", "cases") in paths
    assert paths - {("order", "cases")} <= {
        ("order", "account"),
        ("order", "account", "contacts"),
    }


def test_crm_down_keeps_the_accounts_credit(
    gateway: httpx.Client, admins: dict[str, httpx.Client], world: World
) -> None:
    order = world.orders[77]
    account = next(a for a in world.accounts if a.id == order.account_id)
    document = """
    query($id: ID!) {
      order(id: $id) { number account { id creditHold owner } }
      accounts(first: 2) { totalCount }
    }
    """
    body = ask_while_down(gateway, admins["crm"], document, {"id": order.id})
    assert body["data"]["order"]["number"] == order.number
    assert body["data"]["order"]["account"]["creditHold"] == account.credit_hold
    assert body["data"]["accounts"] is None
    assert ("accounts",) in failures(body, "crm")


@pytest.mark.parametrize("down", NAMES)
def test_every_system_down_in_turn_never_nulls_the_whole_answer(
    down: str, gateway: httpx.Client, admins: dict[str, httpx.Client], world: World
) -> None:
    order = world.orders[101]
    document = """
    query($id: ID!, $account: ID!) {
      order(id: $id) {
        number
        fulfillmentStatus
        shipments { id }
        cases { id }
        account { id creditHold }
        lines { product { sku availableToPromise } }
      }
      account(id: $account) { id name creditHold orders(first: 1) { totalCount } }
      distributionCenters { id }
    }
    """
    variables = {"id": order.id, "account": order.account_id}
    healthy = ask(gateway, document, variables)
    assert "errors" not in healthy, healthy["errors"]

    body = ask_while_down(gateway, admins[down], document, variables)
    assert body["data"] is not None
    failures(body, down)
    expected = healthy["data"]
    answer = body["data"]
    if down == "erp":
        # The order is the ERP's; the account's name and the centers are the others'.
        assert answer["order"] is None
        assert answer["account"]["name"] == expected["account"]["name"]
        assert answer["account"]["creditHold"] is None
        assert answer["account"]["orders"] is None
        assert answer["distributionCenters"] == expected["distributionCenters"]
    elif down == "wms":
        assert answer["order"]["number"] == expected["order"]["number"]
        assert answer["order"]["account"] == expected["order"]["account"]
        assert answer["order"]["cases"] == expected["order"]["cases"]
        assert answer["order"]["fulfillmentStatus"] is None
        assert answer["order"]["shipments"] is None
        assert all(
            line["product"]["availableToPromise"] is None for line in answer["order"]["lines"]
        )
        assert answer["account"] == expected["account"]
    else:
        assert answer["order"]["number"] == expected["order"]["number"]
        assert answer["order"]["fulfillmentStatus"] == expected["order"]["fulfillmentStatus"]
        assert answer["order"]["lines"] == expected["order"]["lines"]
        assert answer["order"]["cases"] is None
        assert answer["distributionCenters"] == expected["distributionCenters"]


def test_faults_are_restored(admins: dict[str, httpx.Client]) -> None:
    for admin in admins.values():
        faults = admin.get("/_admin/faults")
        assert faults.status_code == 200, faults.text
        assert faults.json()["error_rate"] == 0

"""Account scoping through the gateway: the client's token forwarded to subgraphs that verify
it themselves, so a customer's query answers its own account's records across crm, erp and
wms, and another account's order, shipment or account is null (docs/auth.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from gateway.auth import AuthSettings
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from systems.world_records import World
from tests.gateway.graph.conftest import graph_supergraph
from tests.subgraphs.identity import CUSTOMER_SCOPES, Customer, customers
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

ORDER = """
query($n: String!) {
  orderByNumber(number: $n) {
    number
    account { id name cases { id } }
    invoices { number }
    shipments { id trackingNumber }
  }
}
"""
SHIPMENT = """
query($t: String!) {
  shipmentByTracking(trackingNumber: $t) { id order { number account { name } } }
}
"""


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
def gateway(
    settings: Settings, issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A gateway and every subgraph with auth on, all trusting ``issuer``."""
    directory = tmp_path_factory.mktemp("scoped-graph")
    jwks = issuer.jwks_file(directory)
    auth = AuthSettings(jwks=str(jwks), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    guarded = settings.model_copy(update={"redis_url": None, "auth": auth})
    with ExitStack() as stack:
        urls: dict[str, str] = {
            name: stack.enter_context(serve(create_subgraph_app(name, guarded.subgraphs)))
            for name in SUBGRAPH_NAMES
        }
        supergraph = Path(directory / "supergraph.graphql")
        supergraph.write_text(graph_supergraph(settings, urls))
        app = create_gateway_app(supergraph, GatewaySettings(reload_interval=0, auth=auth))
        url = stack.enter_context(serve(app))
        yield stack.enter_context(httpx.Client(base_url=url, timeout=30))


@pytest.fixture(scope="module")
def xy(world: World) -> tuple[Customer, Customer]:
    return customers(world)


def _ask(client: httpx.Client, token: str, document: str, variables: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_customers_order_across_the_three_systems(
    gateway: httpx.Client, issuer: TestIssuer, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    token = issuer.token(scope=CUSTOMER_SCOPES, account_id=x.account.id)
    body = _ask(gateway, token, ORDER, {"n": x.order.number})
    assert "errors" not in body, body
    order = body["data"]["orderByNumber"]
    assert order["number"] == x.order.number
    assert order["account"]["id"] == x.account.id and order["account"]["name"] == x.account.name
    assert {"id": x.case.id} in order["account"]["cases"]
    assert {"number": x.invoice.number} in order["invoices"]
    shipment = {"id": x.shipment.id, "trackingNumber": x.shipment.tracking_number}
    assert shipment in order["shipments"]
    tracked = _ask(gateway, token, SHIPMENT, {"t": x.shipment.tracking_number})
    assert tracked["data"]["shipmentByTracking"] == {
        "id": x.shipment.id,
        "order": {"number": x.order.number, "account": {"name": x.account.name}},
    }


def test_another_accounts_order_and_shipment_are_null(
    gateway: httpx.Client, issuer: TestIssuer, xy: tuple[Customer, Customer]
) -> None:
    x, y = xy
    token = issuer.token(scope=CUSTOMER_SCOPES, account_id=x.account.id)
    assert _ask(gateway, token, ORDER, {"n": y.order.number}) == {"data": {"orderByNumber": None}}
    tracked = _ask(gateway, token, SHIPMENT, {"t": y.shipment.tracking_number})
    assert tracked == {"data": {"shipmentByTracking": None}}
    account = _ask(
        gateway, token, "query($id: ID!) { account(id: $id) { name } }", {"id": y.account.id}
    )
    assert account == {"data": {"account": None}}


def test_staff_sees_every_account(
    gateway: httpx.Client, issuer: TestIssuer, xy: tuple[Customer, Customer]
) -> None:
    token = issuer.token(subject="staff-1", scope="staff")
    for customer in xy:
        body = _ask(gateway, token, ORDER, {"n": customer.order.number})
        assert "errors" not in body, body
        assert body["data"]["orderByNumber"]["account"]["name"] == customer.account.name


def test_operations_are_refused_to_a_customer_and_answered_to_staff(
    gateway: httpx.Client, issuer: TestIssuer, xy: tuple[Customer, Customer]
) -> None:
    """The business monitoring is staff's (docs/operations.md): the gateway removes it for a
    customer's token, whatever its account, before anything is planned."""
    x, _ = xy
    document = "{ operations { windowEnd ordersAtRisk { orderId } } }"
    customer = issuer.token(scope=CUSTOMER_SCOPES, account_id=x.account.id)
    refused = _ask(gateway, customer, document, {})
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    staff = _ask(gateway, issuer.token(subject="staff-1", scope="staff"), document, {})
    assert "errors" not in staff, staff
    assert isinstance(staff["data"]["operations"]["ordersAtRisk"], list)

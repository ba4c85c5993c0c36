"""The mutations through the gateway with auth on: the client's token reaches the orders
subgraph, which acts for the token's account only, and the order it made is selected across
the subgraphs as the customer may see it. Every part is real: the package's copied systems,
the four subgraphs and a gateway with auth on, trusting the test issuer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from gateway.auth import AuthSettings
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from systems.world_records import World
from tests.gateway.graph.conftest import graph_supergraph
from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.support.rest import ok
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) {
    outcome
    order { id number status account { id } }
    userErrors { code }
  }
}
"""
CANCEL = """
mutation Cancel($orderId: ID!, $key: String!) {
  cancelOrder(orderId: $orderId, reason: "not mine", idempotencyKey: $key) {
    order { id } cancelledSkus userErrors { code field }
  }
}
"""


class Gateway:
    def __init__(self, url: str, issuer: TestIssuer, erp: str) -> None:
        self.url, self.issuer, self.erp = url, issuer, erp

    def ask(self, token: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def customer(self, account: str) -> str:
        return self.issuer.token(
            subject=f"portal-user-of-{account}",
            scope="orders:read orders:write accounts:read",
            account_id=account,
        )


@pytest.fixture(scope="module")
def gateway(own_world: OwnWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    issuer = TestIssuer()
    scratch = tmp_path_factory.mktemp("guarded-gateway")
    auth = AuthSettings(
        jwks=str(issuer.jwks_file(scratch)), issuer=TEST_ISSUER, audience=TEST_AUDIENCE
    )
    # The systems stay the package's; the orders journal is this module's own.
    guarded = own_world.settings.model_copy(
        update={"auth": auth, "redis_url": None, "data_dir": scratch}
    )
    with ExitStack() as stack:
        urls: dict[str, str] = {
            name: stack.enter_context(serve(create_subgraph_app(name, guarded.subgraphs)))
            for name in SUBGRAPH_NAMES
        }
        supergraph = scratch / "supergraph.graphql"
        supergraph.write_text(graph_supergraph(guarded, urls))
        app = create_gateway_app(supergraph, GatewaySettings(reload_interval=0, auth=auth))
        yield Gateway(stack.enter_context(serve(app)), issuer, own_world.systems["erp"])


def test_a_customer_submits_through_the_gateway_and_is_named_in_the_erp(
    gateway: Gateway, picker: Picker
) -> None:
    x = picker.account()
    body = gateway.ask(
        gateway.customer(x),
        SUBMIT,
        {"input": order_input(x, line(picker.stocked(), 1)), "key": "gw-own"},
    )
    assert "errors" not in body, body
    payload = body["data"]["submitOrder"]
    assert (payload["outcome"], payload["order"]["account"]) == ("CONFIRMED", {"id": x})
    assert payload["order"]["number"].startswith("SO-")
    order = ok(httpx.get(f"{gateway.erp}/salesOrders/{payload['order']['id']}", timeout=10))
    assert order["custbody_submitted_by"] == f"portal-user-of-{x}"


def test_through_the_gateway_another_account_is_refused_and_nothing_is_written(
    gateway: Gateway, picker: Picker, world: World
) -> None:
    x = picker.account()
    y = next(a.id for a in world.accounts if a.active and not a.credit_hold and a.id != x)
    before = ok(httpx.get(f"{gateway.erp}/salesOrders", params={"limit": 1}, timeout=10))
    token = gateway.customer(x)
    variables = {"input": order_input(y, line(picker.stocked(), 1)), "key": "gw-for-y"}
    body = gateway.ask(token, SUBMIT, variables)
    assert body["data"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    after = ok(httpx.get(f"{gateway.erp}/salesOrders", params={"limit": 1}, timeout=10))
    assert after["totalResults"] == before["totalResults"]
    theirs = next(o for o in world.orders if o.account_id != x and o.status == "CONFIRMED")
    refused = gateway.ask(token, CANCEL, {"orderId": theirs.id, "key": "gw-cancel-y"})
    unknown = gateway.ask(token, CANCEL, {"orderId": "999999999", "key": "gw-cancel-none"})
    assert refused == unknown
    assert refused["data"]["cancelOrder"]["userErrors"] == [
        {"code": "ORDER_NOT_FOUND", "field": ["orderId"]}
    ]
    order = ok(httpx.get(f"{gateway.erp}/salesOrders/{theirs.id}", timeout=10))
    assert (order["custbody_status"], order["custbody_cancelled_by"]) == ("CONFIRMED", None)

"""The mutations through the gateway with auth on: the client's token reaches the orders
subgraph, which acts for the token's account only, and the order it made is selected across
the subgraphs as the customer may see it. Every part is real: the package's copied systems,
the four subgraphs and a gateway with auth on, trusting the test issuer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gateway.auth import AuthSettings
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from subgraphs.wms.intake import WEBHOOK_PATH
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from systems.world_records import OrderRecord, World
from tests.gateway.graph.conftest import graph_supergraph
from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.support.rest import ok
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer
from tests.support.waiting import wait_until_async

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


MILESTONES = """
subscription($orderId: ID) { fulfillmentMilestones(orderId: $orderId) { eventId type } }
"""


class Gateway:
    def __init__(
        self, url: str, issuer: TestIssuer, erp: str, wms: Starlette, wms_url: str, secret: str
    ) -> None:
        self.url, self.issuer, self.erp = url, issuer, erp
        self.wms, self.wms_url, self.secret = wms, wms_url, secret

    @asynccontextmanager
    async def socket(self, token: str) -> AsyncIterator[ClientConnection]:
        """A graphql-transport-ws connection to the gateway, opened with ``token``."""
        url = self.url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await ws.send(orjson.dumps(init).decode())
            ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            yield ws

    async def webhook(self, order: OrderRecord, event_id: str) -> None:
        """One milestone of ``order``, sent to the wms subgraph as the WMS sends it."""
        line = order.lines[0]
        raw = orjson.dumps({
            "event_id": event_id, "event_code": "WV_PCK", "event_ts": "2025-03-01T10:00:00Z",
            "facility_id": line.center_id, "order_ref": order.id, "order_number": order.number,
            "lines": [{"item_number": line.sku, "qty": line.quantity}],
        })  # fmt: skip
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: signature_header(self.secret, raw)}  # fmt: skip
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(f"{self.wms_url}{WEBHOOK_PATH}", content=raw, headers=headers)
        assert answer.status_code == 202, answer.text

    async def subscribers(self, count: int) -> None:
        feed = self.wms.state.milestone_feed

        async def ready() -> bool:
            return bool(feed.subscribers == count)

        await wait_until_async(ready, what=f"{count} subscriber(s) on the wms subgraph")

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
        apps = {name: create_subgraph_app(name, guarded.subgraphs) for name in SUBGRAPH_NAMES}
        urls: dict[str, str] = {name: stack.enter_context(serve(a)) for name, a in apps.items()}
        supergraph = scratch / "supergraph.graphql"
        supergraph.write_text(graph_supergraph(guarded, urls))
        app = create_gateway_app(supergraph, GatewaySettings(reload_interval=0, auth=auth))
        yield Gateway(
            stack.enter_context(serve(app)),
            issuer,
            own_world.systems["erp"],
            apps["wms"],
            urls["wms"],
            guarded.subgraphs.webhooks.secret,
        )


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


def subscribe(id: str, order_id: str) -> str:
    """The ``subscribe`` message of subscription ``id`` to the milestones of ``order_id``."""
    payload = {"query": MILESTONES, "variables": {"orderId": order_id}}
    return orjson.dumps({"id": id, "type": "subscribe", "payload": payload}).decode()


async def first_messages(ws: ClientConnection, *ids: str) -> list[dict[str, Any]]:
    """The first message of each subscription ``ids``, whichever order they come in."""
    found: dict[str, dict[str, Any]] = {}
    while not set(ids) <= set(found):
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        found.setdefault(str(message.get("id")), message)
    return [found[id] for id in ids]


async def first_message(ws: ClientConnection, id: str) -> dict[str, Any]:
    [message] = await first_messages(ws, id)
    return message


async def test_through_the_gateway_a_customer_follows_only_its_own_orders(
    gateway: Gateway, world: World, picker: Picker
) -> None:
    x = picker.account()
    mine = next(o for o in world.orders if o.account_id == x)
    theirs = next(o for o in world.orders if o.account_id != x)
    async with gateway.socket(gateway.customer(x)) as ws:
        for id, order_id in (("theirs", theirs.id), ("unknown", "999999999")):
            await ws.send(subscribe(id, order_id))
        refused, unknown = await first_messages(ws, "theirs", "unknown")
        assert refused["type"] == unknown["type"], (refused, unknown)
        codes = [
            [e.get("extensions", {}).get("code") for e in _errors(m)] for m in (refused, unknown)
        ]
        assert codes[0] == codes[1] == ["BAD_USER_INPUT"], (refused, unknown)
        await ws.send(subscribe("mine", mine.id))
        await gateway.subscribers(1)
        await gateway.webhook(theirs, "wev_gw_theirs")
        await gateway.webhook(mine, "wev_gw_mine")
        got = await first_message(ws, "mine")
        assert got["type"] == "next", got
        assert got["payload"]["data"]["fulfillmentMilestones"] == {
            "eventId": "wev_gw_mine",
            "type": "PICKING",
        }


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    payload = message.get("payload")
    if isinstance(payload, list):
        return payload
    errors: list[dict[str, Any]] = (payload or {}).get("errors", [])
    return errors


def test_an_accounts_only_token_sees_no_trace_of_its_orders(
    gateway: Gateway, picker: Picker
) -> None:
    """The attack: a token with ``accounts:read`` alone (a CRM view's) asks for its
    account's ``orders`` and reads what the connection tells without a node: how many orders
    there are, whether there is another page, their cursors. ``account { orders }`` needs
    ``orders:read`` as ``orders`` does (docs/auth.md), so the field goes, before any fetch."""
    x = picker.account()
    token = gateway.issuer.token(subject="crm-view", scope="accounts:read", account_id=x)
    document = """
    query($id: ID!) {
      account(id: $id) { id orders(first: 2) { totalCount pageInfo { hasNextPage } } }
    }
    """
    body = gateway.ask(token, document, {"id": x})
    assert body["data"] == {"account": {"id": x, "orders": None}}
    assert body["errors"] == [
        {
            "message": "Unauthorized field or type",
            "path": ["account", "orders"],
            "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
        }
    ]


def test_an_orders_only_token_reads_no_crm_activity_of_its_account(
    gateway: Gateway, world: World
) -> None:
    """The attack: a token with ``orders:read`` alone goes from its own order to its account
    (which any token may see) and on to the CRM's activity history there: the calls, emails
    and meetings of the sales team. Those are account data, as contacts and cases are, and
    need ``accounts:read``; the order's own activities (its milestones) stay readable."""
    order = world.orders[0]
    token = gateway.issuer.token(
        subject="warehouse-app", scope="orders:read", account_id=order.account_id
    )
    document = """
    query($id: ID!) {
      order(id: $id) { id activities(first: 1) { order { id } } account { id activities { type } } }
    }
    """
    body = gateway.ask(token, document, {"id": order.id})
    assert body["data"]["order"]["id"] == order.id
    assert body["data"]["order"]["account"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["order", "account", "activities", "@"], "UNAUTHORIZED_FIELD_OR_TYPE")
    ]
    staff = gateway.issuer.token(subject="staff", scope="staff")
    seen = gateway.ask(staff, document, {"id": order.id})["data"]["order"]["account"]
    assert seen["id"] == order.account_id and isinstance(seen["activities"], list)

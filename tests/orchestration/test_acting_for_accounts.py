"""The mutations act only for the caller's account, and the ERP records who acted.

An orders subgraph with auth on, over the package's copied world, is called directly with
tokens the test issuer signs (what the gateway forwards); what changed is read back from the
ERP's own REST API. Customer X and customer Y are two accounts of the world; staff act for all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.auth import AuthSettings
from subgraphs.apps import create_subgraph_app
from systems.world_records import World
from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.orchestration.test_returns import shipped_orders
from tests.orchestration.test_submit_order import SUBMIT
from tests.support.rest import ok
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

CANCEL = """
mutation Cancel($orderId: ID!, $key: String!) {
  cancelOrder(orderId: $orderId, reason: "not mine", idempotencyKey: $key) {
    order { id }
    cancelledSkus
    userErrors { code field message }
  }
}
"""
REQUEST = """
mutation Request($input: RequestReturnInput!, $key: String!) {
  requestReturn(input: $input, idempotencyKey: $key) {
    status returnAuthorization { id } userErrors { code field }
  }
}
"""
RECEIVE = """
mutation Receive($input: ReceiveReturnInput!, $key: String!) {
  receiveReturn(input: $input, idempotencyKey: $key) { status userErrors { code } }
}
"""
# What the orders subgraph selects of its own payload (the gateway completes the order).
OWN_SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) {
    outcome order { id } userErrors { code field message }
  }
}
"""


@dataclasses.dataclass(frozen=True)
class Guarded:
    """The orders subgraph with auth on, its token issuer, and the two customers."""

    url: str
    issuer: TestIssuer
    erp: str
    x: str
    y: str

    def call(self, token: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def customer(self, account: str, scope: str = "orders:read orders:write returns:write") -> str:
        return self.issuer.token(subject=f"customer-of-{account}", scope=scope, account_id=account)

    def staff(self) -> str:
        return self.issuer.token(subject="staff-ann", scope="staff")

    def erp_order(self, order_id: str) -> dict[str, Any]:
        found: dict[str, Any] = ok(httpx.get(f"{self.erp}/salesOrders/{order_id}", timeout=10))
        return found

    def order_count(self) -> int:
        body = ok(httpx.get(f"{self.erp}/salesOrders", params={"limit": 1}, timeout=10))
        total: int = body["totalResults"]
        return total


@pytest.fixture(scope="module")
def guarded(
    own_world: OwnWorld, world: World, picker: Picker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Guarded]:
    issuer = TestIssuer()
    scratch = tmp_path_factory.mktemp("guarded-orders")
    auth = AuthSettings(
        jwks=str(issuer.jwks_file(scratch)), issuer=TEST_ISSUER, audience=TEST_AUDIENCE
    )
    settings = own_world.settings.subgraphs
    # A journal of its own: the package's orders subgraph must not recover these workflows.
    workflows = dataclasses.replace(settings.workflows, journal_dir=scratch)
    own = dataclasses.replace(settings, auth=auth, workflows=workflows)
    x = picker.account()
    y = next(a.id for a in world.accounts if a.active and not a.credit_hold and a.id != x)
    with serve(create_subgraph_app("orders", own)) as url:
        yield Guarded(url, issuer, own_world.systems["erp"], x, y)


def payload_of(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"][field]
    return found


def forbidden(body: dict[str, Any]) -> str:
    """The message of the one FORBIDDEN error of a refused mutation (its data null)."""
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    message: str = error["message"]
    return message


def test_a_customer_submits_for_its_account_and_the_erp_records_it(
    guarded: Guarded, picker: Picker
) -> None:
    body = guarded.call(
        guarded.customer(guarded.x),
        OWN_SUBMIT,
        {"input": order_input(guarded.x, line(picker.stocked(), 1)), "key": "x-own"},
    )
    payload = payload_of(body, "submitOrder")
    assert (payload["outcome"], payload["userErrors"]) == ("CONFIRMED", [])
    order = guarded.erp_order(payload["order"]["id"])
    assert order["entity"]["externalId"] == guarded.x
    assert order["custbody_submitted_by"] == f"customer-of-{guarded.x}"


def test_a_customer_cannot_submit_for_another_account(guarded: Guarded, picker: Picker) -> None:
    sku = picker.stocked()
    before = guarded.order_count()
    variables = {"input": order_input(guarded.y, line(sku, 1)), "key": "x-for-y"}
    message = forbidden(guarded.call(guarded.customer(guarded.x), OWN_SUBMIT, variables))
    assert "account" in message
    assert guarded.order_count() == before
    # Nothing was claimed: Y's own submission under the same words is a new order of Y's.
    payload = payload_of(
        guarded.call(guarded.customer(guarded.y), OWN_SUBMIT, variables), "submitOrder"
    )
    assert payload["outcome"] == "CONFIRMED"
    assert guarded.erp_order(payload["order"]["id"])["entity"]["externalId"] == guarded.y


def test_scopes_are_checked_again_by_the_subgraph(guarded: Guarded, picker: Picker) -> None:
    sku = picker.stocked()
    variables = {"input": order_input(guarded.x, line(sku, 1)), "key": "x-read-only"}
    before = guarded.order_count()
    reader = guarded.customer(guarded.x, scope="orders:read")
    assert "orders:write" in forbidden(guarded.call(reader, OWN_SUBMIT, variables))
    # Without a token the subgraph answers nothing at all (subgraphs.common.identity).
    anonymous = guarded.call(None, OWN_SUBMIT, variables)
    assert anonymous["data"] is None
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    receipt = {"returnAuthorizationId": "400001", "lines": []}
    refused = guarded.call(guarded.customer(guarded.x), RECEIVE, {"input": receipt, "key": "r"})
    assert "staff" in forbidden(refused)
    assert guarded.order_count() == before


def test_another_accounts_order_cannot_be_cancelled_and_looks_unknown(
    guarded: Guarded, picker: Picker
) -> None:
    theirs = payload_of(
        guarded.call(
            guarded.staff(),
            OWN_SUBMIT,
            {"input": order_input(guarded.y, line(picker.stocked(), 2)), "key": "staff-for-y"},
        ),
        "submitOrder",
    )["order"]["id"]
    assert guarded.erp_order(theirs)["custbody_submitted_by"] == "staff-ann"
    before = guarded.erp_order(theirs)
    x = guarded.customer(guarded.x)
    refused = payload_of(
        guarded.call(x, CANCEL, {"orderId": theirs, "key": "x-cancels-y"}), "cancelOrder"
    )
    unknown = payload_of(
        guarded.call(x, CANCEL, {"orderId": "999999999", "key": "x-cancels-none"}), "cancelOrder"
    )
    assert refused == unknown
    assert [e["code"] for e in refused["userErrors"]] == ["ORDER_NOT_FOUND"]
    assert guarded.erp_order(theirs) == before
    # Y cancels its own order, under the key X used: X's refusal was not kept for it.
    mine = payload_of(
        guarded.call(
            guarded.customer(guarded.y), CANCEL, {"orderId": theirs, "key": "x-cancels-y"}
        ),
        "cancelOrder",
    )
    assert (mine["userErrors"], mine["order"]) == ([], {"id": theirs})
    after = guarded.erp_order(theirs)
    assert (after["custbody_status"], after["custbody_cancelled_by"]) == (
        "CANCELLED",
        f"customer-of-{guarded.y}",
    )


def test_a_return_on_another_accounts_order_is_refused_as_unknown(
    guarded: Guarded, world: World
) -> None:
    order = shipped_orders(world, newer_than=80)[-1]
    assert order.account_id != guarded.x
    ask = {"orderId": order.id, "lines": [{"sku": order.lines[0].sku, "quantity": 1,
                                           "reason": "DAMAGED"}]}  # fmt: skip
    x = guarded.customer(guarded.x)
    refused = payload_of(guarded.call(x, REQUEST, {"input": ask, "key": "x-returns"}),
                         "requestReturn")  # fmt: skip
    unknown = {**ask, "orderId": "999999999"}
    nothing = payload_of(guarded.call(x, REQUEST, {"input": unknown, "key": "x-returns-none"}),
                         "requestReturn")  # fmt: skip
    assert refused == nothing
    assert refused["userErrors"] == [{"code": "ORDER_NOT_FOUND", "field": ["orderId"]}]
    returns = ok(httpx.get(f"{guarded.erp}/returnAuthorizations",
                           params={"orderIds": order.id}, timeout=10))  # fmt: skip
    assert returns["items"] == []
    # Its own account's customer may, and the ERP records who asked.
    owner = guarded.customer(order.account_id)
    asked = payload_of(guarded.call(owner, REQUEST, {"input": ask, "key": "x-returns"}),
                       "requestReturn")  # fmt: skip
    assert asked["status"] == "AUTHORIZED", asked
    ra = ok(httpx.get(f"{guarded.erp}/returnAuthorizations/{asked['returnAuthorization']['id']}",
                      timeout=10))  # fmt: skip
    assert ra["custbody_requested_by"] == f"customer-of-{order.account_id}"
    # The warehouse (staff) books the receipt: the ERP records who received it.
    receipt = {"returnAuthorizationId": ra["internalId"],
               "lines": [{"sku": order.lines[0].sku, "quantity": 1,
                          "disposition": "RESTOCKED"}]}  # fmt: skip
    booked = payload_of(guarded.call(guarded.staff(), RECEIVE, {"input": receipt, "key": "rcv"}),
                        "receiveReturn")  # fmt: skip
    assert (booked["status"], booked["userErrors"]) == ("CREDITED", [])
    ra = ok(httpx.get(f"{guarded.erp}/returnAuthorizations/{ra['internalId']}", timeout=10))
    assert (ra["custbody_requested_by"], ra["custbody_received_by"]) == (
        f"customer-of-{order.account_id}",
        "staff-ann",
    )


def test_one_accounts_idempotency_key_never_answers_another_accounts_order(
    guarded: Guarded, picker: Picker
) -> None:
    sku = picker.stocked()
    x_order = payload_of(
        guarded.call(
            guarded.customer(guarded.x),
            OWN_SUBMIT,
            {"input": order_input(guarded.x, line(sku, 1)), "key": "shared-words"},
        ),
        "submitOrder",
    )["order"]["id"]
    y_payload = payload_of(
        guarded.call(
            guarded.customer(guarded.y),
            OWN_SUBMIT,
            {"input": order_input(guarded.y, line(sku, 1)), "key": "shared-words"},
        ),
        "submitOrder",
    )
    # Not X's order, and not a hint that the key was taken (IDEMPOTENCY_KEY_REUSED).
    assert (y_payload["outcome"], y_payload["userErrors"]) == ("CONFIRMED", [])
    assert y_payload["order"]["id"] != x_order
    assert guarded.erp_order(y_payload["order"]["id"])["entity"]["externalId"] == guarded.y
    # X's own retry still answers X's order.
    again = payload_of(
        guarded.call(
            guarded.customer(guarded.x),
            OWN_SUBMIT,
            {"input": order_input(guarded.x, line(sku, 1)), "key": "shared-words"},
        ),
        "submitOrder",
    )
    assert again["order"]["id"] == x_order


def test_staff_act_for_every_account(guarded: Guarded, picker: Picker) -> None:
    for account in (guarded.x, guarded.y):
        payload = payload_of(
            guarded.call(
                guarded.staff(),
                OWN_SUBMIT,
                {"input": order_input(account, line(picker.stocked(), 1)), "key": f"s-{account}"},
            ),
            "submitOrder",
        )
        order = guarded.erp_order(payload["order"]["id"])
        assert (order["entity"]["externalId"], order["custbody_submitted_by"]) == (
            account,
            "staff-ann",
        )


def test_with_auth_off_the_erp_records_the_system(own_world: OwnWorld, picker: Picker) -> None:
    body = own_world.graphql(
        SUBMIT, {"input": order_input(picker.account(), line(picker.stocked(), 1)), "key": "off"}
    )
    order_id = body["data"]["submitOrder"]["order"]["id"]  # type: ignore[index]
    response = httpx.get(f"{own_world.systems['erp']}/salesOrders/{order_id}", timeout=10)
    assert ok(response)["custbody_submitted_by"] == "system"


PROMISE = """
query($input: PromiseOrderInput!) {
  promiseOrder(input: $input) { outcome subtotal { amount } userErrors { code } }
}
"""


def test_a_customer_promises_for_its_own_account_only(guarded: Guarded, picker: Picker) -> None:
    sku = picker.stocked()
    x = guarded.customer(guarded.x, scope="orders:read")
    own = guarded.call(x, PROMISE, {"input": order_input(guarded.x, line(sku, 1))})
    assert payload_of(own, "promiseOrder")["outcome"] == "CONFIRMED"
    # Another account's prices and credit are not the customer's to see.
    theirs = guarded.call(x, PROMISE, {"input": order_input(guarded.y, line(sku, 1))})
    assert "account" in forbidden(theirs)
    writer = guarded.customer(guarded.x, scope="orders:write")
    assert "orders:read" in forbidden(
        guarded.call(writer, PROMISE, {"input": order_input(guarded.x, line(sku, 1))})
    )

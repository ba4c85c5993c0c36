"""The WMS subgraph with auth on: a customer sees the fulfillment and shipments of its own
account's orders, and of another account's nothing, by any path (docs/auth.md). The WMS
knows orders, not accounts: the ERP tells it whose an order is, in one call per tick."""

from __future__ import annotations

from typing import Any

import httpx

from systems.world_records import World
from tests.subgraphs.identity import NO_TOKEN, Customer, Roles, ask
from tests.support.graphql import route_counts

SHIPMENT = "query($id: ID!) { shipment(id: $id) { id trackingNumber order { id } } }"
BY_TRACKING = "query($t: String!) { shipmentByTracking(trackingNumber: $t) { id } }"
ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Shipment { id trackingNumber }
    ... on Order { id shipments { id } fulfillmentOrders { id shipments { id } } }
    ... on FulfillmentOrder { id }
    ... on Product { sku availableToPromise }
    ... on DistributionCenter { id }
  }
}
"""


def _entities(client: httpx.Client, token: str, reps: list[dict[str, Any]]) -> list[Any]:
    body = ask(client, token, ENTITIES, {"representations": reps})
    assert "errors" not in body, body
    entities: list[Any] = body["data"]["_entities"]
    return entities


def test_a_customer_reads_its_own_shipment_by_id_and_tracking_number(
    wms_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    token = roles.customer()
    shipment = ask(wms_guarded, token, SHIPMENT, {"id": x.shipment.id})["data"]["shipment"]
    assert shipment == {
        "id": x.shipment.id,
        "trackingNumber": x.shipment.tracking_number,
        "order": {"id": x.order.id},
    }
    tracked = ask(wms_guarded, token, BY_TRACKING, {"t": x.shipment.tracking_number})
    assert tracked == {"data": {"shipmentByTracking": {"id": x.shipment.id}}}


def test_another_accounts_shipment_is_null_by_id_and_tracking_number(
    wms_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    _, y = xy
    token = roles.customer()
    assert ask(wms_guarded, token, SHIPMENT, {"id": y.shipment.id}) == {"data": {"shipment": None}}
    tracked = ask(wms_guarded, token, BY_TRACKING, {"t": y.shipment.tracking_number})
    assert tracked == {"data": {"shipmentByTracking": None}}


def test_entities_of_another_accounts_orders_are_null_or_empty(
    wms_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer], world: World
) -> None:
    x, y = xy
    y_fulfillment = next(f for f in world.fulfillment_orders if f.order_id == y.order.id)
    theirs = _entities(
        wms_guarded,
        roles.customer(),
        [
            {"__typename": "Shipment", "id": y.shipment.id},
            {"__typename": "Order", "id": y.order.id},
            {"__typename": "FulfillmentOrder", "id": y_fulfillment.id},
        ],
    )
    assert theirs == [
        None,
        {"__typename": "Order", "id": y.order.id, "shipments": [], "fulfillmentOrders": []},
        None,
    ]
    mine = _entities(
        wms_guarded,
        roles.customer(),
        [
            {"__typename": "Shipment", "id": x.shipment.id},
            {"__typename": "Order", "id": x.order.id},
        ],
    )
    shipment, order = mine
    assert shipment == {
        "__typename": "Shipment",
        "id": x.shipment.id,
        "trackingNumber": x.shipment.tracking_number,
    }
    assert {"id": x.shipment.id} in order["shipments"]
    assert any({"id": x.shipment.id} in f["shipments"] for f in order["fulfillmentOrders"])


def test_reference_data_is_for_every_verified_caller(
    wms_guarded: httpx.Client, roles: Roles, world: World
) -> None:
    reps = [
        {"__typename": "Product", "sku": world.products[0].sku},
        {"__typename": "DistributionCenter", "id": world.centers[0].id},
    ]
    product, center = _entities(wms_guarded, roles.customer(), reps)
    assert product["sku"] == world.products[0].sku and product["availableToPromise"] >= 0
    assert center == {"__typename": "DistributionCenter", "id": world.centers[0].id}


def test_a_customers_many_orders_cost_one_account_lookup(
    wms_guarded: httpx.Client, roles: Roles, erp_admin: httpx.Client, world: World
) -> None:
    shipped = list(dict.fromkeys(s.order_id for s in world.shipments))[:60]
    reps = [{"__typename": "Order", "id": order_id} for order_id in shipped]
    reps += [{"__typename": "Shipment", "id": s.id} for s in world.shipments[:40]]
    before = route_counts(erp_admin)
    found = _entities(wms_guarded, roles.customer(), reps)
    calls = route_counts(erp_admin) - before
    # The orders' accounts are asked of the ERP in bulk, as the WMS's bulk answers come in
    # (fulfillment orders, shipments by order, shipments by id), each order once: a few
    # calls for a hundred records, never one per record.
    assert set(calls) == {"GET /salesOrders"} and calls["GET /salesOrders"] <= 3, calls
    assert len(found) == 100


def test_staff_reads_every_accounts_shipments_without_asking_the_erp(
    wms_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer], erp_admin: httpx.Client
) -> None:
    before = route_counts(erp_admin)
    for customer in xy:
        body = ask(wms_guarded, roles.staff(), SHIPMENT, {"id": customer.shipment.id})
        assert body["data"]["shipment"]["id"] == customer.shipment.id
    assert route_counts(erp_admin) - before == {}


def test_without_a_token_no_shipment(
    wms_guarded: httpx.Client, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    assert ask(wms_guarded, None, SHIPMENT, {"id": x.shipment.id}) == NO_TOKEN


def test_a_token_bound_to_no_account_sees_no_shipment(
    wms_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer], erp_admin: httpx.Client
) -> None:
    x, _ = xy
    token = roles.issuer.token(scope="orders:read")
    before = route_counts(erp_admin)
    body = ask(wms_guarded, token, SHIPMENT, {"id": x.shipment.id})
    assert body == {"data": {"shipment": None}}
    assert route_counts(erp_admin) - before == {}  # no account to look up


def test_auth_off_reads_every_shipment_as_before(
    wms_graph: httpx.Client, xy: tuple[Customer, Customer]
) -> None:
    _, y = xy
    body = ask(wms_graph, None, SHIPMENT, {"id": y.shipment.id})
    assert body["data"]["shipment"]["id"] == y.shipment.id

"""Credit across orders subgraphs: two orders-subgraph servers, each with its own journal and
records (replicas), take ``submitOrder`` for one account at once; only what fits the credit
left is confirmed, the rest goes ON_HOLD for CREDIT, as one submitted alone over the limit."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from subgraphs.apps import create_subgraph_app
from systems.world_names import TAX_RATES
from systems.world_records import World
from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.support.servers import serve

ORDERS = 10

SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) { outcome order { id } userErrors { code } }
}
"""

PROMISE = """
query Promise($input: PromiseOrderInput!) {
  promiseOrder(input: $input) { outcome subtotal { amount } userErrors { code } }
}
"""


@pytest.fixture(scope="module")
def replicas(own_world: OwnWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two orders subgraphs over the world's systems, sharing nothing but the systems."""
    settings = own_world.settings.subgraphs
    with (
        serve(_orders(settings, tmp_path_factory)) as a,
        serve(_orders(settings, tmp_path_factory)) as b,
    ):
        yield [a, b]


def _orders(settings: Any, factory: pytest.TempPathFactory) -> Any:
    workflows = dataclasses.replace(settings.workflows, journal_dir=factory.mktemp("replica"))
    return create_subgraph_app("orders", dataclasses.replace(settings, workflows=workflows))


def graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=120
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert "errors" not in body, body
    return body


def credit(own_world: OwnWorld, account: str) -> tuple[Decimal, Decimal]:
    answer = httpx.get(
        f"{own_world.systems['erp']}/customers", params={"externalIds": account}, timeout=10
    )
    [row] = answer.json()["items"]
    return Decimal(row["creditLimit"]), Decimal(row["creditExposure"])


def lone_account(own_world: OwnWorld, world: World, picker: Picker, *, nth: int = 0) -> str:
    """An account in good standing with room for a few orders that no other test here uses
    (the ``nth`` such, for another test)."""
    good = [a for a in world.accounts if a.active and not a.credit_hold]
    taken = {picker.small_account(), *(picker.account(region=a.region) for a in good)}
    taken |= {a.id for a in good[:3]}  # the first few stand in for "another account"
    for account in sorted(good, key=lambda a: a.id, reverse=True):
        if account.id not in taken:
            limit, exposure = credit(own_world, account.id)
            if 2_000 < limit - exposure < 50_000:
                if nth == 0:
                    return account.id
                nth -= 1
    raise AssertionError("no account with a few orders' room")


def test_two_orders_subgraphs_submitting_at_once_confirm_only_what_fits(
    own_world: OwnWorld, replicas: list[str], world: World, picker: Picker
) -> None:
    # Backordered throughout (no center has it): the backordered lines count in the credit,
    # and no stock race between the orders muddles what the credit decides.
    account, sku = lone_account(own_world, world, picker), picker.out_of_stock()
    limit, exposure = credit(own_world, account)
    headroom = limit - exposure

    def subtotal(units: int) -> Decimal:
        body = graphql(replicas[0], PROMISE, {"input": order_input(account, line(sku, units))})
        return Decimal(body["data"]["promiseOrder"]["subtotal"]["amount"])

    tax = 1 + TAX_RATES["NJ"]
    units = max(1, int(headroom / Decimal("3.6") / (subtotal(1) * tax)))
    fitting = int(headroom // (subtotal(units) * tax))
    assert 1 <= fitting < ORDERS
    start = threading.Barrier(ORDERS)
    payloads: dict[int, dict[str, Any]] = {}

    def submit(n: int) -> None:
        variables = {"input": order_input(account, line(sku, units)), "key": f"across-{n}"}
        start.wait()
        payloads[n] = graphql(replicas[n % 2], SUBMIT, variables)["data"]["submitOrder"]

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(ORDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(payloads) == ORDERS
    assert all(p["userErrors"] == [] for p in payloads.values()), payloads
    ids = ",".join(p["order"]["id"] for p in payloads.values())
    orders = httpx.get(
        f"{own_world.systems['erp']}/salesOrders", params={"ids": ids}, timeout=10
    ).json()["items"]
    states = sorted((o["custbody_status"], o["custbody_hold_reason"]) for o in orders)
    assert states == [("CONFIRMED", None)] * fitting + [("ON_HOLD", "CREDIT")] * (
        ORDERS - fitting
    ), states
    outcomes = sorted(p["outcome"] for p in payloads.values())
    assert outcomes == ["CONFIRMED"] * fitting + ["ON_HOLD"] * (ORDERS - fitting)
    confirmed = [o for o in orders if o["custbody_status"] == "CONFIRMED"]
    assert sum(Decimal(o["total"]) for o in confirmed) <= headroom


def test_a_promise_answers_what_the_submission_decides_tax_included(
    own_world: OwnWorld, replicas: list[str], world: World, picker: Picker
) -> None:
    # An order that fits the credit before tax and not after: promiseOrder, which once
    # compared the subtotal alone, must say ON_HOLD as submitOrder (the ERP's check) does.
    account, sku = lone_account(own_world, world, picker, nth=1), picker.out_of_stock()
    limit, exposure = credit(own_world, account)
    headroom = limit - exposure

    def promised(units: int) -> tuple[str, Decimal]:
        body = graphql(replicas[1], PROMISE, {"input": order_input(account, line(sku, units))})
        answer = body["data"]["promiseOrder"]
        assert answer["userErrors"] == []
        return answer["outcome"], Decimal(answer["subtotal"]["amount"])

    def units_for(target: Decimal) -> tuple[int, str, Decimal]:
        """The most units whose subtotal is at most ``target`` (quantity breaks lower the
        unit price as the quantity grows, so it is found by a few promises)."""
        units = 1
        for _ in range(20):
            outcome, subtotal = promised(units)
            more = int(units * target / subtotal)
            if more <= units and subtotal <= target:
                if promised(units + 1)[1] > target:
                    return units, outcome, subtotal
                more = units + 1
            units = max(1, min(more, units * 4) if subtotal <= target else more)
        raise AssertionError(f"no quantity of {sku} comes to just under {target}")

    tax = 1 + TAX_RATES["NJ"]
    units, outcome, subtotal = units_for(headroom)
    assert subtotal <= headroom < subtotal * tax, "the SKU's price is too coarse here"
    assert outcome == "ON_HOLD"
    assert units_for(headroom / tax)[1] == "CONFIRMED"
    variables = {"input": order_input(account, line(sku, units)), "key": "tax-counted"}
    submitted = graphql(replicas[0], SUBMIT, variables)["data"]["submitOrder"]
    assert submitted["outcome"] == "ON_HOLD", submitted
    order = httpx.get(
        f"{own_world.systems['erp']}/salesOrders",
        params={"ids": submitted["order"]["id"]},
        timeout=10,
    ).json()["items"][0]
    assert (order["custbody_status"], order["custbody_hold_reason"]) == ("ON_HOLD", "CREDIT")
    assert Decimal(order["subtotal"]) == subtotal and Decimal(order["total"]) > headroom

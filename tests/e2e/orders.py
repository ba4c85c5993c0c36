"""Orders placed through the gateway for the end-to-end tests, each on an account of its own
(so that what an account sees, its activities, cases and milestones, is this order's only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from systems.world_records import World
from tests.e2e.world import E2EWorld
from tests.orchestration.picks import Picker, line, order_input

__all__ = ["SUBMIT", "Accounts", "Placed", "place_order"]

SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) {
    outcome
    userErrors { code field message }
    order {
      id number total { amount }
      account { id name }
      fulfillmentOrders { id status distributionCenter { id } }
    }
  }
}
"""


class Accounts:
    """Hands out active accounts in good standing, each once, the largest credit limit first."""

    def __init__(self, world: World) -> None:
        candidates = [a for a in world.accounts if a.active and not a.credit_hold]
        self._left = sorted(candidates, key=lambda a: a.credit_limit, reverse=True)

    def take(self) -> str:
        return self._left.pop(0).id


@dataclass(frozen=True)
class Placed:
    """An order submitted through the gateway and released to one center."""

    order_id: str
    number: str
    total: str
    account_id: str
    account_name: str
    fulfillment_order: str
    center: str
    sku: str
    quantity: int


def place_order(world: E2EWorld, picker: Picker, account: str, *, quantity: int = 2) -> Placed:
    """Submit an order of ``quantity`` units of a SKU stocked at Newark; it is confirmed and
    released as one fulfillment order."""
    sku = picker.stocked("EWR1", at_least=quantity + 20)
    variables: dict[str, Any] = {
        "input": order_input(account, line(sku, quantity)),
        "key": f"e2e-{uuid.uuid4().hex}",
    }
    payload = world.data(SUBMIT, variables)["submitOrder"]
    assert payload["userErrors"] == [] and payload["outcome"] == "CONFIRMED", payload
    order = payload["order"]
    [released] = order["fulfillmentOrders"]
    assert released["status"] == "RELEASED"
    return Placed(
        order_id=order["id"],
        number=order["number"],
        total=order["total"]["amount"],
        account_id=order["account"]["id"],
        account_name=order["account"]["name"],
        fulfillment_order=released["id"],
        center=released["distributionCenter"]["id"],
        sku=sku,
        quantity=quantity,
    )

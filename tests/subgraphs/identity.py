"""What the subgraphs' identity tests share: two customers of the test world, a request
with a bearer token, and the tokens of docs/auth.md's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from systems.world_records import (
    AccountRecord,
    CaseRecord,
    InvoiceRecord,
    OrderRecord,
    ShipmentRecord,
    World,
)
from tests.support.tokens import TestIssuer

__all__ = [
    "CUSTOMER_SCOPES",
    "NO_TOKEN",
    "STAFF_SCOPES",
    "Customer",
    "Roles",
    "ask",
    "customers",
]

CUSTOMER_SCOPES = "orders:read accounts:read"
STAFF_SCOPES = "staff"

NO_TOKEN: dict[str, Any] = {
    "data": None,
    "errors": [
        {"message": "A bearer token is required.", "extensions": {"code": "UNAUTHENTICATED"}}
    ],
}
"""What a subgraph with auth on answers an operation sent without a token."""


@dataclass(frozen=True)
class Customer:
    """One account of the test world and records of it a probe can name: a shipped order
    with an invoice, a shipment and a case about it."""

    account: AccountRecord
    order: OrderRecord
    invoice: InvoiceRecord
    shipment: ShipmentRecord
    case: CaseRecord
    contact_id: str


def customers(world: World) -> tuple[Customer, Customer]:
    """Two customers (X, Y) whose first shipped, invoiced order also has a case."""
    found: list[Customer] = []
    for account in world.accounts:
        for order in (o for o in world.orders if o.account_id == account.id):
            invoice = next((i for i in world.invoices if i.order_id == order.id), None)
            shipment = next((s for s in world.shipments if s.order_id == order.id), None)
            case = next((c for c in world.cases if c.order_id == order.id), None)
            contact = next((c for c in world.contacts if c.account_id == account.id), None)
            if invoice and shipment and case and contact:
                found.append(Customer(account, order, invoice, shipment, case, contact.id))
                break
        if len(found) == 2:
            return found[0], found[1]
    raise AssertionError("the test world has no two customers with shipped, invoiced orders")


@dataclass(frozen=True)
class Roles:
    """Tokens of ``issuer`` for the roles of docs/auth.md, customer X's and staff's."""

    issuer: TestIssuer
    x: Customer

    def customer(self, account_id: str | None = None, scope: str = CUSTOMER_SCOPES) -> str:
        return self.issuer.token(scope=scope, account_id=account_id or self.x.account.id)

    def staff(self) -> str:
        return self.issuer.token(subject="staff-1", scope=STAFF_SCOPES)


def ask(
    client: httpx.Client,
    token: str | None,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> dict[str, Any]:
    """POST ``document`` with ``token`` as the bearer (None: no Authorization); its body."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    body = {"query": document, "variables": variables or {}}
    response = client.post("/graphql", json=body, headers=headers)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer

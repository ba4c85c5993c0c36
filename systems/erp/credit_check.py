"""``POST /salesOrders/creditCheck``: would this order fit the customer's credit if entered now?

The same rule as order entry, applied without entering anything: the lines priced and taxed
as ``POST /salesOrders`` prices and taxes them (``systems.erp.order_entry.price_order``), the
total against the customer's exposure and limit (``systems.erp.credit.fits``), under the same
write lock, so the answer is the one an entry at that moment would get. A caller promising an
order (``promiseOrder``) asks this rather than redoing the sum, tax included, on its side.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from systems.common.db import Database
from systems.erp.credit import exposure_cents, fits
from systems.erp.formats import money
from systems.erp.order_entry import (
    CustomerRef,
    OrderLinesIn,
    ShipAddressIn,
    customer_of,
    price_order,
)
from systems.erp.writes import Body

__all__ = ["CreditCheckIn", "check_credit"]


class CreditCheckIn(Body):
    """The body of ``POST /salesOrders/creditCheck``: the customer, the ship-to address (it
    decides the tax) and the lines, as ``POST /salesOrders`` takes them."""

    entity: CustomerRef
    ship_address: ShipAddressIn = Field(alias="shipAddress")
    item: OrderLinesIn


def check_credit(db: Database, body: CreditCheckIn) -> dict[str, Any]:
    """The order's subtotal, tax and total, the customer's exposure and limit, and whether
    the order fits (``fits``: what ``POST /salesOrders`` would decide now)."""
    with db.transaction() as conn:
        customer = customer_of(conn, body.entity.external_id)
        priced = price_order(db, conn, customer, body.ship_address, body.item.items)
        return {
            "entity": {"externalId": customer["external_id"]},
            "subtotal": money(priced.subtotal),
            "taxTotal": money(priced.tax),
            "total": money(priced.total),
            "creditLimit": money(int(customer["credit_limit_cents"])),
            "creditExposure": money(exposure_cents(conn, customer["internal_id"])),
            "creditHoldOverride": customer["credit_hold_override"],
            "fits": fits(conn, customer, priced.total),
        }

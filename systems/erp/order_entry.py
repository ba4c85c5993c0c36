"""``POST /salesOrders``: enter a sales order, priced and taxed by the ERP.

Line amounts are rate times quantity; a line without a rate gets the customer's price for its
quantity (``systems.erp.pricing``). Tax is the ship-to state's rate, the table the seeded
orders were taxed with. The new order continues the seeded numbering (internal id, ``SO-``).

An order asked ``CONFIRMED`` whose total does not fit the customer's credit is entered
``ON_HOLD`` for ``CREDIT`` (``systems.erp.credit``), and a submission key held by an open order
answers that order (``systems.erp.order_keys``): both are decided in the entering transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, StrictInt, model_validator

from systems.common.db import Database, placeholders
from systems.common.errors import ApiError, Unprocessable
from systems.erp.credit import fits
from systems.erp.customers import customers_by
from systems.erp.order_keys import Submission, claim_key, order_of_key
from systems.erp.pricing import prices_for
from systems.erp.sales_orders import orders_by
from systems.erp.storage import cents
from systems.erp.vocabulary import HoldReason, Region
from systems.erp.writes import (
    MAX_LINES,
    MAX_QUANTITY,
    Actor,
    Body,
    ItemRef,
    Rate,
    Written,
    fingerprint,
    next_number,
    now,
    remember,
    replay,
    tax_cents,
    today,
)
from systems.world_names import CITIES, TAX_RATES

__all__ = ["PricedOrder", "SalesOrderIn", "customer_of", "enter_order", "price_order"]

SCOPE = "salesOrder"

# The region of each state the distributor ships to (every city of a state is in one region).
_STATE_REGIONS = {city.state: city.region for city in CITIES}


class CustomerRef(Body):
    external_id: str = Field(alias="externalId", min_length=1, max_length=64)


class _Location(Body):
    ref_name: str | None = Field(default=None, alias="refName", min_length=1, max_length=16)


class ShipAddressIn(Body):
    addr1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=2, max_length=2)
    zip: str = Field(min_length=1, max_length=16)
    country: str = Field(default="US", min_length=2, max_length=2)
    custrecord_region: Region | None = None


class OrderLineIn(Body):
    item: ItemRef
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    rate: Rate | None = None
    location: _Location | None = None


class OrderLinesIn(Body):
    items: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


class SalesOrderIn(Body):
    """The body of ``POST /salesOrders`` (docs/system-writes.md)."""

    external_id: str = Field(alias="externalId", min_length=1, max_length=128)
    entity: CustomerRef
    other_ref_num: str = Field(default="", alias="otherRefNum", max_length=64)
    ship_address: ShipAddressIn = Field(alias="shipAddress")
    custbody_requested_delivery: date
    custbody_promised_date: date | None = None
    custbody_status: Literal["CONFIRMED", "ON_HOLD"] = "CONFIRMED"
    custbody_hold_reason: HoldReason | None = None
    custbody_submitted_by: Actor | None = None  # who submitted it; kept, never fingerprinted
    # The key the customer submitted under, and the caller's digest of what was asked.
    custbody_idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)
    custbody_request_fingerprint: str | None = Field(default=None, min_length=1, max_length=128)
    # What the caller needs to answer a repeated key as it first did; kept with the key.
    custbody_submission: Submission | None = None
    item: OrderLinesIn

    @model_validator(mode="after")
    def _hold_reason_with_hold(self) -> SalesOrderIn:
        if self.custbody_status == "ON_HOLD" and self.custbody_hold_reason is None:
            raise ValueError("an order ON_HOLD needs a custbody_hold_reason")
        if self.custbody_status != "ON_HOLD" and self.custbody_hold_reason is not None:
            raise ValueError("custbody_hold_reason is only for an order ON_HOLD")
        if (self.custbody_idempotency_key is None) != (self.custbody_request_fingerprint is None):
            raise ValueError(
                "custbody_idempotency_key and custbody_request_fingerprint come together"
            )
        if self.custbody_submission is not None and self.custbody_idempotency_key is None:
            raise ValueError("custbody_submission is kept with a custbody_idempotency_key")
        return self


def customer_of(conn: sqlite3.Connection, external_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM customers WHERE external_id = ?", (external_id,)
    ).fetchone()
    if row is None:
        raise Unprocessable(f"unknown customer: no customer with externalId {external_id!r}")
    if row["is_inactive"]:
        raise ApiError(409, "CUSTOMER_INACTIVE", f"customer {external_id!r} is inactive")
    return row


def _check_items(conn: sqlite3.Connection, skus: list[str]) -> None:
    wanted = sorted(set(skus))
    rows = conn.execute(
        f"SELECT item_id, is_inactive FROM items WHERE item_id IN ({placeholders(len(wanted))})",
        wanted,
    ).fetchall()
    known = {row["item_id"]: bool(row["is_inactive"]) for row in rows}
    unknown = [sku for sku in wanted if sku not in known]
    if unknown:
        raise Unprocessable(f"unknown item: {', '.join(unknown)}")
    inactive = [sku for sku in wanted if known[sku]]
    if inactive:
        raise ApiError(409, "ITEM_INACTIVE", f"item no longer sold: {', '.join(inactive)}")


def _tax_rate(address: ShipAddressIn) -> tuple[Decimal, str]:
    """The ship-to state's tax rate, and its region (given, or the state's own)."""
    rate = TAX_RATES.get(address.state)
    region = _STATE_REGIONS.get(address.state)
    if rate is None or region is None:
        raise Unprocessable(f"shipAddress.state: no tax rate for state {address.state!r}")
    return rate, address.custrecord_region or region


def _rates(db: Database, customer_id: str, lines: list[OrderLineIn]) -> list[int]:
    """Each line's unit price in cents: as asked, or the customer's price at its quantity."""
    customer = customers_by(db, "internal_id", [customer_id])[customer_id]
    rates = []
    for line in lines:
        if line.rate is not None:
            rates.append(cents(line.rate))
            continue
        [price] = prices_for(db, customer, [line.item.ref_name], line.quantity)
        rates.append(cents(Decimal(price["unitPrice"])))
    return rates


@dataclass(frozen=True, slots=True)
class PricedOrder:
    """What an order comes to: each line's unit price and amount (cents), the subtotal, the
    ship-to state's tax on it, and the region it ships to."""

    rates: list[int]
    amounts: list[int]
    tax_rate: Decimal
    region: str
    subtotal: int
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal + self.tax


def price_order(
    db: Database,
    conn: sqlite3.Connection,
    customer: sqlite3.Row,
    address: ShipAddressIn,
    lines: list[OrderLineIn],
) -> PricedOrder:
    """Price and tax ``lines`` for ``customer`` as order entry does: the one rule that both
    ``POST /salesOrders`` and ``POST /salesOrders/creditCheck`` apply."""
    _check_items(conn, [line.item.ref_name for line in lines])
    tax_rate, region = _tax_rate(address)
    rates = _rates(db, customer["internal_id"], lines)
    amounts = [rate * line.quantity for rate, line in zip(rates, lines, strict=True)]
    subtotal = sum(amounts)
    return PricedOrder(rates, amounts, tax_rate, region, subtotal, tax_cents(subtotal, tax_rate))


def enter_order(db: Database, body: SalesOrderIn) -> Written:
    """Create the order ``body`` asks for, or answer the one its ``externalId`` made."""
    digest = fingerprint(body)
    with db.transaction() as conn:
        stored = replay(conn, SCOPE, body.external_id, digest)
        if stored is not None:
            return stored
        key, asked = body.custbody_idempotency_key, body.custbody_request_fingerprint
        if key is not None and asked is not None:
            holder = order_of_key(db, conn, key, asked)
            if holder is not None:
                return Written(holder, created=False)
        customer = customer_of(conn, body.entity.external_id)
        lines = body.item.items
        priced = price_order(db, conn, customer, body.ship_address, lines)
        rates, amounts, tax_rate = priced.rates, priced.amounts, priced.tax_rate
        subtotal, tax, region = priced.subtotal, priced.tax, priced.region
        status, hold_reason = body.custbody_status, body.custbody_hold_reason
        if status == "CONFIRMED" and not fits(conn, customer, priced.total):
            status, hold_reason = "ON_HOLD", "CREDIT"
        internal_id = str(next_number(conn, "sales_orders", "internal_id", "", 200001))
        tran_id = f"SO-{next_number(conn, 'sales_orders', 'tran_id', 'SO-', 100001)}"
        address = body.ship_address
        conn.execute(
            f"INSERT INTO sales_orders VALUES ({placeholders(24)})",
            (
                internal_id,
                tran_id,
                customer["internal_id"],
                customer["external_id"],
                status,
                hold_reason,
                "USD",
                body.other_ref_num,
                address.addr1,
                address.city,
                address.state,
                address.zip,
                address.country,
                region,
                now(),
                today().isoformat(),
                body.custbody_requested_delivery.isoformat(),
                None
                if body.custbody_promised_date is None
                else body.custbody_promised_date.isoformat(),
                str(tax_rate),
                subtotal,
                tax,
                subtotal + tax,
                body.custbody_submitted_by,
                None,  # cancelled_by
            ),
        )
        conn.executemany(
            "INSERT INTO sales_order_lines VALUES (?,?,?,?,?,?,?)",
            [
                (
                    internal_id,
                    number,
                    line.item.ref_name,
                    line.quantity,
                    rate,
                    amount,
                    (line.location and line.location.ref_name) or "",  # "": not sourced
                )
                for number, (line, rate, amount) in enumerate(
                    zip(lines, rates, amounts, strict=True), start=1
                )
            ],
        )
        if key is not None and asked is not None:
            claim_key(conn, key, asked, (internal_id, body.external_id), body.custbody_submission)
        order = orders_by(db, "internal_id", [internal_id])[internal_id]
        return remember(conn, SCOPE, body.external_id, digest, order)

"""Invoices for shipments and credit memos for received returns, at the order's prices.

An invoice bills what one shipment carried: the shipment id is its key, so the same shipment
is never billed twice (asking again answers the stored invoice). A credit memo credits what a
return brought back and no earlier memo credited, at the order line's unit price plus the
order's tax rate, and closes a return received in full (``CREDITED``); a return received in
parts gets one memo per receipt and is closed by the memo after its last.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from pydantic import Field, StrictInt

from systems.common.db import Database
from systems.common.errors import ApiError, Unprocessable
from systems.erp.order_changes import billed_lines
from systems.erp.transactions import CREDIT_MEMOS, INVOICES, Kind, by
from systems.erp.vocabulary import INVOICE_STATUSES, RETURN_STATUSES
from systems.erp.writes import (
    MAX_LINES,
    MAX_QUANTITY,
    Body,
    ItemRef,
    RecordRef,
    Written,
    conflict,
    fingerprint,
    next_number,
    now,
    remember,
    replay,
    tax_cents,
    today,
)

__all__ = ["BilledLinesIn", "credit_return", "invoice_shipment"]

CREDIT_SCOPE = "creditMemo"

PricedRow = tuple[int, str, int, int, int, str | None]
"""(line, item, quantity, rate cents, amount cents, location) of an invoice or credit memo."""


class _LineIn(Body):
    item: ItemRef
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class BilledLinesIn(Body):
    """The body of ``POST /invoices`` (``externalId``: the shipment id) and ``/creditMemos``."""

    external_id: str = Field(alias="externalId", min_length=1, max_length=128)
    created_from: RecordRef = Field(alias="createdFrom")
    items: list[_LineIn] = Field(min_length=1, max_length=MAX_LINES)

    def quantities(self) -> Counter[str]:
        asked: Counter[str] = Counter()
        for line in self.items:
            asked[line.item.ref_name] += line.quantity
        return asked


def _order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT so.*, t.days_until_due FROM sales_orders so "
        "JOIN customers c ON c.internal_id = so.customer_id "
        "JOIN terms t ON t.internal_id = c.terms_id WHERE so.internal_id = ?",
        (order_id,),
    ).fetchone()
    if row is None:
        raise Unprocessable(f"createdFrom: no sales order with internalId {order_id!r}")
    return row


def _insert(
    conn: sqlite3.Connection, kind: Kind, header: tuple[object, ...], rows: list[PricedRow]
) -> None:
    conn.execute(f"INSERT INTO {kind.table} VALUES ({','.join('?' * len(header))})", header)
    conn.executemany(
        f"INSERT INTO {kind.lines_table} VALUES (?,?,?,?,?,?,?)",
        [(header[0], *row) for row in rows],
    )


def _invoiced(db: Database, conn: sqlite3.Connection, body: BilledLinesIn) -> Written | None:
    """The shipment's invoice if it has one: the same one again, or a conflict."""
    row = conn.execute(
        "SELECT internal_id, order_id FROM invoices WHERE shipment_id = ?", (body.external_id,)
    ).fetchone()
    if row is None:
        return None
    billed: Counter[str] = Counter()
    for line in conn.execute(
        "SELECT item_id, quantity FROM invoice_lines WHERE invoice_id = ?", (row["internal_id"],)
    ):
        billed[line["item_id"]] += line["quantity"]
    if row["order_id"] != body.created_from.internal_id or billed != body.quantities():
        raise conflict("invoice for shipment", body.external_id)
    [invoice] = by(db, INVOICES, "internal_id", [row["internal_id"]])
    return Written(invoice, created=False)


def invoice_shipment(db: Database, body: BilledLinesIn) -> Written:
    """Bill what shipment ``body.external_id`` carried of the order, once."""
    with db.transaction() as conn:
        stored = _invoiced(db, conn, body)
        if stored is not None:
            return stored
        order = _order(conn, body.created_from.internal_id)
        if order["custbody_status"] == "CANCELLED":
            raise ApiError(409, "ORDER_CANCELLED", f"order {order['tran_id']} is cancelled")
        lines = billed_lines(conn, order["internal_id"])
        asked = body.quantities()
        strangers = sorted(set(asked) - {line["item_id"] for line, _ in lines})
        if strangers:
            raise Unprocessable(f"not on order {order['tran_id']}: {', '.join(strangers)}")
        rows: list[PricedRow] = []
        for line, billed in lines:  # each item's quantity fills its unbilled lines in order
            quantity = min(line["quantity"] - billed, asked[line["item_id"]])
            if quantity > 0:
                asked[line["item_id"]] -= quantity
                rate = line["rate_cents"]
                rows.append(
                    (
                        line["line"],
                        line["item_id"],
                        quantity,
                        rate,
                        rate * quantity,
                        line["location"],
                    )
                )
        if any(left > 0 for left in asked.values()):
            raise ApiError(
                409, "QUANTITY_EXCEEDS_UNBILLED", "more is billed than the order has unbilled"
            )
        subtotal = sum(row[4] for row in rows)
        tax = tax_cents(subtotal, Decimal(order["tax_rate"]))
        internal_id = str(next_number(conn, "invoices", "internal_id", "", 300001))
        tran_id = f"INV-{next_number(conn, 'invoices', 'tran_id', 'INV-', 100001)}"
        due = today() + timedelta(days=order["days_until_due"])
        header = (
            internal_id, tran_id, order["internal_id"], order["customer_id"],
            order["customer_external_id"], body.external_id, INVOICE_STATUSES["OPEN"], now(),
            today().isoformat(), due.isoformat(), subtotal, tax, subtotal + tax, subtotal + tax,
        )  # fmt: skip
        _insert(conn, INVOICES, header, rows)
        [invoice] = by(db, INVOICES, "internal_id", [internal_id])
        return Written(invoice, created=True)


def _credit_rows(conn: sqlite3.Connection, ra: sqlite3.Row, asked: Counter[str]) -> list[PricedRow]:
    """The memo's lines: each item at the rate of its order line (the returned center's first)."""
    lines = conn.execute(
        "SELECT * FROM sales_order_lines WHERE order_id = ? ORDER BY location = ? DESC, line",
        (ra["order_id"], ra["location"]),
    ).fetchall()
    first: dict[str, sqlite3.Row] = {}
    for line in lines:
        first.setdefault(line["item_id"], line)
    rows: list[PricedRow] = []
    for sku, quantity in asked.items():
        line = first[sku]
        rate = line["rate_cents"]
        rows.append((line["line"], sku, quantity, rate, rate * quantity, line["location"]))
    return sorted(rows)


def credit_return(db: Database, body: BilledLinesIn) -> Written:
    """Credit what a return brought back and is not credited yet; a return received in full
    becomes CREDITED, one partially received stays so (its next receipt is credited in turn)."""
    digest = fingerprint(body)
    with db.transaction() as conn:
        stored = replay(conn, CREDIT_SCOPE, body.external_id, digest)
        if stored is not None:
            return stored
        ra_id = body.created_from.internal_id
        ra = conn.execute(
            "SELECT ra.*, so.tax_rate FROM return_authorizations ra "
            "JOIN sales_orders so ON so.internal_id = ra.order_id WHERE ra.internal_id = ?",
            (ra_id,),
        ).fetchone()
        if ra is None:
            raise Unprocessable(f"createdFrom: no return authorization with internalId {ra_id!r}")
        if ra["status"] == RETURN_STATUSES["CREDITED"]:
            raise ApiError(409, "ALREADY_CREDITED", f"return {ra['tran_id']} is credited")
        if ra["status"] not in (RETURN_STATUSES["RECEIVED"], RETURN_STATUSES["PARTIALLY_RECEIVED"]):
            raise ApiError(409, "NOT_RECEIVED", f"return {ra['tran_id']} is not received yet")
        received: Counter[str] = Counter()
        for line in conn.execute(
            "SELECT l.item_id, r.quantity_received FROM return_authorization_lines l "
            "JOIN return_authorization_receipts r ON r.return_authorization_id = "
            "l.return_authorization_id AND r.line = l.line WHERE l.return_authorization_id = ?",
            (ra_id,),
        ):
            received[line[0]] += line[1]
        # What earlier memos (earlier receipts of a return received in parts) credited.
        for line in conn.execute(
            "SELECT l.item_id, SUM(l.quantity) FROM credit_memo_lines l JOIN credit_memos m "
            "ON m.internal_id = l.credit_memo_id WHERE m.created_from = ? GROUP BY l.item_id",
            (ra_id,),
        ):
            received[line[0]] -= line[1]
        asked = body.quantities()
        strangers = sorted(sku for sku in asked if sku not in received)
        if strangers:
            raise Unprocessable(f"not on return {ra['tran_id']}: {', '.join(strangers)}")
        if any(quantity > received[sku] for sku, quantity in asked.items()):
            raise ApiError(
                409, "QUANTITY_EXCEEDS_RECEIVED", "more is credited than the return brought back"
            )
        rows = _credit_rows(conn, ra, asked)
        subtotal = sum(row[4] for row in rows)
        tax = tax_cents(subtotal, Decimal(ra["tax_rate"]))
        internal_id = str(next_number(conn, "credit_memos", "internal_id", "", 500001))
        tran_id = f"CM-{next_number(conn, 'credit_memos', 'tran_id', 'CM-', 100001)}"
        header = (
            internal_id, tran_id, ra_id, ra["order_id"], ra["customer_id"],
            ra["customer_external_id"], "Fully Applied", now(), today().isoformat(),
            subtotal, tax, subtotal + tax,
        )  # fmt: skip
        _insert(conn, CREDIT_MEMOS, header, rows)
        if ra["status"] == RETURN_STATUSES["RECEIVED"]:
            conn.execute(
                "UPDATE return_authorizations SET status = ? WHERE internal_id = ?",
                (RETURN_STATUSES["CREDITED"], ra_id),
            )
        [memo] = by(db, CREDIT_MEMOS, "internal_id", [internal_id])
        return remember(conn, CREDIT_SCOPE, body.external_id, digest, memo)

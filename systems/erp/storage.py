"""Seeding the ERP's tables from the world, in the vendor's own vocabulary (fast: executemany)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from systems.erp.tables import SCHEMA
from systems.erp.vocabulary import INVOICE_STATUSES, RETURN_STATUSES, TERMS
from systems.world_records import Address, OrderLineRecord, World

__all__ = ["cents", "seed_database"]

_CENT = Decimal("0.01")


def cents(amount: Decimal) -> int:
    """``amount`` in whole cents; anything finer than a cent is a bug in the caller."""
    scaled = amount * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(scaled)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat()


def _day(value: date) -> str:
    return value.isoformat()


def _address(address: Address) -> tuple[str, str, str, str, str, str]:
    return (
        address.street,
        address.city,
        address.state,
        address.postal_code,
        address.country,
        address.region,
    )


def _lines(
    parent_id: str, lines: Iterable[OrderLineRecord]
) -> list[tuple[str, int, str, int, int, int, str]]:
    return [
        (
            parent_id,
            line.line_number,
            line.sku,
            line.quantity,
            cents(line.unit_price),
            cents((line.unit_price * line.quantity).quantize(_CENT)),
            line.center_id,
        )
        for line in lines
    ]


def _insert(conn: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]) -> None:
    if rows:
        marks = ",".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def seed_database(conn: sqlite3.Connection, world: World) -> None:
    """Create the ERP's tables and fill them with ``world`` (the caller commits)."""
    conn.executescript(SCHEMA)
    accounts = {account.id: account for account in world.accounts}
    _insert(conn, "terms", list(TERMS.values()))
    _insert(
        conn,
        "price_levels",
        [(pl.id, pl.name, str(pl.discount_percent)) for pl in world.price_lists],
    )
    _insert(
        conn,
        "customers",
        [
            (
                a.erp_id,
                a.customer_code,
                a.id,
                a.name,
                TERMS[a.payment_terms][0],
                cents(a.credit_limit),
                "ON" if a.credit_hold else "OFF",
                a.price_list_id,
                0 if a.active else 1,
                _timestamp(a.created_at),
            )
            for a in world.accounts
        ],
    )
    _insert(
        conn,
        "items",
        [
            (
                p.erp_id,
                p.sku,
                p.name,
                p.description,
                p.category,
                p.unit_of_measure,
                cents(p.list_price),
                str(p.weight_kg),
                0 if p.active else 1,
            )
            for p in world.products
        ],
    )
    _insert(
        conn,
        "price_level_entries",
        [(e.price_list_id, e.sku, cents(e.unit_price)) for e in world.price_list_entries],
    )
    _insert(
        conn,
        "quantity_breaks",
        [(b.sku, b.min_quantity, str(b.discount_percent)) for b in world.quantity_breaks],
    )
    order_rows: list[tuple[object, ...]] = []
    line_rows: list[tuple[object, ...]] = []
    for order in world.orders:
        account = accounts[order.account_id]
        lines = _lines(order.id, order.lines)
        subtotal = sum(row[5] for row in lines)
        tax = int((Decimal(subtotal) * order.tax_rate).quantize(Decimal(1), "ROUND_HALF_UP"))
        order_rows.append(
            (
                order.id,
                order.number,
                account.erp_id,
                account.id,
                order.status,
                order.hold_reason,
                order.currency,
                order.customer_po,
                *_address(order.ship_to),
                _timestamp(order.placed_at),
                _day(order.placed_at.date()),
                _day(order.requested_delivery_date),
                None if order.promised_date is None else _day(order.promised_date),
                str(order.tax_rate),
                subtotal,
                tax,
                subtotal + tax,
                None,  # submitted_by: the seeded history recorded no one
                None,  # cancelled_by
            )
        )
        line_rows.extend(lines)
    _insert(conn, "sales_orders", order_rows)
    _insert(conn, "sales_order_lines", line_rows)

    invoice_rows: list[tuple[object, ...]] = []
    invoice_lines: list[tuple[object, ...]] = []
    for invoice in world.invoices:
        account = accounts[invoice.account_id]
        total = cents(invoice.total)
        invoice_rows.append(
            (
                invoice.id,
                invoice.number,
                invoice.order_id,
                account.erp_id,
                account.id,
                invoice.shipment_id,
                INVOICE_STATUSES[invoice.status],
                _timestamp(invoice.issued_at),
                _day(invoice.issued_at.date()),
                _day(invoice.due_date),
                cents(invoice.subtotal),
                cents(invoice.tax),
                total,
                total if invoice.status == "OPEN" else 0,
            )
        )
        invoice_lines.extend(_lines(invoice.id, invoice.lines))
    _insert(conn, "invoices", invoice_rows)
    _insert(conn, "invoice_lines", invoice_lines)
    _insert(
        conn,
        "inventory_balances",
        [(position.sku, position.center_id, position.on_hand) for position in world.inventory],
    )
    conn.execute(
        "UPDATE inventory_balances SET opening_quantity = opening_quantity + ("
        "SELECT COALESCE(SUM(quantity), 0) FROM invoice_lines l"
        " WHERE l.item_id = inventory_balances.item_id"
        " AND l.location = inventory_balances.location)"
    )

    _insert(
        conn,
        "return_authorizations",
        [
            (
                ra.id,
                ra.number,
                ra.order_id,
                accounts[ra.account_id].erp_id,
                ra.account_id,
                RETURN_STATUSES[ra.status],
                ra.decline_reason,
                ra.center_id,
                _timestamp(ra.created_at),
                _day(ra.created_at.date()),
                None,  # requested_by
                None,  # received_by
            )
            for ra in world.return_authorizations
        ],
    )
    _insert(
        conn,
        "return_authorization_lines",
        [
            (ra.id, number, line.sku, line.quantity, line.reason)
            for ra in world.return_authorizations
            for number, line in enumerate(ra.lines, start=1)
        ],
    )
    _insert(
        conn,
        "return_authorization_receipts",
        [
            (receipt.return_authorization_id, number, line.quantity_received)
            for receipt in world.return_receipts
            for number, line in enumerate(receipt.lines, start=1)
        ],
    )
    _insert(
        conn,
        "credit_memos",
        [
            (
                memo.id,
                memo.number,
                memo.return_authorization_id,
                memo.order_id,
                accounts[memo.account_id].erp_id,
                memo.account_id,
                "Fully Applied",
                _timestamp(memo.issued_at),
                _day(memo.issued_at.date()),
                cents(memo.subtotal),
                cents(memo.tax),
                cents(memo.total),
            )
            for memo in world.credit_memos
        ],
    )
    _insert(
        conn,
        "credit_memo_lines",
        [row for memo in world.credit_memos for row in _lines(memo.id, memo.lines)],
    )

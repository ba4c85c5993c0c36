"""Sales order records with their lines, billing totals, and the filters lists take.

``custbody_status`` keeps the order's lifecycle state (DRAFT … CANCELLED); the vendor's own
``status`` word is derived from it and from how much of the order has been billed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from systems.common.db import Database, placeholders
from systems.common.params import PageRequest
from systems.erp.formats import Payload, count, location, money
from systems.erp.vocabulary import order_status_word

__all__ = ["OrderFilter", "order_page", "orders_by", "orders_by_customer", "orders_by_external_id"]

_SELECT = """
SELECT so.*, c.company_name
FROM sales_orders so
JOIN customers c ON c.internal_id = so.customer_id
"""
_ORDER_BY = "so.created_date DESC, so.internal_id DESC"


@dataclass(frozen=True)
class OrderFilter:
    """Which orders a list holds; ``None`` (or empty) means no restriction."""

    customer_external_ids: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    placed_from: date | None = None
    placed_to: date | None = None

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.customer_external_ids:
            ids = self.customer_external_ids
            clauses.append(f"so.customer_external_id IN ({placeholders(len(ids))})")
            params.extend(ids)
        if self.statuses:
            clauses.append(f"so.custbody_status IN ({placeholders(len(self.statuses))})")
            params.extend(self.statuses)
        if self.placed_from is not None:
            clauses.append("so.tran_date >= ?")
            params.append(self.placed_from.isoformat())
        if self.placed_to is not None:
            clauses.append("so.tran_date <= ?")
            params.append(self.placed_to.isoformat())
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _sums(db: Database, sql: str, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
    return {row[0]: row for row in db.fetch_all(sql.format(marks=placeholders(len(ids))), ids)}


def _payloads(db: Database, rows: list[sqlite3.Row]) -> list[Payload]:
    if not rows:
        return []
    ids = [row["internal_id"] for row in rows]
    marks = placeholders(len(ids))
    billed_lines = {
        (row[0], row[1]): row[2]
        for row in db.fetch_all(
            f"""
            SELECT i.order_id, l.line, SUM(l.quantity)
            FROM invoice_lines l JOIN invoices i ON i.internal_id = l.invoice_id
            WHERE i.order_id IN ({marks}) GROUP BY i.order_id, l.line
            """,
            ids,
        )
    }
    cancelled = {
        (row[0], row[1]): row[2]
        for row in db.fetch_all(
            "SELECT order_id, line, quantity_cancelled FROM sales_order_line_cancellations "
            f"WHERE order_id IN ({marks})",
            ids,
        )
    }
    lines: dict[str, list[Payload]] = {order_id: [] for order_id in ids}
    for line in db.fetch_all(
        f"SELECT * FROM sales_order_lines WHERE order_id IN ({marks}) ORDER BY order_id, line",
        ids,
    ):
        lines[line["order_id"]].append(
            {
                "line": line["line"],
                "item": {"refName": line["item_id"]},
                "quantity": line["quantity"],
                "quantityBilled": billed_lines.get((line["order_id"], line["line"]), 0),
                "quantityCancelled": cancelled.get((line["order_id"], line["line"]), 0),
                "rate": money(line["rate_cents"]),
                "amount": money(line["amount_cents"]),
                "location": location(line["location"]),
            }
        )
    invoiced = _sums(
        db,
        "SELECT order_id, SUM(total_cents), SUM(total_cents - amount_remaining_cents) "
        "FROM invoices WHERE order_id IN ({marks}) GROUP BY order_id",
        ids,
    )
    credited = _sums(
        db,
        "SELECT order_id, SUM(total_cents) FROM credit_memos "
        "WHERE order_id IN ({marks}) GROUP BY order_id",
        ids,
    )
    reasons = {
        row[0]: row[1]
        for row in db.fetch_all(
            f"SELECT order_id, reason FROM sales_order_cancel_reasons WHERE order_id IN ({marks})",
            ids,
        )
    }
    payloads = []
    for row in rows:
        order_id = row["internal_id"]
        order_lines = lines[order_id]
        billed = invoiced.get(order_id)
        credit = credited.get(order_id)
        status = order_status_word(
            row["custbody_status"],
            quantity_billed=sum(min(x["quantityBilled"], x["quantity"]) for x in order_lines),
            quantity_ordered=sum(x["quantity"] for x in order_lines),
        )
        payloads.append(
            {
                "internalId": order_id,
                "tranId": row["tran_id"],
                "entity": {
                    "internalId": row["customer_id"],
                    "externalId": row["customer_external_id"],
                    "refName": row["company_name"],
                },
                "status": status,
                "custbody_status": row["custbody_status"],
                "custbody_hold_reason": row["custbody_hold_reason"],
                "currency": {"refName": row["currency"]},
                "otherRefNum": row["other_ref_num"],
                "shipAddress": {
                    "addr1": row["ship_addr1"],
                    "city": row["ship_city"],
                    "state": row["ship_state"],
                    "zip": row["ship_zip"],
                    "country": row["ship_country"],
                    "custrecord_region": row["ship_region"],
                },
                "createdDate": row["created_date"],
                "tranDate": row["tran_date"],
                "custbody_requested_delivery": row["requested_delivery"],
                "custbody_promised_date": row["promised_date"],
                "custbody_submitted_by": row["submitted_by"],
                "custbody_cancelled_by": row["cancelled_by"],
                "custbody_cancel_reason": reasons.get(order_id),
                "taxRate": row["tax_rate"],
                "subtotal": money(row["subtotal_cents"]),
                "taxTotal": money(row["tax_cents"]),
                "total": money(row["total_cents"]),
                "amountBilled": money(billed[1] if billed else 0),
                "amountPaid": money(billed[2] if billed else 0),
                "amountCredited": money(credit[1] if credit else 0),
                "item": {"items": order_lines},
            }
        )
    return payloads


def orders_by(db: Database, column: str, keys: Sequence[str]) -> dict[str, Payload]:
    """The orders whose ``column`` (``internal_id`` or ``tran_id``) is in ``keys``."""
    if column not in ("internal_id", "tran_id"):
        raise ValueError(f"sales orders cannot be looked up by {column}")
    if not keys:
        return {}
    rows = db.fetch_all(f"{_SELECT} WHERE so.{column} IN ({placeholders(len(keys))})", keys)
    key = "internalId" if column == "internal_id" else "tranId"
    return {payload[key]: payload for payload in _payloads(db, rows)}


def orders_by_external_id(db: Database, external_ids: Sequence[str]) -> dict[str, Payload]:
    """The orders ``POST /salesOrders`` entered under ``external_ids`` (seeded orders have
    none), each with its ``externalId``: the idempotency record names the order it made."""
    if not external_ids:
        return {}
    rows = db.fetch_all(
        "SELECT key, json_extract(answer, '$.internalId') AS internal_id FROM idempotency "
        f"WHERE scope = 'salesOrder' AND key IN ({placeholders(len(external_ids))})",
        external_ids,
    )
    made = {str(row["internal_id"]): str(row["key"]) for row in rows}
    orders = orders_by(db, "internal_id", list(made))
    return {key: {**orders[internal_id], "externalId": key} for internal_id, key in made.items()}


def order_page(db: Database, page: PageRequest, where: OrderFilter) -> tuple[list[Payload], int]:
    """One page of the orders ``where`` selects, newest first, and how many it selects."""
    clause, params = where.where()
    total = count(db, f"SELECT COUNT(*) FROM sales_orders so {clause}", params)
    rows = db.fetch_all(
        f"{_SELECT} {clause} ORDER BY {_ORDER_BY} LIMIT ? OFFSET ?",
        [*params, page.limit, page.offset],
    )
    return _payloads(db, rows), total


def orders_by_customer(
    db: Database, external_ids: Sequence[str], page: PageRequest, where: OrderFilter
) -> list[Payload]:
    """The same page of orders for each customer in one query: ``{externalId, …envelope}``."""
    scoped = OrderFilter(external_ids, where.statuses, where.placed_from, where.placed_to)
    clause, params = scoped.where()
    ranked = db.fetch_all(
        f"""
        SELECT internal_id, customer_external_id, position FROM (
            SELECT so.internal_id, so.customer_external_id,
                ROW_NUMBER() OVER (
                    PARTITION BY so.customer_external_id ORDER BY {_ORDER_BY}
                ) - 1 AS position
            FROM sales_orders so {clause}
        ) WHERE position >= ? AND position < ?
        ORDER BY customer_external_id, position
        """,
        [*params, page.offset, page.offset + page.limit],
    )
    totals = {
        row[0]: row[1]
        for row in db.fetch_all(
            f"SELECT so.customer_external_id, COUNT(*) FROM sales_orders so {clause} "
            "GROUP BY so.customer_external_id",
            params,
        )
    }
    payloads = orders_by(db, "internal_id", [row["internal_id"] for row in ranked])
    groups = []
    for external_id in external_ids:
        items = [
            payloads[row["internal_id"]]
            for row in ranked
            if row["customer_external_id"] == external_id
        ]
        total = totals.get(external_id, 0)
        groups.append(
            {
                "externalId": external_id,
                "items": items,
                "count": len(items),
                "offset": page.offset,
                "totalResults": total,
                "hasMore": page.offset + len(items) < total,
            }
        )
    return groups

"""Customer records: terms, credit limit and hold, price level, and live credit exposure.

Credit exposure is what the customer owes or has committed to: the open balance of its
invoices plus the unbilled part of its open orders (submitted, on hold or confirmed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from systems.common.db import Database, placeholders
from systems.common.params import PageRequest
from systems.erp.formats import Payload, count, money, ref
from systems.erp.vocabulary import CUSTOMER_CURRENCY, OPEN_ORDER_STATUSES

__all__ = ["customer_page", "customers_by"]

_SELECT = """
SELECT c.*, t.name AS terms_name, p.name AS price_level_name
FROM customers c
JOIN terms t ON t.internal_id = c.terms_id
LEFT JOIN price_levels p ON p.internal_id = c.price_level_id
"""

_OPEN = ",".join(f"'{status}'" for status in OPEN_ORDER_STATUSES)


def _balances(db: Database, ids: Sequence[str]) -> dict[str, int]:
    rows = db.fetch_all(
        f"SELECT customer_id, SUM(amount_remaining_cents) FROM invoices "
        f"WHERE status = 'Open' AND customer_id IN ({placeholders(len(ids))}) "
        f"GROUP BY customer_id",
        ids,
    )
    return {row[0]: row[1] for row in rows}


def _unbilled(db: Database, ids: Sequence[str]) -> dict[str, int]:
    rows = db.fetch_all(
        f"""
        SELECT so.customer_id, SUM(MAX(so.total_cents - COALESCE(
            (SELECT SUM(i.total_cents) FROM invoices i WHERE i.order_id = so.internal_id), 0
        ), 0))
        FROM sales_orders so
        WHERE so.custbody_status IN ({_OPEN}) AND so.customer_id IN ({placeholders(len(ids))})
        GROUP BY so.customer_id
        """,
        ids,
    )
    return {row[0]: row[1] for row in rows}


def _payloads(db: Database, rows: list[sqlite3.Row]) -> list[Payload]:
    if not rows:
        return []
    ids = [row["internal_id"] for row in rows]
    balances = _balances(db, ids)
    unbilled = _unbilled(db, ids)
    payloads = []
    for row in rows:
        balance = balances.get(row["internal_id"], 0)
        open_orders = unbilled.get(row["internal_id"], 0)
        payloads.append(
            {
                "internalId": row["internal_id"],
                "entityId": row["entity_id"],
                "externalId": row["external_id"],
                "companyName": row["company_name"],
                "isInactive": bool(row["is_inactive"]),
                "dateCreated": row["date_created"],
                "currency": {"refName": CUSTOMER_CURRENCY},
                "terms": ref(row["terms_id"], row["terms_name"]),
                "creditLimit": money(row["credit_limit_cents"]),
                "balance": money(balance),
                "unbilledOrders": money(open_orders),
                "creditExposure": money(balance + open_orders),
                "creditHoldOverride": row["credit_hold_override"],
                "priceLevel": ref(row["price_level_id"], row["price_level_name"]),
            }
        )
    return payloads


def customers_by(db: Database, column: str, keys: Sequence[str]) -> dict[str, Payload]:
    """The customers whose ``column`` (``internal_id`` or ``external_id``) is in ``keys``."""
    if column not in ("internal_id", "external_id"):
        raise ValueError(f"customers cannot be looked up by {column}")
    if not keys:
        return {}
    rows = db.fetch_all(f"{_SELECT} WHERE c.{column} IN ({placeholders(len(keys))})", keys)
    key = "internalId" if column == "internal_id" else "externalId"
    return {payload[key]: payload for payload in _payloads(db, rows)}


def customer_page(db: Database, page: PageRequest) -> tuple[list[Payload], int]:
    """One page of all customers by entity id, and how many there are."""
    total = count(db, "SELECT COUNT(*) FROM customers")
    rows = db.fetch_all(
        f"{_SELECT} ORDER BY c.entity_id LIMIT ? OFFSET ?", (page.limit, page.offset)
    )
    return _payloads(db, rows), total

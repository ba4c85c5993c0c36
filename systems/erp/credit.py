"""The credit check of order entry: exposure and this order against the limit, in one step.

The ERP is the system of record for credit, so it decides, inside the transaction that enters
the order (``BEGIN IMMEDIATE``, one writer at a time across every process on the file): the
customer's open exposure as committed so far plus this order's total (tax and backordered
lines included) against its credit limit. Two submissions of one account, from any number of
gateways or replicas, are checked one after the other, so only what fits is confirmed; an
order that does not fit is entered ``ON_HOLD`` for ``CREDIT``, as one checked on its own is.
"""

from __future__ import annotations

import sqlite3

from systems.erp.vocabulary import OPEN_ORDER_STATUSES

__all__ = ["exposure_cents", "fits"]

_OPEN = ",".join(f"'{status}'" for status in OPEN_ORDER_STATUSES)


def exposure_cents(conn: sqlite3.Connection, customer_id: str) -> int:
    """What the customer owes or has committed to: open invoice balances plus the unbilled
    part of its open orders (the same sum ``GET /customers`` shows as ``creditExposure``)."""
    balance = conn.execute(
        "SELECT COALESCE(SUM(amount_remaining_cents), 0) FROM invoices "
        "WHERE status = 'Open' AND customer_id = ?",
        (customer_id,),
    ).fetchone()[0]
    unbilled = conn.execute(
        f"""
        SELECT COALESCE(SUM(MAX(so.total_cents - COALESCE(
            (SELECT SUM(i.total_cents) FROM invoices i WHERE i.order_id = so.internal_id), 0
        ), 0)), 0)
        FROM sales_orders so
        WHERE so.custbody_status IN ({_OPEN}) AND so.customer_id = ?
        """,
        (customer_id,),
    ).fetchone()[0]
    return int(balance) + int(unbilled)


def fits(conn: sqlite3.Connection, customer: sqlite3.Row, total_cents: int) -> bool:
    """Whether an order of ``total_cents`` may be confirmed for ``customer`` now.

    A hold set by hand (``creditHoldOverride`` ``ON``) refuses every order; ``OFF`` and
    ``AUTO`` both let the limit decide, since an order that takes exposure over the limit
    cannot be confirmed whatever the override (``AUTO`` holds the account once it is over).
    Callers hold the write transaction, so no other order can be entered in between.
    """
    if customer["credit_hold_override"] == "ON":
        return False
    limit = int(customer["credit_limit_cents"])
    return exposure_cents(conn, customer["internal_id"]) + total_cents <= limit

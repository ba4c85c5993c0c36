"""Changing a sales order: its status (``PATCH``) and cancelling what is still open of its lines.

A line's open quantity is what is ordered and not yet billed. Cancelling takes it off the line
(the line keeps what was billed, ``quantityCancelled`` says what was taken off) and reprices
the order; an order left with nothing, because nothing had been billed, is ``CANCELLED``. The
reason given is kept on the order (``custbody_cancel_reason``: the latest reason given).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Literal

from pydantic import Field, StrictInt

from systems.common.db import Database
from systems.common.errors import ApiError, NotFound, Unprocessable
from systems.erp.formats import Payload
from systems.erp.sales_orders import orders_by
from systems.erp.vocabulary import HoldReason
from systems.erp.writes import Actor, Body, Written, fingerprint, remember, replay, tax_cents

__all__ = ["CancelIn", "StatusChangeIn", "billed_lines", "cancel_lines", "change_status"]

CANCEL_SCOPE = "cancel"

# Which status an order may go to from which; CANCELLED also needs nothing billed,
# COMPLETED everything billed. COMPLETED and CANCELLED are final.
_TRANSITIONS: dict[str, frozenset[str]] = {
    "DRAFT": frozenset({"SUBMITTED", "CONFIRMED", "ON_HOLD", "CANCELLED"}),
    "SUBMITTED": frozenset({"CONFIRMED", "ON_HOLD", "CANCELLED"}),
    "ON_HOLD": frozenset({"ON_HOLD", "CONFIRMED", "CANCELLED"}),
    "CONFIRMED": frozenset({"ON_HOLD", "CANCELLED", "COMPLETED"}),
}


class StatusChangeIn(Body):
    """The body of ``PATCH /salesOrders/{id}``."""

    custbody_status: Literal["DRAFT", "SUBMITTED", "ON_HOLD", "CONFIRMED", "COMPLETED", "CANCELLED"]
    custbody_hold_reason: HoldReason | None = None


class CancelIn(Body):
    """The body of ``POST /salesOrders/{id}/cancel``; ``lines`` null means every open line."""

    request_id: str = Field(alias="requestId", min_length=1, max_length=128)
    lines: list[StrictInt] | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(default="", max_length=500)
    cancelled_by: Actor | None = Field(default=None, alias="cancelledBy")


def _order_row(conn: sqlite3.Connection, internal_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sales_orders WHERE internal_id = ?", (internal_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no sales order with internalId {internal_id!r}")
    return row


def billed_lines(conn: sqlite3.Connection, internal_id: str) -> list[tuple[sqlite3.Row, int]]:
    """The order's lines, each with the quantity billed of it."""
    rows = conn.execute(
        """
        SELECT l.*, COALESCE((
            SELECT SUM(il.quantity) FROM invoice_lines il
            JOIN invoices i ON i.internal_id = il.invoice_id
            WHERE i.order_id = l.order_id AND il.line = l.line
        ), 0) AS billed
        FROM sales_order_lines l WHERE l.order_id = ? ORDER BY l.line
        """,
        (internal_id,),
    ).fetchall()
    return [(row, int(row["billed"])) for row in rows]


def _the_order(db: Database, internal_id: str) -> Payload:
    return orders_by(db, "internal_id", [internal_id])[internal_id]


def change_status(db: Database, internal_id: str, body: StatusChangeIn) -> Payload:
    """Move the order to ``body.custbody_status``; asking for the state it is in changes nothing."""
    target, reason = body.custbody_status, body.custbody_hold_reason
    if (target == "ON_HOLD") != (reason is not None):
        raise Unprocessable("custbody_hold_reason is required with ON_HOLD and only with it")
    with db.transaction() as conn:
        order = _order_row(conn, internal_id)
        current = order["custbody_status"]
        if current == target and (target != "ON_HOLD" or order["custbody_hold_reason"] == reason):
            return _the_order(db, internal_id)
        if target not in _TRANSITIONS.get(current, frozenset()):
            raise ApiError(409, "INVALID_TRANSITION", f"an order {current} cannot become {target}")
        lines = billed_lines(conn, internal_id)
        billed = sum(min(done, row["quantity"]) for row, done in lines)
        if target == "CANCELLED" and billed > 0:
            raise ApiError(
                409, "INVALID_TRANSITION", "an order with billed lines cannot be cancelled"
            )
        if target == "COMPLETED" and billed < sum(row["quantity"] for row, _ in lines):
            raise ApiError(
                409, "INVALID_TRANSITION", "an order is completed once every line is billed"
            )
        conn.execute(
            "UPDATE sales_orders SET custbody_status = ?, custbody_hold_reason = ? "
            "WHERE internal_id = ?",
            (target, reason, internal_id),
        )
        return _the_order(db, internal_id)


def cancel_lines(db: Database, internal_id: str, body: CancelIn) -> Written:
    """Cancel the open quantity of the asked lines (every line when ``lines`` is null)."""
    digest = fingerprint(body, internal_id)
    with db.transaction() as conn:
        stored = replay(conn, CANCEL_SCOPE, body.request_id, digest)
        if stored is not None:
            return stored
        order = _order_row(conn, internal_id)
        lines = billed_lines(conn, internal_id)
        numbers = {row["line"] for row, _ in lines}
        unknown = sorted(set(body.lines or ()) - numbers)
        if unknown:
            raise Unprocessable(f"the order has no line {', '.join(map(str, unknown))}")
        asked = [
            (row, done) for row, done in lines if body.lines is None or row["line"] in body.lines
        ]
        final = order["custbody_status"] in ("COMPLETED", "CANCELLED")
        open_lines = [] if final else [(r, d) for r, d in asked if r["quantity"] > d]
        if not open_lines:
            raise ApiError(
                409,
                "NOTHING_TO_CANCEL",
                "every line asked is billed in full, or the order is closed",
            )
        for row, done in open_lines:
            conn.execute(
                "UPDATE sales_order_lines SET quantity = ?, amount_cents = rate_cents * ? "
                "WHERE order_id = ? AND line = ?",
                (done, done, internal_id, row["line"]),
            )
            conn.execute(
                "INSERT INTO sales_order_line_cancellations VALUES (?, ?, ?) "
                "ON CONFLICT (order_id, line) DO UPDATE "
                "SET quantity_cancelled = quantity_cancelled + excluded.quantity_cancelled",
                (internal_id, row["line"], row["quantity"] - done),
            )
        left, subtotal = conn.execute(
            "SELECT SUM(quantity), SUM(amount_cents) FROM sales_order_lines WHERE order_id = ?",
            (internal_id,),
        ).fetchone()
        tax = tax_cents(subtotal, Decimal(order["tax_rate"]))
        # Nothing left means nothing was billed either: the whole order is cancelled.
        status = "CANCELLED" if left == 0 else order["custbody_status"]
        conn.execute(
            "UPDATE sales_orders SET subtotal_cents = ?, tax_cents = ?, total_cents = ?, "
            "custbody_status = ?, custbody_hold_reason = ?, "
            "cancelled_by = COALESCE(?, cancelled_by) WHERE internal_id = ?",
            (
                subtotal,
                tax,
                subtotal + tax,
                status,
                None if status == "CANCELLED" else order["custbody_hold_reason"],
                body.cancelled_by,
                internal_id,
            ),
        )
        if body.reason:
            conn.execute(
                "INSERT INTO sales_order_cancel_reasons VALUES (?, ?) "
                "ON CONFLICT (order_id) DO UPDATE SET reason = excluded.reason",
                (internal_id, body.reason),
            )
        return remember(conn, CANCEL_SCOPE, body.request_id, digest, _the_order(db, internal_id))

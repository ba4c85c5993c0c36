"""Return authorizations: authorize or decline a return, then record what came back.

A return is declined, in this order of precedence, when the order has not shipped (nothing
billed: the ERP invoices each shipment), when the latest invoice of an item is more than
``RETURN_WINDOW_DAYS`` old, or when an item's quantity exceeds what was billed of it less
what earlier authorizations (not declined ones) already cover. A declined return is still a
record, with its reason; both are answered 201.

What comes back may come in parts: each receipt (``…/receive``, keyed by its request id) adds
to what the lines have received, at most what they authorize. The return is
``PARTIALLY_RECEIVED`` until every line has come back in full, then ``RECEIVED``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, timedelta
from typing import Literal

from pydantic import Field, StrictInt

from systems.common.db import Database
from systems.common.errors import ApiError, NotFound, Unprocessable
from systems.erp.formats import Payload
from systems.erp.transactions import RETURN_AUTHORIZATIONS, by
from systems.erp.vocabulary import RETURN_STATUSES
from systems.erp.writes import (
    MAX_LINES,
    MAX_QUANTITY,
    Actor,
    Body,
    ItemRef,
    RecordRef,
    Written,
    fingerprint,
    next_number,
    now,
    remember,
    replay,
    today,
)

__all__ = [
    "RETURN_WINDOW_DAYS",
    "ReceiveIn",
    "ReturnAuthorizationIn",
    "authorize_return",
    "receive_return",
    "return_authorization",
]

RETURN_WINDOW_DAYS = 90
SCOPE = "returnAuthorization"
RECEIVE_SCOPE = "receive"


class _ReturnLineIn(Body):
    item: ItemRef
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    reason: Literal["DAMAGED", "WRONG_ITEM", "NOT_NEEDED", "DEFECTIVE"]


class ReturnAuthorizationIn(Body):
    """The body of ``POST /returnAuthorizations``."""

    external_id: str = Field(alias="externalId", min_length=1, max_length=128)
    created_from: RecordRef = Field(alias="createdFrom")
    items: list[_ReturnLineIn] = Field(min_length=1, max_length=MAX_LINES)
    custbody_requested_by: Actor | None = None  # who asked for it; kept, never fingerprinted


class _ReceivedLineIn(Body):
    item: ItemRef
    quantity_received: StrictInt = Field(alias="quantityReceived", ge=0, le=MAX_QUANTITY)


class ReceiveIn(Body):
    """The body of ``POST /returnAuthorizations/{id}/receive``."""

    request_id: str = Field(alias="requestId", min_length=1, max_length=128)
    items: list[_ReceivedLineIn] = Field(min_length=1, max_length=MAX_LINES)
    received_by: Actor | None = Field(default=None, alias="receivedBy")


def return_authorization(db: Database, internal_id: str) -> Payload:
    [record] = by(db, RETURN_AUTHORIZATIONS, "internal_id", [internal_id])
    return record


def _billed(conn: sqlite3.Connection, order_id: str) -> dict[str, tuple[int, date, str | None]]:
    """Per item of the order: quantity billed, latest invoice date, where that shipment left."""
    rows = conn.execute(
        """
        SELECT il.item_id, SUM(il.quantity) AS quantity, MAX(i.tran_date) AS latest,
            (SELECT l2.location FROM invoice_lines l2 JOIN invoices i2
                ON i2.internal_id = l2.invoice_id
             WHERE i2.order_id = i.order_id AND l2.item_id = il.item_id
             ORDER BY i2.tran_date DESC, i2.internal_id DESC LIMIT 1) AS location
        FROM invoice_lines il JOIN invoices i ON i.internal_id = il.invoice_id
        WHERE i.order_id = ? GROUP BY il.item_id
        """,
        (order_id,),
    ).fetchall()
    return {
        row["item_id"]: (row["quantity"], date.fromisoformat(row["latest"]), row["location"])
        for row in rows
    }


def _authorized(conn: sqlite3.Connection, order_id: str) -> Counter[str]:
    """Per item, what earlier return authorizations of the order (not declined) cover."""
    rows = conn.execute(
        """
        SELECT l.item_id, SUM(l.quantity) FROM return_authorization_lines l
        JOIN return_authorizations ra ON ra.internal_id = l.return_authorization_id
        WHERE ra.order_id = ? AND ra.status != ? GROUP BY l.item_id
        """,
        (order_id, RETURN_STATUSES["DECLINED"]),
    ).fetchall()
    return Counter({row[0]: int(row[1]) for row in rows})


def _decline_reason(conn: sqlite3.Connection, order_id: str, asked: Counter[str]) -> str | None:
    billed = _billed(conn, order_id)
    if not billed:
        return "ORDER_NOT_SHIPPED"
    oldest_allowed = today() - timedelta(days=RETURN_WINDOW_DAYS)
    if any(sku in billed and billed[sku][1] < oldest_allowed for sku in asked):
        return "RETURN_WINDOW_EXPIRED"
    covered = _authorized(conn, order_id)
    for sku, quantity in asked.items():
        returnable = (billed[sku][0] if sku in billed else 0) - covered[sku]
        if quantity > returnable:
            return "QUANTITY_EXCEEDS_RETURNABLE"
    return None


def authorize_return(db: Database, body: ReturnAuthorizationIn) -> Written:
    """Authorize or decline the return ``body`` asks for (see the module docstring)."""
    digest = fingerprint(body)
    order_id = body.created_from.internal_id
    with db.transaction() as conn:
        stored = replay(conn, SCOPE, body.external_id, digest)
        if stored is not None:
            return stored
        order = conn.execute(
            "SELECT * FROM sales_orders WHERE internal_id = ?", (order_id,)
        ).fetchone()
        if order is None:
            raise Unprocessable(f"createdFrom: no sales order with internalId {order_id!r}")
        on_order = {
            row["item_id"]: row["location"]
            for row in conn.execute(
                "SELECT item_id, location FROM sales_order_lines WHERE order_id = ? "
                "ORDER BY line DESC",
                (order_id,),
            )
        }
        asked: Counter[str] = Counter()
        for line in body.items:
            asked[line.item.ref_name] += line.quantity
        strangers = [sku for sku in asked if sku not in on_order]
        if strangers:
            raise Unprocessable(f"not on order {order['tran_id']}: {', '.join(strangers)}")
        decline = _decline_reason(conn, order_id, asked)
        first = body.items[0].item.ref_name
        shipped_from = _billed(conn, order_id).get(first)
        location = shipped_from[2] if shipped_from else on_order[first]
        internal_id = str(next_number(conn, "return_authorizations", "internal_id", "", 400001))
        tran_id = f"RMA-{next_number(conn, 'return_authorizations', 'tran_id', 'RMA-', 100001)}"
        status = RETURN_STATUSES["DECLINED" if decline else "AUTHORIZED"]
        conn.execute(
            "INSERT INTO return_authorizations VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                internal_id,
                tran_id,
                order_id,
                order["customer_id"],
                order["customer_external_id"],
                status,
                decline,
                location or "",
                now(),
                today().isoformat(),
                body.custbody_requested_by,
                None,  # received_by
            ),
        )
        conn.executemany(
            "INSERT INTO return_authorization_lines VALUES (?,?,?,?,?)",
            [
                (internal_id, number, line.item.ref_name, line.quantity, line.reason)
                for number, line in enumerate(body.items, start=1)
            ],
        )
        answer = return_authorization(db, internal_id)
        return remember(conn, SCOPE, body.external_id, digest, answer)


def receive_return(db: Database, internal_id: str, body: ReceiveIn) -> Written:
    """Add what came back to an authorized return: RECEIVED once every line is in full,
    PARTIALLY_RECEIVED until then (a later receipt brings the rest)."""
    digest = fingerprint(body, internal_id)
    with db.transaction() as conn:
        stored = replay(conn, RECEIVE_SCOPE, body.request_id, digest)
        if stored is not None:
            return stored
        ra = conn.execute(
            "SELECT status FROM return_authorizations WHERE internal_id = ?", (internal_id,)
        ).fetchone()
        if ra is None:
            raise NotFound(f"no return authorization with internalId {internal_id!r}")
        if ra["status"] in (RETURN_STATUSES["RECEIVED"], RETURN_STATUSES["CREDITED"]):
            raise ApiError(409, "ALREADY_RECEIVED", "this return has already been received")
        if ra["status"] not in (
            RETURN_STATUSES["AUTHORIZED"],
            RETURN_STATUSES["PARTIALLY_RECEIVED"],
        ):
            raise ApiError(409, "NOT_AUTHORIZED", f"this return is {ra['status']!r}")
        lines = conn.execute(
            "SELECT l.line, l.item_id, l.quantity - COALESCE(r.quantity_received, 0) AS quantity "
            "FROM return_authorization_lines l LEFT JOIN return_authorization_receipts r "
            "ON r.return_authorization_id = l.return_authorization_id AND r.line = l.line "
            "WHERE l.return_authorization_id = ? ORDER BY l.line",
            (internal_id,),
        ).fetchall()
        received: Counter[str] = Counter()
        for line in body.items:
            received[line.item.ref_name] += line.quantity_received
        strangers = sorted(set(received) - {row["item_id"] for row in lines})
        if strangers:
            raise Unprocessable(f"not on this return: {', '.join(strangers)}")
        rows = []
        outstanding = 0
        for row in lines:  # each item's quantity fills what its lines still await, in order
            quantity = min(row["quantity"], received[row["item_id"]])
            received[row["item_id"]] -= quantity
            outstanding += row["quantity"] - quantity
            rows.append((internal_id, row["line"], quantity))
        if any(left > 0 for left in received.values()):
            raise ApiError(
                409, "QUANTITY_EXCEEDS_AUTHORIZED", "more was received than the return authorizes"
            )
        conn.executemany(
            "INSERT INTO return_authorization_receipts VALUES (?,?,?) "
            "ON CONFLICT (return_authorization_id, line) "
            "DO UPDATE SET quantity_received = quantity_received + excluded.quantity_received",
            rows,
        )
        status = "PARTIALLY_RECEIVED" if outstanding else "RECEIVED"
        conn.execute(
            "UPDATE return_authorizations SET status = ?, received_by = ? WHERE internal_id = ?",
            (RETURN_STATUSES[status], body.received_by, internal_id),
        )
        answer = return_authorization(db, internal_id)
        return remember(conn, RECEIVE_SCOPE, body.request_id, digest, answer)

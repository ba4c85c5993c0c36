"""Releasing an order to the floor as fulfillment orders, and cancelling what has not shipped.

A release makes one fulfillment order per facility. Each line asks ``qty`` of which
``qty_backordered`` waits on stock, so ``qty - qty_backordered`` is allocated to it. That
allocation comes from the order's reservation, which is then ``CONSUMED`` (deleting it no
longer gives stock back): what the release needs beyond the reservation is allocated from
what is available (or the release is refused, ``INSUFFICIENT_INVENTORY``, nothing changed),
and what the reservation holds beyond the release goes back to available.

Cancelling takes whole open lines off their fulfillment orders (open: the order has neither
shipped nor been cancelled) and gives their allocation back; a fulfillment order left with no
open line is ``CANCELLED``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from pydantic import Field, StrictInt, model_validator

from systems.common.db import Database, placeholders
from systems.common.errors import ApiError, NotFound, Unprocessable
from systems.wms.documents import load_fulfillment_orders
from systems.wms.lifecycle import emit
from systems.wms.reservations import (
    MAX_LINES,
    Shortage,
    check_facilities,
    load_reservation,
    shortages,
)
from systems.wms.writes import Body, Written, fingerprint, next_number, now, remember, replay

__all__ = ["CancelRequest", "ReleaseRequest", "cancel", "release"]

RELEASE_SCOPE = "release"
CANCEL_SCOPE = "cancel"
# A fulfillment order in one of these has nothing left to cancel.
_CLOSED = ("SHIPPED", "DELIVERED", "CANCELLED")

Position = tuple[str, str]
"""(item_number, facility_id)"""


class _ReleaseLine(Body):
    facility_id: str = Field(min_length=1, max_length=16)
    item_number: str = Field(min_length=1, max_length=64)
    qty: StrictInt = Field(ge=1, le=1_000_000)
    qty_backordered: StrictInt = Field(default=0, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _backorder_within_line(self) -> _ReleaseLine:
        if self.qty_backordered > self.qty:
            raise ValueError("qty_backordered cannot exceed qty")
        return self


class ReleaseRequest(Body):
    """``POST /fulfillment-orders/release`` body."""

    release_id: str = Field(min_length=1, max_length=128)
    order_ref: str = Field(min_length=1, max_length=64)
    order_number: str = Field(min_length=1, max_length=64)
    reservation_id: str | None = Field(default=None, min_length=1, max_length=128)
    lines: list[_ReleaseLine] = Field(min_length=1, max_length=MAX_LINES)


class CancelRequest(Body):
    """``POST /fulfillment-orders/cancel`` body; ``items`` null means every item."""

    request_id: str = Field(min_length=1, max_length=128)
    order_ref: str = Field(min_length=1, max_length=64)
    items: list[str] | None = Field(default=None, min_length=1, max_length=MAX_LINES)


def _adjust(conn: sqlite3.Connection, deltas: Counter[Position], sign: int) -> None:
    conn.executemany(
        "UPDATE inventory_positions SET qty_allocated = max(qty_allocated + ?, 0) "
        "WHERE item_number = ? AND facility_id = ?",
        [(sign * qty, item, facility) for (item, facility), qty in deltas.items() if qty > 0],
    )


def _reserved(conn: sqlite3.Connection, reservation_id: str | None) -> Counter[Position]:
    reserved: Counter[Position] = Counter()
    if reservation_id is None:
        return reserved
    stored = load_reservation(conn, reservation_id)
    if stored is None:
        raise Unprocessable(f"reservation_id: no reservation {reservation_id!r}")
    if stored["status"] != "ACTIVE":
        raise ApiError(
            409, "RESERVATION_NOT_ACTIVE", f"reservation {reservation_id!r} is {stored['status']}"
        )
    for line in stored["lines"]:
        reserved[(line["item_number"], line["facility_id"])] += line["qty"]
    return reserved


def release(db: Database, request: ReleaseRequest) -> Written | Shortage:
    """Release ``request`` as fulfillment orders (see the module docstring)."""
    digest = fingerprint(request)
    with db.transaction() as conn:
        stored = replay(conn, RELEASE_SCOPE, request.release_id, digest)
        if stored is not None:
            return stored
        check_facilities(conn, (line.facility_id for line in request.lines))
        needed: Counter[Position] = Counter()
        for line in request.lines:
            needed[(line.item_number, line.facility_id)] += line.qty - line.qty_backordered
        reserved = _reserved(conn, request.reservation_id)
        extra = needed - reserved
        short = shortages(conn, extra)
        if short:
            return Shortage(tuple(short))
        _adjust(conn, extra, +1)
        _adjust(conn, reserved - needed, -1)
        if request.reservation_id is not None:
            conn.execute(
                "UPDATE reservations SET status = 'CONSUMED' WHERE reservation_id = ?",
                (request.reservation_id,),
            )
        facilities = list(dict.fromkeys(line.facility_id for line in request.lines))
        numbers = []
        first = next_number(conn, "fulfillment_orders", "fulfillment_order_no", "FO-", 1000001)
        for n, facility in enumerate(facilities):
            number = f"FO-{first + n}"
            numbers.append(number)
            conn.execute(
                "INSERT INTO fulfillment_orders VALUES (?,?,?,?,'RELEASED',?)",
                (number, request.order_ref, request.order_number, facility, now()),
            )
            lines = [line for line in request.lines if line.facility_id == facility]
            conn.executemany(
                "INSERT INTO fulfillment_order_lines VALUES (?,?,?,?,?,0)",
                [
                    (number, line_no, line.item_number, line.qty, line.qty_backordered)
                    for line_no, line in enumerate(lines, start=1)
                ],
            )
            wave = conn.execute(
                "SELECT * FROM fulfillment_orders WHERE fulfillment_order_no = ?", (number,)
            ).fetchone()
            released = [(line.item_number, line.qty - line.qty_backordered) for line in lines]
            emit(conn, "RELEASED", wave, lines=released)
        where = f"WHERE fulfillment_order_no IN ({placeholders(len(numbers))})"
        answer = {
            "release_id": request.release_id,
            "order_ref": request.order_ref,
            "reservation_id": request.reservation_id,
            "fulfillment_orders": load_fulfillment_orders(db, where, numbers),
        }
        return remember(conn, RELEASE_SCOPE, request.release_id, digest, answer)


def _order_lines(conn: sqlite3.Connection, order_ref: str) -> list[sqlite3.Row]:
    """Every line of the order's fulfillment orders, with whether it can still be cancelled."""
    return conn.execute(
        """
        SELECT l.*, f.facility_id, f.wave_status,
            f.wave_status NOT IN ({closed}) AND l.qty_cancelled = 0 AND NOT EXISTS (
                SELECT 1 FROM shipments s WHERE s.fulfillment_order_no = f.fulfillment_order_no
            ) AS open,
            f.wave_status IN ('SHIPPED', 'DELIVERED') OR EXISTS (
                SELECT 1 FROM shipments s WHERE s.fulfillment_order_no = f.fulfillment_order_no
            ) AS shipped
        FROM fulfillment_order_lines l
        JOIN fulfillment_orders f ON f.fulfillment_order_no = l.fulfillment_order_no
        WHERE f.order_ref = ? ORDER BY l.fulfillment_order_no, l.line_no
        """.format(closed=",".join(f"'{status}'" for status in _CLOSED)),
        (order_ref,),
    ).fetchall()


def cancel(db: Database, request: CancelRequest) -> Written:
    """Cancel the open lines of the asked items (see the module docstring)."""
    digest = fingerprint(request)
    with db.transaction() as conn:
        stored = replay(conn, CANCEL_SCOPE, request.request_id, digest)
        if stored is not None:
            return stored
        lines = _order_lines(conn, request.order_ref)
        if not lines:
            raise NotFound(f"no fulfillment orders for order {request.order_ref!r}")
        strangers = sorted(set(request.items or ()) - {line["item_number"] for line in lines})
        if strangers:
            raise Unprocessable(f"not on order {request.order_ref!r}: {', '.join(strangers)}")
        asked = [
            line for line in lines if request.items is None or line["item_number"] in request.items
        ]
        to_cancel = [line for line in asked if line["open"]]
        if not to_cancel and any(line["shipped"] for line in asked):
            raise ApiError(409, "ALREADY_SHIPPED", "every line asked has shipped")
        freed: Counter[Position] = Counter()
        for line in to_cancel:
            freed[(line["item_number"], line["facility_id"])] += (
                line["qty_ordered"] - line["qty_backordered"]
            )
        _adjust(conn, freed, -1)
        conn.executemany(
            "UPDATE fulfillment_order_lines SET qty_cancelled = qty_ordered "
            "WHERE fulfillment_order_no = ? AND line_no = ?",
            [(line["fulfillment_order_no"], line["line_no"]) for line in to_cancel],
        )
        conn.execute(
            """
            UPDATE fulfillment_orders SET wave_status = 'CANCELLED'
            WHERE order_ref = ? AND NOT EXISTS (
                SELECT 1 FROM fulfillment_order_lines l
                WHERE l.fulfillment_order_no = fulfillment_orders.fulfillment_order_no
                    AND l.qty_cancelled = 0
            )
            """,
            (request.order_ref,),
        )
        answer: dict[str, Any] = {
            "request_id": request.request_id,
            "order_ref": request.order_ref,
            "cancelled_lines": [
                {
                    "fulfillment_order_no": line["fulfillment_order_no"],
                    "line_no": line["line_no"],
                    "item_number": line["item_number"],
                    "qty_cancelled": line["qty_ordered"],
                }
                for line in to_cancel
            ],
            "fulfillment_orders": load_fulfillment_orders(
                db, "WHERE order_ref = ?", (request.order_ref,)
            ),
        }
        return remember(conn, CANCEL_SCOPE, request.request_id, digest, answer)

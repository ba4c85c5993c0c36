"""Inventory reservations: allocate every line or none, in one transaction; release them.

A reservation is idempotent by its id: asking again with the same lines answers the stored
reservation (whatever its status), asking with other lines is a conflict. Positions are
checked and allocated inside one ``BEGIN IMMEDIATE`` transaction, so concurrent reservations
are serialized and can never allocate more than a position has available.

Releasing an id the WMS does not know answers 404 but leaves a tombstone: a ``RELEASED``
reservation without lines. A compensating release can overtake the reserve it undoes (the
reserve timed out on the caller's side and is still in flight); the reserve then finds the
tombstone, allocates nothing and answers it, so no allocation is left behind.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from systems.common.db import Database, placeholders
from systems.common.errors import ApiError, NotFound, Unprocessable
from systems.wms.writes import now

__all__ = [
    "Reservation",
    "ReservationLineIn",
    "ReservationRequest",
    "ShortLine",
    "Shortage",
    "check_facilities",
    "load_reservation",
    "release",
    "reserve",
    "shortages",
]

MAX_LINES = 100
MAX_ID = 128


class ReservationLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_number: str = Field(min_length=1, max_length=64)
    facility_id: str = Field(min_length=1, max_length=16)
    qty: StrictInt = Field(ge=1, le=1_000_000)


class ReservationRequest(BaseModel):
    """``POST /reservations`` body."""

    model_config = ConfigDict(extra="forbid")

    reservation_id: str = Field(min_length=1, max_length=MAX_ID)
    lines: list[ReservationLineIn] = Field(min_length=1, max_length=MAX_LINES)


@dataclass(frozen=True)
class Reservation:
    """A stored reservation; ``created`` says whether this call made it."""

    payload: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class ShortLine:
    item_number: str
    facility_id: str
    qty_requested: int
    qty_available: int


@dataclass(frozen=True)
class Shortage:
    """The reservation was refused: these positions lack availability; nothing changed."""

    lines: tuple[ShortLine, ...]


def load_reservation(conn: sqlite3.Connection, reservation_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM reservations WHERE reservation_id = ?", (reservation_id,)
    ).fetchone()
    if row is None:
        return None
    lines = conn.execute(
        "SELECT * FROM reservation_lines WHERE reservation_id = ? ORDER BY line_no",
        (reservation_id,),
    ).fetchall()
    return {
        "reservation_id": row["reservation_id"],
        "status": row["status"],
        "created_ts": row["created_ts"],
        "released_ts": row["released_ts"],
        "lines": [
            {
                "line_no": line["line_no"],
                "item_number": line["item_number"],
                "facility_id": line["facility_id"],
                "qty": line["qty"],
            }
            for line in lines
        ],
    }


def _same_lines(stored: dict[str, Any], request: ReservationRequest) -> bool:
    asked = [(line.item_number, line.facility_id, line.qty) for line in request.lines]
    kept = [(line["item_number"], line["facility_id"], line["qty"]) for line in stored["lines"]]
    return asked == kept


def _is_tombstone(stored: dict[str, Any]) -> bool:
    """Whether ``stored`` was left by releasing an id before it was reserved (any lines fit)."""
    return stored["status"] == "RELEASED" and not stored["lines"]


def check_facilities(conn: sqlite3.Connection, facility_ids: Iterable[str]) -> None:
    """422 naming the facilities of ``facility_ids`` the WMS does not know."""
    wanted = sorted(set(facility_ids))
    sql = f"SELECT facility_id FROM facilities WHERE facility_id IN ({placeholders(len(wanted))})"
    known = {row[0] for row in conn.execute(sql, wanted)}
    unknown = [facility for facility in wanted if facility not in known]
    if unknown:
        raise Unprocessable(f"unknown facility: {', '.join(unknown)}")


def shortages(conn: sqlite3.Connection, wanted: Counter[tuple[str, str]]) -> list[ShortLine]:
    """The ``(item, facility)`` positions that lack the quantity ``wanted`` of them."""
    short = []
    for (item, facility), qty in wanted.items():
        available = conn.execute(
            "SELECT qty_on_hand - qty_allocated FROM inventory_positions "
            "WHERE item_number = ? AND facility_id = ?",
            (item, facility),
        ).fetchone()
        have = max(int(available[0]), 0) if available is not None else 0
        if have < qty:
            short.append(ShortLine(item, facility, qty, have))
    return short


def reserve(db: Database, request: ReservationRequest) -> Reservation | Shortage:
    """Allocate every line of ``request``, or nothing (see the module docstring)."""
    with db.transaction() as conn:
        stored = load_reservation(conn, request.reservation_id)
        if stored is not None:
            if not _is_tombstone(stored) and not _same_lines(stored, request):
                raise ApiError(
                    409,
                    "IDEMPOTENCY_CONFLICT",
                    f"reservation {request.reservation_id!r} exists with other lines",
                )
            return Reservation(stored, created=False)
        check_facilities(conn, (line.facility_id for line in request.lines))
        wanted: Counter[tuple[str, str]] = Counter()
        for line in request.lines:
            wanted[(line.item_number, line.facility_id)] += line.qty
        short = shortages(conn, wanted)
        if short:
            return Shortage(tuple(short))
        conn.executemany(
            "UPDATE inventory_positions SET qty_allocated = qty_allocated + ? "
            "WHERE item_number = ? AND facility_id = ?",
            [(qty, item, facility) for (item, facility), qty in wanted.items()],
        )
        conn.execute(
            "INSERT INTO reservations VALUES (?, 'ACTIVE', ?, NULL)",
            (request.reservation_id, now()),
        )
        conn.executemany(
            "INSERT INTO reservation_lines VALUES (?,?,?,?,?)",
            [
                (request.reservation_id, n, line.item_number, line.facility_id, line.qty)
                for n, line in enumerate(request.lines, start=1)
            ],
        )
        created = load_reservation(conn, request.reservation_id)
    assert created is not None
    return Reservation(created, created=True)


def release(db: Database, reservation_id: str) -> dict[str, Any]:
    """Give an active reservation's quantities back; releasing twice changes nothing.

    An unknown id is 404, and released from then on: the transaction commits its tombstone
    (see the module docstring) before the 404 is raised. An id no reservation may have needs
    no tombstone.
    """
    if len(reservation_id) > MAX_ID:
        raise NotFound(f"no reservation {reservation_id[:MAX_ID]!r}…")
    with db.transaction() as conn:
        stored = load_reservation(conn, reservation_id)
        if stored is None:
            stamp = now()
            conn.execute(
                "INSERT INTO reservations VALUES (?, 'RELEASED', ?, ?)",
                (reservation_id, stamp, stamp),
            )
        elif stored["status"] == "ACTIVE":
            conn.executemany(
                "UPDATE inventory_positions SET qty_allocated = max(qty_allocated - ?, 0) "
                "WHERE item_number = ? AND facility_id = ?",
                [
                    (line["qty"], line["item_number"], line["facility_id"])
                    for line in stored["lines"]
                ],
            )
            conn.execute(
                "UPDATE reservations SET status = 'RELEASED', released_ts = ? "
                "WHERE reservation_id = ?",
                (now(), reservation_id),
            )
            stored = load_reservation(conn, reservation_id)
    if stored is None:
        raise NotFound(f"no reservation {reservation_id!r}")
    return stored

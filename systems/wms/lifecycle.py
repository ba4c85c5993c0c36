"""The life of a released fulfillment order, one step at a time, with its milestone webhooks.

RELEASED -> PICKING -> PICKED -> PACKED -> SHIPPED -> IN_TRANSIT -> OUT_FOR_DELIVERY ->
DELIVERED. Shipping creates the shipment (carrier, service, a carrier-shaped tracking number,
its lines and first tracking events) and takes the units off hand; the carrier steps add
tracking events. Exceptions happen on the step they belong to: a short pick (``PARTIAL_PICK``)
when picking ends, which backorders the missing units; a ``DELAYED`` or ``DAMAGED`` parcel in
transit; an ``ADDRESS`` problem out for delivery. They are announced and the order goes on.

Every step writes its milestones into ``webhook_deliveries`` in the same transaction as the
change (an outbox), so a webhook is sent for exactly what happened; ``systems.wms.webhooks``
delivers them.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import Field, StrictInt, model_validator

from systems.common.db import Database
from systems.common.errors import ApiError, NotFound, Unprocessable
from systems.wms.codes import CARRIER_SCAC, EXCEPTION_CODE, MILESTONE_CODE, SHIP_STATUS
from systems.wms.outbox import new_event_id, record_webhook
from systems.wms.writes import Body, next_number, now

__all__ = [
    "EXCEPTIONS",
    "STAGES",
    "AdvanceRequest",
    "active_orders",
    "advance",
    "emit",
    "stage_of",
]

Stage = Literal[
    "RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "IN_TRANSIT", "OUT_FOR_DELIVERY",
    "DELIVERED",
]  # fmt: skip
Exception_ = Literal["DELAYED", "DAMAGED", "ADDRESS", "PARTIAL_PICK"]

STAGES: tuple[str, ...] = get_args(Stage)
EXCEPTIONS: tuple[str, ...] = get_args(Exception_)
# The step (the stage it reaches) on which each exception can happen.
_EXCEPTION_STEP = {
    "PARTIAL_PICK": "PICKED",
    "DELAYED": "IN_TRANSIT",
    "DAMAGED": "IN_TRANSIT",
    "ADDRESS": "OUT_FOR_DELIVERY",
}
_WAVE_STAGE = {"RELEASED": "RELEASED", "IN_PICKING": "PICKING", "PICKED": "PICKED",
               "PACKED": "PACKED", "DELIVERED": "DELIVERED"}  # fmt: skip
# The last carrier scan of a shipped wave says where its parcel stands.
_SCAN_STAGE = {"LBL": "SHIPPED", "PU": "SHIPPED", "IT": "IN_TRANSIT",
               "OFD": "OUT_FOR_DELIVERY", "DLV": "DELIVERED"}  # fmt: skip
_SERVICES = (("UPS", "UPS Ground", 3), ("FEDEX", "FedEx Ground", 3),
             ("USPS", "USPS Ground Advantage", 4), ("UPS", "UPS 2nd Day Air", 2))  # fmt: skip
_KG_PER_UNIT = 0.85
_UNITS_PER_PACKAGE = 12


class AdvanceRequest(Body):
    """``POST /_admin/advance``: up to stage ``to``, or ``steps`` steps (default one step).

    ``exception`` forces that exception on the step it belongs to, which must be among the
    steps taken; without it, each such step has the configured chance of one.
    """

    fulfillment_order_no: str = Field(min_length=1, max_length=64)
    to: Stage | None = None
    steps: StrictInt | None = Field(default=None, ge=1, le=len(STAGES))
    exception: Exception_ | None = None

    @model_validator(mode="after")
    def _one_target(self) -> AdvanceRequest:
        if self.to is not None and self.steps is not None:
            raise ValueError("give either 'to' or 'steps', not both")
        return self


def emit(
    conn: sqlite3.Connection,
    milestone: str,
    wave: sqlite3.Row,
    *,
    shipment: sqlite3.Row | None = None,
    lines: Sequence[tuple[str, int]] = (),
    exception: str | None = None,
) -> dict[str, Any]:
    """Record the webhook announcing ``milestone`` of ``wave`` (in the caller's transaction)."""
    reason = EXCEPTION_CODE[exception] if exception is not None else None
    body: dict[str, Any] = {
        "event_id": new_event_id(),
        "event_code": MILESTONE_CODE[milestone],
        "event_ts": now(),
        "facility_id": wave["facility_id"],
        "order_ref": wave["order_ref"],
        "order_number": wave["order_number"],
        "fulfillment_order_no": wave["fulfillment_order_no"],
        "shipment_no": None if shipment is None else shipment["shipment_no"],
        "tracking_no": None if shipment is None else shipment["tracking_no"],
        "carrier_scac": None if shipment is None else shipment["carrier_scac"],
        "service_level": None if shipment is None else shipment["service_level"],
        "est_delivery_date": None if shipment is None else shipment["est_delivery_date"],
        "lines": [{"item_number": item, "qty": qty} for item, qty in lines],
        "exception_code": None if reason is None else reason[0],
        "exception_desc": None if reason is None else reason[1],
    }
    return record_webhook(conn, body, fulfillment_order_no=wave["fulfillment_order_no"])


def _wave(conn: sqlite3.Connection, number: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM fulfillment_orders WHERE fulfillment_order_no = ?", (number,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no fulfillment order {number!r}")
    return row


def _shipment(conn: sqlite3.Connection, number: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM shipments WHERE fulfillment_order_no = ? ORDER BY shipment_no DESC",
        (number,),
    ).fetchone()
    return row


def stage_of(conn: sqlite3.Connection, wave: sqlite3.Row) -> str | None:
    """Where ``wave`` stands in ``STAGES`` (``None``: cancelled)."""
    status = wave["wave_status"]
    if status in _WAVE_STAGE:
        return _WAVE_STAGE[status]
    if status != "SHIPPED":
        return None
    shipment = _shipment(conn, wave["fulfillment_order_no"])
    if shipment is None:
        return "SHIPPED"
    scans = conn.execute(
        f"SELECT code FROM tracking_events WHERE shipment_no = ? AND code IN "
        f"({','.join('?' * len(_SCAN_STAGE))}) ORDER BY seq DESC LIMIT 1",
        (shipment["shipment_no"], *_SCAN_STAGE),
    ).fetchone()
    return "SHIPPED" if scans is None else _SCAN_STAGE[scans["code"]]


def _open_lines(conn: sqlite3.Connection, number: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT line_no, item_number, qty_ordered - qty_backordered - qty_cancelled AS qty "
        "FROM fulfillment_order_lines WHERE fulfillment_order_no = ? AND "
        "qty_ordered - qty_backordered - qty_cancelled > 0 ORDER BY line_no",
        (number,),
    ).fetchall()


def _set_wave(conn: sqlite3.Connection, number: str, status: str) -> sqlite3.Row:
    conn.execute(
        "UPDATE fulfillment_orders SET wave_status = ? WHERE fulfillment_order_no = ?",
        (status, number),
    )
    return _wave(conn, number)


def _scan(conn: sqlite3.Connection, shipment: sqlite3.Row, status: str, desc: str) -> None:
    code = SHIP_STATUS[status]
    city = conn.execute(
        "SELECT addr_city || ', ' || addr_state FROM facilities WHERE facility_id = ?",
        (shipment["facility_id"],),
    ).fetchone()[0]
    seq = conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM tracking_events WHERE shipment_no = ?",
        (shipment["shipment_no"],),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO tracking_events VALUES (?,?,?,?,?,?)",
        (shipment["shipment_no"], seq, code, desc, city, now()),
    )
    conn.execute(
        "UPDATE shipments SET ship_status = ? WHERE shipment_no = ?",
        (code, shipment["shipment_no"]),
    )


def _tracking_number(
    conn: sqlite3.Connection, rng: random.Random, carrier: str, service: str
) -> str:
    while True:
        if carrier == "UPS":
            code = "02" if "2nd Day" in service else "03"
            number = f"1Z{rng.randint(0, 16**6 - 1):06X}{code}{rng.randint(0, 10**8 - 1):08d}"
        elif carrier == "FEDEX":
            number = str(rng.randint(10**11, 10**12 - 1))
        elif carrier == "USPS":
            number = f"9400{rng.randint(0, 10**18 - 1):018d}"
        else:
            number = f"XPO{rng.randint(0, 10**9 - 1):09d}"
        taken = conn.execute("SELECT 1 FROM shipments WHERE tracking_no = ?", (number,))
        if taken.fetchone() is None:
            return number


def _short_pick(conn: sqlite3.Connection, wave: sqlite3.Row) -> list[tuple[str, int]] | None:
    """Backorder half (at least one unit) of the first line that can spare it; ``None`` when
    the wave has too little on it for a partial pick."""
    lines = _open_lines(conn, wave["fulfillment_order_no"])
    if sum(line["qty"] for line in lines) < 2:
        return None
    line = max(lines, key=lambda row: (row["qty"], -row["line_no"]))
    short = max(line["qty"] // 2, 1)
    conn.execute(
        "UPDATE fulfillment_order_lines SET qty_backordered = qty_backordered + ? "
        "WHERE fulfillment_order_no = ? AND line_no = ?",
        (short, wave["fulfillment_order_no"], line["line_no"]),
    )
    conn.execute(
        "UPDATE inventory_positions SET qty_allocated = max(qty_allocated - ?, 0), "
        "qty_on_hand = max(qty_on_hand - ?, 0) WHERE item_number = ? AND facility_id = ?",
        (short, short, line["item_number"], wave["facility_id"]),
    )
    return [(line["item_number"], short)]


def _ship(conn: sqlite3.Connection, wave: sqlite3.Row, rng: random.Random) -> sqlite3.Row:
    lines = _open_lines(conn, wave["fulfillment_order_no"])
    units = sum(line["qty"] for line in lines)
    weight = units * _KG_PER_UNIT
    if weight > 150:
        carrier, service, days = "XPO", "XPO LTL Standard", 4
    else:
        carrier, service, days = rng.choice(_SERVICES)
    number = f"SH-{next_number(conn, 'shipments', 'shipment_no', 'SH-', 1000001)}"
    shipped = datetime.now(UTC)
    conn.execute(
        "INSERT INTO shipments VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
        (number, wave["fulfillment_order_no"], wave["order_ref"], wave["facility_id"],
         CARRIER_SCAC[carrier], service, _tracking_number(conn, rng, carrier, service),
         SHIP_STATUS["LABEL_CREATED"], max(1, -(-units // _UNITS_PER_PACKAGE)),
         f"{weight:.3f}", now(), (shipped + timedelta(days=days)).date().isoformat()),
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO shipment_lines VALUES (?,?,?,?)",
        [(number, n, line["item_number"], line["qty"]) for n, line in enumerate(lines, 1)],
    )
    conn.executemany(
        "UPDATE inventory_positions SET qty_on_hand = max(qty_on_hand - ?, 0), "
        "qty_allocated = max(qty_allocated - ?, 0) WHERE item_number = ? AND facility_id = ?",
        [(line["qty"], line["qty"], line["item_number"], wave["facility_id"]) for line in lines],
    )
    shipment: sqlite3.Row = conn.execute(
        "SELECT * FROM shipments WHERE shipment_no = ?", (number,)
    ).fetchone()
    _scan(conn, shipment, "LABEL_CREATED", "Shipping label created")
    _scan(conn, shipment, "PICKED_UP", "Picked up by carrier")
    return shipment


def _step(
    conn: sqlite3.Connection, wave: sqlite3.Row, to: str, exception: str | None,
    rng: random.Random,
) -> list[dict[str, Any]]:  # fmt: skip
    """Take ``wave`` one step, to stage ``to``; the webhooks it wrote."""
    number = wave["fulfillment_order_no"]
    events: list[dict[str, Any]] = []
    if to in ("PICKING", "PICKED", "PACKED"):
        short = _short_pick(conn, wave) if exception == "PARTIAL_PICK" else None
        if exception == "PARTIAL_PICK" and short is None:
            raise ApiError(409, "NOTHING_TO_SHORT", f"{number} has too few units to short-pick")
        wave = _set_wave(conn, number, {"PICKING": "IN_PICKING"}.get(to, to))
        picked = [(line["item_number"], line["qty"]) for line in _open_lines(conn, number)]
        events.append(emit(conn, to, wave, lines=picked if to == "PICKED" else []))
        if short is not None:
            events.append(emit(conn, "BACKORDERED", wave, lines=short, exception=exception))
        return events
    if to == "SHIPPED":
        shipment = _ship(conn, wave, rng)
        wave = _set_wave(conn, number, "SHIPPED")
        lines = conn.execute(
            "SELECT item_number, qty_shipped FROM shipment_lines WHERE shipment_no = ? "
            "ORDER BY line_no",
            (shipment["shipment_no"],),
        ).fetchall()
        shipped = [(row[0], row[1]) for row in lines]
        return [emit(conn, "SHIPPED", wave, shipment=_shipment(conn, number), lines=shipped)]
    parcel = _shipment(conn, number)
    if parcel is None:  # a wave marked shipped without a parcel: nothing to track
        raise ApiError(409, "INVALID_TRANSITION", f"{number} has no shipment to track")
    shipment = parcel
    if to == "DELIVERED":
        conn.execute(
            "UPDATE shipments SET delivered_ts = ? WHERE shipment_no = ?",
            (now(), shipment["shipment_no"]),
        )
        wave = _set_wave(conn, number, "DELIVERED")
    desc = {"IN_TRANSIT": "Departed facility", "OUT_FOR_DELIVERY": "Out for delivery",
            "DELIVERED": "Delivered"}[to]  # fmt: skip
    _scan(conn, shipment, to, desc)
    events.append(emit(conn, to, wave, shipment=_shipment(conn, number)))
    if exception is not None:
        status = "DELAYED" if exception == "DELAYED" else "EXCEPTION"
        _scan(conn, shipment, status, EXCEPTION_CODE[exception][1])
        events.append(emit(conn, status, wave, shipment=_shipment(conn, number),
                           exception=exception))  # fmt: skip
    return events


def _chance_exception(
    conn: sqlite3.Connection, wave: sqlite3.Row, to: str, rng: random.Random
) -> str | None:
    fitting = [name for name, step in _EXCEPTION_STEP.items() if step == to]
    if not fitting:
        return None
    exception = rng.choice(fitting)
    units = sum(line["qty"] for line in _open_lines(conn, wave["fulfillment_order_no"]))
    return None if exception == "PARTIAL_PICK" and units < 2 else exception


def advance(
    db: Database, request: AdvanceRequest, *, exception_rate: float, rng: random.Random
) -> dict[str, Any]:
    """Advance one fulfillment order as ``request`` asks; its stage and the webhooks written."""
    with db.transaction() as conn:
        wave = _wave(conn, request.fulfillment_order_no)
        stage = stage_of(conn, wave)
        if stage is None:
            raise ApiError(409, "INVALID_TRANSITION", f"{wave['fulfillment_order_no']} is "
                           f"{wave['wave_status']}")  # fmt: skip
        here = STAGES.index(stage)
        if request.to is not None:
            there = STAGES.index(request.to)
            if there < here:
                raise ApiError(409, "INVALID_TRANSITION", f"already {stage}, past {request.to}")
        else:
            there = min(here + (request.steps or 1), len(STAGES) - 1)
        path = STAGES[here + 1 : there + 1]
        forced = request.exception
        if forced is not None and _EXCEPTION_STEP[forced] not in path:
            step = _EXCEPTION_STEP[forced]
            raise Unprocessable(f"exception {forced} happens on the step to {step}, not taken")
        events: list[dict[str, Any]] = []
        for to in path:
            exception: str | None = forced if forced and _EXCEPTION_STEP[forced] == to else None
            if forced is None and exception_rate > 0 and rng.random() < exception_rate:
                exception = _chance_exception(conn, wave, to, rng)
            events.extend(_step(conn, wave, to, exception, rng))
            wave = _wave(conn, wave["fulfillment_order_no"])
        return {
            "fulfillment_order_no": wave["fulfillment_order_no"],
            "stage": STAGES[there],
            "wave_status": wave["wave_status"],
            "events": events,
        }


def active_orders(db: Database) -> list[str]:
    """Fulfillment orders released through the API (they have webhooks) still on their way."""
    rows = db.fetch_all(
        "SELECT fulfillment_order_no FROM fulfillment_orders f WHERE wave_status NOT IN "
        "('DELIVERED', 'CANCELLED') AND EXISTS (SELECT 1 FROM webhook_deliveries d "
        "WHERE d.fulfillment_order_no = f.fulfillment_order_no) ORDER BY fulfillment_order_no"
    )
    return [row["fulfillment_order_no"] for row in rows]

"""The WMS's SQLite schema and how the demo world is written into it, in vendor codes."""

from __future__ import annotations

import sqlite3

from systems.common.idempotency import idempotency_table
from systems.wms.codes import (
    CARRIER_SCAC,
    DISPOSITION_CODE,
    SHIP_STATUS,
    WAVE_STATUS,
    format_date,
    format_ts,
)
from systems.world_records import World

__all__ = ["SCHEMA", "seed_database"]

_RECORDS = """
CREATE TABLE facilities (
    facility_id TEXT PRIMARY KEY,
    facility_name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    addr_line1 TEXT NOT NULL,
    addr_city TEXT NOT NULL,
    addr_state TEXT NOT NULL,
    addr_postal TEXT NOT NULL,
    addr_country TEXT NOT NULL,
    addr_region TEXT NOT NULL,
    time_zone TEXT NOT NULL
);
CREATE TABLE inventory_positions (
    item_number TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    qty_on_hand INTEGER NOT NULL CHECK (qty_on_hand >= 0),
    qty_allocated INTEGER NOT NULL CHECK (qty_allocated >= 0),
    qty_inbound INTEGER NOT NULL CHECK (qty_inbound >= 0),
    inbound_eta TEXT,
    PRIMARY KEY (item_number, facility_id)
);
CREATE INDEX inventory_positions_facility ON inventory_positions (facility_id, item_number);
CREATE TABLE fulfillment_orders (
    fulfillment_order_no TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL,
    order_number TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    wave_status TEXT NOT NULL,
    released_ts TEXT NOT NULL
);
CREATE INDEX fulfillment_orders_order ON fulfillment_orders (order_ref);
CREATE TABLE fulfillment_order_lines (
    fulfillment_order_no TEXT NOT NULL REFERENCES fulfillment_orders (fulfillment_order_no),
    line_no INTEGER NOT NULL,
    item_number TEXT NOT NULL,
    qty_ordered INTEGER NOT NULL CHECK (qty_ordered > 0),
    -- units the facility could not allocate when the wave was released (waiting on stock)
    qty_backordered INTEGER NOT NULL DEFAULT 0
        CHECK (qty_backordered >= 0 AND qty_backordered <= qty_ordered),
    -- units taken off the line by POST /fulfillment-orders/cancel (the whole line, or none)
    qty_cancelled INTEGER NOT NULL DEFAULT 0
        CHECK (qty_cancelled >= 0 AND qty_cancelled <= qty_ordered),
    PRIMARY KEY (fulfillment_order_no, line_no)
);
CREATE TABLE shipments (
    shipment_no TEXT PRIMARY KEY,
    fulfillment_order_no TEXT NOT NULL REFERENCES fulfillment_orders (fulfillment_order_no),
    order_ref TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    carrier_scac TEXT NOT NULL,
    service_level TEXT NOT NULL,
    tracking_no TEXT NOT NULL UNIQUE,
    ship_status TEXT NOT NULL,
    package_count INTEGER NOT NULL,
    gross_weight_kg TEXT NOT NULL,
    ship_ts TEXT NOT NULL,
    est_delivery_date TEXT NOT NULL,
    delivered_ts TEXT
);
CREATE INDEX shipments_order ON shipments (order_ref);
CREATE INDEX shipments_fulfillment_order ON shipments (fulfillment_order_no);
CREATE TABLE shipment_lines (
    shipment_no TEXT NOT NULL REFERENCES shipments (shipment_no),
    line_no INTEGER NOT NULL,
    item_number TEXT NOT NULL,
    qty_shipped INTEGER NOT NULL,
    PRIMARY KEY (shipment_no, line_no)
);
CREATE TABLE tracking_events (
    shipment_no TEXT NOT NULL REFERENCES shipments (shipment_no),
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    "desc" TEXT NOT NULL,
    city_state TEXT NOT NULL,
    event_ts TEXT NOT NULL,
    PRIMARY KEY (shipment_no, seq)
);
CREATE TABLE return_receipts (
    receipt_no TEXT PRIMARY KEY,
    rma_ref TEXT NOT NULL,
    order_ref TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    received_ts TEXT NOT NULL
);
CREATE INDEX return_receipts_rma ON return_receipts (rma_ref);
CREATE TABLE return_receipt_lines (
    receipt_no TEXT NOT NULL REFERENCES return_receipts (receipt_no),
    line_no INTEGER NOT NULL,
    item_number TEXT NOT NULL,
    qty_received INTEGER NOT NULL,
    disposition_code TEXT NOT NULL,
    PRIMARY KEY (receipt_no, line_no)
);
-- Returns the ERP has authorized and the dock should expect (OPEN until received).
CREATE TABLE expected_returns (
    rma_ref TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    order_ref TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    item_number TEXT NOT NULL,
    qty_expected INTEGER NOT NULL,
    reason_code TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (rma_ref, line_no)
);
-- Milestone webhooks: one row per vendor event, written with the change it announces (an
-- outbox), and its delivery log (attempts, status, last error). A row is about a fulfillment
-- order (the lifecycle's milestones) or a return (a return receipt's, by its RMA).
CREATE TABLE webhook_deliveries (
    event_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    fulfillment_order_no TEXT,
    rma_ref TEXT,
    event_code TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error TEXT,
    next_attempt_ts REAL NOT NULL,
    created_ts TEXT NOT NULL,
    delivered_ts TEXT,
    CHECK ((fulfillment_order_no IS NULL) != (rma_ref IS NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ts);
CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_ts TEXT NOT NULL,
    released_ts TEXT
);
CREATE TABLE reservation_lines (
    reservation_id TEXT NOT NULL REFERENCES reservations (reservation_id),
    line_no INTEGER NOT NULL,
    item_number TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    qty INTEGER NOT NULL,
    PRIMARY KEY (reservation_id, line_no)
);
"""

# What the write endpoints keep.
SCHEMA = _RECORDS + idempotency_table("created_ts")

# Returns the dock expects: authorized ones, and the ones already received (kept as history).
_EXPECTED_STATUS = {"AUTHORIZED": "OPEN", "RECEIVED": "RECEIVED", "CREDITED": "RECEIVED"}


def seed_database(conn: sqlite3.Connection, world: World) -> None:
    """Create the WMS tables and write ``world`` into them (the caller commits)."""
    conn.executescript(SCHEMA)
    conn.executemany(
        "INSERT INTO facilities VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (c.id, c.name, c.region, c.address.street, c.address.city, c.address.state,
             c.address.postal_code, c.address.country, c.address.region, c.timezone)
            for c in world.centers
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO inventory_positions VALUES (?,?,?,?,?,?)",
        [
            (i.sku, i.center_id, i.on_hand, i.allocated, i.incoming,
             None if i.incoming_date is None else format_date(i.incoming_date))
            for i in world.inventory
        ],
    )  # fmt: skip
    _seed_fulfillment(conn, world)
    _seed_returns(conn, world)


def _seed_fulfillment(conn: sqlite3.Connection, world: World) -> None:
    conn.executemany(
        "INSERT INTO fulfillment_orders VALUES (?,?,?,?,?,?)",
        [
            (f.id, f.order_id, f.order_number, f.center_id, WAVE_STATUS[f.status],
             format_ts(f.released_at))
            for f in world.fulfillment_orders
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO fulfillment_order_lines VALUES (?,?,?,?,0,0)",
        [
            (f.id, n, line.sku, line.quantity)
            for f in world.fulfillment_orders
            for n, line in enumerate(f.lines, start=1)
        ],
    )
    conn.executemany(
        "INSERT INTO shipments VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (s.id, s.fulfillment_order_id, s.order_id, s.center_id, CARRIER_SCAC[s.carrier],
             s.service, s.tracking_number, SHIP_STATUS[s.status], s.package_count,
             str(s.weight_kg), format_ts(s.shipped_at), format_date(s.estimated_delivery),
             None if s.delivered_at is None else format_ts(s.delivered_at))
            for s in world.shipments
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO shipment_lines VALUES (?,?,?,?)",
        [
            (s.id, n, line.sku, line.quantity)
            for s in world.shipments
            for n, line in enumerate(s.lines, start=1)
        ],
    )
    conn.executemany(
        "INSERT INTO tracking_events VALUES (?,?,?,?,?,?)",
        [
            (s.id, n, SHIP_STATUS[e.status], e.description, e.location, format_ts(e.occurred_at))
            for s in world.shipments
            for n, e in enumerate(s.events, start=1)
        ],
    )


def _seed_returns(conn: sqlite3.Connection, world: World) -> None:
    conn.executemany(
        "INSERT INTO return_receipts VALUES (?,?,?,?,?)",
        [
            (r.id, r.return_authorization_id, r.order_id, r.center_id, format_ts(r.received_at))
            for r in world.return_receipts
        ],
    )
    conn.executemany(
        "INSERT INTO return_receipt_lines VALUES (?,?,?,?,?)",
        [
            (r.id, n, line.sku, line.quantity_received, DISPOSITION_CODE[line.disposition])
            for r in world.return_receipts
            for n, line in enumerate(r.lines, start=1)
        ],
    )
    conn.executemany(
        "INSERT INTO expected_returns VALUES (?,?,?,?,?,?,?,?)",
        [
            (ra.id, n, ra.order_id, ra.center_id, line.sku, line.quantity, line.reason,
             _EXPECTED_STATUS[ra.status])
            for ra in world.return_authorizations
            if ra.status in _EXPECTED_STATUS
            for n, line in enumerate(ra.lines, start=1)
        ],
    )  # fmt: skip

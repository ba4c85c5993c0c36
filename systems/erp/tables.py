"""The ERP's tables and indexes.

Money is stored as integer cents (exact sums in SQL), rates and percentages as decimal text.
Every transaction table keeps the customer's internal and external id, so lookups by CRM
account id need no join.
"""

from __future__ import annotations

from systems.common.idempotency import idempotency_table

__all__ = ["SCHEMA"]

_LINE_COLUMNS = """
    line INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    rate_cents INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    location TEXT NOT NULL
"""

_RECORDS = f"""
CREATE TABLE terms (
    internal_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    days_until_due INTEGER NOT NULL
);

CREATE TABLE price_levels (
    internal_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    discount_percent TEXT NOT NULL
);

CREATE TABLE customers (
    internal_id TEXT PRIMARY KEY,
    entity_id TEXT NOT NULL UNIQUE,
    external_id TEXT NOT NULL UNIQUE,
    company_name TEXT NOT NULL,
    terms_id TEXT NOT NULL REFERENCES terms (internal_id),
    credit_limit_cents INTEGER NOT NULL,
    credit_hold_override TEXT NOT NULL,
    price_level_id TEXT REFERENCES price_levels (internal_id),
    is_inactive INTEGER NOT NULL,
    date_created TEXT NOT NULL
);

CREATE TABLE items (
    internal_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    sales_description TEXT NOT NULL,
    class_name TEXT NOT NULL,
    sale_unit TEXT NOT NULL,
    base_price_cents INTEGER NOT NULL,
    weight TEXT NOT NULL,
    is_inactive INTEGER NOT NULL
);
CREATE INDEX items_display_name ON items (display_name);

CREATE TABLE price_level_entries (
    price_level_id TEXT NOT NULL REFERENCES price_levels (internal_id),
    item_id TEXT NOT NULL REFERENCES items (item_id),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (price_level_id, item_id)
);

CREATE TABLE quantity_breaks (
    item_id TEXT NOT NULL REFERENCES items (item_id),
    min_quantity INTEGER NOT NULL,
    discount_percent TEXT NOT NULL,
    PRIMARY KEY (item_id, min_quantity)
);

CREATE TABLE sales_orders (
    internal_id TEXT PRIMARY KEY,
    tran_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL REFERENCES customers (internal_id),
    customer_external_id TEXT NOT NULL,
    custbody_status TEXT NOT NULL,
    custbody_hold_reason TEXT,
    currency TEXT NOT NULL,
    other_ref_num TEXT NOT NULL,
    ship_addr1 TEXT NOT NULL,
    ship_city TEXT NOT NULL,
    ship_state TEXT NOT NULL,
    ship_zip TEXT NOT NULL,
    ship_country TEXT NOT NULL,
    ship_region TEXT NOT NULL,
    created_date TEXT NOT NULL,
    tran_date TEXT NOT NULL,
    requested_delivery TEXT NOT NULL,
    promised_date TEXT,
    tax_rate TEXT NOT NULL,
    subtotal_cents INTEGER NOT NULL,
    tax_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    -- Who entered the order and who last cancelled lines of it (the caller's word: a
    -- token's subject, or "system"); null on the seeded history, which recorded no one.
    submitted_by TEXT,
    cancelled_by TEXT
);
CREATE INDEX sales_orders_customer ON sales_orders (customer_external_id, created_date);
CREATE INDEX sales_orders_created ON sales_orders (created_date);
-- A customer's open orders (its unbilled orders, its credit exposure): read for every
-- customer record served, which scanned every order without it.
CREATE INDEX sales_orders_customer_status ON sales_orders (customer_id, custbody_status);

CREATE TABLE sales_order_lines (
    order_id TEXT NOT NULL REFERENCES sales_orders (internal_id),
    {_LINE_COLUMNS},
    PRIMARY KEY (order_id, line)
);

CREATE TABLE invoices (
    internal_id TEXT PRIMARY KEY,
    tran_id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES sales_orders (internal_id),
    customer_id TEXT NOT NULL REFERENCES customers (internal_id),
    customer_external_id TEXT NOT NULL,
    shipment_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_date TEXT NOT NULL,
    tran_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    subtotal_cents INTEGER NOT NULL,
    tax_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    amount_remaining_cents INTEGER NOT NULL
);
CREATE INDEX invoices_order ON invoices (order_id);
CREATE INDEX invoices_customer ON invoices (customer_id, status);

CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices (internal_id),
    {_LINE_COLUMNS},
    PRIMARY KEY (invoice_id, line)
);

CREATE TABLE return_authorizations (
    internal_id TEXT PRIMARY KEY,
    tran_id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES sales_orders (internal_id),
    customer_id TEXT NOT NULL REFERENCES customers (internal_id),
    customer_external_id TEXT NOT NULL,
    status TEXT NOT NULL,
    custbody_decline_reason TEXT,
    location TEXT NOT NULL,
    created_date TEXT NOT NULL,
    tran_date TEXT NOT NULL,
    -- Who asked for the return and who recorded its receipt (as on sales orders).
    requested_by TEXT,
    received_by TEXT
);
CREATE INDEX return_authorizations_order ON return_authorizations (order_id);

CREATE TABLE return_authorization_lines (
    return_authorization_id TEXT NOT NULL REFERENCES return_authorizations (internal_id),
    line INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    custcol_return_reason TEXT NOT NULL,
    PRIMARY KEY (return_authorization_id, line)
);

CREATE TABLE credit_memos (
    internal_id TEXT PRIMARY KEY,
    tran_id TEXT NOT NULL UNIQUE,
    created_from TEXT NOT NULL REFERENCES return_authorizations (internal_id),
    order_id TEXT NOT NULL REFERENCES sales_orders (internal_id),
    customer_id TEXT NOT NULL REFERENCES customers (internal_id),
    customer_external_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_date TEXT NOT NULL,
    tran_date TEXT NOT NULL,
    subtotal_cents INTEGER NOT NULL,
    tax_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL
);
CREATE INDEX credit_memos_order ON credit_memos (order_id);

CREATE TABLE credit_memo_lines (
    credit_memo_id TEXT NOT NULL REFERENCES credit_memos (internal_id),
    {_LINE_COLUMNS},
    PRIMARY KEY (credit_memo_id, line)
);
"""

# What the write endpoints keep.
_WRITES = """
-- One invoice per shipment: the shipment id is the idempotency key of POST /invoices.
CREATE UNIQUE INDEX invoices_shipment ON invoices (shipment_id);

-- What POST /salesOrders/{id}/cancel took off a line (the line's quantity is what remains).
CREATE TABLE sales_order_line_cancellations (
    order_id TEXT NOT NULL REFERENCES sales_orders (internal_id),
    line INTEGER NOT NULL,
    quantity_cancelled INTEGER NOT NULL CHECK (quantity_cancelled > 0),
    PRIMARY KEY (order_id, line)
);

-- Why lines of an order were last cancelled (the canceller's word; a table of its own, so the
-- order's columns, which order entry and seeding write, stay as they are).
CREATE TABLE sales_order_cancel_reasons (
    order_id TEXT PRIMARY KEY REFERENCES sales_orders (internal_id),
    reason TEXT NOT NULL
);

-- The item balances the ERP books per location: what it held at its opening (the seed) with
-- what it had invoiced by then added back, so that booked = opening - everything invoiced.
CREATE TABLE inventory_balances (
    item_id TEXT NOT NULL,
    location TEXT NOT NULL,
    opening_quantity INTEGER NOT NULL,
    PRIMARY KEY (item_id, location)
);

-- What came back against each return authorization line.
CREATE TABLE return_authorization_receipts (
    return_authorization_id TEXT NOT NULL REFERENCES return_authorizations (internal_id),
    line INTEGER NOT NULL,
    quantity_received INTEGER NOT NULL CHECK (quantity_received >= 0),
    PRIMARY KEY (return_authorization_id, line)
);
"""

SCHEMA = _RECORDS + _WRITES + idempotency_table("created_date")

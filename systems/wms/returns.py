"""Returns at the dock: what the ERP told a facility to expect, and what was received.

An expected return is keyed by its RMA: announcing it again the same way answers it as it is,
announcing it otherwise is a conflict. A receipt is only taken against an open expected return,
at its facility, for its items and at most what of them has not come back yet; ``RESTOCKED``
units go back on hand at once and every line's disposition is kept. The expected return is
then ``RECEIVED``, or ``PARTIALLY_RECEIVED`` while some of it is still to come (a later receipt
brings the rest), and
the receipt's ``RT_RCV`` milestone webhook is written in the same transaction (the outbox of
``systems.wms.outbox``), whoever booked it: the orders workflow or the dock itself.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from pydantic import Field, StrictInt, field_validator

from systems.common.db import Database, placeholders
from systems.common.errors import ApiError
from systems.wms.codes import DISPOSITION_CODE, MILESTONE_CODE
from systems.wms.documents import load_return_receipts
from systems.wms.outbox import new_event_id, record_webhook
from systems.wms.reservations import MAX_LINES, check_facilities
from systems.wms.writes import (
    Body,
    Written,
    conflict,
    fingerprint,
    next_number,
    now,
    remember,
    replay,
)

__all__ = [
    "ExpectedReturnRequest",
    "ReturnReceiptRequest",
    "expect_return",
    "expected_returns",
    "receive_return",
]

RECEIPT_SCOPE = "return-receipt"
# An expected return takes receipts until all of it has come back.
_RECEIVABLE = frozenset({"OPEN", "PARTIALLY_RECEIVED"})
_CODES = frozenset(DISPOSITION_CODE.values())


class _ExpectedLine(Body):
    item_number: str = Field(min_length=1, max_length=64)
    qty: StrictInt = Field(ge=1, le=1_000_000)
    reason_code: str = Field(default="", max_length=32)


class ExpectedReturnRequest(Body):
    """``POST /expected-returns`` body: the RMA is its key."""

    rma_ref: str = Field(min_length=1, max_length=64)
    order_ref: str = Field(min_length=1, max_length=64)
    facility_id: str = Field(min_length=1, max_length=16)
    lines: list[_ExpectedLine] = Field(min_length=1, max_length=MAX_LINES)


class _ReceiptLine(Body):
    item_number: str = Field(min_length=1, max_length=64)
    qty_received: StrictInt = Field(ge=1, le=1_000_000)
    disposition_code: str

    @field_validator("disposition_code")
    @classmethod
    def _vendor_code(cls, value: str) -> str:
        """The graph's word (``RESTOCKED``) or the WMS's own code (``RS``); stored as the code."""
        if value in DISPOSITION_CODE:
            return DISPOSITION_CODE[value]
        if value in _CODES:
            return value
        raise ValueError(f"unknown disposition {value!r}; one of {', '.join(DISPOSITION_CODE)}")


class ReturnReceiptRequest(Body):
    """``POST /return-receipts`` body."""

    receipt_id: str = Field(min_length=1, max_length=128)
    rma_ref: str = Field(min_length=1, max_length=64)
    facility_id: str = Field(min_length=1, max_length=16)
    lines: list[_ReceiptLine] = Field(min_length=1, max_length=MAX_LINES)


def _payloads(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    by_rma: dict[str, dict[str, Any]] = {}
    for row in rows:
        record = by_rma.setdefault(
            row["rma_ref"],
            {
                "rma_ref": row["rma_ref"],
                "order_ref": row["order_ref"],
                "facility_id": row["facility_id"],
                "status": row["status"],
                "lines": [],
            },
        )
        record["lines"].append(
            {
                "line_no": row["line_no"],
                "item_number": row["item_number"],
                "qty_expected": row["qty_expected"],
                "reason_code": row["reason_code"],
            }
        )
    return list(by_rma.values())


def expected_returns(db: Database, rma_refs: list[str]) -> list[dict[str, Any]]:
    """The expected returns of ``rma_refs`` that exist, each with its lines."""
    rows = db.fetch_all(
        f"SELECT * FROM expected_returns WHERE rma_ref IN ({placeholders(len(rma_refs))}) "
        "ORDER BY rma_ref, line_no",
        rma_refs,
    )
    return _payloads(rows)


def expect_return(db: Database, request: ExpectedReturnRequest) -> Written:
    """Tell the dock to expect ``request``; the same announcement again changes nothing."""
    with db.transaction() as conn:
        existing = expected_returns(db, [request.rma_ref])
        if existing:
            [record] = existing
            kept = [(line["item_number"], line["qty_expected"]) for line in record["lines"]]
            asked = [(line.item_number, line.qty) for line in request.lines]
            if (record["order_ref"], record["facility_id"], kept) != (
                request.order_ref,
                request.facility_id,
                asked,
            ):
                raise conflict("expected return", request.rma_ref)
            return Written(record, created=False)
        check_facilities(conn, [request.facility_id])
        conn.executemany(
            "INSERT INTO expected_returns VALUES (?,?,?,?,?,?,?,'OPEN')",
            [
                (request.rma_ref, n, request.order_ref, request.facility_id, line.item_number,
                 line.qty, line.reason_code)
                for n, line in enumerate(request.lines, start=1)
            ],
        )  # fmt: skip
        [record] = expected_returns(db, [request.rma_ref])
        return Written(record, created=True)


def _still_expected(db: Database, rma_ref: str, expected: dict[str, Any]) -> Counter[str]:
    """Per item, what the expected return still awaits: expected less earlier receipts."""
    left: Counter[str] = Counter()
    for line in expected["lines"]:
        left[line["item_number"]] += line["qty_expected"]
    for row in db.fetch_all(
        "SELECT l.item_number, SUM(l.qty_received) FROM return_receipt_lines l "
        "JOIN return_receipts r ON r.receipt_no = l.receipt_no WHERE r.rma_ref = ? "
        "GROUP BY l.item_number",
        [rma_ref],
    ):
        left[row[0]] -= row[1]
    return left


def _check_receipt(db: Database, request: ReturnReceiptRequest) -> str:
    """The order of the expected return ``request`` receives; 409 when it does not fit it."""
    existing = expected_returns(db, [request.rma_ref])
    if not existing:
        raise ApiError(409, "NOT_EXPECTED", f"no return {request.rma_ref!r} is expected")
    [expected] = existing
    if expected["status"] not in _RECEIVABLE:
        raise ApiError(409, "ALREADY_RECEIVED", f"return {request.rma_ref!r} was received")
    if expected["facility_id"] != request.facility_id:
        raise ApiError(
            409,
            "WRONG_FACILITY",
            f"return {request.rma_ref!r} is expected at {expected['facility_id']}",
        )
    allowed = _still_expected(db, request.rma_ref, expected)
    received: Counter[str] = Counter()
    for receipt_line in request.lines:
        received[receipt_line.item_number] += receipt_line.qty_received
    strangers = sorted(item for item in received if item not in allowed)
    if strangers:
        raise ApiError(
            409, "NOT_EXPECTED", f"not on return {request.rma_ref!r}: {', '.join(strangers)}"
        )
    if received - allowed:
        raise ApiError(
            409, "QUANTITY_EXCEEDS_EXPECTED", "more was received than the return still expects"
        )
    order_ref: str = expected["order_ref"]
    return order_ref


def _order_number(conn: sqlite3.Connection, order_ref: str) -> str:
    """The order number the WMS fulfilled ``order_ref`` under (the ref itself if it never did)."""
    row = conn.execute(
        "SELECT order_number FROM fulfillment_orders WHERE order_ref = ? "
        "ORDER BY fulfillment_order_no LIMIT 1",
        (order_ref,),
    ).fetchone()
    return order_ref if row is None else str(row[0])


def _announce(conn: sqlite3.Connection, receipt: dict[str, Any]) -> dict[str, Any]:
    """Write the ``RT_RCV`` webhook of ``receipt`` (the lifecycle's envelope, plus the RMA, the
    receipt number and each line's disposition)."""
    body: dict[str, Any] = {
        "event_id": new_event_id(),
        "event_code": MILESTONE_CODE["RETURN_RECEIVED"],
        "event_ts": receipt["received_ts"],
        "facility_id": receipt["facility_id"],
        "order_ref": receipt["order_ref"],
        "order_number": _order_number(conn, receipt["order_ref"]),
        "fulfillment_order_no": None,
        "shipment_no": None,
        "tracking_no": None,
        "carrier_scac": None,
        "service_level": None,
        "est_delivery_date": None,
        "rma_ref": receipt["rma_ref"],
        "receipt_no": receipt["receipt_no"],
        "lines": [
            {
                "item_number": line["item_number"],
                "qty": line["qty_received"],
                "disposition_code": line["disposition_code"],
            }
            for line in receipt["lines"]
        ],
        "exception_code": None,
        "exception_desc": None,
    }
    return record_webhook(conn, body, rma_ref=receipt["rma_ref"])


def receive_return(db: Database, request: ReturnReceiptRequest) -> Written:
    """Record a receipt against an expected return and restock what is ``RESTOCKED``."""
    digest = fingerprint(request)
    with db.transaction() as conn:
        stored = replay(conn, RECEIPT_SCOPE, request.receipt_id, digest)
        if stored is not None:
            return stored
        order_ref = _check_receipt(db, request)
        number = f"RR-{next_number(conn, 'return_receipts', 'receipt_no', 'RR-', 1000001)}"
        conn.execute(
            "INSERT INTO return_receipts VALUES (?,?,?,?,?)",
            (number, request.rma_ref, order_ref, request.facility_id, now()),
        )
        conn.executemany(
            "INSERT INTO return_receipt_lines VALUES (?,?,?,?,?)",
            [
                (number, n, line.item_number, line.qty_received, line.disposition_code)
                for n, line in enumerate(request.lines, start=1)
            ],
        )
        conn.executemany(
            "INSERT INTO inventory_positions VALUES (?, ?, ?, 0, 0, NULL) "
            "ON CONFLICT (item_number, facility_id) "
            "DO UPDATE SET qty_on_hand = qty_on_hand + excluded.qty_on_hand",
            [
                (line.item_number, request.facility_id, line.qty_received)
                for line in request.lines
                if line.disposition_code == DISPOSITION_CODE["RESTOCKED"]
            ],
        )
        [expected] = expected_returns(db, [request.rma_ref])
        left = +_still_expected(db, request.rma_ref, expected)
        conn.execute(
            "UPDATE expected_returns SET status = ? WHERE rma_ref = ?",
            ("PARTIALLY_RECEIVED" if left else "RECEIVED", request.rma_ref),
        )
        [receipt] = load_return_receipts(db, "WHERE receipt_no = ?", (number,))
        _announce(conn, receipt)
        return remember(conn, RECEIPT_SCOPE, request.receipt_id, digest, receipt)

"""The WMS's documents as its API shows them: fulfillment orders and return receipts, each with
its lines, read from the tables (its routes answer them, its writes answer what they wrote)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from systems.common.db import Database, grouped, placeholders

__all__ = ["load_fulfillment_orders", "load_return_receipts"]


def _fulfillment_order(row: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
    return {
        "fulfillment_order_no": row["fulfillment_order_no"],
        "order_ref": row["order_ref"],
        "order_number": row["order_number"],
        "facility_id": row["facility_id"],
        "wave_status": row["wave_status"],
        "released_ts": row["released_ts"],
        "lines": [
            {
                "line_no": line["line_no"],
                "item_number": line["item_number"],
                "qty_ordered": line["qty_ordered"],
                "qty_backordered": line["qty_backordered"],
                "qty_cancelled": line["qty_cancelled"],
            }
            for line in lines
        ],
    }


def load_fulfillment_orders(
    db: Database, where: str = "", params: Sequence[object] = (), tail: str = ""
) -> list[dict[str, Any]]:
    """The fulfillment orders matching ``where`` (by number), each with its lines."""
    rows = db.fetch_all(
        f"SELECT * FROM fulfillment_orders {where} ORDER BY fulfillment_order_no {tail}", params
    )
    if not rows:
        return []
    numbers = [row["fulfillment_order_no"] for row in rows]
    lines = grouped(
        db.fetch_all(
            "SELECT * FROM fulfillment_order_lines "
            f"WHERE fulfillment_order_no IN ({placeholders(len(numbers))}) "
            "ORDER BY fulfillment_order_no, line_no",
            numbers,
        ),
        "fulfillment_order_no",
    )
    return [_fulfillment_order(row, lines.get(row["fulfillment_order_no"], [])) for row in rows]


def _return_receipt(row: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
    return {
        "receipt_no": row["receipt_no"],
        "rma_ref": row["rma_ref"],
        "order_ref": row["order_ref"],
        "facility_id": row["facility_id"],
        "received_ts": row["received_ts"],
        "lines": [
            {
                "line_no": line["line_no"],
                "item_number": line["item_number"],
                "qty_received": line["qty_received"],
                "disposition_code": line["disposition_code"],
            }
            for line in lines
        ],
    }


def load_return_receipts(
    db: Database, where: str = "", params: Sequence[object] = (), tail: str = ""
) -> list[dict[str, Any]]:
    """The return receipts matching ``where`` (by number), each with its lines."""
    rows = db.fetch_all(f"SELECT * FROM return_receipts {where} ORDER BY receipt_no {tail}", params)
    if not rows:
        return []
    numbers = [row["receipt_no"] for row in rows]
    lines = grouped(
        db.fetch_all(
            "SELECT * FROM return_receipt_lines "
            f"WHERE receipt_no IN ({placeholders(len(numbers))}) ORDER BY receipt_no, line_no",
            numbers,
        ),
        "receipt_no",
    )
    return [_return_receipt(row, lines.get(row["receipt_no"], [])) for row in rows]

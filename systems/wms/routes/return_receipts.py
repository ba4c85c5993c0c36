"""``/return-receipts``: goods received back at a facility against an RMA, with dispositions."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, placeholders
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.wms.routes.common import (
    bulk_envelope,
    count_rows,
    grouped,
    one_filter,
    page_envelope,
)

__all__ = ["load_return_receipts", "return_receipt_routes"]

# Bulk filter parameter -> the column it matches.
_FILTERS = {"ids": "receipt_no", "rma_refs": "rma_ref"}


def _payload(row: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
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
    return [_payload(row, lines.get(row["receipt_no"], [])) for row in rows]


def return_receipt_routes(db: Database) -> list[Route]:
    def list_return_receipts(request: Request) -> Response:
        bulk = one_filter(request, list(_FILTERS))
        if bulk is not None:
            name, ids = bulk
            where = f"WHERE {_FILTERS[name]} IN ({placeholders(len(ids))})"
            return json_response(bulk_envelope(load_return_receipts(db, where, ids)))
        page = parse_page(request)
        total = count_rows(db, "SELECT count(*) FROM return_receipts")
        data = load_return_receipts(db, "", (page.limit, page.offset), "LIMIT ? OFFSET ?")
        return json_response(page_envelope(data, total=total, page=page))

    def get_return_receipt(request: Request) -> Response:
        number = request.path_params["receipt_no"]
        found = load_return_receipts(db, "WHERE receipt_no = ?", (number,))
        if not found:
            raise NotFound(f"no return receipt {number!r}")
        return json_response(found[0])

    return [
        Route("/return-receipts", list_return_receipts, methods=["GET"]),
        Route("/return-receipts/{receipt_no}", get_return_receipt, methods=["GET"]),
    ]

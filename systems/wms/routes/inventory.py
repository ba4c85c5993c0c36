"""``/inventory``: inventory positions, one per item and facility."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, placeholders
from systems.common.errors import Unprocessable
from systems.common.params import parse_ids, parse_page
from systems.common.responses import json_response
from systems.wms.routes.common import bulk_envelope, count_rows, page_envelope

__all__ = ["inventory_payload", "inventory_routes"]

_SELECT = "SELECT * FROM inventory_positions"
_ORDER = "ORDER BY item_number, facility_id"


def inventory_payload(row: sqlite3.Row) -> dict[str, Any]:
    on_hand: int = row["qty_on_hand"]
    allocated: int = row["qty_allocated"]
    return {
        "facility_id": row["facility_id"],
        "item_number": row["item_number"],
        "qty_on_hand": on_hand,
        "qty_allocated": allocated,
        "qty_available": max(on_hand - allocated, 0),
        "qty_inbound": row["qty_inbound"],
        "inbound_eta": row["inbound_eta"],
    }


def inventory_routes(db: Database) -> list[Route]:
    def list_inventory(request: Request) -> Response:
        """``?items=`` (bulk: every facility's position of those items), ``?facility=``."""
        items = parse_ids(request, "items")
        facility = request.query_params.get("facility")
        where: list[str] = []
        params: list[object] = []
        if items is not None:
            where.append(f"item_number IN ({placeholders(len(items))})")
            params.extend(items)
        if facility is not None:
            if not facility.strip():
                raise Unprocessable("parameter 'facility' must name a facility")
            where.append("facility_id = ?")
            params.append(facility.strip())
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        if items is not None:
            rows = db.fetch_all(f"{_SELECT}{clause} {_ORDER}", params)
            return json_response(bulk_envelope([inventory_payload(r) for r in rows]))
        page = parse_page(request)
        total = count_rows(db, f"SELECT count(*) FROM inventory_positions{clause}", params)
        rows = db.fetch_all(
            f"{_SELECT}{clause} {_ORDER} LIMIT ? OFFSET ?", [*params, page.limit, page.offset]
        )
        data = [inventory_payload(r) for r in rows]
        return json_response(page_envelope(data, total=total, page=page))

    return [Route("/inventory", list_inventory, methods=["GET"])]

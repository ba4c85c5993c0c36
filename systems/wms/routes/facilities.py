"""``/facilities``: the distribution centers, as the WMS knows them."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, placeholders
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.wms.routes.common import bulk_envelope, count_rows, one_filter, page_envelope

__all__ = ["facility_payload", "facility_routes"]

_COLUMNS = "SELECT * FROM facilities"


def facility_payload(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "facility_id": row["facility_id"],
        "facility_name": row["facility_name"],
        "region_code": row["region_code"],
        "time_zone": row["time_zone"],
        "address": {
            "line1": row["addr_line1"],
            "city": row["addr_city"],
            "state_code": row["addr_state"],
            "postal_code": row["addr_postal"],
            "country_code": row["addr_country"],
            "region_code": row["addr_region"],
        },
    }


def facility_routes(db: Database) -> list[Route]:
    def list_facilities(request: Request) -> Response:
        bulk = one_filter(request, ["ids"])
        if bulk is not None:
            _, ids = bulk
            rows = db.fetch_all(
                f"{_COLUMNS} WHERE facility_id IN ({placeholders(len(ids))}) ORDER BY facility_id",
                ids,
            )
            return json_response(bulk_envelope([facility_payload(r) for r in rows]))
        page = parse_page(request)
        total = count_rows(db, "SELECT count(*) FROM facilities")
        rows = db.fetch_all(
            f"{_COLUMNS} ORDER BY facility_id LIMIT ? OFFSET ?", (page.limit, page.offset)
        )
        data = [facility_payload(r) for r in rows]
        return json_response(page_envelope(data, total=total, page=page))

    def get_facility(request: Request) -> Response:
        facility_id = request.path_params["facility_id"]
        row = db.fetch_one(f"{_COLUMNS} WHERE facility_id = ?", (facility_id,))
        if row is None:
            raise NotFound(f"no facility {facility_id!r}")
        return json_response(facility_payload(row))

    return [
        Route("/facilities", list_facilities, methods=["GET"]),
        Route("/facilities/{facility_id}", get_facility, methods=["GET"]),
    ]

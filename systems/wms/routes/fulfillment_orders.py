"""``/fulfillment-orders``: the pick waves released for ERP orders, with their lines."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, placeholders
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.wms.documents import load_fulfillment_orders
from systems.wms.routes.common import (
    bulk_envelope,
    count_rows,
    one_filter,
    page_envelope,
)

__all__ = ["fulfillment_order_routes"]

# Bulk filter parameter -> the column it matches.
_FILTERS = {"ids": "fulfillment_order_no", "order_refs": "order_ref"}


def fulfillment_order_routes(db: Database) -> list[Route]:
    def list_fulfillment_orders(request: Request) -> Response:
        bulk = one_filter(request, list(_FILTERS))
        if bulk is not None:
            name, ids = bulk
            where = f"WHERE {_FILTERS[name]} IN ({placeholders(len(ids))})"
            return json_response(bulk_envelope(load_fulfillment_orders(db, where, ids)))
        page = parse_page(request)
        total = count_rows(db, "SELECT count(*) FROM fulfillment_orders")
        data = load_fulfillment_orders(db, "", (page.limit, page.offset), "LIMIT ? OFFSET ?")
        return json_response(page_envelope(data, total=total, page=page))

    def get_fulfillment_order(request: Request) -> Response:
        number = request.path_params["fulfillment_order_no"]
        found = load_fulfillment_orders(db, "WHERE fulfillment_order_no = ?", (number,))
        if not found:
            raise NotFound(f"no fulfillment order {number!r}")
        return json_response(found[0])

    return [
        Route("/fulfillment-orders", list_fulfillment_orders, methods=["GET"]),
        Route("/fulfillment-orders/{fulfillment_order_no}", get_fulfillment_order, methods=["GET"]),
    ]

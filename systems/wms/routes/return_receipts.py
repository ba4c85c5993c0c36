"""``/return-receipts``: goods received back at a facility against an RMA, with dispositions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, placeholders
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.wms.documents import load_return_receipts
from systems.wms.routes.common import (
    bulk_envelope,
    count_rows,
    one_filter,
    page_envelope,
)

__all__ = ["return_receipt_routes"]

# Bulk filter parameter -> the column it matches.
_FILTERS = {"ids": "receipt_no", "rma_refs": "rma_ref"}


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

"""``/invoices``, ``/creditMemos``, ``/returnAuthorizations``: by id, in bulk, by order, paged."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.erp.formats import envelope, page_envelope
from systems.erp.routes.selectors import bulk_selector
from systems.erp.transactions import (
    CREDIT_MEMOS,
    INVOICES,
    RETURN_AUTHORIZATIONS,
    Kind,
    by,
    page_of,
)

__all__ = ["routes"]

_COLUMNS = {"ids": "internal_id", "orderIds": "order_id"}


def _routes(db: Database, path: str, kind: Kind) -> list[Route]:
    def list_records(request: Request) -> Response:
        selected = bulk_selector(request, tuple(_COLUMNS))
        if selected is not None:
            name, keys = selected
            return json_response(envelope(by(db, kind, _COLUMNS[name], keys)))
        page = parse_page(request)
        items, total = page_of(db, kind, page)
        return json_response(page_envelope(items, page, total))

    def get_record(request: Request) -> Response:
        internal_id: str = request.path_params["internal_id"]
        records = by(db, kind, "internal_id", [internal_id])
        if not records:
            raise NotFound(f"no {kind.name} with internalId {internal_id!r}")
        return json_response(records[0])

    return [
        Route(path, list_records, methods=["GET"]),
        Route(f"{path}/{{internal_id}}", get_record, methods=["GET"]),
    ]


def routes(db: Database) -> list[Route]:
    return [
        *_routes(db, "/invoices", INVOICES),
        *_routes(db, "/creditMemos", CREDIT_MEMOS),
        *_routes(db, "/returnAuthorizations", RETURN_AUTHORIZATIONS),
    ]

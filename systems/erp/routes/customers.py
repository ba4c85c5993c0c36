"""``/customers``: by internal id, in bulk by internal or external (CRM account) id, or paged."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.erp.customers import customer_page, customers_by
from systems.erp.formats import envelope, found, page_envelope
from systems.erp.routes.selectors import bulk_selector

__all__ = ["routes"]

_COLUMNS = {"ids": "internal_id", "externalIds": "external_id"}


def routes(db: Database) -> list[Route]:
    def list_customers(request: Request) -> Response:
        selected = bulk_selector(request, tuple(_COLUMNS))
        if selected is not None:
            name, keys = selected
            return json_response(envelope(found(customers_by(db, _COLUMNS[name], keys), keys)))
        page = parse_page(request)
        items, total = customer_page(db, page)
        return json_response(page_envelope(items, page, total))

    def get_customer(request: Request) -> Response:
        internal_id: str = request.path_params["internal_id"]
        customer = customers_by(db, "internal_id", [internal_id]).get(internal_id)
        if customer is None:
            raise NotFound(f"no customer with internalId {internal_id!r}")
        return json_response(customer)

    return [
        Route("/customers", list_customers, methods=["GET"]),
        Route("/customers/{internal_id}", get_customer, methods=["GET"]),
    ]

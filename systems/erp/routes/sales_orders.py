"""``/salesOrders``: by id, in bulk (internal, transaction, external ids or submission keys),
lists, per customer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.errors import NotFound, Unprocessable
from systems.common.params import parse_date, parse_ids, parse_page
from systems.common.responses import json_response
from systems.erp.formats import envelope, found, page_envelope
from systems.erp.order_keys import orders_by_key
from systems.erp.routes.selectors import bulk_selector
from systems.erp.sales_orders import (
    OrderFilter,
    order_page,
    orders_by,
    orders_by_customer,
    orders_by_external_id,
)
from systems.erp.vocabulary import ORDER_STATUSES

__all__ = ["routes"]

_COLUMNS = {"ids": "internal_id", "tranIds": "tran_id"}
_SELECTORS = (*_COLUMNS, "externalIds", "idempotencyKeys")


def _filter(request: Request) -> OrderFilter:
    """``?status=`` (``custbody_status`` codes, comma-separated), ``placedFrom``, ``placedTo``."""
    statuses = parse_ids(request, "status", max_batch=len(ORDER_STATUSES))
    unknown = [status for status in statuses or () if status not in ORDER_STATUSES]
    if unknown:
        allowed = ", ".join(ORDER_STATUSES)
        raise Unprocessable(f"parameter 'status' may list only {allowed}; got {unknown[0]!r}")
    placed_from = parse_date(request, "placedFrom")
    placed_to = parse_date(request, "placedTo")
    if placed_from and placed_to and placed_from > placed_to:
        raise Unprocessable("parameter 'placedFrom' is after 'placedTo'")
    return OrderFilter(
        customer_external_ids=parse_ids(request, "customerExternalIds"),
        statuses=statuses,
        placed_from=placed_from,
        placed_to=placed_to,
    )


def routes(db: Database) -> list[Route]:
    def list_orders(request: Request) -> Response:
        selected = bulk_selector(request, _SELECTORS)
        if selected is not None:
            name, keys = selected
            if name == "externalIds":
                return json_response(envelope(found(orders_by_external_id(db, keys), keys)))
            if name == "idempotencyKeys":
                return json_response(envelope(found(orders_by_key(db, keys), keys)))
            return json_response(envelope(found(orders_by(db, _COLUMNS[name], keys), keys)))
        where = _filter(request)
        page = parse_page(request)
        items, total = order_page(db, page, where)
        return json_response(page_envelope(items, page, total))

    def list_by_customer(request: Request) -> Response:
        """One page per customer: ``{"items": [{"externalId", "items", …envelope}]}``."""
        external_ids = parse_ids(request, "externalIds")
        if external_ids is None:
            raise Unprocessable("parameter 'externalIds' is required")
        where = _filter(request)
        if where.customer_external_ids is not None:
            raise Unprocessable("use 'externalIds' alone to name the customers")
        page = parse_page(request, default_limit=20, max_limit=100)
        return json_response(envelope(orders_by_customer(db, external_ids, page, where)))

    def get_order(request: Request) -> Response:
        internal_id: str = request.path_params["internal_id"]
        order = orders_by(db, "internal_id", [internal_id]).get(internal_id)
        if order is None:
            raise NotFound(f"no sales order with internalId {internal_id!r}")
        return json_response(order)

    return [
        Route("/salesOrders", list_orders, methods=["GET"]),
        Route("/salesOrders/byCustomer", list_by_customer, methods=["GET"]),
        Route("/salesOrders/{internal_id}", get_order, methods=["GET"]),
    ]

"""``/items``, ``/priceLevels`` and ``/prices``: the catalogue and a customer's prices in it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.errors import NotFound, Unprocessable
from systems.common.params import parse_ids, parse_page
from systems.common.responses import json_response
from systems.erp.catalog import item_page, items_by, price_level_page, price_levels_by
from systems.erp.customers import customers_by
from systems.erp.formats import envelope, found, page_envelope
from systems.erp.inventory import booked_balances
from systems.erp.pricing import prices_for
from systems.erp.routes.selectors import bulk_selector

__all__ = ["routes"]

_ITEM_COLUMNS = {"ids": "internal_id", "skus": "item_id"}
_MAX_QUANTITY = 1_000_000
_MAX_SEARCH = 100


def _quantity(request: Request) -> int:
    raw = request.query_params.get("quantity")
    if raw is None:
        return 1
    try:
        quantity = int(raw)
    except ValueError:
        raise Unprocessable(f"parameter 'quantity' must be an integer, got {raw!r}") from None
    if not 1 <= quantity <= _MAX_QUANTITY:
        raise Unprocessable(f"parameter 'quantity' must be 1 to {_MAX_QUANTITY}, got {quantity}")
    return quantity


def routes(db: Database) -> list[Route]:
    def list_items(request: Request) -> Response:
        selected = bulk_selector(request, tuple(_ITEM_COLUMNS))
        if selected is not None:
            name, keys = selected
            return json_response(envelope(found(items_by(db, _ITEM_COLUMNS[name], keys), keys)))
        search = request.query_params.get("search")
        if search is not None and len(search) > _MAX_SEARCH:
            raise Unprocessable(f"parameter 'search' is longer than {_MAX_SEARCH} characters")
        page = parse_page(request)
        items, total = item_page(db, page, search.strip() if search else None)
        return json_response(page_envelope(items, page, total))

    def get_item(request: Request) -> Response:
        key: str = request.path_params["key"]
        item = items_by(db, "internal_id", [key]).get(key) or items_by(db, "item_id", [key]).get(
            key
        )
        if item is None:
            raise NotFound(f"no item with internalId or itemId {key!r}")
        return json_response(item)

    def list_price_levels(request: Request) -> Response:
        ids = parse_ids(request, "ids")
        if ids is not None:
            return json_response(envelope(found(price_levels_by(db, ids), ids)))
        page = parse_page(request)
        items, total = price_level_page(db, page)
        return json_response(page_envelope(items, page, total))

    def get_price_level(request: Request) -> Response:
        internal_id: str = request.path_params["internal_id"]
        level = price_levels_by(db, [internal_id]).get(internal_id)
        if level is None:
            raise NotFound(f"no price level with internalId {internal_id!r}")
        return json_response(level)

    def list_prices(request: Request) -> Response:
        customer_id = request.query_params.get("customer")
        if not customer_id:
            raise Unprocessable("parameter 'customer' (a customer internalId) is required")
        skus = parse_ids(request, "skus")
        if skus is None:
            raise Unprocessable("parameter 'skus' is required")
        quantity = _quantity(request)
        customer = customers_by(db, "internal_id", [customer_id]).get(customer_id)
        if customer is None:
            raise NotFound(f"no customer with internalId {customer_id!r}")
        return json_response(envelope(prices_for(db, customer, skus, quantity)))

    def list_inventory_balances(request: Request) -> Response:
        return json_response(envelope(booked_balances(db)))

    return [
        Route("/inventoryBalances", list_inventory_balances, methods=["GET"]),
        Route("/items", list_items, methods=["GET"]),
        Route("/items/{key}", get_item, methods=["GET"]),
        Route("/priceLevels", list_price_levels, methods=["GET"]),
        Route("/priceLevels/{internal_id}", get_price_level, methods=["GET"]),
        Route("/prices", list_prices, methods=["GET"]),
    ]

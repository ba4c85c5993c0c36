"""Item and price level records: the catalogue every price starts from."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from systems.common.db import Database, placeholders
from systems.common.params import PageRequest
from systems.erp.formats import Payload, count, money

__all__ = ["item_page", "items_by", "price_level_page", "price_levels_by"]

_WEIGHT_UNIT = "kg"


def _breaks(db: Database, skus: Sequence[str]) -> dict[str, list[Payload]]:
    breaks: dict[str, list[Payload]] = {sku: [] for sku in skus}
    if not skus:
        return breaks
    rows = db.fetch_all(
        f"SELECT * FROM quantity_breaks WHERE item_id IN ({placeholders(len(skus))}) "
        "ORDER BY item_id, min_quantity",
        skus,
    )
    for row in rows:
        breaks[row["item_id"]].append(
            {"minimumQuantity": row["min_quantity"], "discountPercent": row["discount_percent"]}
        )
    return breaks


def _items(db: Database, rows: list[sqlite3.Row]) -> list[Payload]:
    breaks = _breaks(db, [row["item_id"] for row in rows])
    return [
        {
            "internalId": row["internal_id"],
            "itemId": row["item_id"],
            "displayName": row["display_name"],
            "salesDescription": row["sales_description"],
            "class": {"refName": row["class_name"]},
            "saleUnit": row["sale_unit"],
            "basePrice": money(row["base_price_cents"]),
            "isInactive": bool(row["is_inactive"]),
            "weight": row["weight"],
            "weightUnit": _WEIGHT_UNIT,
            "quantityPricing": {"items": breaks[row["item_id"]]},
        }
        for row in rows
    ]


def items_by(db: Database, column: str, keys: Sequence[str]) -> dict[str, Payload]:
    """The items whose ``column`` (``internal_id`` or ``item_id``, the SKU) is in ``keys``."""
    if column not in ("internal_id", "item_id"):
        raise ValueError(f"items cannot be looked up by {column}")
    if not keys:
        return {}
    rows = db.fetch_all(f"SELECT * FROM items WHERE {column} IN ({placeholders(len(keys))})", keys)
    key = "internalId" if column == "internal_id" else "itemId"
    return {payload[key]: payload for payload in _items(db, rows)}


def item_page(db: Database, page: PageRequest, search: str | None) -> tuple[list[Payload], int]:
    """One page of the items by SKU, those matching ``search`` (SKU or name) only if given."""
    where, params = "", []
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where = "WHERE item_id LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\'"
        params = [f"%{escaped}%"] * 2
    total = count(db, f"SELECT COUNT(*) FROM items {where}", params)
    rows = db.fetch_all(
        f"SELECT * FROM items {where} ORDER BY item_id LIMIT ? OFFSET ?",
        [*params, page.limit, page.offset],
    )
    return _items(db, rows), total


def _price_level(row: sqlite3.Row) -> Payload:
    return {
        "internalId": row["internal_id"],
        "name": row["name"],
        "discountPercent": row["discount_percent"],
    }


def price_levels_by(db: Database, keys: Sequence[str]) -> dict[str, Payload]:
    """The price levels whose internal id is in ``keys``."""
    if not keys:
        return {}
    rows = db.fetch_all(
        f"SELECT * FROM price_levels WHERE internal_id IN ({placeholders(len(keys))})", keys
    )
    return {row["internal_id"]: _price_level(row) for row in rows}


def price_level_page(db: Database, page: PageRequest) -> tuple[list[Payload], int]:
    """One page of all price levels by internal id."""
    total = count(db, "SELECT COUNT(*) FROM price_levels")
    rows = db.fetch_all(
        "SELECT * FROM price_levels ORDER BY internal_id LIMIT ? OFFSET ?",
        (page.limit, page.offset),
    )
    return [_price_level(row) for row in rows], total

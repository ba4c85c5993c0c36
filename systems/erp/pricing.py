"""A customer's unit price of an item: price level entry or discount, then quantity breaks.

The price starts from the customer's price level: its entry for the item if it has one,
otherwise the item's base price less the level's discount. A quantity break (the largest
one whose minimum the quantity reaches) then takes its percentage off. Every step rounds
to the cent, half up.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from systems.common.db import Database, placeholders
from systems.erp.formats import Payload, money, ref

__all__ = ["discounted", "prices_for"]

_CENT = Decimal("0.01")


def discounted(amount: Decimal, percent: Decimal) -> Decimal:
    """``amount`` less ``percent`` per cent, rounded to the cent."""
    return (amount * (100 - percent) / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def prices_for(
    db: Database, customer: Payload, skus: Sequence[str], quantity: int
) -> list[Payload]:
    """The customer's price of each known SKU in ``skus`` for ``quantity`` units."""
    level = customer["priceLevel"]
    level_id = None if level is None else level["internalId"]
    level_row = (
        None
        if level_id is None
        else db.fetch_one("SELECT * FROM price_levels WHERE internal_id = ?", (level_id,))
    )
    level_discount = Decimal(level_row["discount_percent"]) if level_row else Decimal(0)
    marks = placeholders(len(skus))
    items = db.fetch_all(f"SELECT * FROM items WHERE item_id IN ({marks})", skus)
    entries = {
        row["item_id"]: row["unit_price_cents"]
        for row in db.fetch_all(
            f"SELECT * FROM price_level_entries WHERE price_level_id = ? AND item_id IN ({marks})",
            [level_id, *skus],
        )
    }
    breaks = {
        row["item_id"]: row
        for row in db.fetch_all(
            # The largest break each item reaches at this quantity.
            f"""
            SELECT item_id, MAX(min_quantity) AS min_quantity, discount_percent
            FROM quantity_breaks
            WHERE min_quantity <= ? AND item_id IN ({marks})
            GROUP BY item_id
            """,
            [quantity, *skus],
        )
    }
    by_sku = {row["item_id"]: row for row in items}
    prices = []
    for sku in skus:
        item = by_sku.get(sku)
        if item is None:
            continue
        base = Decimal(item["base_price_cents"]) / 100
        if sku in entries:
            source, level_price = "PRICE_LEVEL_ENTRY", Decimal(entries[sku]) / 100
        elif level_discount:
            source, level_price = "PRICE_LEVEL_DISCOUNT", discounted(base, level_discount)
        else:
            source, level_price = "BASE_PRICE", base
        quantity_break = breaks.get(sku)
        unit = level_price
        if quantity_break is not None:
            unit = discounted(level_price, Decimal(quantity_break["discount_percent"]))
        prices.append(
            {
                "item": ref(item["internal_id"], sku),
                "priceLevel": level,
                "quantity": quantity,
                "basePrice": money(int(base * 100)),
                "priceLevelPrice": str(level_price.quantize(_CENT)),
                "priceSource": source,
                "quantityBreak": None
                if quantity_break is None
                else {
                    "minimumQuantity": quantity_break["min_quantity"],
                    "discountPercent": quantity_break["discount_percent"],
                },
                "unitPrice": str(unit.quantize(_CENT)),
                "amount": str((unit * quantity).quantize(_CENT)),
            }
        )
    return prices

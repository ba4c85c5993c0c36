"""The ERP's booked inventory per item and location: its opening balance less what it has
invoiced since (the ERP books the issue of goods when it bills them). Returns put back on a
warehouse shelf are not booked here: they show as a difference with the WMS until someone
adjusts the books."""

from __future__ import annotations

from systems.common.db import Database
from systems.erp.formats import Payload

__all__ = ["booked_balances"]

_BOOKED = """
SELECT b.item_id, b.location, b.opening_quantity - COALESCE(i.invoiced, 0) AS booked
FROM inventory_balances b
LEFT JOIN (
    SELECT item_id, location, SUM(quantity) AS invoiced FROM invoice_lines
    GROUP BY item_id, location
) i ON i.item_id = b.item_id AND i.location = b.location
ORDER BY b.item_id, b.location
"""


def booked_balances(db: Database) -> list[Payload]:
    """Every item's booked quantity at every location, vendor-shaped."""
    return [
        {
            "item": {"refName": row["item_id"]},
            "location": {"refName": row["location"]},
            "quantityOnHand": row["booked"],
        }
        for row in db.fetch_all(_BOOKED, [])
    ]

"""The WMS's REST resources, one module each; ``wms_routes`` gathers them."""

from __future__ import annotations

import random
from collections.abc import Callable

from starlette.routing import BaseRoute

from systems.common.db import Database
from systems.wms.routes.facilities import facility_routes
from systems.wms.routes.fulfillment_orders import fulfillment_order_routes
from systems.wms.routes.inventory import inventory_routes
from systems.wms.routes.lifecycle import lifecycle_routes
from systems.wms.routes.reservations import reservation_routes
from systems.wms.routes.return_receipts import return_receipt_routes
from systems.wms.routes.shipments import shipment_routes
from systems.wms.routes.writes import write_routes

__all__ = ["wms_routes"]


def _nothing() -> None:
    return None


def wms_routes(
    db: Database,
    *,
    exception_rate: float = 0.0,
    on_written: Callable[[], None] = _nothing,
    rng: random.Random | None = None,
) -> list[BaseRoute]:
    """Every resource route of the WMS over ``db``; ``on_written`` is called after a write
    recorded milestone webhooks (to wake their sender)."""
    return [
        *facility_routes(db),
        *inventory_routes(db),
        *fulfillment_order_routes(db),
        *shipment_routes(db),
        *return_receipt_routes(db),
        *reservation_routes(db),
        *write_routes(db, on_written=on_written),
        *lifecycle_routes(db, exception_rate=exception_rate, on_written=on_written, rng=rng),
    ]

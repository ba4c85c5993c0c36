"""The WMS's REST resources, one module each; ``wms_routes`` gathers them."""

from __future__ import annotations

from starlette.routing import BaseRoute

from systems.common.db import Database
from systems.wms.routes.facilities import facility_routes
from systems.wms.routes.fulfillment_orders import fulfillment_order_routes
from systems.wms.routes.inventory import inventory_routes
from systems.wms.routes.reservations import reservation_routes
from systems.wms.routes.return_receipts import return_receipt_routes
from systems.wms.routes.shipments import shipment_routes
from systems.wms.routes.writes import write_routes

__all__ = ["wms_routes"]


def wms_routes(db: Database) -> list[BaseRoute]:
    """Every resource route of the WMS over ``db``."""
    return [
        *facility_routes(db),
        *inventory_routes(db),
        *fulfillment_order_routes(db),
        *shipment_routes(db),
        *return_receipt_routes(db),
        *reservation_routes(db),
        *write_routes(db),
    ]

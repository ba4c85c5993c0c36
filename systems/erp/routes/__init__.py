"""The ERP's REST endpoints, one module per record type; ``erp_routes`` gathers them."""

from __future__ import annotations

from starlette.routing import BaseRoute

from systems.common.db import Database
from systems.erp.routes import catalog, customers, sales_orders, transactions, writes

__all__ = ["erp_routes"]


def erp_routes(db: Database) -> list[BaseRoute]:
    """Every endpoint of the ERP over ``db``."""
    return [
        *customers.routes(db),
        *catalog.routes(db),
        *sales_orders.routes(db),
        *transactions.routes(db),
        *writes.routes(db),
    ]

"""The reference WMS: facilities, inventory, fulfillment, shipments and return receipts.

A small REST service over SQLite that answers in a warehouse vendor's own shape (snake_case,
SCAC carrier codes, vendor status codes), seeded from the demo world, with atomic inventory
reservations for order promising.
"""

from systems.wms.app import create_app
from systems.wms.storage import seed_database

__all__ = ["create_app", "seed_database"]

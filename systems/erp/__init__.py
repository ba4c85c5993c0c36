"""The reference ERP: customers, items and prices, sales orders, invoices, returns and credits.

A NetSuite-style REST record API over SQLite, in the vendor's own payload shapes (internal
ids, ``tranId``s, ``refName`` references, money as decimal strings).
"""

from systems.erp.app import create_app
from systems.erp.storage import seed_database

__all__ = ["create_app", "seed_database"]

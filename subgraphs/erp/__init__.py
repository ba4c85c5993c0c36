"""The ERP subgraph: products, prices, orders, invoices, returns and credits, and Account credit.

It owns ``Product``, ``Order``, ``Invoice``, ``CreditMemo``, ``ReturnAuthorization`` and
``PriceList``, adds terms, credit and orders to ``Account``, and refers to the WMS's
``DistributionCenter`` and ``Shipment`` by key (see docs/graph.md).
"""

from subgraphs.erp.app import create_app
from subgraphs.erp.schema import schema

__all__ = ["create_app", "schema"]

"""The WMS subgraph: distribution centers, inventory, fulfillment, shipments, return receipts.

It owns ``DistributionCenter``, ``FulfillmentOrder`` and ``Shipment``, and adds inventory to
``Product``, fulfillment to ``Order`` and receipts to ``ReturnAuthorization`` (see
docs/graph.md). Every field reads the reference WMS through batching loaders; distribution
centers go through the shared reference cache.
"""

from subgraphs.wms.app import create_app
from subgraphs.wms.schema import schema

__all__ = ["create_app", "schema"]

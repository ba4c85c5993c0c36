"""The orders subgraph: ``promiseOrder`` and the mutations whose workflows live in ``resolvers/``.

It owns no entity: its payloads return stubs of the ERP's ``Order``, the WMS's
``DistributionCenter`` and the ERP's ``Product``, which the gateway completes.
"""

from subgraphs.orders.app import create_app
from subgraphs.orders.schema import schema

__all__ = ["create_app", "schema"]

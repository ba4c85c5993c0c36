"""The CRM subgraph: Account, Contact and Case over the CRM's REST API, plus ``Order.cases``.

``create_app(settings)`` serves it; ``schema`` is its federation-2 schema.
"""

from subgraphs.crm.app import create_app
from subgraphs.crm.schema import schema

__all__ = ["create_app", "schema"]

"""Our graph's policy as the federation auth directives: who may ask for what (docs/auth.md).

The gateway enforces ``@authenticated`` and ``@requiresScopes`` before it plans (Apollo
Router's semantics: the scopes are an OR of AND-lists, a directive on a type covers every
field that returns it). The subgraphs only declare them, on their root fields and on the
types a customer's data travels in, so that a path into an account's records through another
subgraph's entity is covered as well as the root field that starts it. Which records of that
kind a caller sees is the subgraphs' own business (``subgraphs.common.scoping``).
"""

from __future__ import annotations

from typing import Final

from strawberry.federation.schema_directives import Authenticated, RequiresScopes

__all__ = [
    "ACCOUNTS",
    "AUTHENTICATED",
    "AUTHENTICATED_TYPE",
    "ORDERS",
    "READ_ACCOUNTS",
    "READ_ORDERS",
    "REFERENCE",
    "STAFF",
    "STAFF_SCOPE",
]

AUTHENTICATED: Final = Authenticated()
"""``@authenticated``: any verified token."""

READ_ACCOUNTS: Final = RequiresScopes(scopes=[["accounts:read"], ["staff"]])
"""``@requiresScopes``: accounts, their contacts and cases (``accounts:read``, or ``staff``)."""

READ_ORDERS: Final = RequiresScopes(scopes=[["orders:read"], ["staff"]])
"""``@requiresScopes``: orders and what follows them: invoices, credits, returns, fulfillment
and shipments (``orders:read``, or ``staff``)."""

AUTHENTICATED_TYPE: Final = (AUTHENTICATED,)
"""A type any verified caller may reach (``Account``: its own account's name, say, through
an order, with ``orders:read`` alone); which records it sees is scoped."""

REFERENCE: Final = (AUTHENTICATED,)
"""A root field of reference data (products, price lists, centers): any verified caller."""

ACCOUNTS: Final = (AUTHENTICATED, READ_ACCOUNTS)
"""A root field or type of account data."""

ORDERS: Final = (AUTHENTICATED, READ_ORDERS)
"""A root field or type of order data."""

STAFF_SCOPE: Final = RequiresScopes(scopes=[["staff"]])
"""``@requiresScopes``: staff only (the business monitoring, docs/operations.md)."""

STAFF: Final = (AUTHENTICATED, STAFF_SCOPE)
"""A root field or type for staff only."""

"""What the ERP subgraph's types share: the resolver ``Info``, field descriptions, stubs."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from connectors.erp.vendor import SYSTEM
from connectors.http import SystemResponseInvalid
from connectors.payloads import dangling as vendor_dangling
from subgraphs.common.access import ORDERS
from subgraphs.common.types import Money
from subgraphs.erp.loaders import ErpContext

__all__ = [
    "BASE_CURRENCY",
    "DistributionCenter",
    "Info",
    "Shipment",
    "dangling",
    "money",
]

Info: TypeAlias = strawberry.Info[ErpContext, None]

# Items are priced in the ERP's base currency.
BASE_CURRENCY = "USD"


def money(amount: Decimal, currency: str) -> Money:
    return Money.of(amount, currency)


def dangling(referrer: str, what: str, key: str) -> SystemResponseInvalid:
    """The error for a record that refers to one the ERP does not have."""
    return vendor_dangling(SYSTEM, referrer, what, key)


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A distribution center; the WMS subgraph resolves it.",
)
class DistributionCenter:
    id: strawberry.ID = strawberry.field(description="The WMS facility code, e.g. ATL1.")


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A shipment; the WMS subgraph resolves it.",
    directives=ORDERS,
)
class Shipment:
    id: strawberry.ID

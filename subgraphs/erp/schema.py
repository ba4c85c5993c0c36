"""The ERP subgraph's schema: root fields for orders and products, and its entities."""

from __future__ import annotations

import strawberry

from connectors.erp.records import OrderPage
from subgraphs.common.access import ORDERS, REFERENCE
from subgraphs.common.cost import PAGE
from subgraphs.common.errors import BadUserInput
from subgraphs.common.federation import SubgraphSchema, federation_schema
from subgraphs.common.fields import described
from subgraphs.common.relay import Connection, build_connection, page_request
from subgraphs.erp.types import (
    Account,
    CreditMemo,
    DistributionCenter,
    Invoice,
    Order,
    OrderFilter,
    PriceList,
    Product,
    ReturnAuthorization,
    Shipment,
)
from subgraphs.erp.types.catalog import load_product
from subgraphs.erp.types.common import Info
from subgraphs.erp.types.sales import load_order, order_connection

__all__ = ["EXAMPLE_QUERY", "Query", "schema"]

MAX_SEARCH_LENGTH = 100


@strawberry.type
class Query:
    @described("The order with this ERP internal id, or null if there is none.", directives=ORDERS)
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return await load_order(info, str(id))

    @described("The order with this number (SO-…), or null if there is none.", directives=ORDERS)
    async def order_by_number(self, info: Info, number: str) -> Order | None:
        return await info.context.loaders.order_by_number.load_as(number.strip(), Order.from_record)

    # A customer's list holds its own account's orders only (docs/auth.md).
    @described("Every account's orders, newest first.", directives=[PAGE, *ORDERS])
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OrderFilter | None = None,
    ) -> Connection[Order] | None:
        page = page_request(first, after)
        selection = (filter or OrderFilter()).selection()
        if selection is None:
            return build_connection([], offset=page.offset, total=0)
        scope = info.context.actor.account_scope
        if scope is not None:
            # A customer's list is its own account's orders, which the ERP pages itself.
            key = (scope, page.offset, page.limit, selection)
            own = await info.context.loaders.orders_of_account.load(key) if scope else None
            return order_connection(own or OrderPage(orders=[], total=0), page.offset)
        result = await info.context.client.order_page(
            offset=page.offset, limit=page.limit, selection=selection
        )
        for record in result.orders:
            info.context.loaders.order.prime(record.id, record)
        return order_connection(result, page.offset)

    @described("The product with this SKU, or null if there is none.", directives=REFERENCE)
    async def product(self, info: Info, sku: str) -> Product | None:
        return await load_product(info, sku.strip())

    @described("Products by SKU; search matches SKU or name.", directives=[PAGE, *REFERENCE])
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Product] | None:
        page = page_request(first, after)
        search = search.strip() if search else None
        if search and len(search) > MAX_SEARCH_LENGTH:
            raise BadUserInput(f"search must be at most {MAX_SEARCH_LENGTH} characters")
        result = await info.context.client.item_page(
            offset=page.offset, limit=page.limit, search=search
        )
        for record in result.items:
            info.context.loaders.product.prime(record.sku, record)
        nodes = [Product.from_record(record) for record in result.items]
        return build_connection(nodes, offset=page.offset, total=result.total)


schema: SubgraphSchema = federation_schema(
    Query,
    types=[
        Account,
        CreditMemo,
        DistributionCenter,
        Invoice,
        Order,
        PriceList,
        Product,
        ReturnAuthorization,
        Shipment,
    ],
)

EXAMPLE_QUERY = """\
{
  orderByNumber(number: "SO-100100") {
    number status holdReason total { amount currency }
    lines { quantity unitPrice { amount } product { sku name } }
    invoices { number status balanceDue { amount } }
  }
}
"""
"""What GraphiQL opens on for a first-time visitor of this subgraph."""

"""The ERP's part of Account: terms, credit, price list and the account's orders."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry

from subgraphs.common.errors import BadUserInput
from subgraphs.common.fields import described
from subgraphs.common.relay import Connection, build_connection, page_request
from subgraphs.common.types import Money
from subgraphs.erp.client import OrderSelection
from subgraphs.erp.enums import OrderStatus, PaymentTerms
from subgraphs.erp.records import CustomerCredit, CustomerTerms, OrderPage
from subgraphs.erp.types.catalog import PriceList, load_price_list
from subgraphs.erp.types.common import Info, dangling, money
from subgraphs.erp.types.order import Order

__all__ = ["Account", "OrderFilter", "order_connection"]

_DAY = timedelta(days=1)


@strawberry.input(description="Which orders a list holds; every condition given must hold.")
class OrderFilter:
    status: list[OrderStatus] | None = strawberry.field(
        default=None, description="Only orders in one of these states (any if null or empty)."
    )
    placed_after: date | None = strawberry.field(
        default=None, description="Only orders placed after this day."
    )
    placed_before: date | None = strawberry.field(
        default=None, description="Only orders placed before this day."
    )

    def selection(self) -> OrderSelection | None:
        """The ERP query for this filter; ``None`` when no order can match it."""
        after, before = self.placed_after, self.placed_before
        if after is not None and before is not None and after >= before:
            raise BadUserInput(f"placedAfter ({after}) must be before placedBefore ({before})")
        if after == date.max or before == date.min:
            return None  # nothing is placed after the last day or before the first
        placed_from = None if after is None else after + _DAY
        placed_to = None if before is None else before - _DAY
        if placed_from is not None and placed_to is not None and placed_from > placed_to:
            return None
        statuses = tuple(dict.fromkeys(self.status or ()))
        return OrderSelection(statuses=statuses, placed_from=placed_from, placed_to=placed_to)


def order_connection(page: OrderPage, offset: int) -> Connection[Order]:
    nodes = [Order.from_record(record) for record in page.orders]
    return build_connection(nodes, offset=offset, total=page.total)


@strawberry.federation.type(keys=["id"], description="A customer account; the ERP adds credit.")
class Account:
    id: strawberry.ID = strawberry.field(description="The CRM Id; the ERP's external id.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        terms = await info.context.loaders.customer_terms.load(str(id))
        return None if terms is None else cls(id=strawberry.ID(terms.account_id))

    async def _terms(self, info: Info) -> CustomerTerms:
        terms = await info.context.loaders.customer_terms.load(self.id)
        if terms is None:
            raise dangling(f"Account {self.id}", "customer", self.id)
        return terms

    async def _credit(self, info: Info) -> CustomerCredit:
        credit = await info.context.loaders.customer_credit.load(self.id)
        if credit is None:
            raise dangling(f"Account {self.id}", "customer", self.id)
        return credit

    @strawberry.field
    async def payment_terms(self, info: Info) -> PaymentTerms | None:
        return (await self._terms(info)).payment_terms

    @described("How much the account may owe and have on order at once.")
    async def credit_limit(self, info: Info) -> Money | None:
        credit = await self._credit(info)
        return money(credit.credit_limit, credit.currency)

    @described("Open invoice balances plus the unbilled part of open orders.")
    async def credit_exposure(self, info: Info) -> Money | None:
        credit = await self._credit(info)
        return money(credit.credit_exposure, credit.currency)

    @described("Whether new orders of the account are held for credit review.")
    async def credit_hold(self, info: Info) -> bool | None:
        return (await self._credit(info)).credit_hold

    @described("The price list the account buys from, if any.")
    async def price_list(self, info: Info) -> PriceList | None:
        terms = await self._terms(info)
        if terms.price_level_id is None:
            return None
        return await load_price_list(info, terms.price_level_id)

    @described("The account's orders, newest first.")
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
        key = (str(self.id), page.offset, page.limit, selection)
        result = await info.context.loaders.orders_of_account.load(key)
        return order_connection(result or OrderPage(orders=[], total=0), page.offset)

"""Typed calls to the ERP's REST API, answering normalized records.

Bulk lookups go through ``SystemClient.get_many`` (batches of 100, found records only).
Ids that cannot name an ERP record (empty, or with characters no id has) are never sent,
so they come back as not found rather than as a 422 from the ERP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cache.base import JSON
from connectors.erp.enums import OrderStatus
from connectors.erp.records import (
    BookedBalance,
    CreditMemoRecord,
    CustomerCredit,
    InvoiceRecord,
    ItemRecord,
    OrderPage,
    OrderRecord,
    ReturnAuthorizationRecord,
)
from connectors.erp.vendor import (
    CreditMemoPayload,
    CustomerPayload,
    CustomerTermsPayload,
    InventoryBalancePayload,
    InvoicePayload,
    ItemPayload,
    PriceLevelPayload,
    ReturnAuthorizationPayload,
    SalesOrderPayload,
    parse_list,
    parse_record,
)
from connectors.http import SystemClient

__all__ = ["ErpClient", "ItemPage", "OrderSelection"]

# What the reference cache keeps of a customer: never its balances, which change by the minute.
_TERMS_KEYS = ("internalId", "externalId", "terms", "priceLevel")


@dataclass(frozen=True, slots=True)
class OrderSelection:
    """Which orders a list holds: statuses (any if empty) and placement dates, inclusive."""

    statuses: tuple[OrderStatus, ...] = ()
    placed_from: date | None = None
    placed_to: date | None = None

    def params(self) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        if self.statuses:
            params["status"] = ",".join(status.value for status in self.statuses)
        if self.placed_from is not None:
            params["placedFrom"] = self.placed_from.isoformat()
        if self.placed_to is not None:
            params["placedTo"] = self.placed_to.isoformat()
        return params


@dataclass(frozen=True, slots=True)
class ItemPage:
    items: list[ItemRecord]
    total: int


def _page_params(offset: int, limit: int) -> dict[str, str | int]:
    # The ERP pages at least one record; a page of 0 asks only for the total.
    return {"offset": offset, "limit": max(limit, 1)}


def _order_page(body: Any, limit: int) -> OrderPage:
    page = parse_list(body)
    orders = [parse_record(SalesOrderPayload, data).record() for data in page.items[:limit]]
    return OrderPage(orders=orders, total=page.total_results)


class ErpClient:
    """The ERP endpoints the graph uses, over one shared ``SystemClient``."""

    def __init__(self, system: SystemClient) -> None:
        self.system = system

    async def _records(
        self,
        path: str,
        ids: Sequence[str],
        *,
        param: str = "ids",
        extra: dict[str, str | int] | None = None,
    ) -> list[dict[str, Any]]:
        # Ids that cannot name an ERP record are not sent (see sendable_id).
        items: list[dict[str, Any]] = await self.system.get_many(
            path, ids, param=param, extra=extra, items_key=lambda body: parse_list(body).items
        )
        return items

    # Reference data, in the raw (validated) form the reference cache keeps.

    async def customer_terms_payloads(self, account_ids: list[str]) -> dict[str, JSON]:
        """The cacheable part of the customers with these CRM account ids, by account id."""
        found: dict[str, JSON] = {}
        for data in await self._records("/customers", account_ids, param="externalIds"):
            terms = parse_record(CustomerTermsPayload, data)
            found[terms.external_id] = {key: data.get(key) for key in _TERMS_KEYS}
        return found

    async def item_payloads(self, skus: list[str]) -> dict[str, JSON]:
        """The items with these SKUs, by SKU."""
        found: dict[str, JSON] = {}
        for data in await self._records("/items", skus, param="skus"):
            found[parse_record(ItemPayload, data).item_id] = data
        return found

    async def price_level_payloads(self, ids: list[str]) -> dict[str, JSON]:
        """The price levels with these internal ids, by id."""
        found: dict[str, JSON] = {}
        for data in await self._records("/priceLevels", ids):
            found[parse_record(PriceLevelPayload, data).internal_id] = data
        return found

    async def item_page(self, *, offset: int, limit: int, search: str | None) -> ItemPage:
        params = _page_params(offset, limit)
        if search:
            params["search"] = search
        page = parse_list(await self.system.get_json("/items", params))
        items = [parse_record(ItemPayload, data).record() for data in page.items[:limit]]
        return ItemPage(items=items, total=page.total_results)

    # Live data.

    async def booked_balances(self) -> list[BookedBalance]:
        """What the ERP books of every item at every location (one call)."""
        page = parse_list(await self.system.get_json("/inventoryBalances"))
        return [parse_record(InventoryBalancePayload, data).record() for data in page.items]

    async def customer_credit(self, account_ids: Sequence[str]) -> list[CustomerCredit]:
        return [
            parse_record(CustomerPayload, data).credit()
            for data in await self._records("/customers", account_ids, param="externalIds")
        ]

    async def orders(self, ids: Sequence[str], *, by_number: bool = False) -> list[OrderRecord]:
        param = "tranIds" if by_number else "ids"
        return [
            parse_record(SalesOrderPayload, data).record()
            for data in await self._records("/salesOrders", ids, param=param)
        ]

    async def order_page(self, *, offset: int, limit: int, selection: OrderSelection) -> OrderPage:
        params = {**_page_params(offset, limit), **selection.params()}
        return _order_page(await self.system.get_json("/salesOrders", params), limit)

    async def orders_of_customers(
        self, account_ids: Sequence[str], *, offset: int, limit: int, selection: OrderSelection
    ) -> dict[str, OrderPage]:
        """The same page of each customer's orders, in one call per 100 customers."""
        pages: dict[str, OrderPage] = {}
        for group in await self._records(
            "/salesOrders/byCustomer",
            account_ids,
            param="externalIds",
            extra={**_page_params(offset, limit), **selection.params()},
        ):
            account_id = group.get("externalId") if isinstance(group, dict) else None
            page = _order_page(group, limit)
            if isinstance(account_id, str):
                pages[account_id] = page
        return pages

    async def invoices(self, ids: Sequence[str], *, of_orders: bool = False) -> list[InvoiceRecord]:
        param = "orderIds" if of_orders else "ids"
        return [
            parse_record(InvoicePayload, data).record()
            for data in await self._records("/invoices", ids, param=param)
        ]

    async def credit_memos(
        self, ids: Sequence[str], *, of_orders: bool = False
    ) -> list[CreditMemoRecord]:
        param = "orderIds" if of_orders else "ids"
        return [
            parse_record(CreditMemoPayload, data).record()
            for data in await self._records("/creditMemos", ids, param=param)
        ]

    async def return_authorizations(
        self, ids: Sequence[str], *, of_orders: bool = False
    ) -> list[ReturnAuthorizationRecord]:
        param = "orderIds" if of_orders else "ids"
        return [
            parse_record(ReturnAuthorizationPayload, data).record()
            for data in await self._records("/returnAuthorizations", ids, param=param)
        ]

    async def ping(self) -> bool:
        """Whether the ERP can be used: it answers its health check, and a one-record read
        (a system can be up, its health check fine, and failing every real request)."""
        body = await self.system.get_json("/health")
        if not (isinstance(body, dict) and body.get("status") == "ok"):
            return False
        await self.item_page(offset=0, limit=1, search=None)
        return True

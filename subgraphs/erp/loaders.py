"""The per-request context of the ERP subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk ERP call (``?ids=``, ``?skus=``, ``?externalIds=``,
``?orderIds=``). Items, price levels and customers' terms are read through the shared
reference caches first; credit, orders and what follows them are always live.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from cache.reference import ReferenceCache
from subgraphs.common.loaders import GroupLoader, Loader
from subgraphs.erp.client import ErpClient, OrderSelection
from subgraphs.erp.records import (
    CreditMemoRecord,
    CustomerCredit,
    CustomerTerms,
    InvoiceRecord,
    ItemRecord,
    OrderPage,
    OrderRecord,
    PriceLevelRecord,
    ReturnAuthorizationRecord,
)
from subgraphs.erp.vendor import (
    CustomerTermsPayload,
    ItemPayload,
    PriceLevelPayload,
    parse_record,
)

__all__ = ["AccountOrdersKey", "ErpContext", "ErpLoaders", "ReferenceCaches"]

R = TypeVar("R")

AccountOrdersKey = tuple[str, int, int, OrderSelection]
"""(CRM account id, offset, limit, selection): one page of one account's orders."""


def _by_id(records: Iterable[R], key: Callable[[R], str]) -> dict[str, R]:
    return {key(record): record for record in records}


def _grouped(records: Iterable[R], key: Callable[[R], str]) -> dict[str, list[R]]:
    groups: dict[str, list[R]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return groups


@dataclass(frozen=True, slots=True)
class ReferenceCaches:
    """The reference caches the ERP subgraph reads through, shared by every request."""

    items: ReferenceCache
    price_levels: ReferenceCache
    customer_terms: ReferenceCache


@dataclass(frozen=True, slots=True)
class ErpLoaders:
    """Fresh for every request, so nothing but the reference caches outlives one."""

    product: Loader[str, ItemRecord]
    price_level: Loader[str, PriceLevelRecord]
    customer_terms: Loader[str, CustomerTerms]
    customer_credit: Loader[str, CustomerCredit]
    order: Loader[str, OrderRecord]
    order_by_number: Loader[str, OrderRecord]
    orders_of_account: Loader[AccountOrdersKey, OrderPage]
    invoice: Loader[str, InvoiceRecord]
    invoices_of_order: GroupLoader[str, InvoiceRecord]
    credit_memo: Loader[str, CreditMemoRecord]
    credit_memos_of_order: GroupLoader[str, CreditMemoRecord]
    return_authorization: Loader[str, ReturnAuthorizationRecord]
    return_authorizations_of_order: GroupLoader[str, ReturnAuthorizationRecord]

    @classmethod
    def create(cls, client: ErpClient, caches: ReferenceCaches) -> ErpLoaders:
        async def load_products(skus: list[str]) -> Mapping[str, ItemRecord]:
            found = await caches.items.get_many(skus, client.item_payloads)
            return {sku: parse_record(ItemPayload, data).record() for sku, data in found.items()}

        async def load_price_levels(ids: list[str]) -> Mapping[str, PriceLevelRecord]:
            found = await caches.price_levels.get_many(ids, client.price_level_payloads)
            return {
                id_: parse_record(PriceLevelPayload, data).record() for id_, data in found.items()
            }

        async def load_terms(ids: list[str]) -> Mapping[str, CustomerTerms]:
            found = await caches.customer_terms.get_many(ids, client.customer_terms_payloads)
            return {
                id_: parse_record(CustomerTermsPayload, data).record()
                for id_, data in found.items()
            }

        async def load_credit(ids: list[str]) -> Mapping[str, CustomerCredit]:
            return _by_id(await client.customer_credit(ids), lambda c: c.account_id)

        async def load_orders(ids: list[str]) -> Mapping[str, OrderRecord]:
            return _by_id(await client.orders(ids), lambda o: o.id)

        async def load_orders_by_number(numbers: list[str]) -> Mapping[str, OrderRecord]:
            found = _by_id(await client.orders(numbers, by_number=True), lambda o: o.number)
            for record in found.values():
                order.prime(record.id, record)
            return found

        async def load_account_orders(
            keys: list[AccountOrdersKey],
        ) -> Mapping[AccountOrdersKey, OrderPage]:
            # One call for every account that asks for the same page of the same selection.
            groups: dict[tuple[int, int, OrderSelection], list[str]] = defaultdict(list)
            for account_id, offset, limit, selection in keys:
                groups[(offset, limit, selection)].append(account_id)
            selections = list(groups.items())
            found = await asyncio.gather(
                *(
                    client.orders_of_customers(
                        account_ids, offset=offset, limit=limit, selection=selection
                    )
                    for (offset, limit, selection), account_ids in selections
                )
            )
            pages: dict[AccountOrdersKey, OrderPage] = {}
            for ((offset, limit, selection), account_ids), by_account in zip(
                selections, found, strict=True
            ):
                for account_id in account_ids:
                    page = by_account.get(account_id, OrderPage(orders=[], total=0))
                    pages[(account_id, offset, limit, selection)] = page
                    for record in page.orders:
                        order.prime(record.id, record)
            return pages

        async def load_invoices(ids: list[str]) -> Mapping[str, InvoiceRecord]:
            return _by_id(await client.invoices(ids), lambda r: r.id)

        async def load_order_invoices(ids: list[str]) -> Mapping[str, list[InvoiceRecord]]:
            return _grouped(await client.invoices(ids, of_orders=True), lambda r: r.order_id)

        async def load_credit_memos(ids: list[str]) -> Mapping[str, CreditMemoRecord]:
            return _by_id(await client.credit_memos(ids), lambda r: r.id)

        async def load_order_credit_memos(ids: list[str]) -> Mapping[str, list[CreditMemoRecord]]:
            return _grouped(await client.credit_memos(ids, of_orders=True), lambda r: r.order_id)

        async def load_returns(ids: list[str]) -> Mapping[str, ReturnAuthorizationRecord]:
            return _by_id(await client.return_authorizations(ids), lambda r: r.id)

        async def load_order_returns(
            ids: list[str],
        ) -> Mapping[str, list[ReturnAuthorizationRecord]]:
            records = await client.return_authorizations(ids, of_orders=True)
            return _grouped(records, lambda r: r.order_id)

        order: Loader[str, OrderRecord] = Loader(load_orders)
        return cls(
            product=Loader(load_products),
            price_level=Loader(load_price_levels),
            customer_terms=Loader(load_terms),
            customer_credit=Loader(load_credit),
            order=order,
            order_by_number=Loader(load_orders_by_number),
            orders_of_account=Loader(load_account_orders),
            invoice=Loader(load_invoices),
            invoices_of_order=GroupLoader(load_order_invoices),
            credit_memo=Loader(load_credit_memos),
            credit_memos_of_order=GroupLoader(load_order_credit_memos),
            return_authorization=Loader(load_returns),
            return_authorizations_of_order=GroupLoader(load_order_returns),
        )


@dataclass(frozen=True, slots=True)
class ErpContext:
    """What every resolver of the ERP subgraph gets as ``info.context``."""

    client: ErpClient
    loaders: ErpLoaders

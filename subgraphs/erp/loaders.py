"""The per-request context of the ERP subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk ERP call (``?ids=``, ``?skus=``, ``?externalIds=``,
``?orderIds=``). Items, price levels and customers' terms are read through the shared
reference caches first; credit, orders and what follows them are always live. Every loader
of an account's records answers only the accounts the request's actor may see
(``subgraphs.common.scoping``); items and price levels are reference data, for everyone.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from cache.base import JSON
from cache.reference import ReferenceCache
from connectors.erp.client import ErpClient, OrderSelection
from connectors.erp.records import (
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
from connectors.erp.vendor import (
    CustomerTermsPayload,
    ItemPayload,
    PriceLevelPayload,
    parse_record,
)
from schema.actor import Actor
from subgraphs.common.identity import CallerContext
from subgraphs.common.loaders import GroupLoader, Loader, keyed, reference_loader
from subgraphs.common.scoping import scoped, visible

__all__ = ["AccountOrdersKey", "ErpContext", "ErpLoaders", "ReferenceCaches"]

AccountOrdersKey = tuple[str, int, int, OrderSelection]
"""(CRM account id, offset, limit, selection): one page of one account's orders."""


def _item(data: JSON) -> ItemRecord:
    return parse_record(ItemPayload, data).record()


def _price_level(data: JSON) -> PriceLevelRecord:
    return parse_record(PriceLevelPayload, data).record()


def _terms(data: JSON) -> CustomerTerms:
    return parse_record(CustomerTermsPayload, data).record()


@dataclass(frozen=True, slots=True)
class ReferenceCaches:
    """The reference caches the ERP subgraph reads through, shared by every request."""

    items: ReferenceCache
    price_levels: ReferenceCache
    customer_terms: ReferenceCache


@dataclass(frozen=True, slots=True)
class ErpLoaders:
    """Fresh for every request, so nothing but the reference caches outlives one; each
    answers only the records of the accounts ``actor`` may see."""

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
    def create(cls, client: ErpClient, caches: ReferenceCaches, actor: Actor) -> ErpLoaders:
        may_see = actor.may_see

        def account_of(
            record: OrderRecord | InvoiceRecord | CreditMemoRecord | ReturnAuthorizationRecord,
        ) -> str:
            return record.account_id

        order: Loader[str, OrderRecord] = Loader.of_records(
            scoped(actor, client.orders, account_of), lambda o: o.id
        )

        async def load_orders_by_number(numbers: list[str]) -> Mapping[str, OrderRecord]:
            records = visible(actor, await client.orders(numbers, by_number=True), account_of)
            found = keyed(records, lambda o: o.number)
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

        return cls(
            product=reference_loader(caches.items, client.item_payloads, _item),
            price_level=reference_loader(
                caches.price_levels, client.price_level_payloads, _price_level
            ),
            customer_terms=reference_loader(
                caches.customer_terms, client.customer_terms_payloads, _terms
            ).only(may_see),
            customer_credit=Loader.of_records(client.customer_credit, lambda c: c.account_id).only(
                may_see
            ),
            order=order,
            order_by_number=Loader(load_orders_by_number),
            orders_of_account=Loader(load_account_orders).only(lambda key: may_see(key[0])),
            invoice=Loader.of_records(scoped(actor, client.invoices, account_of), lambda r: r.id),
            invoices_of_order=GroupLoader.of_records(
                scoped(actor, partial(client.invoices, of_orders=True), account_of),
                lambda r: r.order_id,
            ),
            credit_memo=Loader.of_records(
                scoped(actor, client.credit_memos, account_of), lambda r: r.id
            ),
            credit_memos_of_order=GroupLoader.of_records(
                scoped(actor, partial(client.credit_memos, of_orders=True), account_of),
                lambda r: r.order_id,
            ),
            return_authorization=Loader.of_records(
                scoped(actor, client.return_authorizations, account_of), lambda r: r.id
            ),
            return_authorizations_of_order=GroupLoader.of_records(
                scoped(actor, partial(client.return_authorizations, of_orders=True), account_of),
                lambda r: r.order_id,
            ),
        )


@dataclass(slots=True)
class ErpContext(CallerContext):
    """What every resolver of the ERP subgraph gets as ``info.context``, for its ``actor``."""

    client: ErpClient
    loaders: ErpLoaders

"""The per-request context of the WMS subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk WMS call (``?ids=``, ``?order_refs=``,
``?items=`` …); distribution centers come from the ``CenterDirectory`` (reference cache).
Inventory is never cached: it changes with every allocation.

The WMS knows orders, not accounts: for a customer's request, the fulfillment orders,
shipments and return receipts it loads are kept only when their ERP order is the customer's
account's, each order's account asked of the ERP once per tick for every record of that tick
(``order_account``; ``subgraphs.common.scoping``). Centers and inventory are for everyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from connectors.erp.client import ErpClient
from connectors.wms.client import WmsClient
from connectors.wms.records import (
    FacilityRecord,
    FulfillmentOrderRecord,
    PositionRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
)
from monitoring import Monitor
from schema.actor import Actor
from subgraphs.common.identity import CallerContext
from subgraphs.common.loaders import GroupLoader, Loader, grouped
from subgraphs.common.scoping import AccountsOf, scoped_by
from subgraphs.wms.directory import CenterDirectory
from subgraphs.wms.feed import MilestoneFeed

__all__ = ["WmsContext", "WmsLoaders"]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class WmsLoaders:
    """Fresh for every request, so nothing but the reference cache outlives one. Records of
    orders answer only what the request's actor may see; ``order_account`` (an order's CRM
    account, from the ERP) is there for an actor limited to one account."""

    facility: Loader[str, FacilityRecord]
    positions_of_sku: GroupLoader[str, PositionRecord]
    fulfillment_order: Loader[str, FulfillmentOrderRecord]
    fulfillment_orders_of_order: GroupLoader[str, FulfillmentOrderRecord]
    shipment: Loader[str, ShipmentRecord]
    shipment_by_tracking: Loader[str, ShipmentRecord]
    shipments_of_order: GroupLoader[str, ShipmentRecord]
    receipts_of_return: GroupLoader[str, ReturnReceiptRecord]
    order_account: Loader[str, str] | None = None

    @classmethod
    def create(
        cls,
        client: WmsClient,
        centers: CenterDirectory,
        actor: Actor,
        erp: ErpClient | None = None,
    ) -> WmsLoaders:
        """The loaders of one request of ``actor``; ``erp`` tells the account of an order
        (needed, and asked, only for an actor limited to one account)."""
        order_account: Loader[str, str] | None = None
        accounts_of: AccountsOf | None = None
        if actor.account_scope is not None:
            if erp is None:
                raise ValueError("an account-scoped actor needs the ERP to tell orders' accounts")

            async def load_order_accounts(ids: list[str]) -> Mapping[str, str]:
                return {order.id: order.account_id for order in await erp.orders(ids)}

            order_account = Loader(load_order_accounts)
            accounts_of = order_account.load_many

        def mine(
            fetch: Callable[[list[str]], Awaitable[Iterable[R]]], order_of: Callable[[R], str]
        ) -> Callable[[list[str]], Awaitable[Iterable[R]]]:
            if accounts_of is None:
                return fetch
            return scoped_by(actor, fetch, order_of, accounts_of)

        fulfillment_orders = mine(client.fulfillment_orders, lambda f: f.order_id)
        fulfillment_of_orders = mine(
            partial(client.fulfillment_orders, by="order_refs"), lambda f: f.order_id
        )
        shipments = mine(client.shipments, lambda s: s.order_id)
        shipments_of_orders = mine(partial(client.shipments, by="order_refs"), lambda s: s.order_id)
        shipments_by_tracking = mine(
            partial(client.shipments, by="tracking_nos"), lambda s: s.order_id
        )
        receipts = mine(client.return_receipts, lambda r: r.order_id)

        async def load_orders_fulfillment(
            ids: list[str],
        ) -> Mapping[str, list[FulfillmentOrderRecord]]:
            records = list(await fulfillment_of_orders(ids))
            for record in records:
                loaders.fulfillment_order.prime(record.id, record)
            return grouped(records, lambda f: f.order_id)

        async def load_order_shipments(ids: list[str]) -> Mapping[str, list[ShipmentRecord]]:
            records = list(await shipments_of_orders(ids))
            for record in records:
                loaders.shipment.prime(record.id, record)
            return grouped(records, lambda s: s.order_id)

        loaders = cls(
            facility=Loader(centers.get_many),
            positions_of_sku=GroupLoader.of_records(client.positions, lambda p: p.sku),
            fulfillment_order=Loader.of_records(fulfillment_orders, lambda f: f.id),
            fulfillment_orders_of_order=GroupLoader(load_orders_fulfillment),
            shipment=Loader.of_records(shipments, lambda s: s.id),
            shipment_by_tracking=Loader.of_records(
                shipments_by_tracking, lambda s: s.tracking_number
            ),
            shipments_of_order=GroupLoader(load_order_shipments),
            receipts_of_return=GroupLoader.of_records(
                receipts, lambda r: r.return_authorization_id
            ),
            order_account=order_account,
        )
        return loaders

    def clear(self) -> None:
        """Forget everything loaded: between two events of a subscription, whose context
        lives as long as its WebSocket."""
        for loader in (
            self.facility,
            self.positions_of_sku,
            self.fulfillment_order,
            self.fulfillment_orders_of_order,
            self.shipment,
            self.shipment_by_tracking,
            self.shipments_of_order,
            self.receipts_of_return,
        ):
            loader.clear()
        if self.order_account is not None:
            self.order_account.clear()


@dataclass(slots=True)
class WmsContext(CallerContext):
    """What every resolver of the WMS subgraph gets as ``info.context``, for its ``actor``;
    ``feed`` serves the
    subscriptions (``None``: the app serves none)."""

    client: WmsClient
    centers: CenterDirectory
    loaders: WmsLoaders
    feed: MilestoneFeed | None = None
    # The business monitoring ``operations`` reads (``None``: not served).
    monitor: Monitor | None = None

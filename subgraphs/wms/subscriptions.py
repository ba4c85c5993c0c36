"""The WMS subgraph's subscriptions: live milestones by order, account or tracking number.

Each is a filter over the process's ``MilestoneFeed`` (``info.context.feed``). The arguments
are checked when the client subscribes, so a bad one is a ``BAD_USER_INPUT`` and no
subscription starts (``next`` with the error, then ``complete``: ``subgraphs.common.app``):
an id that cannot name a record, neither an order nor an account, an unknown tracking
number, an ``after`` no longer retained.

Both need ``@authenticated`` and ``orders:read`` or ``staff`` (checked again here: ``FORBIDDEN``).
A customer (an actor limited to one account, docs/auth.md) follows only its own account: an
order, a shipment or an account of another is refused at subscribe time exactly as one that
does not exist, and an unknown order is refused too. The check is made once, when it
subscribes (the order's account asked of the ERP, through the request's loaders), so the feed
matches each event by its order, shipment or account alone: no call per event or subscriber.
An account's subscription matches the account the intake stamped on each event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar, cast

import strawberry
from graphql import GraphQLError

from events.base import EventBusUnavailable
from schema.actor import Actor
from schema.events import FulfillmentMilestone as Event
from subgraphs.common.access import ORDERS, READ_ORDERS, STAFF
from subgraphs.common.errors import SUBGRAPH_ERROR, BadUserInput
from subgraphs.wms.feed import Match, MilestoneFeed, SubscriberTooSlow
from subgraphs.wms.monitoring import orders_at_risk_changed
from subgraphs.wms.types import Info, checked_id
from subgraphs.wms.types.milestones import FulfillmentMilestone

__all__ = ["FORBIDDEN", "READ_SCOPES", "SUBSCRIBER_TOO_SLOW", "MilestoneFilter", "Subscription"]

SUBSCRIBER_TOO_SLOW: Final = "SUBSCRIBER_TOO_SLOW"
"""The code of the error that ends a subscription whose client fell behind."""

FORBIDDEN: Final = "FORBIDDEN"
"""The code of a subscription refused for the caller's scopes."""

READ_SCOPES: Final = tuple(tuple(scopes) for scopes in READ_ORDERS.scopes)
"""What a subscriber needs: any one of the lists, in full (the ``@requiresScopes`` of order
data, ``subgraphs.common.access.ORDERS``)."""

_MAX_EVENT_ID = 200  # as long as a canonical event id may be

F = TypeVar("F", bound=Callable[..., Any])


def _subscription(description: str) -> Callable[[F], F]:
    """``@strawberry.subscription(description=...)`` with the directives of order data
    (``@authenticated``, ``@requiresScopes``), keeping the resolver's type for mypy."""
    return cast(
        Callable[[F], F],
        strawberry.subscription(description=description, directives=list(ORDERS)),
    )


def _check_scopes(info: Info) -> Actor:
    """The subscriber, once it is known to hold :data:`READ_SCOPES` (else ``FORBIDDEN``)."""
    actor = info.context.actor
    if actor.restricted and not any(actor.scopes.issuperset(x) for x in READ_SCOPES):
        raise GraphQLError(
            "milestones need the scope orders:read or staff", extensions={"code": FORBIDDEN}
        )
    return actor


async def _is_theirs(info: Info, actor: Actor, order_id: str) -> bool:
    """Whether ``actor`` may follow ERP order ``order_id``: always for staff and auth off; for
    a customer only an order of its account (an unknown one is not)."""
    if actor.account_scope is None:
        return True
    accounts = info.context.loaders.order_account
    if accounts is None:  # no way to tell whose the order is: refuse rather than guess
        return False
    return actor.may_see(await accounts.load(order_id))


@dataclass(frozen=True, slots=True)
class MilestoneFilter:
    """Which milestones a subscription wants; every criterion given must hold. A shipment is
    followed by its number or its tracking number, whichever the milestone carries."""

    order_id: str | None = None
    account_id: str | None = None
    shipment_id: str | None = None
    tracking_number: str | None = None

    def __call__(self, event: Event) -> bool:
        if self.order_id is not None and event.order_id != self.order_id:
            return False
        if self.account_id is not None and event.account_id != self.account_id:
            return False
        if self.shipment_id is None and self.tracking_number is None:
            return True
        return (self.shipment_id is not None and event.shipment_id == self.shipment_id) or (
            self.tracking_number is not None
            and event.detail.tracking_number == self.tracking_number
        )


AfterArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The eventId of the last milestone you received: the retained milestones "
        "after it come first, then the live ones, none missed and none twice."
    ),
]


@strawberry.type
class Subscription:
    orders_at_risk_changed = strawberry.subscription(
        resolver=orders_at_risk_changed,
        description="The at-risk list each time it changes (first message: the list now).",
        directives=list(STAFF),
    )

    @_subscription(
        "Milestones of an order's fulfillment, live. Give orderId, accountId or "
        "both (then a milestone must match both)."
    )
    async def fulfillment_milestones(
        self,
        info: Info,
        order_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The ERP order id.")
        ] = None,
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The CRM account id: every order of the account."),
        ] = None,
        after: AfterArgument = None,
    ) -> AsyncIterator[FulfillmentMilestone]:
        actor = _check_scopes(info)
        if order_id is None and account_id is None:
            raise BadUserInput("give orderId, accountId or both")
        wanted = MilestoneFilter(
            order_id=None if order_id is None else checked_id(str(order_id), "orderId"),
            account_id=None if account_id is None else checked_id(str(account_id), "accountId"),
        )
        if wanted.account_id is not None and not actor.may_see(wanted.account_id):
            raise BadUserInput(f"no account has id {wanted.account_id!r}")
        if wanted.order_id is not None and not await _is_theirs(info, actor, wanted.order_id):
            raise BadUserInput(f"no order has id {wanted.order_id!r}")
        return await _subscribe(info, wanted, after)

    @_subscription("Milestones of the shipment with this carrier tracking number, live.")
    async def shipment_updates(
        self,
        info: Info,
        tracking_number: Annotated[
            str, strawberry.argument(description="The carrier tracking number.")
        ],
        after: AfterArgument = None,
    ) -> AsyncIterator[FulfillmentMilestone]:
        actor = _check_scopes(info)
        number = checked_id(tracking_number.strip(), "trackingNumber")
        # Asked of the WMS each time, not through the connection's loaders: a number unknown
        # a minute ago may be a shipment now.
        found = await info.context.client.shipments([number], by="tracking_nos")
        shipment = next((s for s in found if s.tracking_number == number), None)
        if shipment is None or not await _is_theirs(info, actor, shipment.order_id):
            raise BadUserInput(f"no shipment has tracking number {number!r}")
        wanted = MilestoneFilter(shipment_id=shipment.id, tracking_number=number)
        return await _subscribe(info, wanted, after)


async def _subscribe(
    info: Info, wanted: Match, after: strawberry.ID | None
) -> AsyncIterator[FulfillmentMilestone]:
    """Check ``after`` and start the stream of ``wanted`` milestones."""
    feed = info.context.feed
    if feed is None:
        raise GraphQLError("subscriptions are not served here", extensions={"code": "INTERNAL"})
    after_entry = event_id = None
    if after is not None:
        event_id = str(after).strip()
        if not 0 < len(event_id) <= _MAX_EVENT_ID:
            raise BadUserInput(f"after must be an eventId of 1 to {_MAX_EVENT_ID} characters")
        try:
            after_entry = await feed.entry_of(event_id)
        except EventBusUnavailable:
            raise _unavailable() from None
        if after_entry is None:
            raise BadUserInput(
                f"after: milestone {event_id!r} is not retained any more (or never was); "
                "subscribe without after to receive the live milestones"
            )
    return _milestones(info, feed, wanted, after_entry, event_id)


async def _milestones(
    info: Info,
    feed: MilestoneFeed,
    wanted: Match,
    after_entry: str | None,
    after_event: str | None,
) -> AsyncIterator[FulfillmentMilestone]:
    try:
        # A filter of one order is indexed by it: the feed asks it about that order's only.
        order_id = wanted.order_id if isinstance(wanted, MilestoneFilter) else None
        events = feed.events(
            wanted, after_entry=after_entry, after_event=after_event, order_id=order_id
        )
        async for event in events:
            # The context (and its loaders) lives as long as the WebSocket: each event is
            # loaded afresh, as a new request would be.
            info.context.loaders.clear()
            yield FulfillmentMilestone.from_event(event)
    except SubscriberTooSlow as exc:
        raise GraphQLError(
            str(exc), extensions={"code": SUBSCRIBER_TOO_SLOW, "after": exc.after}
        ) from None
    except EventBusUnavailable:
        raise _unavailable() from None


def _unavailable() -> GraphQLError:
    return GraphQLError(
        "the event bus is unavailable; subscribe again shortly",
        extensions={"code": SUBGRAPH_ERROR},
    )

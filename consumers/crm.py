"""``CrmActivity``: the CRM's side of a milestone, an activity on the account and, when
something went wrong, a case.

Every milestone becomes one activity (``POST /tasks``, type ``Fulfillment``) in the history of
the order's account, dated when it happened and about the order, so whoever looks at the
account sees where its orders stand. An ``EXCEPTION`` (damage, a bad address: priority High),
a ``DELAYED`` parcel or a ``BACKORDERED`` shortfall (Medium) also opens a case
(``POST /cases``, origin ``Warehouse``, status New) on the account and the order, so somebody
calls the customer before the customer calls.

The account is the event's ``account_id`` (the webhook intake fills it in from the ERP); an
event without one has its order looked up in the ERP. An order nobody knows (the ERP has no
such order, so no account anywhere) is logged and acknowledged: there is no history to write
it into, and retrying would not make one.

Both writes are keyed by the event id (``<event id>:activity``, ``<event id>:case``), which the
CRM enters once however often it is asked, so a redelivered or replayed event changes nothing
twice, even past the ``SeenEvents`` record around the handler (``MilestoneConsumers``). A CRM
that fails or refuses a write raises: the event is retried, then dead-lettered, and replayed
after the fix; the activity already written answers 200 and the case is opened then.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.erp.client import ErpClient
from connectors.http import SystemClient
from events.base import Delivery
from schema.events import FulfillmentMilestone, MilestoneType

__all__ = [
    "ACTIVITY_SUFFIX",
    "CASE_ORIGIN",
    "CASE_PRIORITY",
    "CASE_SUFFIX",
    "CRM_GROUP",
    "CrmActivity",
    "activity_body",
    "case_body",
]

log = logging.getLogger("crossdock.consumers")

CRM_GROUP = "crm"
"""The consumer group (and ``SeenEvents`` scope) of the CRM's consumer."""

ACTIVITY_SUFFIX = ":activity"
CASE_SUFFIX = ":case"
ACTIVITY_TYPE = "Fulfillment"
CASE_ORIGIN = "Warehouse"

CASE_PRIORITY: dict[MilestoneType, str] = {
    MilestoneType.EXCEPTION: "High",
    MilestoneType.DELAYED: "Medium",
    MilestoneType.BACKORDERED: "Medium",
}
"""The milestones that open a case, and how urgent it is (the CRM's picklist values)."""

# What happened to the order, as the end of "Order SO-100123 …".
_HAPPENED: dict[MilestoneType, str] = {
    MilestoneType.RELEASED: "was released to the warehouse",
    MilestoneType.PICKING: "is being picked",
    MilestoneType.PICKED: "was picked",
    MilestoneType.PACKED: "was packed",
    MilestoneType.SHIPPED: "has shipped",
    MilestoneType.IN_TRANSIT: "is in transit",
    MilestoneType.OUT_FOR_DELIVERY: "is out for delivery",
    MilestoneType.DELIVERED: "was delivered",
    MilestoneType.DELAYED: "is delayed in transit",
    MilestoneType.EXCEPTION: "hit a delivery exception",
    MilestoneType.BACKORDERED: "is partly backordered",
    MilestoneType.CANCELLED: "was cancelled in the warehouse",
    MilestoneType.RETURN_RECEIVED: "came back: return received",
}
# What the quantities of a milestone count.
_UNITS: dict[MilestoneType, str] = {
    MilestoneType.PICKED: "Picked",
    MilestoneType.SHIPPED: "Shipped",
    MilestoneType.BACKORDERED: "Backordered",
    MilestoneType.RETURN_RECEIVED: "Received",
}
_MAX_SUBJECT = 255  # the CRM's limit


def _clip(text: str, limit: int = _MAX_SUBJECT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _subject(event: FulfillmentMilestone) -> str:
    subject = f"Order {event.order_number} {_HAPPENED[event.type]}"
    if event.detail.exception_reason is not None:
        subject += f": {event.detail.exception_reason}"
    return _clip(subject)


def _carrier(carrier: str | None, service: str | None) -> str:
    """``UPS Ground`` rather than ``UPS UPS Ground``: a service usually names its carrier."""
    if carrier and service and service.upper().startswith(carrier.upper()):
        return service
    return " ".join(part for part in (carrier, service) if part)


def _details(event: FulfillmentMilestone) -> list[str]:
    """The facts of the milestone, one line each, as a person reading the account wants them."""
    detail = event.detail
    lines: list[str] = []
    if event.fulfillment_order_id is not None:
        lines.append(f"Fulfillment order {event.fulfillment_order_id} from {event.center_id}.")
    else:
        lines.append(f"Distribution center {event.center_id}.")
    if event.shipment_id is not None or detail.tracking_number is not None:
        parcel = f"Shipment {event.shipment_id}" if event.shipment_id else "Parcel"
        carrier = _carrier(detail.carrier, detail.service)
        if carrier:
            parcel += f" with {carrier}"
        if detail.tracking_number is not None:
            parcel += f", tracking {detail.tracking_number}"
        lines.append(parcel + ".")
    if detail.estimated_delivery is not None:
        lines.append(f"Estimated delivery {detail.estimated_delivery.date().isoformat()}.")
    if detail.exception_reason is not None:
        lines.append(f"Reason: {detail.exception_reason}.")
    if detail.quantities:
        counted = ", ".join(f"{line.quantity} of {line.sku}" for line in detail.quantities)
        lines.append(f"{_UNITS.get(event.type, 'Units')}: {counted}.")
    if detail.return_authorization_id is not None:
        lines.append(f"Return authorization {detail.return_authorization_id}.")
    return lines


def _when(event: FulfillmentMilestone) -> str:
    return event.occurred_at.strftime("%Y-%m-%d %H:%M UTC")


def activity_body(event: FulfillmentMilestone, account_id: str) -> dict[str, Any]:
    """The ``POST /tasks`` body recording ``event`` in the history of ``account_id``."""
    description = [f"{_subject(event)} ({_when(event)}).", *_details(event)]
    description.append(f"Milestone {event.type.value}, event {event.event_id}.")
    return {
        "External_Id__c": event.event_id + ACTIVITY_SUFFIX,
        "AccountId": account_id,
        "Subject": _subject(event),
        "Description": "\n".join(description),
        "Type": ACTIVITY_TYPE,
        "ActivityDateTime": event.occurred_at.isoformat(),
        "ERP_Order_Id__c": event.order_id,
        "ERP_Order_Number__c": event.order_number,
    }


def _case_subject(event: FulfillmentMilestone) -> str:
    number, reason = event.order_number, event.detail.exception_reason
    if event.type is MilestoneType.EXCEPTION:
        subject = f"Delivery exception on order {number}"
    elif event.type is MilestoneType.DELAYED:
        subject = f"Order {number} delayed in transit"
    else:
        subject = f"Order {number} backordered"
    if event.shipment_id is not None:
        subject += f" (shipment {event.shipment_id})"
    return _clip(f"{subject}: {reason}" if reason else subject)


def case_body(event: FulfillmentMilestone, account_id: str) -> dict[str, Any]:
    """The ``POST /cases`` body of the case ``event`` opens (it must be in ``CASE_PRIORITY``)."""
    description = [
        f"The warehouse reports that order {event.order_number} {_HAPPENED[event.type]} "
        f"({_when(event)}).",
        *_details(event),
        "Please let the customer know and agree on what happens next.",
        f"Opened from milestone {event.type.value}, event {event.event_id}.",
    ]
    return {
        "External_Id__c": event.event_id + CASE_SUFFIX,
        "AccountId": account_id,
        "Subject": _case_subject(event),
        "Description": "\n".join(description),
        "Priority": CASE_PRIORITY[event.type],
        "Origin": CASE_ORIGIN,
        "ERP_Order_Id__c": event.order_id,
        "ERP_Order_Number__c": event.order_number,
    }


class CrmActivity:
    """The handler of the ``crm`` group: one milestone at a time, over the CRM (and the ERP
    for an event that does not name its account)."""

    def __init__(self, crm: SystemClient, erp: SystemClient) -> None:
        self._crm = crm
        self._erp = ErpClient(erp)

    async def __call__(self, delivery: Delivery) -> None:
        # An event that does not parse raises here: retried, then parked in the dead letters.
        event = FulfillmentMilestone.from_json(delivery.data)
        account_id = event.account_id or await self.account_of(event.order_id)
        if account_id is None:
            log.warning(
                "milestone %s (%s of order %s): the ERP knows no such order, so no account; "
                "nothing recorded in the CRM",
                event.event_id,
                event.type.value,
                event.order_number,
            )
            return
        await self._crm.post_json("/tasks", activity_body(event, account_id))
        if event.type in CASE_PRIORITY:
            await self._crm.post_json("/cases", case_body(event, account_id))

    async def account_of(self, order_id: str) -> str | None:
        """The CRM account of ERP order ``order_id``; ``None`` if the ERP has no such order (an
        ERP that cannot answer raises, and the event is retried)."""
        found = await self._erp.orders([order_id])
        return next((order.account_id for order in found if order.id == order_id), None)

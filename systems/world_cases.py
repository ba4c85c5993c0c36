"""Customer cases in the demo world: what buyers called, emailed or wrote in the portal about.

Most cases are about one of the account's own orders and fit what happened to it (a delayed
shipment, a late or damaged delivery, a hold, an invoice, a return); the rest are about the
account itself. Cases are numbered in the order they were opened.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from systems.world_logistics import minutes_until, random_minutes
from systems.world_records import (
    AccountRecord,
    CaseRecord,
    ContactRecord,
    InvoiceRecord,
    OrderRecord,
    ProductRecord,
    ReturnAuthorizationRecord,
    ShipmentRecord,
)

__all__ = ["CASE_COUNT", "draw_cases"]

CASE_COUNT = 1500
WITH_ORDER_SHARE = 0.6

_Topic = tuple[int, str, str, datetime, str]  # weight, subject, description, not before, priority


def draw_cases(
    rng: random.Random,
    anchor: datetime,
    accounts: Sequence[AccountRecord],
    contacts: Sequence[ContactRecord],
    products: Sequence[ProductRecord],
    orders: Sequence[OrderRecord],
    shipments: Sequence[ShipmentRecord],
    invoices: Sequence[InvoiceRecord],
    returns: Sequence[ReturnAuthorizationRecord],
) -> list[CaseRecord]:
    """``CASE_COUNT`` cases opened before ``anchor``, the oldest first."""
    cases = _Cases(rng, anchor, accounts, contacts, products, orders)
    return cases.draw(shipments, invoices, returns)


class _Cases:
    def __init__(
        self,
        rng: random.Random,
        anchor: datetime,
        accounts: Sequence[AccountRecord],
        contacts: Sequence[ContactRecord],
        products: Sequence[ProductRecord],
        orders: Sequence[OrderRecord],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.accounts = accounts
        self.contacts: dict[str, list[ContactRecord]] = defaultdict(list)
        for contact in contacts:
            self.contacts[contact.account_id].append(contact)
        self.products = products
        self.orders = {order.id: order for order in orders}
        self.start = min(order.placed_at for order in orders)  # the history begins

    def _minutes(self, low: int, high: int) -> timedelta:
        return random_minutes(self.rng, low, high)

    def _until_now(self, at: datetime) -> int:
        return minutes_until(self.anchor, at)

    def draw(
        self,
        all_shipments: Sequence[ShipmentRecord],
        all_invoices: Sequence[InvoiceRecord],
        all_returns: Sequence[ReturnAuthorizationRecord],
    ) -> list[CaseRecord]:
        rng = self.rng
        shipments: dict[str, list[ShipmentRecord]] = defaultdict(list)
        for shipment in all_shipments:
            shipments[shipment.order_id].append(shipment)
        invoices: dict[str, list[InvoiceRecord]] = defaultdict(list)
        for invoice in all_invoices:
            invoices[invoice.order_id].append(invoice)
        returns: dict[str, list[ReturnAuthorizationRecord]] = defaultdict(list)
        for ra in all_returns:
            returns[ra.order_id].append(ra)
        eligible = [o for o in self.orders.values() if o.status != "DRAFT"]
        weights = []
        for order in eligible:
            troubled = (
                order.status == "ON_HOLD"
                or returns[order.id]
                or any(
                    s.status in ("DELAYED", "EXCEPTION", "RETURNED_TO_SENDER")
                    or (s.delivered_at is not None and s.delivered_at.date() > s.estimated_delivery)
                    for s in shipments[order.id]
                )
            )
            weights.append(6 if troubled else 1)
        drafts: list[tuple[datetime, str, str | None, str, str, str]] = []
        with_orders = round(CASE_COUNT * WITH_ORDER_SHARE)
        for order in rng.choices(eligible, weights=weights, k=with_orders):
            topics = self._order_topics(
                order, shipments[order.id], invoices[order.id], returns[order.id]
            )
            _, subject, text, after, priority = rng.choices(topics, [t[0] for t in topics])[0]
            created = after + self._minutes(1, min(14 * 1440, self._until_now(after) - 5))
            drafts.append((created, order.account_id, order.id, subject, text, priority))
        active = [a for a in self.accounts if a.active]
        for _ in range(CASE_COUNT - with_orders):
            account = rng.choice(active)
            subject, text, priority = self._account_topic()
            created = self.anchor - self._minutes(60, self._until_now(self.start))
            drafts.append((created, account.id, None, subject, text, priority))
        drafts.sort(key=lambda d: (d[0], d[1], d[3]))
        return [
            self._case(n, created, account_id, order_id, subject, text, priority)
            for n, (created, account_id, order_id, subject, text, priority) in enumerate(
                drafts, start=1
            )
        ]

    def _case(
        self,
        n: int,
        created: datetime,
        account_id: str,
        order_id: str | None,
        subject: str,
        text: str,
        priority: str,
    ) -> CaseRecord:
        rng = self.rng
        age_days = self._until_now(created) / 1440
        if age_days < 3:
            status = rng.choices(("NEW", "WORKING", "ESCALATED", "CLOSED"), (35, 40, 10, 15))[0]
        elif age_days < 30:
            status = rng.choices(("NEW", "WORKING", "ESCALATED", "CLOSED"), (5, 25, 10, 60))[0]
        else:
            status = rng.choices(("WORKING", "ESCALATED", "CLOSED"), (2, 1, 97))[0]
        closed = None
        if status == "CLOSED":
            room = self._until_now(created) - 1
            closed = created + self._minutes(min(30, room), min(10 * 1440, room))
        if rng.random() < 0.08:  # the customer's view of urgency, not only the topic's
            priority = rng.choices(("LOW", "MEDIUM", "HIGH", "CRITICAL"), (3, 3, 3, 1))[0]
        contacts = self.contacts[account_id]
        contact = contacts[0] if rng.random() < 0.5 else rng.choice(contacts)
        order = None if order_id is None else self.orders[order_id]
        return CaseRecord(
            id=f"500CD{n:010d}AAA",
            case_number=f"{1000 + n:08d}",
            account_id=account_id,
            contact_id=contact.id,
            subject=subject,
            description=text,
            status=status,
            priority=priority,
            origin=rng.choices(("PHONE", "EMAIL", "WEB", "PORTAL"), weights=(35, 35, 10, 20))[0],
            order_id=order_id,
            order_number=None if order is None else order.number,
            created_at=created,
            closed_at=closed,
        )

    def _order_topics(
        self,
        order: OrderRecord,
        shipments: Sequence[ShipmentRecord],
        invoices: Sequence[InvoiceRecord],
        returns: Sequence[ReturnAuthorizationRecord],
    ) -> list[_Topic]:
        """What a customer might call about ``order``; what went wrong weighs most."""
        rng = self.rng
        num, po, placed = order.number, order.customer_po, order.placed_at
        topics: list[_Topic] = []
        for s in shipments:
            if s.status in ("DELAYED", "EXCEPTION", "RETURNED_TO_SENDER"):
                topics.append((
                    12, f"Shipment {s.tracking_number} not delivered",
                    f"{s.carrier} shows '{s.events[-1].description}' for {num} (PO {po}). "
                    "Customer needs the parts this week and asks for a new delivery date.",
                    s.events[-1].occurred_at, rng.choice(("HIGH", "CRITICAL")),
                ))  # fmt: skip
            elif s.delivered_at is not None and s.delivered_at.date() > s.estimated_delivery:
                topics.append((
                    10, f"Late delivery on {num}",
                    f"{num} arrived {s.delivered_at:%b %d}, after the estimated "
                    f"{s.estimated_delivery:%b %d}. Buyer asks for a freight credit.",
                    s.delivered_at, "MEDIUM",
                ))  # fmt: skip
            if s.delivered_at is not None:
                sku = rng.choice(s.lines).sku
                topics += [
                    (2, f"Damaged goods received on {num}",
                     f"{sku} arrived damaged (tracking {s.tracking_number}); photos attached.",
                     s.delivered_at, "HIGH"),
                    (2, f"Missing items on {num}",
                     f"Packing list shows {sku} but it was not in the delivery.",
                     s.delivered_at, "HIGH"),
                    (3, f"Proof of delivery for {num}",
                     f"Accounts payable needs a signed POD for tracking {s.tracking_number}.",
                     s.delivered_at, "LOW"),
                ]  # fmt: skip
        for ra in returns:
            topics.append((
                12, f"Return request for {num}",
                f"Customer wants to return items from {num} ({ra.lines[0].reason.lower()}); "
                f"{ra.number} opened.",
                ra.created_at - timedelta(hours=2), "MEDIUM",
            ))  # fmt: skip
        for invoice in invoices:
            question = rng.choice((
                f"Customer disputes the pricing on {invoice.number} for {num}; "
                "expected their contract price.",
                f"Accounts payable needs {invoice.number} ({num}) reissued with PO {po} on it.",
            ))  # fmt: skip
            topics.append(
                (3, f"Billing question on {invoice.number}", question, invoice.issued_at, "MEDIUM")
            )
        if order.status == "ON_HOLD":
            topics.append((
                12, f"Order {num} on hold",
                f"Buyer asks why {num} (PO {po}) has not been confirmed and when it will ship.",
                placed, "HIGH",
            ))  # fmt: skip
        elif order.status == "CANCELLED":
            topics.append((6, f"Cancel order {num}",
                           f"Customer asked to cancel {num} (PO {po}); please confirm.",
                           placed, "LOW"))  # fmt: skip
        elif order.status == "SUBMITTED":
            topics.append((6, f"No confirmation for {num}",
                           f"Buyer submitted {num} and has not received an order confirmation.",
                           placed, "MEDIUM"))  # fmt: skip
        if order.status != "COMPLETED" or not topics:
            topics.append((3, f"Status of order {num}",
                           f"Buyer asks for the delivery date of {num} (PO {po}).",
                           placed, "MEDIUM"))  # fmt: skip
        return topics

    def _account_topic(self) -> tuple[str, str, str]:
        rng = self.rng
        item = rng.choice(self.products)
        return rng.choice((
            ("Tax exemption certificate renewal",
             "Customer sent an updated resale certificate; please update the account.", "LOW"),
            ("Request W-9", "Vendor onboarding needs our current W-9.", "LOW"),
            ("Update billing address", "Accounts payable moved; new remit-from address.", "LOW"),
            (f"Quote request: {item.category}",
             f"Buyer requests a volume quote on {item.sku} ({item.name}).", "MEDIUM"),
            (f"Availability of {item.sku}",
             f"Customer asks for lead time on {item.name}.", "MEDIUM"),
            (f"SDS request for {item.sku}",
             f"Safety team needs the safety data sheet for {item.name}.", "LOW"),
            ("Portal access for new buyer",
             "New buyer needs an ordering portal login.", "LOW"),
            ("Credit limit increase request",
             "Customer expects larger orders next quarter and asks for a higher limit.", "HIGH"),
            ("Add ship-to location", "Customer opened a new site and needs it set up.", "MEDIUM"),
            ("Contract pricing review",
             "Annual review of contract pricing on core items.", "MEDIUM"),
        ))  # fmt: skip

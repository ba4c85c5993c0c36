"""What became of the demo world's orders: fulfillment, shipments, invoices, returns, stock, cases.

``Logistics`` takes the orders ``systems.world`` placed and plays their history forward to the
anchor with the same random generator: each released order gets one fulfillment order per
distribution center it ships from, each shipped fulfillment order one shipment and one invoice,
some delivered orders come back, and inventory is allocated to exactly the open fulfillment
orders.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from systems.world_names import CARRIER_HUBS, DECLINE_REASONS, NEAREST_CENTER
from systems.world_records import (
    AccountRecord,
    CreditMemoRecord,
    DistributionCenterRecord,
    FulfillmentOrderRecord,
    InventoryRecord,
    InvoiceRecord,
    LineQuantity,
    OrderLineRecord,
    OrderRecord,
    ProductRecord,
    ReturnAuthorizationRecord,
    ReturnLineRecord,
    ReturnReceiptLineRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
    TrackingEventRecord,
)

__all__ = [
    "OPEN_FULFILLMENT_STATUSES",
    "Logistics",
    "document_amounts",
    "minutes_until",
    "random_minutes",
]

OPEN_FULFILLMENT_STATUSES = ("RELEASED", "PICKING", "PICKED", "PACKED")

_CENT = Decimal("0.01")
_GRAM = Decimal("0.001")
_TERMS_DAYS = {"DUE_ON_RECEIPT": 0, "NET_15": 15, "NET_30": 30, "NET_45": 45, "NET_60": 60}

# Fulfillment order status of a confirmed order by its age in hours.
_FO_BY_AGE: tuple[tuple[float, tuple[str, ...], tuple[int, ...]], ...] = (
    (6, ("RELEASED", "PICKING"), (60, 40)),
    (24, ("RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED"), (20, 25, 20, 20, 15)),
    (72, ("RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "DELIVERED"),
     (10, 10, 15, 20, 35, 10)),
    (168, ("RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "DELIVERED"),
     (15, 5, 5, 10, 40, 25)),
    (math.inf, ("RELEASED", "SHIPPED", "DELIVERED"), (25, 35, 40)),
)  # fmt: skip
# Status of a shipment still on its way, by the age of its order in hours.
_IN_FLIGHT_BY_AGE: tuple[tuple[float, tuple[str, ...], tuple[int, ...]], ...] = (
    (24, ("LABEL_CREATED", "PICKED_UP", "IN_TRANSIT"), (40, 40, 20)),
    (72, ("LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELAYED", "EXCEPTION"),
     (5, 10, 50, 20, 8, 7)),
    (math.inf, ("IN_TRANSIT", "OUT_FOR_DELIVERY", "DELAYED", "EXCEPTION", "RETURNED_TO_SENDER"),
     (45, 20, 18, 10, 7)),
)  # fmt: skip
# Return authorization status by its age in days.
_RETURN_BY_AGE: tuple[tuple[float, tuple[str, ...], tuple[int, ...]], ...] = (
    (2, ("REQUESTED", "AUTHORIZED", "DECLINED"), (40, 45, 15)),
    (10, ("AUTHORIZED", "DECLINED", "RECEIVED", "CREDITED"), (35, 12, 35, 18)),
    (math.inf, ("AUTHORIZED", "DECLINED", "RECEIVED", "CREDITED"), (4, 12, 6, 78)),
)
# Minutes between shipping and "now" that each in-flight status plausibly takes.
_IN_FLIGHT_GAP = {
    "LABEL_CREATED": (30, 300), "PICKED_UP": (180, 720), "IN_TRANSIT": (600, 4320),
    "OUT_FOR_DELIVERY": (1440, 5760), "DELAYED": (2880, 8640), "EXCEPTION": (2880, 8640),
    "RETURNED_TO_SENDER": (4320, 12960),
}  # fmt: skip
# (carrier, service, transit days from the nearest center, weight)
_PARCEL_SERVICES = (
    ("UPS", "UPS Ground", 0, 44),
    ("UPS", "UPS 2nd Day Air", 2, 7),
    ("UPS", "UPS Next Day Air", 1, 3),
    ("FEDEX", "FedEx Ground", 0, 36),
    ("FEDEX", "FedEx 2Day", 2, 6),
    ("FEDEX", "FedEx Priority Overnight", 1, 2),
)
_CARRIER_NAMES = {"UPS": "UPS", "FEDEX": "FedEx", "USPS": "USPS", "XPO": "XPO"}
_UPS_SHIPPERS = {"ATL1": "A41E72", "EWR1": "E07W11", "ORD1": "O60R38", "RNO1": "R89N02"}


def document_amounts(
    lines: Iterable[OrderLineRecord], tax_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Subtotal, tax and total of an order, invoice or credit memo (each line rounded)."""
    subtotal = sum(((ln.unit_price * ln.quantity).quantize(_CENT) for ln in lines), Decimal("0"))
    subtotal = subtotal.quantize(_CENT)
    tax = (subtotal * tax_rate).quantize(_CENT, rounding=ROUND_HALF_UP)
    return subtotal, tax, subtotal + tax


def random_minutes(rng: random.Random, low: int, high: int) -> timedelta:
    """Between ``low`` and ``high`` whole minutes (``low`` when the range is empty)."""
    return timedelta(minutes=rng.randint(low, max(low, high)))


def minutes_until(anchor: datetime, at: datetime) -> int:
    """Whole minutes from ``at`` to ``anchor``."""
    return int((anchor - at).total_seconds() // 60)


@dataclass
class _InFlight:
    """A shipped fulfillment order whose shipment is drawn once all statuses are known."""

    order: OrderRecord
    fulfillment: FulfillmentOrderRecord
    age_hours: float
    status: str = ""


@dataclass
class _Return:
    order: OrderRecord
    shipment: ShipmentRecord
    status: str
    created_at: datetime
    lines: tuple[ReturnLineRecord, ...]
    decline_reason: str | None
    received_at: datetime | None
    credited_at: datetime | None


class Logistics:
    """Plays orders forward; the results are in the public list attributes after ``run``."""

    def __init__(
        self,
        rng: random.Random,
        anchor: datetime,
        centers: Sequence[DistributionCenterRecord],
        accounts: Sequence[AccountRecord],
        products: Sequence[ProductRecord],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.centers = {center.id: center for center in centers}
        self.accounts = {account.id: account for account in accounts}
        self.products = products
        self.product = {p.sku: p for p in products}
        self.tracking_numbers: set[str] = set()
        self.fulfillment_orders: list[FulfillmentOrderRecord] = []
        self.shipments: list[ShipmentRecord] = []
        self.invoices: list[InvoiceRecord] = []
        self.return_authorizations: list[ReturnAuthorizationRecord] = []
        self.return_receipts: list[ReturnReceiptRecord] = []
        self.credit_memos: list[CreditMemoRecord] = []
        self.inventory: list[InventoryRecord] = []

    def run(self, orders: Sequence[OrderRecord]) -> None:
        self.orders = {order.id: order for order in orders}
        self._fulfill(orders)
        self._invoice()
        self._returns(orders)
        self._stock()

    # -- time -----------------------------------------------------------------------------

    def _minutes(self, low: int, high: int) -> timedelta:
        return random_minutes(self.rng, low, high)

    def _fit(self, start: datetime, steps: Sequence[int], end: datetime) -> list[datetime]:
        """The times after ``start`` that ``steps`` minutes apart reach, squeezed before ``end``."""
        room = int((end - start).total_seconds() // 60)
        total = sum(steps)
        if total > room:
            steps = [max(1, step * room // total) for step in steps]
        times, at = [], start
        for step in steps:
            at += timedelta(minutes=step)
            times.append(at)
        return times

    def _until_now(self, at: datetime) -> int:
        return minutes_until(self.anchor, at)

    # -- fulfillment and shipments --------------------------------------------------------

    def _fulfill(self, orders: Sequence[OrderRecord]) -> None:
        rng = self.rng
        in_flight: list[_InFlight] = []
        for order in orders:
            released = order.status in ("CONFIRMED", "COMPLETED")
            if not released and not (order.status == "CANCELLED" and rng.random() < 0.3):
                continue
            groups: dict[str, list[LineQuantity]] = defaultdict(list)
            for line in order.lines:
                groups[line.center_id].append(LineQuantity(line.sku, line.quantity))
            age = self._until_now(order.placed_at)
            delay = min(rng.randint(20, 600), max(1, age // 4))
            statuses = self._fulfillment_statuses(order, len(groups), age / 60)
            for (center, lines), status in zip(groups.items(), statuses, strict=True):
                fo_id = f"FO-{1000001 + len(self.fulfillment_orders)}"
                release = order.placed_at + timedelta(minutes=delay)
                shipment = None
                if status == "DELIVERED":
                    release, shipment = self._delivered(order, fo_id, center, lines, delay)
                fo = FulfillmentOrderRecord(
                    fo_id, order.id, order.number, center, status, release, tuple(lines)
                )
                self.fulfillment_orders.append(fo)
                if shipment is not None:
                    self.shipments.append(shipment)
                elif status == "SHIPPED":
                    in_flight.append(_InFlight(order, fo, age / 60))
        self._ship_in_flight(in_flight)
        self.shipments.sort(key=lambda s: (s.shipped_at, s.fulfillment_order_id))
        self.shipments = [replace(s, id=f"SH-{1000001 + n}") for n, s in enumerate(self.shipments)]

    def _fulfillment_statuses(self, order: OrderRecord, count: int, age_hours: float) -> list[str]:
        rng = self.rng
        if order.status == "COMPLETED":
            return ["DELIVERED"] * count
        if order.status == "CANCELLED":
            return ["CANCELLED"] * count
        names, weights = next((s, w) for limit, s, w in _FO_BY_AGE if age_hours < limit)
        statuses = rng.choices(names, weights=weights, k=count)
        if count > 1 and age_hours >= 24 and rng.random() < 0.5:
            # Part shipped, the rest waits on stock at the other center.
            statuses[0], statuses[-1] = rng.choice(("SHIPPED", "DELIVERED")), "RELEASED"
        if all(status == "DELIVERED" for status in statuses):
            statuses[-1] = "SHIPPED"  # a confirmed order is not yet delivered in full
        return statuses

    def _service(self, center: str, order: OrderRecord, weight: Decimal) -> tuple[str, str, int]:
        rng = self.rng
        near = NEAREST_CENTER[order.ship_to.state] == center
        ground_days = rng.randint(1, 2) if near else rng.randint(3, 5)
        if weight > 150:
            service = rng.choices(("XPO LTL Standard", "XPO LTL Guaranteed"), weights=(85, 15))[0]
            return "XPO", service, ground_days + (0 if service.endswith("Guaranteed") else 1)
        if weight < 5 and rng.random() < 0.3:
            if rng.random() < 0.5:
                return "USPS", "USPS Priority Mail", min(ground_days + 1, 3)
            return "USPS", "USPS Ground Advantage", ground_days + 1
        carrier, service, days, _ = rng.choices(
            _PARCEL_SERVICES, weights=[row[3] for row in _PARCEL_SERVICES]
        )[0]
        return carrier, service, days or ground_days

    def _tracking_number(self, carrier: str, center: str, service: str) -> str:
        rng = self.rng
        while True:
            if carrier == "UPS":
                code = "01" if "Next Day" in service else "02" if "2nd Day" in service else "03"
                number = f"1Z{_UPS_SHIPPERS[center]}{code}{rng.randint(0, 10**8 - 1):08d}"
            elif carrier == "FEDEX":
                number = str(rng.randint(10**11, 10**12 - 1))
            elif carrier == "USPS":
                prefix = "9405" if "Priority" in service else "9400"
                number = f"{prefix}{rng.randint(0, 10**18 - 1):018d}"
            else:
                number = f"XPO{rng.randint(0, 10**9 - 1):09d}"
            if number not in self.tracking_numbers:
                self.tracking_numbers.add(number)
                return number

    def _weight(self, lines: Iterable[LineQuantity]) -> Decimal:
        weight = sum((self.product[ln.sku].weight_kg * ln.quantity for ln in lines), Decimal(0))
        return max(weight.quantize(_GRAM), _GRAM)

    def _delivered(
        self, order: OrderRecord, fo_id: str, center: str, lines: list[LineQuantity], delay: int
    ) -> tuple[datetime, ShipmentRecord]:
        """When the fulfillment order was released, and its shipment, delivered by now."""
        rng = self.rng
        weight = self._weight(lines)
        carrier, service, days = self._service(center, order, weight)
        ship_delay = rng.randint(120, 2880)
        if center != order.lines[0].center_id and rng.random() < 0.15:
            ship_delay += rng.randint(1, 6) * 1440  # backordered at the second center
        transit = max(240, days * 1440 + rng.randint(-300, 300))
        if rng.random() < 0.1:
            transit += rng.randint(1, 2) * 1440  # arrived late
        limit = self.anchor - timedelta(minutes=30)
        released, shipped, delivered = self._fit(
            order.placed_at, (delay, ship_delay, transit), limit
        )
        return released, self._shipment(
            order, fo_id, center, lines, "DELIVERED", shipped, delivered, carrier, service, days
        )

    def _ship_in_flight(self, in_flight: list[_InFlight]) -> None:
        rng = self.rng
        for item in in_flight:
            names, weights = next(
                (s, w) for limit, s, w in _IN_FLIGHT_BY_AGE if item.age_hours < limit
            )
            item.status = rng.choices(names, weights=weights)[0]
        # Every status a parcel can be in shows up at least once in the demo.
        for status in _IN_FLIGHT_GAP:
            counts: dict[str, int] = defaultdict(int)
            for item in in_flight:
                counts[item.status] += 1
            if counts[status]:
                continue
            spare = [i for i in in_flight if counts[i.status] > 1 and i.age_hours >= 48]
            if spare:
                rng.choice(spare).status = status
        for item in in_flight:
            low, high = _IN_FLIGHT_GAP[item.status]
            shipped = max(
                item.fulfillment.released_at + timedelta(minutes=60),
                self.anchor - self._minutes(low, high),
            )
            shipped = min(shipped, self.anchor - timedelta(minutes=30))
            lines = list(item.fulfillment.lines)
            weight = self._weight(lines)
            carrier, service, days = self._service(item.fulfillment.center_id, item.order, weight)
            self.shipments.append(
                self._shipment(
                    item.order, item.fulfillment.id, item.fulfillment.center_id, lines,
                    item.status, shipped, None, carrier, service, days,
                )
            )  # fmt: skip

    def _shipment(
        self,
        order: OrderRecord,
        fo_id: str,
        center: str,
        lines: list[LineQuantity],
        status: str,
        shipped: datetime,
        delivered: datetime | None,
        carrier: str,
        service: str,
        days: int,
    ) -> ShipmentRecord:
        rng = self.rng
        weight = self._weight(lines)
        per_package = Decimal(350 if carrier == "XPO" else 22)
        packages = max(1, math.ceil(weight / per_package))
        if carrier != "XPO":
            packages = max(packages, rng.randint(1, len(lines)))
        site = self.centers[center].address
        origin = f"{site.city}, {site.state}"
        destination = f"{order.ship_to.city}, {order.ship_to.state}"
        end = delivered or self.anchor - self._minutes(5, min(60, self._until_now(shipped) // 2))
        # Regional deliveries go straight to the destination terminal; the rest via a hub.
        via_hub = NEAREST_CENTER[order.ship_to.state] != center
        events = self._events(
            status, via_hub, carrier, origin, destination, shipped, end, delivered
        )
        return ShipmentRecord(
            id="",
            fulfillment_order_id=fo_id,
            order_id=order.id,
            center_id=center,
            carrier=carrier,
            service=service,
            tracking_number=self._tracking_number(carrier, center, service),
            status=status,
            package_count=packages,
            weight_kg=weight,
            shipped_at=shipped,
            estimated_delivery=(shipped + timedelta(days=days)).date(),
            delivered_at=delivered,
            lines=tuple(lines),
            events=events,
        )

    def _events(
        self,
        status: str,
        via_hub: bool,
        carrier: str,
        origin: str,
        destination: str,
        start: datetime,
        end: datetime,
        delivered: datetime | None,
    ) -> tuple[TrackingEventRecord, ...]:
        rng = self.rng
        hub = rng.choice([h for h in CARRIER_HUBS[carrier] if not h.startswith(origin)])
        name = _CARRIER_NAMES[carrier]
        transit = [("IN_TRANSIT", "Departed origin facility", origin)]
        if via_hub:
            transit += [
                ("IN_TRANSIT", f"Arrived at {name} hub", hub),
                ("IN_TRANSIT", f"Departed {name} hub", hub),
            ]
        else:
            hub = origin  # where a delay strands a regional shipment
        transit.append(("IN_TRANSIT", "Arrived at destination facility", destination))
        path = [
            ("LABEL_CREATED", "Shipping label created; awaiting carrier pickup", origin),
            ("PICKED_UP", f"Picked up by {name}", origin),
        ]
        out = ("OUT_FOR_DELIVERY", "Out for delivery", destination)
        if status == "LABEL_CREATED":
            path = path[:1]
        elif status == "IN_TRANSIT":
            path += transit[: rng.randint(1, len(transit))]
        elif status in ("OUT_FOR_DELIVERY", "DELIVERED"):
            path += [*transit, out]
            if status == "DELIVERED":
                receiver = rng.choice(("Receiving dock", "Front desk", "Shipping/receiving"))
                path.append(("DELIVERED", f"Delivered; left at {receiver}", destination))
        elif status == "DELAYED":
            reason = rng.choice((
                "Weather delay; delivery will be rescheduled",
                "Late trailer arrival at hub; delivery date updated",
                "Mechanical failure; shipment will move on the next available trailer",
            ))  # fmt: skip
            path += [*transit[: rng.randint(1, len(transit) - 1)], ("DELAYED", reason, hub)]
        elif status in ("EXCEPTION", "RETURNED_TO_SENDER"):
            reason = rng.choice((
                "Delivery attempted; business closed",
                "Address information incomplete; carrier contacting receiver",
                "Consignee refused delivery",
                "Package damaged in transit; carrier inspecting",
            ))  # fmt: skip
            path += [*transit, out, ("EXCEPTION", reason, destination)]
            if status == "RETURNED_TO_SENDER":
                path.append(("RETURNED_TO_SENDER", "Returning to shipper", destination))
        span = max(int((end - start).total_seconds() // 60), len(path))
        offsets = [0]
        for i in range(1, len(path)):
            share = (i - 1 + rng.uniform(0.2, 0.8)) / max(1, len(path) - 1)
            offsets.append(max(offsets[-1] + 1, int(span * share)))
        if delivered is not None:
            offsets[-1] = span
        return tuple(
            TrackingEventRecord(code, text, where, start + timedelta(minutes=offset))
            for (code, text, where), offset in zip(path, offsets, strict=True)
        )

    # -- invoices -------------------------------------------------------------------------

    def _invoice(self) -> None:
        rng = self.rng
        drafts = []
        for shipment in self.shipments:
            order = self.orders[shipment.order_id]
            shipped = {line.sku: line.quantity for line in shipment.lines}
            lines = tuple(
                replace(line, quantity=shipped[line.sku])
                for line in order.lines
                if line.center_id == shipment.center_id and line.sku in shipped
            )
            room = self._until_now(shipment.shipped_at) - 5
            issued = shipment.shipped_at + self._minutes(min(30, room), min(240, room))
            drafts.append((issued, shipment, order, lines))
        drafts.sort(key=lambda d: (d[0], d[1].id))
        today = self.anchor.date()
        for n, (issued, shipment, order, lines) in enumerate(drafts, start=1):
            account = self.accounts[order.account_id]
            due = issued.date() + timedelta(days=_TERMS_DAYS[account.payment_terms])
            age_days = (self.anchor - issued).days
            if account.credit_hold and age_days < 150:
                status = "OPEN"  # overdue invoices are why the account is on hold
            elif due >= today:
                status = "PAID" if age_days > 7 and rng.random() < 0.3 else "OPEN"
            else:
                status = "OPEN" if age_days < 90 and rng.random() < 0.03 else "PAID"
            subtotal, tax, total = document_amounts(lines, order.tax_rate)
            self.invoices.append(
                InvoiceRecord(
                    id=str(300000 + n),
                    number=f"INV-{100000 + n}",
                    order_id=order.id,
                    account_id=order.account_id,
                    shipment_id=shipment.id,
                    status=status,
                    issued_at=issued,
                    due_date=due,
                    lines=lines,
                    subtotal=subtotal,
                    tax=tax,
                    total=total,
                )
            )

    # -- returns --------------------------------------------------------------------------

    def _returns(self, orders: Sequence[OrderRecord]) -> None:
        rng = self.rng
        delivered: dict[str, list[ShipmentRecord]] = defaultdict(list)
        for shipment in self.shipments:
            if shipment.delivered_at is not None:
                delivered[shipment.order_id].append(shipment)
        latest = self.anchor - timedelta(days=3)
        completed = [o for o in orders if o.status == "COMPLETED"]
        candidates = [
            o
            for o in completed
            if all(s.delivered_at is not None and s.delivered_at <= latest for s in delivered[o.id])
        ]
        drafts = [
            self._return(order, rng.choice(delivered[order.id]))
            for order in rng.sample(candidates, round(len(completed) * 0.04))
        ]
        drafts.sort(key=lambda d: (d.created_at, d.order.id))
        for n, draft in enumerate(drafts, start=1):
            ra = ReturnAuthorizationRecord(
                id=str(400000 + n),
                number=f"RMA-{100000 + n}",
                order_id=draft.order.id,
                account_id=draft.order.account_id,
                status=draft.status,
                decline_reason=draft.decline_reason,
                center_id=draft.shipment.center_id,
                created_at=draft.created_at,
                lines=draft.lines,
            )
            self.return_authorizations.append(ra)
            if draft.received_at is not None:
                self._receive(ra, draft)
        self.return_receipts.sort(key=lambda r: (r.received_at, r.return_authorization_id))
        self.return_receipts = [
            replace(r, id=f"RR-{1000001 + n}") for n, r in enumerate(self.return_receipts)
        ]
        self.credit_memos.sort(key=lambda m: (m.issued_at, m.return_authorization_id))
        self.credit_memos = [
            replace(m, id=str(500001 + n), number=f"CM-{100001 + n}")
            for n, m in enumerate(self.credit_memos)
        ]

    def _return(self, order: OrderRecord, shipment: ShipmentRecord) -> _Return:
        rng = self.rng
        assert shipment.delivered_at is not None
        picked = rng.sample(shipment.lines, min(len(shipment.lines), rng.choice((1, 1, 1, 2))))
        lines = []
        for line in picked:
            quantity = line.quantity
            if not (quantity <= 2 and rng.random() < 0.5):
                quantity = rng.randint(1, max(1, quantity // 2))
            reason = rng.choices(
                ("DAMAGED", "WRONG_ITEM", "NOT_NEEDED", "DEFECTIVE"), weights=(30, 20, 30, 20)
            )[0]
            lines.append(ReturnLineRecord(line.sku, quantity, reason))
        room = self._until_now(shipment.delivered_at)
        created = shipment.delivered_at + self._minutes(1440, min(30 * 1440, room - 1440))
        age_days = self._until_now(created) / 1440
        names, weights = next((s, w) for limit, s, w in _RETURN_BY_AGE if age_days < limit)
        status = rng.choices(names, weights=weights)[0]
        received = credited = None
        if status in ("RECEIVED", "CREDITED"):
            steps = (rng.randint(2, 10) * 1440, rng.randint(1, 4) * 1440)
            received, credited = self._fit(created, steps, self.anchor - timedelta(minutes=60))
            if status == "RECEIVED":
                credited = None
        return _Return(
            order=order,
            shipment=shipment,
            status=status,
            created_at=created,
            lines=tuple(lines),
            decline_reason=rng.choice(DECLINE_REASONS) if status == "DECLINED" else None,
            received_at=received,
            credited_at=credited,
        )

    def _receive(self, ra: ReturnAuthorizationRecord, draft: _Return) -> None:
        rng = self.rng
        assert draft.received_at is not None
        received = []
        for line in ra.lines:
            quantity = line.quantity if rng.random() < 0.9 else rng.randint(1, line.quantity)
            if draft.credited_at is not None:
                resellable = line.reason in ("NOT_NEEDED", "WRONG_ITEM")
                disposition = "RESTOCKED" if resellable else "NOT_RESTOCKED"
            else:
                disposition = rng.choices(
                    ("INSPECTION_REQUIRED", "RESTOCKED", "SCRAPPED"), weights=(60, 25, 15)
                )[0]
            received.append(ReturnReceiptLineRecord(line.sku, quantity, disposition))
        self.return_receipts.append(
            ReturnReceiptRecord(
                "", ra.id, ra.order_id, ra.center_id, draft.received_at, tuple(received)
            )
        )
        if draft.credited_at is None:
            return
        order = draft.order
        by_sku = {ln.sku: ln for ln in order.lines if ln.center_id == ra.center_id}
        lines = tuple(
            replace(by_sku[line.sku], quantity=line.quantity_received) for line in received
        )
        subtotal, tax, total = document_amounts(lines, order.tax_rate)
        self.credit_memos.append(
            CreditMemoRecord(
                "", "", order.id, order.account_id, ra.id, draft.credited_at, lines,
                subtotal, tax, total,
            )
        )  # fmt: skip

    # -- inventory ------------------------------------------------------------------------

    def _stock(self) -> None:
        rng = self.rng
        allocated: dict[tuple[str, str], int] = defaultdict(int)
        for fo in self.fulfillment_orders:
            if fo.status in OPEN_FULFILLMENT_STATUSES:
                for line in fo.lines:
                    allocated[line.sku, fo.center_id] += line.quantity
        size = {"ATL1": 1.0, "EWR1": 0.9, "ORD1": 1.2, "RNO1": 0.7}
        active = [i for i, p in enumerate(self.products) if p.active]
        stockouts = set(rng.sample(active, round(len(active) * 0.025)))
        today = self.anchor.date()
        for index, item in enumerate(self.products):
            base = self._stocking_level(item.list_price)
            restocked_at = rng.choice(list(self.centers))
            for center in self.centers:
                reserved = allocated[item.sku, center]
                incoming = 0
                if not item.active:
                    spare = 0 if rng.random() < 0.7 else rng.randint(1, 20)
                elif index in stockouts:
                    spare = 0
                    if center == restocked_at or rng.random() < 0.6:
                        incoming = max(1, int(base * rng.uniform(0.3, 1.0)))
                else:
                    roll = rng.random()
                    if roll < 0.07:
                        spare, restock = 0, 0.7
                    elif roll < 0.18:
                        spare, restock = rng.randint(1, max(1, base // 20)), 0.5
                    else:
                        spare = int(base * size[center] * rng.uniform(0.5, 1.8)) + 1
                        restock = 0.12
                    if rng.random() < restock:
                        incoming = max(1, int(base * rng.uniform(0.3, 1.0)))
                arrives = today + timedelta(days=rng.randint(2, 35)) if incoming else None
                self.inventory.append(
                    InventoryRecord(item.sku, center, reserved + spare, reserved, incoming, arrives)
                )

    def _stocking_level(self, price: Decimal) -> int:
        rng = self.rng
        for ceiling, low, high in ((5, 400, 4000), (25, 120, 1500), (150, 25, 400), (600, 6, 80)):
            if price < ceiling:
                return rng.randint(low, high)
        return rng.randint(1, 20)

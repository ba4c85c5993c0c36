"""Build the demo world: one distributor's last 18 months, consistent across CRM, ERP and WMS.

``build_world(seed)`` is deterministic: it draws from one ``random.Random(seed)`` and never
iterates an unordered collection, so every process that builds a seed gets the same records.
The history ends at ``anchor`` ("now"); only incoming supply is dated after it. Parties, the
catalog, prices, orders and credit are drawn here; what became of the orders (fulfillment,
shipments, invoices, returns, inventory) is in ``systems.world_logistics``, what customers
opened cases about in ``systems.world_cases``, and the words all of it is made of in
``systems.world_names``.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from itertools import accumulate

from systems.world_cases import draw_cases
from systems.world_logistics import Logistics, document_amounts
from systems.world_names import (
    BRANDS,
    CATALOG,
    CENTERS,
    CITIES,
    COMPANY_DESCRIPTORS,
    COMPANY_FEATURES,
    COMPANY_PLACES,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    NEAREST_CENTER,
    SALES_REPS,
    STREET_NAMES,
    STREET_SUFFIXES,
    TAX_RATES,
    TITLES,
    UOM_WORDS,
    City,
)
from systems.world_records import (
    REGIONS,
    AccountRecord,
    Address,
    ContactRecord,
    DistributionCenterRecord,
    InvoiceRecord,
    OrderLineRecord,
    OrderRecord,
    PriceListEntryRecord,
    PriceListRecord,
    ProductRecord,
    QuantityBreakRecord,
    World,
)

__all__ = [
    "DEFAULT_ANCHOR",
    "OPEN_ORDER_STATUSES",
    "PRICE_LISTS",
    "build_world",
    "credit_exposures",
    "document_amounts",
    "unit_price",
]

DEFAULT_ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)

ACCOUNT_COUNT = 520
PRODUCT_COUNT = 2200
ORDER_COUNT = 5200
HISTORY_DAYS = 548

# Orders the customer is committed to but has not been fully billed for (the ERP's words).
OPEN_ORDER_STATUSES = ("SUBMITTED", "ON_HOLD", "CONFIRMED")

_CENT = Decimal("0.01")
_GRAM = Decimal("0.001")

PRICE_LISTS = (
    PriceListRecord("PL-STD", "Standard", Decimal("0")),
    PriceListRecord("PL-SILVER", "Silver", Decimal("3")),
    PriceListRecord("PL-GOLD", "Gold", Decimal("6")),
    PriceListRecord("PL-PLATINUM", "Platinum", Decimal("10")),
    PriceListRecord("PL-CONTRACT", "Contract", Decimal("4")),
)
_TIER_PRICE_LIST = {"BRONZE": "PL-STD", "SILVER": "PL-SILVER", "GOLD": "PL-GOLD",
                    "PLATINUM": "PL-PLATINUM"}  # fmt: skip
# How many customer-specific prices each list carries, and how much deeper than its discount.
_ENTRIES = {"PL-STD": (250, 2, 6), "PL-SILVER": (350, 2, 7), "PL-GOLD": (500, 2, 8),
            "PL-PLATINUM": (650, 2, 8), "PL-CONTRACT": (1250, 8, 21)}  # fmt: skip

_SEGMENTS = ("ENTERPRISE", "MID_MARKET", "SMALL_BUSINESS")
_TIERS = ("PLATINUM", "GOLD", "SILVER", "BRONZE")
_TIER_WEIGHTS = {"ENTERPRISE": (45, 45, 10, 0), "MID_MARKET": (5, 35, 45, 15),
                 "SMALL_BUSINESS": (0, 5, 35, 60)}  # fmt: skip
_TERMS = {
    "ENTERPRISE": (("NET_30", "NET_45", "NET_60"), (30, 40, 30)),
    "MID_MARKET": (("NET_15", "NET_30", "NET_45"), (10, 70, 20)),
    "SMALL_BUSINESS": (("DUE_ON_RECEIPT", "NET_15", "NET_30"), (20, 25, 55)),
}
# Credit limits by segment: (lowest, highest, step) in dollars.
_CREDIT = {"ENTERPRISE": (250_000, 1_000_000, 5000), "MID_MARKET": (50_000, 250_000, 2500),
           "SMALL_BUSINESS": (5_000, 50_000, 500)}  # fmt: skip
_LEGAL_SUFFIXES = ("Inc.", "LLC", "Co.", "Corp.")
_ORDER_WEIGHT = {"ENTERPRISE": 6.0, "MID_MARKET": 2.2, "SMALL_BUSINESS": 0.8}

# Order status by the order's age in days: (younger than, statuses, weights).
_STATUS_BY_AGE: tuple[tuple[float, tuple[str, ...], tuple[float, ...]], ...] = (
    (2, ("DRAFT", "SUBMITTED", "ON_HOLD", "CONFIRMED", "CANCELLED"), (12, 20, 8, 58, 2)),
    (7, ("DRAFT", "SUBMITTED", "ON_HOLD", "CONFIRMED", "COMPLETED", "CANCELLED"),
     (4, 3, 7, 76, 8, 2)),
    (21, ("DRAFT", "ON_HOLD", "CONFIRMED", "COMPLETED", "CANCELLED"), (1, 4, 40, 52, 3)),
    (45, ("ON_HOLD", "CONFIRMED", "COMPLETED", "CANCELLED"), (1, 3, 92, 4)),
    (HISTORY_DAYS + 1, ("COMPLETED", "CANCELLED"), (95.5, 4.5)),
)  # fmt: skip


def _discounted(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * (100 - percent) / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def unit_price(
    list_price: Decimal,
    discount_percent: Decimal,
    entry_price: Decimal | None,
    breaks: Sequence[QuantityBreakRecord],
    quantity: int,
) -> Decimal:
    """A customer's unit price, as the ERP prices it.

    The price list's entry for the item if it has one, else the list price less the price
    list's discount; then the largest quantity break reached takes its percentage off. Every
    step rounds to the cent, half up.
    """
    if entry_price is not None:
        price = entry_price
    elif discount_percent:
        price = _discounted(list_price, discount_percent)
    else:
        price = list_price
    reached = [b for b in breaks if b.min_quantity <= quantity]
    if reached:
        price = _discounted(price, max(reached, key=lambda b: b.min_quantity).discount_percent)
    return price


def credit_exposures(
    orders: Iterable[OrderRecord], invoices: Iterable[InvoiceRecord]
) -> dict[str, Decimal]:
    """Each account's credit exposure: its open invoices plus the unbilled part of its open
    orders (submitted, on hold or confirmed), the way the ERP reports it."""
    exposure: dict[str, Decimal] = defaultdict(Decimal)
    invoiced: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        invoiced[invoice.order_id] += invoice.total
        if invoice.status == "OPEN":
            exposure[invoice.account_id] += invoice.total
    for order in orders:
        if order.status in OPEN_ORDER_STATUSES:
            total = document_amounts(order.lines, order.tax_rate)[2]
            exposure[order.account_id] += max(total - invoiced[order.id], Decimal("0"))
    return {account: amount.quantize(_CENT) for account, amount in exposure.items()}


def build_world(seed: int, *, anchor: datetime = DEFAULT_ANCHOR) -> World:
    """The demo history for ``seed``, ending at ``anchor`` (an aware datetime)."""
    if anchor.tzinfo is None:
        raise ValueError("anchor must be timezone-aware")
    return _Builder(seed, anchor.astimezone(UTC)).build()


class _Builder:
    """Draws the world in dependency order; every draw comes from ``self.rng``."""

    def __init__(self, seed: int, anchor: datetime) -> None:
        self.seed = seed
        self.anchor = anchor
        self.rng = random.Random(seed)
        self.cities: dict[str, list[City]] = {region: [] for region in REGIONS}
        for city in CITIES:
            self.cities[city.region].append(city)

    def build(self) -> World:
        centers = tuple(
            DistributionCenterRecord(
                code, name, region, Address(street, city, state, zip_code, "US", region), tz
            )
            for code, name, street, city, state, zip_code, region, tz in CENTERS
        )
        accounts = self._accounts()
        contacts = self._contacts(accounts)
        products = self._products()
        entries, breaks = self._pricing(products)
        orders = self._orders(accounts, products, entries, breaks)
        logistics = Logistics(self.rng, self.anchor, centers, accounts, products)
        logistics.run(orders)
        cases = draw_cases(
            self.rng, self.anchor, accounts, contacts, products, orders,
            logistics.shipments, logistics.invoices, logistics.return_authorizations,
        )  # fmt: skip
        accounts = self._credit_limits(accounts, orders, logistics.invoices)
        return World(
            seed=self.seed,
            anchor=self.anchor,
            centers=centers,
            price_lists=PRICE_LISTS,
            accounts=tuple(accounts),
            contacts=tuple(contacts),
            products=tuple(products),
            price_list_entries=tuple(entries),
            quantity_breaks=tuple(breaks),
            inventory=tuple(logistics.inventory),
            orders=tuple(orders),
            fulfillment_orders=tuple(logistics.fulfillment_orders),
            shipments=tuple(logistics.shipments),
            invoices=tuple(logistics.invoices),
            return_authorizations=tuple(logistics.return_authorizations),
            return_receipts=tuple(logistics.return_receipts),
            credit_memos=tuple(logistics.credit_memos),
            cases=tuple(cases),
        )

    # -- parties --------------------------------------------------------------------------

    def _address(self, city: City) -> Address:
        rng = self.rng
        street = (
            f"{rng.randint(100, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
        )
        if rng.random() < 0.2:
            street += f", Suite {rng.randint(1, 6) * 100 + rng.randint(0, 20)}"
        return Address(street, city.name, city.state, city.postal_code, "US", city.region)

    def _phone(self, city: City) -> str:
        return f"({city.area_code}) 555-{self.rng.randint(100, 199):04d}"

    def _company_name(self, industry_index: int, city: City, taken: set[str]) -> str:
        rng = self.rng
        industry = INDUSTRIES[industry_index]
        while True:
            noun = rng.choice(industry.nouns)
            roll = rng.random()
            if roll < 0.42:
                base = f"{rng.choice(COMPANY_DESCRIPTORS)} {noun}"
            elif roll < 0.62:
                second = rng.choice(COMPANY_FEATURES)
                base = f"{rng.choice(COMPANY_DESCRIPTORS)} {second} {noun}"
            elif roll < 0.78:
                base = f"{rng.choice(COMPANY_PLACES[city.region])} {noun}"
            elif roll < 0.9 and industry.corporate:
                first, second = rng.sample(LAST_NAMES, 2)
                base = f"{first} & {second} {noun}"
            else:
                base = f"{city.name} {noun}"
            if base not in taken:
                taken.add(base)
                break
        if industry.corporate:
            base += rng.choice(("", "", " Inc.", *(f" {suffix}" for suffix in _LEGAL_SUFFIXES)))
        return base

    def _accounts(self) -> list[AccountRecord]:
        rng = self.rng
        numbers = range(1, ACCOUNT_COUNT + 1)
        on_hold = set(rng.sample(numbers, round(ACCOUNT_COUNT * 0.04)))
        inactive = set(rng.sample(numbers, round(ACCOUNT_COUNT * 0.03)))
        taken: set[str] = set()
        industry_weights = (18, 14, 7, 6, 5, 5, 5, 9, 7, 8, 5, 3, 6)
        accounts = []
        for n in numbers:
            region = rng.choices(REGIONS, weights=(22, 24, 24, 14, 16))[0]
            city = rng.choice(self.cities[region])
            industry = rng.choices(range(len(INDUSTRIES)), weights=industry_weights)[0]
            segment = rng.choices(_SEGMENTS, weights=(12, 38, 50))[0]
            tier = rng.choices(_TIERS, weights=_TIER_WEIGHTS[segment])[0]
            price_list = _TIER_PRICE_LIST[tier]
            if segment != "SMALL_BUSINESS" and rng.random() < 0.15:
                price_list = "PL-CONTRACT"
            terms, weights = _TERMS[segment]
            low, high, step = _CREDIT[segment]
            limit = rng.randint(low // step, high // step) * step
            accounts.append(
                AccountRecord(
                    id=f"001CD{n:010d}AAA",
                    number=f"ACC-{10000 + n}",
                    name=self._company_name(industry, city, taken),
                    segment=segment,
                    region=region,
                    tier=tier,
                    owner=rng.choice(SALES_REPS[region]),
                    industry=INDUSTRIES[industry].name,
                    phone=self._phone(city),
                    active=n not in inactive,
                    billing_address=self._address(city),
                    created_at=self.anchor
                    - timedelta(
                        days=rng.randint(HISTORY_DAYS + 30, 4200), minutes=rng.randint(0, 900)
                    ),
                    erp_id=str(1000 + n),
                    customer_code=f"C{10000 + n}",
                    payment_terms=rng.choices(terms, weights=weights)[0],
                    credit_limit=Decimal(limit).quantize(_CENT),
                    credit_hold=n in on_hold,
                    price_list_id=price_list,
                )
            )
        return accounts

    def _contacts(self, accounts: Sequence[AccountRecord]) -> list[ContactRecord]:
        rng = self.rng
        contacts: list[ContactRecord] = []
        buyers = ("Purchasing Manager", "Buyer", "Senior Buyer", "Procurement Director")
        for account in accounts:
            count = rng.choices((1, 2, 3, 4), weights=(30, 35, 22, 13))[0]
            if account.segment == "ENTERPRISE":
                count = min(4, count + 1)
            words = [w for w in account.name.split() if w not in _LEGAL_SUFFIXES]
            domain = "".join(ch for ch in "".join(words[:3]).lower() if ch.isalnum()) + ".com"
            area = account.phone[1:4]
            seen: set[str] = set()
            while len(seen) < count:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                local = "".join(ch for ch in f"{first[0]}{last}".lower() if ch.isalnum())
                if local in seen:
                    continue
                seen.add(local)
                primary = len(seen) == 1
                phone = f"({area}) 555-{rng.randint(100, 199):04d}"
                if rng.random() < 0.4:
                    phone += f" x{rng.randint(100, 499)}"
                contacts.append(
                    ContactRecord(
                        id=f"003CD{len(contacts) + 1:010d}AAA",
                        account_id=account.id,
                        first_name=first,
                        last_name=last,
                        title=rng.choice(buyers) if primary else rng.choice(TITLES),
                        email=f"{local}@{domain}",
                        phone=phone,
                        primary=primary,
                    )
                )
        return contacts

    # -- catalog --------------------------------------------------------------------------

    def _products(self) -> list[ProductRecord]:
        rng = self.rng
        pool = [
            (kind, brand, combo)
            for kind in CATALOG
            for brand in BRANDS[kind.category]
            for combo in itertools.product(*(enumerate(axis) for axis in kind.axes))
        ]
        picked = sorted(rng.sample(range(len(pool)), PRODUCT_COUNT))
        inactive = set(rng.sample(range(PRODUCT_COUNT), round(PRODUCT_COUNT * 0.03)))
        products = []
        for n, index in enumerate(picked, start=1):
            kind, brand, combo = pool[index]
            options = [option for _, option in combo]
            last_position, _ = combo[-1]
            size = len(kind.axes[-1])
            # Bigger options cost and weigh more: the last axis runs from smallest to largest.
            scale = last_position / (size - 1) if size > 1 else rng.random()
            t = 0.75 * scale + 0.25 * rng.random()
            low, high = Decimal(kind.price[0]), Decimal(kind.price[1])
            price = (low * (high / low) ** Decimal(t)).quantize(_CENT, rounding=ROUND_HALF_UP)
            w_low, w_high = Decimal(kind.weight[0]), Decimal(kind.weight[1])
            tw = Decimal(0.85 * t + 0.15 * rng.random())
            weight = max((w_low * (w_high / w_low) ** tw).quantize(_GRAM), _GRAM)
            name = f"{brand} {kind.noun}, {', '.join(options)}"
            products.append(
                ProductRecord(
                    sku=f"SKU-{10000 + n}",
                    erp_id=str(50000 + n),
                    name=name,
                    description=f"{kind.blurb} {kind.noun} by {brand}: {', '.join(options)}. "
                    f"Sold by the {UOM_WORDS[kind.uom]}.",
                    category=kind.category,
                    unit_of_measure=kind.uom,
                    list_price=price,
                    weight_kg=weight,
                    active=n - 1 not in inactive,
                )
            )
        return products

    def _pricing(
        self, products: Sequence[ProductRecord]
    ) -> tuple[list[PriceListEntryRecord], list[QuantityBreakRecord]]:
        rng = self.rng
        entries = []
        for price_list in PRICE_LISTS:
            count, deeper_low, deeper_high = _ENTRIES[price_list.id]
            for index in sorted(rng.sample(range(len(products)), count)):
                item = products[index]
                percent = price_list.discount_percent + Decimal(
                    rng.randint(deeper_low, deeper_high)
                )
                price = min(_discounted(item.list_price, percent), item.list_price - _CENT)
                if price >= _CENT:
                    entries.append(PriceListEntryRecord(price_list.id, item.sku, price))
        breaks = []
        for item in products:
            if rng.random() >= 0.4:
                continue
            if item.list_price < 10:
                ladder = ((25, 3), (100, 7), (500, 12))
            elif item.list_price < 250:
                ladder = ((10, 3), (50, 7), (250, 12))
            else:
                ladder = ((5, 2), (10, 5), (25, 8))
            for minimum, off in ladder:
                breaks.append(QuantityBreakRecord(item.sku, minimum, Decimal(off)))
        return entries, breaks

    # -- orders ---------------------------------------------------------------------------

    def _placed_times(self) -> list[datetime]:
        rng = self.rng
        midnight = datetime.combine(self.anchor.date(), time(), UTC)
        latest = self.anchor - timedelta(minutes=40)
        times = []
        for _ in range(ORDER_COUNT):
            # The business grows: half again as many orders a day now as 18 months ago.
            days_back = rng.randint(0, HISTORY_DAYS - 1)
            while rng.random() * 1.5 > 1.5 - 0.5 * days_back / HISTORY_DAYS:
                days_back = rng.randint(0, HISTORY_DAYS - 1)
            # Business hours in the US (13:00-23:30 UTC), mostly on weekdays.
            placed = midnight - timedelta(days=days_back)
            placed += timedelta(minutes=rng.randint(13 * 60, 23 * 60 + 30))
            if placed.weekday() >= 5 and rng.random() < 0.8:
                placed -= timedelta(days=placed.weekday() - 4)
            while placed > latest:
                placed -= timedelta(days=1)
            times.append(placed)
        return sorted(times)

    def _orders(
        self,
        accounts: Sequence[AccountRecord],
        products: Sequence[ProductRecord],
        entries: Sequence[PriceListEntryRecord],
        breaks: Sequence[QuantityBreakRecord],
    ) -> list[OrderRecord]:
        rng = self.rng
        weights = [_ORDER_WEIGHT[a.segment] * rng.uniform(0.4, 1.6) for a in accounts]
        everyone = list(accumulate(weights))
        active = [a for a in accounts if a.active]
        active_weights = list(
            accumulate(w for a, w in zip(accounts, weights, strict=True) if a.active)
        )
        styles = {a.id: rng.randrange(4) for a in accounts}
        discounts = {pl.id: pl.discount_percent for pl in PRICE_LISTS}
        entry_prices = {(e.price_list_id, e.sku): e.unit_price for e in entries}
        ladders: dict[str, list[QuantityBreakRecord]] = defaultdict(list)
        for b in breaks:
            ladders[b.sku].append(b)
        picker = _ProductPicker(rng, products)
        industries = {industry.name: industry.categories for industry in INDUSTRIES}
        orders = []
        for n, placed in enumerate(self._placed_times(), start=1):
            age_days = (self.anchor - placed).total_seconds() / 86400
            if age_days < 180:  # inactive accounts stopped ordering a while ago
                account = rng.choices(active, cum_weights=active_weights)[0]
            else:
                account = rng.choices(accounts, cum_weights=everyone)[0]
            status, hold_reason = self._status(age_days, account)
            if rng.random() < 0.85:
                ship_to = account.billing_address
            else:
                ship_to = self._address(rng.choice(self.cities[account.region]))
            home = NEAREST_CENTER[ship_to.state]
            count = rng.choices((1, 2, 3, 4, 5, 6), weights=(30, 25, 18, 12, 9, 6))[0]
            skus = picker.pick(industries[account.industry], count)
            centers = [home] * count
            if rng.random() < 0.03:  # shipped in full from another center
                centers = [rng.choice([c[0] for c in CENTERS if c[0] != home])] * count
            elif count > 1 and rng.random() < 0.16:  # split: some lines from a second center
                other = rng.choice([c[0] for c in CENTERS if c[0] != home])
                for i in range(rng.randint(1, count - 1)):
                    centers[count - 1 - i] = other
            lines = []
            for number, (item, center) in enumerate(zip(skus, centers, strict=True), start=1):
                quantity = self._quantity(item.list_price, account.segment)
                price = unit_price(
                    item.list_price,
                    discounts[account.price_list_id],
                    entry_prices.get((account.price_list_id, item.sku)),
                    ladders.get(item.sku, ()),
                    quantity,
                )
                lines.append(OrderLineRecord(number, item.sku, quantity, price, center))
            requested = placed.date() + timedelta(days=rng.randint(3, 14))
            promised = None
            if status != "DRAFT":
                promised = max(requested, placed.date() + timedelta(days=rng.randint(2, 6)))
            orders.append(
                OrderRecord(
                    id=str(200000 + n),
                    number=f"SO-{100000 + n}",
                    account_id=account.id,
                    status=status,
                    hold_reason=hold_reason,
                    currency="USD",
                    customer_po=self._customer_po(account, styles[account.id], placed),
                    ship_to=ship_to,
                    placed_at=placed,
                    requested_delivery_date=requested,
                    promised_date=promised,
                    tax_rate=TAX_RATES[ship_to.state],
                    lines=tuple(lines),
                )
            )
        return orders

    def _status(self, age_days: float, account: AccountRecord) -> tuple[str, str | None]:
        rng = self.rng
        statuses, weights = next((s, w) for limit, s, w in _STATUS_BY_AGE if age_days < limit)
        status = rng.choices(statuses, weights=weights)[0]
        if account.credit_hold and (
            status == "ON_HOLD" or (age_days < 30 and status not in ("DRAFT", "CANCELLED"))
        ):
            return "ON_HOLD", "CREDIT"
        if status == "ON_HOLD":
            return status, rng.choices(("MANUAL_REVIEW", "PRICING"), weights=(60, 40))[0]
        return status, None

    def _quantity(self, price: Decimal, segment: str) -> int:
        rng = self.rng
        if price < 5:
            quantity = rng.choice((10, 12, 20, 24, 25, 50, 100, 200, 250))
        elif price < 25:
            quantity = rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 24, 25, 50))
        elif price < 150:
            quantity = rng.randint(1, 12)
        elif price < 600:
            quantity = rng.randint(1, 4)
        else:
            quantity = rng.randint(1, 2)
        if segment == "ENTERPRISE" and price < 600:
            quantity *= rng.choice((1, 1, 2, 3))
        return quantity

    def _customer_po(self, account: AccountRecord, style: int, placed: datetime) -> str:
        rng = self.rng
        if style == 0:
            return f"PO-{rng.randint(10000, 99999)}"
        if style == 1:
            return f"45{rng.randint(0, 99_999_999):08d}"
        if style == 2:
            initials = "".join(word[0] for word in account.name.split()[:2] if word[0].isalpha())
            return f"{initials.upper()}{placed:%y%m}-{rng.randint(1, 999):03d}"
        return str(rng.randint(100000, 999999))

    # -- credit ---------------------------------------------------------------------------

    def _credit_limits(
        self,
        accounts: Sequence[AccountRecord],
        orders: Sequence[OrderRecord],
        invoices: Sequence[InvoiceRecord],
    ) -> list[AccountRecord]:
        """Limits that agree with exposure: a few accounts near theirs, none past it unless on
        credit hold (an over-limit account would be on hold)."""
        rng = self.rng
        exposures = credit_exposures(orders, invoices)
        zero = Decimal("0")
        candidates = sorted(
            (
                a
                for a in accounts
                if a.active and not a.credit_hold and a.segment == "SMALL_BUSINESS"
            ),
            key=lambda a: (-exposures.get(a.id, zero), a.id),
        )
        near = {a.id for a in candidates[:8]}
        result = []
        for account in accounts:
            exposure = exposures.get(account.id, zero)
            limit = account.credit_limit
            if account.id in near:
                limit = _round_up(exposure / Decimal(rng.uniform(0.90, 0.97)), 100)
                limit = max(limit, exposure + 100)
            elif not account.credit_hold and exposure > limit * Decimal("0.85"):
                step = _CREDIT[account.segment][2]
                limit = _round_up(exposure * Decimal(rng.uniform(1.4, 2.2)), step)
            result.append(replace(account, credit_limit=limit))
        return result


def _round_up(amount: Decimal, step: int) -> Decimal:
    return ((amount / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(_CENT)


class _ProductPicker:
    """Draws distinct active products, favouring best sellers and a buyer's categories."""

    def __init__(self, rng: random.Random, products: Sequence[ProductRecord]) -> None:
        self.rng = rng
        self.all: list[ProductRecord] = []
        self.by_category: dict[str, list[ProductRecord]] = defaultdict(list)
        popularity: dict[str, float] = {}
        for item in products:
            popularity[item.sku] = rng.paretovariate(1.3)
            if item.active:
                self.all.append(item)
                self.by_category[item.category].append(item)
        self.cum_all = list(accumulate(popularity[p.sku] for p in self.all))
        self.cum_by_category = {
            category: list(accumulate(popularity[p.sku] for p in items))
            for category, items in self.by_category.items()
        }

    def pick(self, favourites: Sequence[str], count: int) -> list[ProductRecord]:
        rng = self.rng
        picked: dict[str, ProductRecord] = {}
        while len(picked) < count:
            if rng.random() < 0.7:
                category = rng.choice(favourites)
                item = rng.choices(
                    self.by_category[category], cum_weights=self.cum_by_category[category]
                )[0]
            else:
                item = rng.choices(self.all, cum_weights=self.cum_all)[0]
            picked.setdefault(item.sku, item)
        return list(picked.values())

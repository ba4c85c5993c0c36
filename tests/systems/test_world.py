"""The demo world: its size, determinism, and that what CRM, ERP and WMS are seeded with agrees."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from systems.world import (
    DEFAULT_ANCHOR,
    OPEN_ORDER_STATUSES,
    PRICE_LISTS,
    build_world,
    credit_exposures,
    unit_price,
)
from systems.world_logistics import OPEN_FULFILLMENT_STATUSES, document_amounts
from systems.world_records import REGIONS, OrderRecord, ShipmentRecord, World

SEED = 7  # the seed tests/conftest.py builds its session-wide ``world`` with

ORDER_STATUSES = {"DRAFT", "SUBMITTED", "ON_HOLD", "CONFIRMED", "COMPLETED", "CANCELLED"}
SHIPMENT_STATUSES = {
    "LABEL_CREATED",
    "PICKED_UP",
    "IN_TRANSIT",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
    "DELAYED",
    "EXCEPTION",
    "RETURNED_TO_SENDER",
}
MONEY_FIELDS = {"unit_price", "list_price", "credit_limit", "subtotal", "tax", "total"}
TRACKING_SHAPES = {
    "UPS": re.compile(r"1Z[0-9A-Z]{16}"),
    "FEDEX": re.compile(r"\d{12}"),
    "USPS": re.compile(r"\d{22}"),
    "XPO": re.compile(r"XPO\d{9}"),
}


@pytest.fixture(scope="module")
def other() -> World:
    """A world built from another seed."""
    return build_world(SEED + 1)


def _leaves(value: object, name: str = "") -> Iterator[tuple[str, object]]:
    """Every (field name, value) under ``value``, through records and tuples."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _leaves(getattr(value, field.name), field.name)
    elif isinstance(value, tuple):
        for item in value:
            yield from _leaves(item, name)
    else:
        yield name, value


def _shipments_by_order(world: World) -> dict[str, list[ShipmentRecord]]:
    by_order: dict[str, list[ShipmentRecord]] = defaultdict(list)
    for shipment in world.shipments:
        by_order[shipment.order_id].append(shipment)
    return by_order


# -- size and determinism -------------------------------------------------------------------


def test_the_world_has_the_promised_size(world: World) -> None:
    assert [c.id for c in world.centers] == ["ATL1", "EWR1", "ORD1", "RNO1"]
    assert 4 <= len(world.price_lists) <= 5
    assert len(world.accounts) >= 500
    assert len(world.products) >= 2000
    assert len(world.orders) >= 5000
    assert len(world.cases) >= 1500
    assert len(world.price_list_entries) >= 2000
    assert len(world.inventory) == len(world.products) * len(world.centers)
    assert len(world.contacts) >= len(world.accounts)
    assert len(world.return_authorizations) >= 100
    assert world.anchor == DEFAULT_ANCHOR


def test_the_same_seed_builds_the_same_world(world: World) -> None:
    assert build_world(SEED) == world


def test_another_seed_builds_another_world(world: World, other: World) -> None:
    assert other != world
    assert [a.name for a in other.accounts] != [a.name for a in world.accounts]
    assert [o.lines for o in other.orders] != [o.lines for o in world.orders]


def test_the_anchor_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_world(SEED, anchor=datetime(2026, 11, 1))


def test_ids_and_numbers_are_unique(world: World) -> None:
    columns: dict[str, list[object]] = {
        "account id": [a.id for a in world.accounts],
        "account number": [a.number for a in world.accounts],
        "account erp id": [a.erp_id for a in world.accounts],
        "customer code": [a.customer_code for a in world.accounts],
        "account name": [a.name for a in world.accounts],
        "contact": [c.id for c in world.contacts],
        "sku": [p.sku for p in world.products],
        "product erp id": [p.erp_id for p in world.products],
        "product name": [p.name for p in world.products],
        "price list": [p.id for p in world.price_lists],
        "price list entry": [(e.price_list_id, e.sku) for e in world.price_list_entries],
        "quantity break": [(b.sku, b.min_quantity) for b in world.quantity_breaks],
        "inventory": [(i.sku, i.center_id) for i in world.inventory],
        "order id": [o.id for o in world.orders],
        "order number": [o.number for o in world.orders],
        "fulfillment order": [f.id for f in world.fulfillment_orders],
        "fulfillment per center": [(f.order_id, f.center_id) for f in world.fulfillment_orders],
        "shipment": [s.id for s in world.shipments],
        "tracking number": [s.tracking_number for s in world.shipments],
        "invoice id": [i.id for i in world.invoices],
        "invoice number": [i.number for i in world.invoices],
        "return id": [r.id for r in world.return_authorizations],
        "return number": [r.number for r in world.return_authorizations],
        "receipt": [r.id for r in world.return_receipts],
        "credit memo id": [m.id for m in world.credit_memos],
        "credit memo number": [m.number for m in world.credit_memos],
        "case id": [c.id for c in world.cases],
        "case number": [c.case_number for c in world.cases],
    }
    for column, values in columns.items():
        assert len(values) == len(set(values)), column


def test_ids_have_the_systems_shapes(world: World) -> None:
    assert all(re.fullmatch(r"001CD\d{10}AAA", a.id) for a in world.accounts)
    assert all(re.fullmatch(r"003CD\d{10}AAA", c.id) for c in world.contacts)
    assert all(re.fullmatch(r"500CD\d{10}AAA", c.id) for c in world.cases)
    assert all(re.fullmatch(r"\d{8}", c.case_number) for c in world.cases)
    assert world.accounts[0].number == "ACC-10001"
    assert world.accounts[0].customer_code == "C10001"
    assert world.products[0].sku == "SKU-10001"
    assert world.orders[0].number == "SO-100001"
    assert world.fulfillment_orders[0].id == "FO-1000001"
    assert world.shipments[0].id == "SH-1000001"
    assert world.invoices[0].number == "INV-100001"
    assert world.return_authorizations[0].number == "RMA-100001"
    assert world.return_receipts[0].id == "RR-1000001"
    assert world.credit_memos[0].number == "CM-100001"
    assert world.cases[0].case_number == "00001001"


# -- references -----------------------------------------------------------------------------


def test_every_reference_resolves(world: World) -> None:
    accounts = {a.id for a in world.accounts}
    contacts = {c.id: c for c in world.contacts}
    skus = {p.sku for p in world.products}
    centers = {c.id for c in world.centers}
    price_lists = {p.id for p in world.price_lists}
    orders = {o.id: o for o in world.orders}
    fulfillment = {f.id: f for f in world.fulfillment_orders}
    shipments = {s.id: s for s in world.shipments}
    returns = {r.id: r for r in world.return_authorizations}

    assert all(a.price_list_id in price_lists for a in world.accounts)
    assert all(c.account_id in accounts for c in world.contacts)
    assert all(e.price_list_id in price_lists and e.sku in skus for e in world.price_list_entries)
    assert all(b.sku in skus for b in world.quantity_breaks)
    assert all(i.sku in skus and i.center_id in centers for i in world.inventory)
    for order in world.orders:
        assert order.account_id in accounts
        assert all(ln.sku in skus and ln.center_id in centers for ln in order.lines)
    for fo in world.fulfillment_orders:
        assert fo.center_id in centers
        assert orders[fo.order_id].number == fo.order_number
    for shipment in world.shipments:
        fo = fulfillment[shipment.fulfillment_order_id]
        assert (shipment.order_id, shipment.center_id) == (fo.order_id, fo.center_id)
    for invoice in world.invoices:
        shipment = shipments[invoice.shipment_id]
        assert invoice.order_id == shipment.order_id
        assert invoice.account_id == orders[invoice.order_id].account_id
    for ra in world.return_authorizations:
        assert ra.account_id == orders[ra.order_id].account_id
        assert ra.center_id in centers
    for receipt in world.return_receipts:
        ra = returns[receipt.return_authorization_id]
        assert (receipt.order_id, receipt.center_id) == (ra.order_id, ra.center_id)
    for memo in world.credit_memos:
        ra = returns[memo.return_authorization_id]
        assert (memo.order_id, memo.account_id) == (ra.order_id, ra.account_id)
    for case in world.cases:
        assert case.account_id in accounts
        assert case.contact_id is not None
        assert contacts[case.contact_id].account_id == case.account_id
        if case.order_id is not None:
            order = orders[case.order_id]
            assert order.account_id == case.account_id
            assert order.number == case.order_number
            assert case.created_at > order.placed_at
        else:
            assert case.order_number is None


# -- parties --------------------------------------------------------------------------------


def test_accounts_span_regions_segments_and_credit(world: World) -> None:
    assert {a.region for a in world.accounts} == set(REGIONS)
    assert {a.billing_address.region for a in world.accounts} == set(REGIONS)
    assert all(a.billing_address.region == a.region for a in world.accounts)
    assert {a.segment for a in world.accounts} == {"ENTERPRISE", "MID_MARKET", "SMALL_BUSINESS"}
    assert {a.tier for a in world.accounts} == {"PLATINUM", "GOLD", "SILVER", "BRONZE"}
    inactive = sum(not a.active for a in world.accounts)
    on_hold = sum(a.credit_hold for a in world.accounts)
    assert 0.02 <= inactive / len(world.accounts) <= 0.05
    assert 0.03 <= on_hold / len(world.accounts) <= 0.06
    assert all(a.created_at < world.orders[0].placed_at for a in world.accounts)


def test_each_account_has_one_primary_contact(world: World) -> None:
    contacts = Counter(c.account_id for c in world.contacts)
    primaries = Counter(c.account_id for c in world.contacts if c.primary)
    assert set(contacts) == {a.id for a in world.accounts}
    assert all(1 <= n <= 4 for n in contacts.values())
    assert all(primaries[a.id] == 1 for a in world.accounts)


def test_some_accounts_are_near_their_credit_limit(world: World) -> None:
    exposures = credit_exposures(world.orders, world.invoices)
    zero = Decimal(0)
    near = [
        a
        for a in world.accounts
        if not a.credit_hold
        and a.credit_limit * Decimal("0.85") <= exposures.get(a.id, zero) < a.credit_limit
    ]
    assert len(near) >= 3
    over = [
        a
        for a in world.accounts
        if not a.credit_hold and exposures.get(a.id, zero) >= a.credit_limit
    ]
    assert over == []


# -- catalog and pricing --------------------------------------------------------------------


def test_products_look_like_an_mro_catalog(world: World) -> None:
    prices = [p.list_price for p in world.products]
    assert Decimal("0.50") <= min(prices) and max(prices) <= Decimal("2500.00")
    assert all(p.weight_kg > 0 and p.weight_kg.as_tuple().exponent == -3 for p in world.products)
    assert {p.unit_of_measure for p in world.products} == {"EA", "CS", "BX", "PK", "RL"}
    assert len({p.category for p in world.products}) >= 6
    inactive = sum(not p.active for p in world.products)
    assert 0.02 <= inactive / len(world.products) <= 0.05
    with_breaks = {b.sku for b in world.quantity_breaks}
    assert 0.3 <= len(with_breaks) / len(world.products) <= 0.5


def test_customer_prices_are_below_list(world: World) -> None:
    list_prices = {p.sku: p.list_price for p in world.products}
    assert all(e.unit_price < list_prices[e.sku] for e in world.price_list_entries)
    assert all(Decimal(0) < b.discount_percent < 100 for b in world.quantity_breaks)


def test_order_lines_carry_the_customers_price(world: World) -> None:
    accounts = {a.id: a for a in world.accounts}
    products = {p.sku: p for p in world.products}
    discounts = {p.id: p.discount_percent for p in PRICE_LISTS}
    entries = {(e.price_list_id, e.sku): e.unit_price for e in world.price_list_entries}
    breaks = defaultdict(list)
    for b in world.quantity_breaks:
        breaks[b.sku].append(b)
    for order in world.orders:
        price_list = accounts[order.account_id].price_list_id
        for line in order.lines:
            expected = unit_price(
                products[line.sku].list_price,
                discounts[price_list],
                entries.get((price_list, line.sku)),
                breaks[line.sku],
                line.quantity,
            )
            assert line.unit_price == expected, (order.number, line)


# -- orders ---------------------------------------------------------------------------------


def test_every_order_status_appears(world: World) -> None:
    statuses = Counter(o.status for o in world.orders)
    assert set(statuses) == ORDER_STATUSES
    assert statuses["COMPLETED"] > len(world.orders) / 2


def test_orders_are_consistent(world: World) -> None:
    accounts = {a.id: a for a in world.accounts}
    products = {p.sku: p for p in world.products}
    for order in world.orders:
        account = accounts[order.account_id]
        assert 1 <= len(order.lines) <= 6
        assert len({ln.sku for ln in order.lines}) == len(order.lines)
        assert [ln.line_number for ln in order.lines] == list(range(1, len(order.lines) + 1))
        assert all(products[ln.sku].active and ln.quantity > 0 for ln in order.lines)
        assert order.ship_to.region == account.region
        assert Decimal("0.04") <= order.tax_rate <= Decimal("0.0825")
        assert order.placed_at.date() < order.requested_delivery_date
        assert (order.promised_date is None) == (order.status == "DRAFT")
        assert (order.hold_reason is not None) == (order.status == "ON_HOLD")
        if account.credit_hold and order.status == "ON_HOLD":
            assert order.hold_reason == "CREDIT"
        if order.status == "ON_HOLD" and not account.credit_hold:
            assert order.hold_reason in ("MANUAL_REVIEW", "PRICING")
    reasons = {o.hold_reason for o in world.orders if o.status == "ON_HOLD"}
    assert reasons == {"CREDIT", "MANUAL_REVIEW", "PRICING"}


def test_recent_orders_are_the_open_ones(world: World) -> None:
    for order in world.orders:
        age = world.anchor - order.placed_at
        if order.status in ("DRAFT", "SUBMITTED", "ON_HOLD"):
            assert age.days < 45, order.number


def test_orders_ship_mostly_from_the_nearest_center_and_some_split(world: World) -> None:
    split = [o for o in world.orders if len({ln.center_id for ln in o.lines}) > 1]
    assert len(split) >= 50
    regional = {"NORTHEAST": "EWR1", "SOUTHEAST": "ATL1", "MIDWEST": "ORD1", "WEST": "RNO1"}
    lines = [(o.ship_to.region, ln.center_id) for o in world.orders for ln in o.lines]
    near = sum(regional.get(region) == center for region, center in lines)
    outside_southwest = sum(region != "SOUTHWEST" for region, _ in lines)
    assert near / outside_southwest > 0.75


# -- fulfillment ----------------------------------------------------------------------------


def test_fulfillment_orders_agree_with_order_status(world: World) -> None:
    by_order = defaultdict(list)
    for fo in world.fulfillment_orders:
        by_order[fo.order_id].append(fo)
    cancelled_released = 0
    for order in world.orders:
        fos = by_order[order.id]
        statuses = {fo.status for fo in fos}
        if order.status in ("CONFIRMED", "COMPLETED"):
            assert {fo.center_id for fo in fos} == {ln.center_id for ln in order.lines}
        if order.status == "COMPLETED":
            assert statuses == {"DELIVERED"}
        elif order.status == "CONFIRMED":
            assert statuses and statuses != {"DELIVERED"} and "CANCELLED" not in statuses
        elif order.status == "CANCELLED":
            assert statuses <= {"CANCELLED"}
            cancelled_released += bool(fos)
        else:
            assert fos == []
        for fo in fos:
            expected = {ln.sku: ln.quantity for ln in order.lines if ln.center_id == fo.center_id}
            assert {ln.sku: ln.quantity for ln in fo.lines} == expected
            assert order.placed_at < fo.released_at < world.anchor
    assert cancelled_released > 0
    confirmed_stages = {
        fo.status for fo in world.fulfillment_orders if fo.status not in ("CANCELLED",)
    }
    assert confirmed_stages == {
        "RELEASED",
        "PICKING",
        "PICKED",
        "PACKED",
        "SHIPPED",
        "DELIVERED",
    }


def test_some_confirmed_orders_are_partly_shipped(world: World) -> None:
    by_order = defaultdict(set)
    for fo in world.fulfillment_orders:
        by_order[fo.order_id].add(fo.status)
    partial = [
        o
        for o in world.orders
        if o.status == "CONFIRMED"
        and by_order[o.id] & {"SHIPPED", "DELIVERED"}
        and by_order[o.id] & set(OPEN_FULFILLMENT_STATUSES)
    ]
    assert partial


# -- shipments ------------------------------------------------------------------------------


def test_one_shipment_per_shipped_fulfillment_order(world: World) -> None:
    shipped = {f.id for f in world.fulfillment_orders if f.status in ("SHIPPED", "DELIVERED")}
    assert sorted(s.fulfillment_order_id for s in world.shipments) == sorted(shipped)
    fulfillment = {f.id: f for f in world.fulfillment_orders}
    products = {p.sku: p for p in world.products}
    for shipment in world.shipments:
        fo = fulfillment[shipment.fulfillment_order_id]
        assert shipment.lines == fo.lines
        assert (fo.status == "DELIVERED") == (shipment.status == "DELIVERED")
        assert (shipment.delivered_at is not None) == (shipment.status == "DELIVERED")
        weight = sum(
            (products[ln.sku].weight_kg * ln.quantity for ln in shipment.lines), Decimal(0)
        )
        assert shipment.weight_kg == weight.quantize(Decimal("0.001"))
        assert shipment.package_count >= 1
        assert TRACKING_SHAPES[shipment.carrier].fullmatch(shipment.tracking_number)
        assert shipment.service


def test_every_shipment_status_appears(world: World) -> None:
    assert {s.status for s in world.shipments} == SHIPMENT_STATUSES


def test_tracking_events_tell_the_shipments_story(world: World) -> None:
    for shipment in world.shipments:
        events = shipment.events
        times = [e.occurred_at for e in events]
        assert times == sorted(times), shipment.id
        assert events[0].status == "LABEL_CREATED"
        assert events[0].occurred_at == shipment.shipped_at
        assert events[-1].status == shipment.status
        assert all(e.location and e.description for e in events)
        if shipment.status == "DELIVERED":
            assert events[-1].occurred_at == shipment.delivered_at
        assert [e.status for e in events].count("DELIVERED") == (shipment.status == "DELIVERED")


def test_the_timeline_runs_forward(world: World) -> None:
    orders = {o.id: o for o in world.orders}
    fulfillment = {f.id: f for f in world.fulfillment_orders}
    for shipment in world.shipments:
        fo = fulfillment[shipment.fulfillment_order_id]
        placed = orders[shipment.order_id].placed_at
        assert placed < fo.released_at < shipment.shipped_at < world.anchor
        if shipment.delivered_at is not None:
            assert shipment.shipped_at < shipment.delivered_at < world.anchor
        assert shipment.estimated_delivery >= shipment.shipped_at.date()


def test_every_datetime_is_utc_and_past_and_money_is_in_cents(world: World) -> None:
    for name, value in _leaves(world):
        if isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0), name
            if name != "anchor":
                assert value < world.anchor, name
        elif isinstance(value, date) and name != "incoming_date":
            assert value <= world.anchor.date() + timedelta(days=60), name
        if name in MONEY_FIELDS:
            assert isinstance(value, Decimal)
            assert value.as_tuple().exponent == -2, (name, value)


# -- invoices -------------------------------------------------------------------------------


def test_one_invoice_per_shipment_with_exact_totals(world: World) -> None:
    assert sorted(i.shipment_id for i in world.invoices) == sorted(s.id for s in world.shipments)
    shipments = {s.id: s for s in world.shipments}
    orders = {o.id: o for o in world.orders}
    accounts = {a.id: a for a in world.accounts}
    terms = {"DUE_ON_RECEIPT": 0, "NET_15": 15, "NET_30": 30, "NET_45": 45, "NET_60": 60}
    for invoice in world.invoices:
        shipment = shipments[invoice.shipment_id]
        order: OrderRecord = orders[invoice.order_id]
        prices = {ln.sku: ln.unit_price for ln in order.lines}
        shipped = {ln.sku: ln.quantity for ln in shipment.lines}
        assert {ln.sku: ln.quantity for ln in invoice.lines} == shipped
        assert all(ln.unit_price == prices[ln.sku] for ln in invoice.lines)
        subtotal = sum((prices[sku] * qty for sku, qty in shipped.items()), Decimal(0))
        assert invoice.subtotal == subtotal.quantize(Decimal("0.01"))
        assert invoice.tax == (invoice.subtotal * order.tax_rate).quantize(
            Decimal("0.01"), rounding="ROUND_HALF_UP"
        )
        assert invoice.total == invoice.subtotal + invoice.tax
        assert (invoice.subtotal, invoice.tax, invoice.total) == document_amounts(
            invoice.lines, order.tax_rate
        )
        assert shipment.shipped_at < invoice.issued_at < world.anchor
        days = terms[accounts[invoice.account_id].payment_terms]
        assert (invoice.due_date - invoice.issued_at.date()).days == days
    statuses = Counter(i.status for i in world.invoices)
    assert statuses["PAID"] > statuses["OPEN"] > 0


def test_credit_exposure_counts_open_invoices_and_unbilled_orders(world: World) -> None:
    exposures = credit_exposures(world.orders, world.invoices)
    open_invoices = sum(i.total for i in world.invoices if i.status == "OPEN")
    assert sum(exposures.values()) >= open_invoices > 0
    invoiced = {i.order_id for i in world.invoices}
    unbilled = [o for o in world.orders if o.status in OPEN_ORDER_STATUSES and o.id not in invoiced]
    assert unbilled
    assert all(exposures[o.account_id] > 0 for o in unbilled)


# -- returns --------------------------------------------------------------------------------


def test_returns_come_back_from_where_they_shipped(world: World) -> None:
    completed = sum(o.status == "COMPLETED" for o in world.orders)
    assert 0.03 <= len(world.return_authorizations) / completed <= 0.05
    assert {r.status for r in world.return_authorizations} >= {
        "AUTHORIZED",
        "DECLINED",
        "RECEIVED",
        "CREDITED",
    }
    orders = {o.id: o for o in world.orders}
    by_order = _shipments_by_order(world)
    for ra in world.return_authorizations:
        assert orders[ra.order_id].status == "COMPLETED"
        shipped = {
            ln.sku: ln.quantity
            for s in by_order[ra.order_id]
            if s.center_id == ra.center_id
            for ln in s.lines
        }
        assert ra.lines
        assert all(0 < ln.quantity <= shipped[ln.sku] for ln in ra.lines)
        assert (ra.decline_reason is not None) == (ra.status == "DECLINED")
        returned = [s for s in by_order[ra.order_id] if s.center_id == ra.center_id]
        assert all(s.delivered_at and s.delivered_at < ra.created_at for s in returned)


def test_receipts_and_credit_memos_follow_the_return(world: World) -> None:
    orders = {o.id: o for o in world.orders}
    returns = {r.id: r for r in world.return_authorizations}
    receipts = {r.return_authorization_id: r for r in world.return_receipts}
    memos = {m.return_authorization_id: m for m in world.credit_memos}
    assert len(receipts) == len(world.return_receipts)
    assert len(memos) == len(world.credit_memos)
    for ra in world.return_authorizations:
        assert (ra.id in receipts) == (ra.status in ("RECEIVED", "CREDITED"))
        assert (ra.id in memos) == (ra.status == "CREDITED")
    for receipt in world.return_receipts:
        ra = returns[receipt.return_authorization_id]
        authorized = {ln.sku: ln.quantity for ln in ra.lines}
        assert all(0 < ln.quantity_received <= authorized[ln.sku] for ln in receipt.lines)
        assert ra.created_at < receipt.received_at
    for memo in world.credit_memos:
        ra = returns[memo.return_authorization_id]
        receipt = receipts[ra.id]
        order = orders[memo.order_id]
        prices = {ln.sku: ln.unit_price for ln in order.lines}
        credited = {
            ln.sku: ln.quantity_received
            for ln in receipt.lines
            if ln.disposition in ("RESTOCKED", "NOT_RESTOCKED")
        }
        assert {ln.sku: ln.quantity for ln in memo.lines} == credited
        assert all(ln.unit_price == prices[ln.sku] for ln in memo.lines)
        assert (memo.subtotal, memo.tax, memo.total) == document_amounts(memo.lines, order.tax_rate)
        assert receipt.received_at < memo.issued_at


# -- inventory ------------------------------------------------------------------------------


def test_allocated_inventory_is_the_open_fulfillment_orders(world: World) -> None:
    open_quantity: Counter[tuple[str, str]] = Counter()
    for fo in world.fulfillment_orders:
        if fo.status in OPEN_FULFILLMENT_STATUSES:
            for line in fo.lines:
                open_quantity[line.sku, fo.center_id] += line.quantity
    assert open_quantity
    for position in world.inventory:
        assert position.allocated == open_quantity[position.sku, position.center_id]
        assert position.on_hand >= position.allocated >= 0
        assert position.incoming >= 0
        if position.incoming:
            assert position.incoming_date is not None
            assert position.incoming_date > world.anchor.date()
        else:
            assert position.incoming_date is None


def test_inventory_has_a_realistic_spread(world: World) -> None:
    positions = defaultdict(list)
    for position in world.inventory:
        positions[position.sku].append(position)
    active = [p for p in world.products if p.active]
    available = {(i.sku, i.center_id): i.on_hand - i.allocated for i in world.inventory}
    stocked = sum(v > 10 for (sku, _), v in available.items())
    assert stocked / len(available) > 0.6
    assert any(0 < v <= 5 for v in available.values())
    zero_somewhere = [p for p in active if any(available[p.sku, c.id] == 0 for c in world.centers)]
    assert len(zero_somewhere) >= 50
    out_everywhere = [p for p in active if all(available[p.sku, c.id] == 0 for c in world.centers)]
    assert len(out_everywhere) >= 10
    assert all(any(i.incoming for i in positions[p.sku]) for p in out_everywhere)


# -- cases ----------------------------------------------------------------------------------


def test_cases_are_about_the_accounts_orders(world: World) -> None:
    with_order = [c for c in world.cases if c.order_id is not None]
    assert 0.5 <= len(with_order) / len(world.cases) <= 0.7
    statuses = Counter(c.status for c in world.cases)
    assert set(statuses) == {"NEW", "WORKING", "ESCALATED", "CLOSED"}
    assert statuses["CLOSED"] > len(world.cases) / 2
    assert {c.priority for c in world.cases} == {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
    assert {c.origin for c in world.cases} == {"PHONE", "EMAIL", "WEB", "PORTAL"}
    for case in world.cases:
        assert (case.closed_at is not None) == (case.status == "CLOSED")
        if case.closed_at is not None:
            assert case.created_at < case.closed_at < world.anchor
        assert case.subject and case.description
    for case in with_order:
        assert case.order_number is not None
        assert case.order_number in f"{case.subject} {case.description}"

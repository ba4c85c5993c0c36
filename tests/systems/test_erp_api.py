"""The reference ERP's REST API: envelopes, bulk lookups, customers, items, prices, errors."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from systems.world import credit_exposures, unit_price
from systems.world_records import World
from tests.support.rest import error_code, ok

ENVELOPE = {"items", "count", "offset", "totalResults", "hasMore"}


def test_customer_list_pages_with_the_envelope(erp: httpx.Client, world: World) -> None:
    first = ok(erp.get("/customers", params={"limit": 3}))
    assert set(first) == ENVELOPE
    assert (first["count"], first["offset"], first["hasMore"]) == (3, 0, True)
    assert first["totalResults"] == len(world.accounts)
    last = ok(erp.get("/customers", params={"offset": len(world.accounts) - 2, "limit": 5}))
    assert (last["count"], last["hasMore"]) == (2, False)
    codes = sorted(a.customer_code for a in world.accounts)
    assert [c["entityId"] for c in first["items"]] == codes[:3]


def test_customer_by_internal_and_external_id(erp: httpx.Client, world: World) -> None:
    account = world.accounts[4]
    by_internal = ok(erp.get(f"/customers/{account.erp_id}"))
    assert by_internal["externalId"] == account.id
    assert by_internal["entityId"] == account.customer_code
    assert by_internal["companyName"] == account.name
    assert by_internal["creditLimit"] == str(account.credit_limit)
    assert by_internal["creditHoldOverride"] == ("ON" if account.credit_hold else "OFF")
    assert by_internal["priceLevel"]["internalId"] == account.price_list_id
    assert by_internal["terms"]["refName"].upper().replace(" ", "_") == account.payment_terms
    bulk = ok(erp.get("/customers", params={"externalIds": f"{account.id},001NOPE,{account.id}"}))
    assert bulk["items"] == [by_internal]
    assert (bulk["count"], bulk["totalResults"], bulk["hasMore"]) == (1, 1, False)


def test_bulk_customers_keep_the_order_asked(erp: httpx.Client, world: World) -> None:
    ids = [a.erp_id for a in world.accounts[10:20]][::-1]
    body = ok(erp.get("/customers", params={"ids": ",".join([*ids, "99999999"])}))
    assert [c["internalId"] for c in body["items"]] == ids


def test_credit_exposure_is_open_invoices_plus_unbilled_open_orders(
    erp: httpx.Client, world: World
) -> None:
    exposures = credit_exposures(world.orders, world.invoices)
    accounts = sorted(world.accounts, key=lambda a: -exposures.get(a.id, Decimal(0)))[:50]
    accounts += [a for a in world.accounts if a.id not in exposures][:5]
    body = ok(erp.get("/customers", params={"externalIds": ",".join(a.id for a in accounts)}))
    assert body["count"] == len(accounts)
    for customer in body["items"]:
        expected = exposures.get(customer["externalId"], Decimal("0.00"))
        balance, unbilled = Decimal(customer["balance"]), Decimal(customer["unbilledOrders"])
        assert balance + unbilled == expected
        assert customer["creditExposure"] == str(expected.quantize(Decimal("0.01")))
    open_balance = sum(
        (i.total for i in world.invoices if i.status == "OPEN" and i.account_id == accounts[0].id),
        Decimal(0),
    )
    first = next(c for c in body["items"] if c["externalId"] == accounts[0].id)
    assert Decimal(first["balance"]) == open_balance


def test_items_by_sku_internal_id_bulk_and_search(erp: httpx.Client, world: World) -> None:
    product = world.products[7]
    item = ok(erp.get(f"/items/{product.sku}"))
    assert item == ok(erp.get(f"/items/{product.erp_id}"))
    assert item["itemId"] == product.sku
    assert item["displayName"] == product.name
    assert item["basePrice"] == str(product.list_price)
    assert item["saleUnit"] == product.unit_of_measure
    assert item["weight"] == str(product.weight_kg) and item["weightUnit"] == "kg"
    assert item["isInactive"] is (not product.active)
    breaks = [b for b in world.quantity_breaks if b.sku == product.sku]
    assert [b["minimumQuantity"] for b in item["quantityPricing"]["items"]] == [
        b.min_quantity for b in breaks
    ]
    skus = [p.sku for p in world.products[:5]]
    bulk = ok(erp.get("/items", params={"skus": ",".join(["SKU-0", *skus])}))
    assert [i["itemId"] for i in bulk["items"]] == skus
    word = product.name.split()[0]
    found = ok(erp.get("/items", params={"search": word, "limit": 200}))
    expected = [p for p in world.products if word.lower() in p.name.lower() or word in p.sku]
    assert found["totalResults"] == len(expected)
    assert product.sku in [i["itemId"] for i in found["items"]]


def test_price_levels(erp: httpx.Client, world: World) -> None:
    body = ok(erp.get("/priceLevels", params={"ids": "PL-GOLD,PL-NONE"}))
    gold = next(pl for pl in world.price_lists if pl.id == "PL-GOLD")
    assert body["items"] == [
        {"internalId": "PL-GOLD", "name": gold.name, "discountPercent": str(gold.discount_percent)}
    ]
    assert ok(erp.get("/priceLevels"))["totalResults"] == len(world.price_lists)


def _expected_price(world: World, price_list_id: str, sku: str, quantity: int) -> Decimal:
    product = next(p for p in world.products if p.sku == sku)
    discount = next(pl.discount_percent for pl in world.price_lists if pl.id == price_list_id)
    entry = next(
        (e.unit_price for e in world.price_list_entries
         if e.price_list_id == price_list_id and e.sku == sku),
        None,
    )  # fmt: skip
    breaks = [b for b in world.quantity_breaks if b.sku == sku]
    return unit_price(product.list_price, discount, entry, breaks, quantity)


def test_prices_follow_price_list_entries_discounts_and_quantity_breaks(
    erp: httpx.Client, world: World
) -> None:
    account = next(a for a in world.accounts if a.price_list_id == "PL-GOLD")
    entries = {e.sku for e in world.price_list_entries if e.price_list_id == "PL-GOLD"}
    with_breaks = {b.sku for b in world.quantity_breaks}
    entry_sku = next(p.sku for p in world.products if p.sku in entries)
    plain_sku = next(p.sku for p in world.products if p.sku not in entries | with_breaks)
    break_sku = next(p.sku for p in world.products if p.sku in with_breaks - entries)
    skus = [entry_sku, plain_sku, break_sku]
    for quantity in (1, 30, 600):
        body = ok(
            erp.get(
                "/prices",
                params={"customer": account.erp_id, "skus": ",".join(skus), "quantity": quantity},
            )
        )
        prices = {p["item"]["refName"]: p for p in body["items"]}
        for sku in skus:
            expected = _expected_price(world, "PL-GOLD", sku, quantity)
            assert Decimal(prices[sku]["unitPrice"]) == expected, (sku, quantity)
            assert Decimal(prices[sku]["amount"]) == expected * quantity
        assert prices[entry_sku]["priceSource"] == "PRICE_LEVEL_ENTRY"
        assert prices[plain_sku]["priceSource"] == "PRICE_LEVEL_DISCOUNT"
    reached = ok(
        erp.get("/prices", params={"customer": account.erp_id, "skus": break_sku, "quantity": 600})
    )
    assert reached["items"][0]["quantityBreak"]["minimumQuantity"] <= 600
    unknown = ok(erp.get("/prices", params={"customer": account.erp_id, "skus": "SKU-0"}))
    assert unknown["items"] == []


def test_prices_reproduce_every_line_of_an_order(erp: httpx.Client, world: World) -> None:
    accounts = {a.id: a for a in world.accounts}
    for order in world.orders[-20:]:
        customer = accounts[order.account_id]
        for line in order.lines:
            body = ok(
                erp.get(
                    "/prices",
                    params={
                        "customer": customer.erp_id,
                        "skus": line.sku,
                        "quantity": line.quantity,
                    },
                )
            )
            assert Decimal(body["items"][0]["unitPrice"]) == line.unit_price


@pytest.mark.parametrize(
    "path",
    ["/customers/1", "/items/SKU-0", "/priceLevels/PL-NONE", "/salesOrders/1", "/invoices/1",
     "/creditMemos/1", "/returnAuthorizations/1"],
)  # fmt: skip
def test_unknown_single_records_are_404(erp: httpx.Client, path: str) -> None:
    assert error_code(erp.get(path), 404) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/customers", {"limit": "0"}),
        ("/customers", {"offset": "-1"}),
        ("/customers", {"limit": "abc"}),
        ("/customers", {"ids": "1001", "externalIds": "001"}),
        ("/customers", {"ids": "1001,,1002"}),
        ("/items", {"search": "x" * 101}),
        ("/prices", {"skus": "SKU-10001"}),
        ("/prices", {"customer": "1001"}),
        ("/prices", {"customer": "1001", "skus": "SKU-10001", "quantity": "0"}),
        ("/prices", {"customer": "1001", "skus": "SKU-10001", "quantity": "many"}),
        ("/salesOrders", {"status": "SHIPPED"}),
        ("/salesOrders", {"placedFrom": "2026-13-01"}),
        ("/salesOrders", {"placedFrom": "2026-05-02", "placedTo": "2026-05-01"}),
        ("/salesOrders/byCustomer", {}),
        ("/salesOrders/byCustomer", {"externalIds": "001", "limit": "101"}),
    ],
)
def test_bad_parameters_are_422(erp: httpx.Client, path: str, params: dict[str, str]) -> None:
    assert error_code(erp.get(path, params=params), 422) == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    ("path", "param"),
    [("/customers", "ids"), ("/customers", "externalIds"), ("/items", "skus"),
     ("/salesOrders", "ids"), ("/salesOrders", "tranIds"), ("/invoices", "orderIds"),
     ("/creditMemos", "ids"), ("/returnAuthorizations", "orderIds"), ("/priceLevels", "ids")],
)  # fmt: skip
def test_oversize_batches_are_422(erp: httpx.Client, path: str, param: str) -> None:
    ids = ",".join(str(100000 + n) for n in range(101))
    assert error_code(erp.get(path, params={param: ids}), 422) == "INVALID_PARAMETER"
    exactly = ",".join(str(100000 + n) for n in range(100))
    assert ok(erp.get(path, params={param: exactly}))["count"] >= 0


def test_unknown_prices_customer_is_404(erp: httpx.Client) -> None:
    response = erp.get("/prices", params={"customer": "1", "skus": "SKU-10001"})
    assert error_code(response, 404) == "NOT_FOUND"


def test_inventory_balances_book_every_position_the_world_opened_with(
    erp: httpx.Client, world: World
) -> None:
    body = erp.get("/inventoryBalances").json()
    booked = {(b["item"]["refName"], b["location"]["refName"]): b for b in body["items"]}
    assert body["totalResults"] == len(booked) == len(world.inventory)
    for position in world.inventory[:50]:
        assert isinstance(booked[position.sku, position.center_id]["quantityOnHand"], int)

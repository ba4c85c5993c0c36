"""Money, Address and Region: formatting and how they print."""

from __future__ import annotations

from decimal import Decimal

import pytest
import strawberry

from connectors.values import AddressRecord
from subgraphs.common import Address, Money, Region, federation_schema, subgraph_sdl


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1", "1.00"),
        ("1234.5", "1234.50"),
        (Decimal("2.345"), "2.35"),
        ("1.005", "1.01"),
        ("-1.005", "-1.01"),
        ("0.004", "0.00"),
        ("-0.001", "0.00"),
        ("1e3", "1000.00"),
        (42, "42.00"),
        ("  7.1 ", "7.10"),
    ],
)
def test_money_has_two_places(amount: Decimal | str | int, expected: str) -> None:
    money = Money.of(amount)
    assert (money.amount, money.currency) == (expected, "USD")
    assert money.decimal() == Decimal(expected)


def test_money_keeps_its_currency() -> None:
    assert Money.of("3", "EUR") == Money(amount="3.00", currency="EUR")


@pytest.mark.parametrize("amount", ["", "abc", "NaN", "Infinity", "1e40"])
def test_money_rejects_what_is_not_an_amount(amount: str) -> None:
    with pytest.raises(ValueError, match="amount of money"):
        Money.of(amount)


@strawberry.type
class Query:
    @strawberry.field
    def total(self) -> Money:
        return Money.of("10")

    @strawberry.field
    def ship_to(self) -> Address:
        return Address(
            street="500 Logistics Way",
            city="Reno",
            state="NV",
            postal_code="89502",
            country="US",
            region=Region.WEST,
        )


def test_value_types_print_as_documented_and_shareable() -> None:
    sdl = subgraph_sdl(federation_schema(Query))
    assert "type Money @shareable {" in sdl
    assert "type Address @shareable {" in sdl
    for line in ["amount: String!", "currency: String!", "postalCode: String!", "region: Region!"]:
        assert line in sdl
    assert "enum Region {\n  NORTHEAST\n  SOUTHEAST\n  MIDWEST\n  SOUTHWEST\n  WEST\n}" in sdl


def test_value_types_resolve() -> None:
    result = federation_schema(Query).execute_sync(
        "{ total { amount currency } shipTo { postalCode region } }"
    )
    assert result.errors is None
    assert result.data == {
        "total": {"amount": "10.00", "currency": "USD"},
        "shipTo": {"postalCode": "89502", "region": "WEST"},
    }


def test_address_from_record() -> None:
    record = AddressRecord(
        street="1 Dock Rd",
        city="Atlanta",
        state="GA",
        postal_code="30301",
        country="US",
        region=Region.SOUTHEAST,
    )
    assert Address.from_record(record) == Address(
        street="1 Dock Rd",
        city="Atlanta",
        state="GA",
        postal_code="30301",
        country="US",
        region=Region.SOUTHEAST,
    )

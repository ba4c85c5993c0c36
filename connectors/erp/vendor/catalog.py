"""ERP customers, items and price levels, validated and normalized into our records."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, StrictStr

from connectors.erp.enums import PaymentTerms, UnitOfMeasure
from connectors.erp.records import (
    BookedBalance,
    CustomerCredit,
    CustomerTerms,
    ItemRecord,
    PriceLevelRecord,
    QuantityBreak,
)
from connectors.erp.vendor.base import Amount, NamedRef, Payload, RecordRef

__all__ = [
    "CustomerPayload",
    "CustomerTermsPayload",
    "ItemPayload",
    "PriceLevelPayload",
]

_UNITS = {
    "EA": UnitOfMeasure.EACH,
    "CS": UnitOfMeasure.CASE,
    "BX": UnitOfMeasure.BOX,
    "PK": UnitOfMeasure.PACK,
    "RL": UnitOfMeasure.ROLL,
}
_KG_PER_UNIT = {"kg": Decimal(1), "g": Decimal("0.001"), "lb": Decimal("0.45359237")}
_KG_PER_UNIT["oz"] = _KG_PER_UNIT["lb"] / 16


def _terms(value: Any) -> PaymentTerms:
    """The terms record's name, ``"Net 30"`` or ``"Due on receipt"``, as ``PaymentTerms``."""
    name = value.get("refName") if isinstance(value, dict) else None
    if not isinstance(name, str):
        raise ValueError("terms must be a reference with a refName")
    try:
        return PaymentTerms[name.strip().upper().replace(" ", "_")]
    except KeyError:
        raise ValueError(f"unknown terms {name!r}") from None


def _unit(value: Any) -> UnitOfMeasure:
    if not isinstance(value, str) or value not in _UNITS:
        raise ValueError(f"unknown sale unit {value!r}")
    return _UNITS[value]


Terms = Annotated[PaymentTerms, BeforeValidator(_terms)]
Unit = Annotated[UnitOfMeasure, BeforeValidator(_unit)]


class CustomerTermsPayload(Payload):
    """The cacheable part of a customer: its ids, terms and price level."""

    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    external_id: StrictStr = Field(alias="externalId", min_length=1)
    terms: Terms
    price_level: RecordRef | None = Field(default=None, alias="priceLevel")

    def record(self) -> CustomerTerms:
        return CustomerTerms(
            internal_id=self.internal_id,
            account_id=self.external_id,
            payment_terms=self.terms,
            price_level_id=self.price_level.internal_id if self.price_level else None,
        )


class CustomerPayload(CustomerTermsPayload):
    currency: NamedRef
    credit_limit: Amount = Field(alias="creditLimit")
    balance: Amount
    unbilled_orders: Amount = Field(alias="unbilledOrders")
    credit_hold_override: Literal["ON", "OFF", "AUTO"] = Field(alias="creditHoldOverride")

    def credit(self) -> CustomerCredit:
        exposure = self.balance + self.unbilled_orders
        if self.credit_hold_override == "AUTO":
            hold = exposure > self.credit_limit
        else:
            hold = self.credit_hold_override == "ON"
        return CustomerCredit(
            account_id=self.external_id,
            currency=self.currency.ref_name,
            credit_limit=self.credit_limit,
            credit_exposure=exposure,
            credit_hold=hold,
        )


class PriceLevelPayload(Payload):
    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    name: StrictStr
    discount_percent: Amount = Field(alias="discountPercent")

    def record(self) -> PriceLevelRecord:
        return PriceLevelRecord(
            id=self.internal_id, name=self.name, discount_percent=self.discount_percent
        )


class _QuantityBreakPayload(Payload):
    minimum_quantity: StrictInt = Field(alias="minimumQuantity", ge=1)
    discount_percent: Amount = Field(alias="discountPercent")


class _QuantityPricing(Payload):
    items: list[_QuantityBreakPayload] = []


class ItemPayload(Payload):
    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    item_id: StrictStr = Field(alias="itemId", min_length=1)
    display_name: StrictStr = Field(alias="displayName")
    sales_description: StrictStr | None = Field(default=None, alias="salesDescription")
    item_class: NamedRef | None = Field(default=None, alias="class")
    sale_unit: Unit = Field(alias="saleUnit")
    base_price: Amount = Field(alias="basePrice")
    is_inactive: StrictBool = Field(default=False, alias="isInactive")
    weight: Amount
    weight_unit: Literal["kg", "g", "lb", "oz"] = Field(default="kg", alias="weightUnit")
    quantity_pricing: _QuantityPricing = Field(
        default_factory=_QuantityPricing, alias="quantityPricing"
    )

    def record(self) -> ItemRecord:
        breaks = sorted(self.quantity_pricing.items, key=lambda b: b.minimum_quantity)
        return ItemRecord(
            sku=self.item_id,
            name=self.display_name,
            description=self.sales_description,
            category=self.item_class.ref_name if self.item_class else None,
            unit_of_measure=self.sale_unit,
            list_price=self.base_price,
            active=not self.is_inactive,
            weight_kg=self.weight * _KG_PER_UNIT[self.weight_unit],
            quantity_breaks=tuple(
                QuantityBreak(min_quantity=b.minimum_quantity, discount_percent=b.discount_percent)
                for b in breaks
            ),
        )


class InventoryBalancePayload(Payload):
    """One item's booked quantity at one location (``GET /inventoryBalances``)."""

    item: NamedRef
    location: NamedRef
    quantity_on_hand: StrictInt = Field(alias="quantityOnHand")

    def record(self) -> BookedBalance:
        return BookedBalance(self.item.ref_name, self.location.ref_name, self.quantity_on_hand)

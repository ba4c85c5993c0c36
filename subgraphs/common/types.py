"""Value types every subgraph may declare: ``Money``, ``Address``, ``Region`` (``@shareable``).

``Region`` is the connectors' enum, described for the graph here; ``Address`` is the GraphQL
face of the connectors' ``AddressRecord``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import strawberry

from connectors.values import AddressRecord, Region
from subgraphs.common.enums import graphql_enum

__all__ = ["CENT", "Address", "Money", "Region"]

CENT = Decimal("0.01")


@strawberry.federation.type(shareable=True, description="An amount of money in one currency.")
class Money:
    amount: str = strawberry.field(description="Decimal string with two places, e.g. 1234.50.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str = "USD") -> Money:
        """Money for ``amount`` rounded half up to the cent; ``ValueError`` if not a number."""
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"not an amount of money: {amount!r}") from None
        if not value.is_finite():
            raise ValueError(f"not an amount of money: {amount!r}")
        try:
            quantized = value.quantize(CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise ValueError(f"amount of money out of range: {amount!r}") from None
        # -0.001 rounds to -0.00; show it as 0.00.
        if quantized.is_zero():
            quantized = abs(quantized)
        return cls(amount=str(quantized), currency=currency)

    def decimal(self) -> Decimal:
        """The amount as a ``Decimal``."""
        return Decimal(self.amount)


graphql_enum(Region)


@strawberry.federation.type(shareable=True, description="A postal address.")
class Address:
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    region: Region

    @classmethod
    def from_record(cls, record: AddressRecord) -> Address:
        return cls(
            street=record.street,
            city=record.city,
            state=record.state,
            postal_code=record.postal_code,
            country=record.country,
            region=record.region,
        )

"""The orchestration's vocabulary: policies, outcomes and the immutable records workflows pass.

Requests and results are frozen dataclasses; each converts to and from plain JSON so that the
journal and the idempotency records can keep it and a restarted process can read it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from connectors.values import Region

__all__ = [
    "Allocation",
    "AllocationStrategy",
    "Backorder",
    "LineRequest",
    "OrderRequest",
    "Outcome",
    "ShipTo",
    "ShortfallPolicy",
    "SubmitResult",
    "UserError",
]


class AllocationStrategy(Enum):
    """Which distribution center a line is sourced from first."""

    NEAREST = "NEAREST"
    PRIORITY = "PRIORITY"
    MINIMIZE_SPLITS = "MINIMIZE_SPLITS"


class ShortfallPolicy(Enum):
    """What happens to quantities no center has."""

    BACKORDER = "BACKORDER"
    SHIP_AVAILABLE = "SHIP_AVAILABLE"
    REJECT = "REJECT"


class Outcome(Enum):
    CONFIRMED = "CONFIRMED"
    ON_HOLD = "ON_HOLD"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ShipTo:
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    region: Region

    def json(self) -> dict[str, Any]:
        return {
            "street": self.street,
            "city": self.city,
            "state": self.state,
            "postalCode": self.postal_code,
            "country": self.country,
            "region": self.region.value,
        }

    def erp_address(self) -> dict[str, Any]:
        """The address as the ERP takes it (``shipAddress`` of an order or a credit check)."""
        return {
            "addr1": self.street,
            "city": self.city,
            "state": self.state,
            "zip": self.postal_code,
            "country": self.country,
            "custrecord_region": self.region.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShipTo:
        return cls(
            street=data["street"],
            city=data["city"],
            state=data["state"],
            postal_code=data["postalCode"],
            country=data["country"],
            region=Region(data["region"]),
        )


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What ``submitOrder`` (and ``promiseOrder``) is asked, normalized."""

    account_id: str
    lines: tuple[LineRequest, ...]
    ship_to: ShipTo
    requested_delivery_date: date | None = None
    customer_po_number: str | None = None
    strategy: AllocationStrategy = AllocationStrategy.NEAREST
    shortfall: ShortfallPolicy = ShortfallPolicy.BACKORDER

    def json(self) -> dict[str, Any]:
        """The canonical JSON of the request: equal requests give equal JSON."""
        requested = self.requested_delivery_date
        return {
            "accountId": self.account_id,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in self.lines],
            "shipTo": self.ship_to.json(),
            "requestedDeliveryDate": requested.isoformat() if requested else None,
            "customerPoNumber": self.customer_po_number,
            "strategy": self.strategy.value,
            "shortfall": self.shortfall.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderRequest:
        requested = data.get("requestedDeliveryDate")
        return cls(
            account_id=data["accountId"],
            lines=tuple(LineRequest(x["sku"], x["quantity"]) for x in data["lines"]),
            ship_to=ShipTo.from_json(data["shipTo"]),
            requested_delivery_date=date.fromisoformat(requested) if requested else None,
            customer_po_number=data.get("customerPoNumber"),
            strategy=AllocationStrategy(data["strategy"]),
            shortfall=ShortfallPolicy(data["shortfall"]),
        )


@dataclass(frozen=True, slots=True)
class UserError:
    """A business problem with the input: ``code`` names it, ``field`` is the input path."""

    code: str
    field: tuple[str, ...]
    message: str

    def json(self) -> dict[str, Any]:
        return {"code": self.code, "field": list(self.field), "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UserError:
        return cls(data["code"], tuple(data["field"]), data["message"])


@dataclass(frozen=True, slots=True)
class Allocation:
    """``quantity`` of ``sku`` ships from ``center_id``; ``alternate`` if not the first choice."""

    sku: str
    center_id: str
    quantity: int
    alternate: bool
    ship_date: date
    delivery_date: date

    def json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "centerId": self.center_id,
            "quantity": self.quantity,
            "alternate": self.alternate,
            "shipDate": self.ship_date.isoformat(),
            "deliveryDate": self.delivery_date.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Allocation:
        return cls(
            sku=data["sku"],
            center_id=data["centerId"],
            quantity=data["quantity"],
            alternate=data["alternate"],
            ship_date=date.fromisoformat(data["shipDate"]),
            delivery_date=date.fromisoformat(data["deliveryDate"]),
        )


@dataclass(frozen=True, slots=True)
class Backorder:
    """``quantity`` of ``sku`` no center has now; incoming supply gives ``promised_date``."""

    sku: str
    quantity: int
    center_id: str
    promised_date: date | None

    def json(self) -> dict[str, Any]:
        promised = self.promised_date
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "centerId": self.center_id,
            "promisedDate": promised.isoformat() if promised else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Backorder:
        promised = data.get("promisedDate")
        return cls(
            sku=data["sku"],
            quantity=data["quantity"],
            center_id=data["centerId"],
            promised_date=date.fromisoformat(promised) if promised else None,
        )


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """What ``submitOrder`` answers, and what its idempotency record keeps."""

    outcome: Outcome
    order_id: str | None = None
    hold_reason: str | None = None
    allocations: tuple[Allocation, ...] = ()
    backorders: tuple[Backorder, ...] = ()
    unfilled: tuple[Backorder, ...] = ()
    user_errors: tuple[UserError, ...] = ()
    subtotal: Decimal | None = None

    def json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "orderId": self.order_id,
            "holdReason": self.hold_reason,
            "allocations": [x.json() for x in self.allocations],
            "backorders": [x.json() for x in self.backorders],
            "unfilled": [x.json() for x in self.unfilled],
            "userErrors": [x.json() for x in self.user_errors],
            "subtotal": None if self.subtotal is None else str(self.subtotal),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmitResult:
        subtotal = data.get("subtotal")
        return cls(
            outcome=Outcome(data["outcome"]),
            order_id=data.get("orderId"),
            hold_reason=data.get("holdReason"),
            allocations=tuple(Allocation.from_json(x) for x in data["allocations"]),
            backorders=tuple(Backorder.from_json(x) for x in data["backorders"]),
            unfilled=tuple(Backorder.from_json(x) for x in data["unfilled"]),
            user_errors=tuple(UserError.from_json(x) for x in data["userErrors"]),
            subtotal=None if subtotal is None else Decimal(subtotal),
        )

    @classmethod
    def rejected(cls, *errors: UserError) -> SubmitResult:
        return cls(outcome=Outcome.REJECTED, user_errors=errors)

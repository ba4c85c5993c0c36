"""The read-only half of submitting and promising: validate, check credit, price, allocate.

``plan_order`` asks the three systems what it needs (concurrently where it can) and either
returns the user errors that stop the order or a :class:`Plan` the writing steps carry out;
whether the order fits the account's credit the ERP answers last (``with_credit``), by the
same rule, tax included, that it enters the order with.
Nothing here changes any system, so ``promiseOrder`` is this and no more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from resolvers.allocation import AllocationPlan, Center, Stock, allocate
from resolvers.records import (
    Allocation,
    Backorder,
    OrderRequest,
    ShortfallPolicy,
    UserError,
)
from resolvers.systems import Customer, Systems

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "Facts",
    "Plan",
    "plan_order",
    "validate_shape",
    "with_credit",
]

MAX_LINES = 100
MAX_QUANTITY = 100_000


@dataclass(frozen=True, slots=True)
class Facts:
    """What the systems said when the order was planned."""

    customer: Customer
    prices: dict[str, Decimal]
    stock: tuple[Stock, ...]
    centers: tuple[Center, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """How the order will be placed: prices, hold, and the split across centers."""

    customer_id: str
    currency: str
    prices: dict[str, Decimal]
    subtotal: Decimal
    hold_reason: str | None
    allocations: tuple[Allocation, ...]
    backorders: tuple[Backorder, ...]
    unfilled: tuple[Backorder, ...]

    @property
    def promised_date(self) -> date | None:
        dates = [a.delivery_date for a in self.allocations]
        dates += [b.promised_date for b in self.backorders if b.promised_date is not None]
        return max(dates) if dates else None

    def json(self) -> dict[str, Any]:
        return {
            "customerId": self.customer_id,
            "currency": self.currency,
            "prices": {sku: str(price) for sku, price in self.prices.items()},
            "subtotal": str(self.subtotal),
            "holdReason": self.hold_reason,
            "allocations": [x.json() for x in self.allocations],
            "backorders": [x.json() for x in self.backorders],
            "unfilled": [x.json() for x in self.unfilled],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            customer_id=data["customerId"],
            currency=data["currency"],
            prices={sku: Decimal(price) for sku, price in data["prices"].items()},
            subtotal=Decimal(data["subtotal"]),
            hold_reason=data["holdReason"],
            allocations=tuple(Allocation.from_json(x) for x in data["allocations"]),
            backorders=tuple(Backorder.from_json(x) for x in data["backorders"]),
            unfilled=tuple(Backorder.from_json(x) for x in data["unfilled"]),
        )


def validate_shape(request: OrderRequest) -> list[UserError]:
    """What is wrong with the input before asking any system."""
    if not request.lines:
        return [UserError("NO_LINES", ("lines",), "an order needs at least one line")]
    if len(request.lines) > MAX_LINES:
        return [UserError("TOO_MANY_LINES", ("lines",), f"at most {MAX_LINES} lines")]
    errors: list[UserError] = []
    seen: set[str] = set()
    for n, line in enumerate(request.lines):
        where = ("lines", str(n))
        if not 0 < line.quantity <= MAX_QUANTITY:
            errors.append(
                UserError(
                    "INVALID_QUANTITY",
                    (*where, "quantity"),
                    f"quantity must be 1 to {MAX_QUANTITY}, got {line.quantity}",
                )
            )
        if line.sku in seen:
            errors.append(
                UserError("DUPLICATE_SKU", (*where, "sku"), f"{line.sku} is on another line")
            )
        seen.add(line.sku)
    return errors


async def _parties(
    systems: Systems, request: OrderRequest
) -> tuple[list[UserError], Customer | None]:
    """Account (CRM), customer (ERP) and products (ERP), checked together."""
    skus = [line.sku for line in request.lines]
    active, customer, items = await asyncio.gather(
        systems.account_active(request.account_id),
        systems.customer(request.account_id),
        systems.items(skus),
    )
    errors: list[UserError] = []
    if active is None or customer is None:
        errors.append(
            UserError("UNKNOWN_ACCOUNT", ("accountId",), f"no account {request.account_id}")
        )
    elif not active:
        errors.append(
            UserError(
                "INACTIVE_ACCOUNT", ("accountId",), f"account {request.account_id} is inactive"
            )
        )
    for n, line in enumerate(request.lines):
        item = items.get(line.sku)
        where = ("lines", str(n), "sku")
        if item is None:
            errors.append(UserError("UNKNOWN_SKU", where, f"no product {line.sku}"))
        elif not item.active:
            errors.append(UserError("INACTIVE_PRODUCT", where, f"{line.sku} is not sold"))
    return errors, customer


async def gather_facts(systems: Systems, request: OrderRequest) -> list[UserError] | Facts:
    """The user errors of ``request``, or everything needed to plan it."""
    errors = validate_shape(request)
    if errors:
        return errors
    errors, customer = await _parties(systems, request)
    if errors:
        return errors
    assert customer is not None
    skus = [line.sku for line in request.lines]
    quantities = {line.sku: line.quantity for line in request.lines}
    prices, stock, centers = await asyncio.gather(
        systems.unit_prices(customer.internal_id, quantities),
        systems.stock(skus),
        systems.centers(),
    )
    return Facts(customer, prices, tuple(stock), tuple(centers))


def _shortfall_errors(request: OrderRequest, short: Sequence[Backorder]) -> list[UserError]:
    index = {line.sku: n for n, line in enumerate(request.lines)}
    return [
        UserError(
            "INSUFFICIENT_INVENTORY",
            ("lines", str(index[b.sku]), "quantity"),
            f"{b.quantity} of {b.sku} cannot be shipped from any center",
        )
        for b in short
    ]


def plan_from(
    request: OrderRequest, facts: Facts, *, priority: Sequence[str], today: date
) -> list[UserError] | Plan:
    """Allocate and price ``request`` over ``facts``; user errors if the order cannot stand."""
    allocation: AllocationPlan = allocate(
        request.lines,
        facts.stock,
        facts.centers,
        ship_region=request.ship_to.region,
        strategy=request.strategy,
        shortfall=request.shortfall,
        priority=priority,
        today=today,
    )
    if request.shortfall is ShortfallPolicy.REJECT and allocation.unfilled:
        return _shortfall_errors(request, allocation.unfilled)
    if request.shortfall is ShortfallPolicy.SHIP_AVAILABLE and not allocation.allocations:
        return _shortfall_errors(request, allocation.unfilled)
    ordered: dict[str, int] = {}
    parts: list[Allocation | Backorder] = [*allocation.allocations, *allocation.backorders]
    for part in parts:
        ordered[part.sku] = ordered.get(part.sku, 0) + part.quantity
    subtotal = sum(
        (facts.prices[sku] * quantity for sku, quantity in ordered.items()), Decimal("0.00")
    )
    return Plan(
        customer_id=facts.customer.internal_id,
        currency=facts.customer.currency,
        prices={sku: facts.prices[sku] for sku in ordered},
        subtotal=subtotal,
        hold_reason=None,  # credit is the ERP's to decide: ``with_credit``
        allocations=allocation.allocations,
        backorders=allocation.backorders,
        unfilled=allocation.unfilled,
    )


async def with_credit(systems: Systems, request: OrderRequest, plan: Plan) -> Plan:
    """``plan`` held for ``CREDIT`` unless the ERP says it fits the account's credit now.

    The ERP decides by the rule it enters orders with (``Systems.credit_fits``): the lines at
    the plan's prices, backordered ones included, plus the ship-to state's tax, against the
    exposure and the limit, a hold set by hand refusing all. So ``promiseOrder`` answers what
    ``submitOrder`` will decide, and a submission enters the order with the hold the ERP's own
    check at entry would give it (which, atomic with the entry, has the last word).
    """
    ordered: dict[str, int] = {}
    parts: list[Allocation | Backorder] = [*plan.allocations, *plan.backorders]
    for part in parts:
        ordered[part.sku] = ordered.get(part.sku, 0) + part.quantity
    lines = [(sku, quantity, plan.prices[sku]) for sku, quantity in ordered.items()]
    fits = await systems.credit_fits(request.account_id, request.ship_to.erp_address(), lines)
    return replace(plan, hold_reason=None if fits else "CREDIT")


async def plan_order(
    systems: Systems, request: OrderRequest, *, priority: Sequence[str], today: date
) -> list[UserError] | Plan:
    facts = await gather_facts(systems, request)
    if isinstance(facts, list):
        return facts
    planned = plan_from(request, facts, priority=priority, today=today)
    if isinstance(planned, list):
        return planned
    return await with_credit(systems, request, planned)

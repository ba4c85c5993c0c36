"""The orders subgraph's GraphQL types: inputs, payloads, and stubs of other subgraphs' entities."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from resolvers.records import (
    Allocation,
    AllocationStrategy,
    Backorder,
    LineRequest,
    OrderRequest,
    Outcome,
    ShipTo,
    ShortfallPolicy,
    UserError,
)
from subgraphs.common.types import Region

__all__ = [
    "AddressInput",
    "Backorder",
    "DistributionCenter",
    "Order",
    "OrderAllocation",
    "OrderBackorder",
    "OrderLineInput",
    "OrderUserError",
    "Product",
    "PromiseOrderInput",
    "SubmitOrderInput",
]

strawberry.enum(AllocationStrategy, description="Which distribution center a line ships from.")
strawberry.enum(ShortfallPolicy, description="What happens to quantities no center has.")
strawberry.enum(Outcome, name="SubmitOutcome", description="How a submission ended.")


@strawberry.enum(description="Why an order (or return) input was refused.")
class OrderUserErrorCode(Enum):
    NO_LINES = "NO_LINES"
    TOO_MANY_LINES = "TOO_MANY_LINES"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    DUPLICATE_SKU = "DUPLICATE_SKU"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    INACTIVE_PRODUCT = "INACTIVE_PRODUCT"
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    INACTIVE_ACCOUNT = "INACTIVE_ACCOUNT"
    INSUFFICIENT_INVENTORY = "INSUFFICIENT_INVENTORY"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IN_PROGRESS = "IN_PROGRESS"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    UNKNOWN_LINE = "UNKNOWN_LINE"
    ALREADY_SHIPPED = "ALREADY_SHIPPED"
    NOTHING_TO_CANCEL = "NOTHING_TO_CANCEL"
    NOT_ON_ORDER = "NOT_ON_ORDER"
    RETURN_NOT_FOUND = "RETURN_NOT_FOUND"
    RETURN_NOT_AUTHORIZED = "RETURN_NOT_AUTHORIZED"
    QUANTITY_EXCEEDS_AUTHORIZED = "QUANTITY_EXCEEDS_AUTHORIZED"
    NOT_EXPECTED = "NOT_EXPECTED"
    ALREADY_RECEIVED = "ALREADY_RECEIVED"
    WRONG_FACILITY = "WRONG_FACILITY"
    QUANTITY_EXCEEDS_EXPECTED = "QUANTITY_EXCEEDS_EXPECTED"
    NOT_HELD_FOR_REVIEW = "NOT_HELD_FOR_REVIEW"
    NOTHING_TO_RELEASE = "NOTHING_TO_RELEASE"
    REFUSED = "REFUSED"


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)], description="An ERP sales order."
)
class Order:
    id: strawberry.ID


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)], description="A distribution center."
)
class DistributionCenter:
    id: strawberry.ID


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("sku"), resolvable=False)], description="A product."
)
class Product:
    sku: str


@strawberry.type(description="A business problem with the input; nothing was changed for it.")
class OrderUserError:
    code: OrderUserErrorCode
    field: list[str] = strawberry.field(description="Path of the input field at fault.")
    message: str

    @classmethod
    def of(cls, error: UserError) -> OrderUserError:
        known = error.code in OrderUserErrorCode.__members__
        code = OrderUserErrorCode(error.code) if known else OrderUserErrorCode.REFUSED
        return cls(code=code, field=list(error.field), message=error.message)


@strawberry.type(description="Part of a line that ships from one distribution center.")
class OrderAllocation:
    sku: str
    product: Product
    distribution_center: DistributionCenter
    quantity: int
    alternate: bool = strawberry.field(
        description="Sourced from another center because the preferred one was short."
    )
    ship_date: datetime.date
    estimated_delivery_date: datetime.date

    @classmethod
    def of(cls, part: Allocation) -> OrderAllocation:
        return cls(
            sku=part.sku,
            product=Product(sku=part.sku),
            distribution_center=DistributionCenter(id=strawberry.ID(part.center_id)),
            quantity=part.quantity,
            alternate=part.alternate,
            ship_date=part.ship_date,
            estimated_delivery_date=part.delivery_date,
        )


@strawberry.type(description="Part of a line no center has now.")
class OrderBackorder:
    sku: str
    product: Product
    quantity: int
    distribution_center: DistributionCenter | None = strawberry.field(
        description="Where incoming supply will cover it, if any is due."
    )
    promised_date: datetime.date | None = strawberry.field(
        description="When incoming supply covers it; null if none is due."
    )

    @classmethod
    def of(cls, part: Backorder) -> OrderBackorder:
        center = DistributionCenter(id=strawberry.ID(part.center_id)) if part.center_id else None
        return cls(
            sku=part.sku,
            product=Product(sku=part.sku),
            quantity=part.quantity,
            distribution_center=center,
            promised_date=part.promised_date,
        )


@strawberry.input(description="A line of an order: how many of which product.")
class OrderLineInput:
    sku: str
    quantity: int


@strawberry.input(description="Where an order ships to.")
class AddressInput:
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    region: Region

    def ship_to(self) -> ShipTo:
        return ShipTo(
            self.street.strip(),
            self.city.strip(),
            self.state.strip().upper(),
            self.postal_code.strip(),
            self.country.strip().upper(),
            self.region,
        )


@strawberry.input(description="An order to submit.")
class SubmitOrderInput:
    account_id: strawberry.ID
    lines: list[OrderLineInput]
    ship_to: AddressInput
    requested_delivery_date: datetime.date | None = None
    customer_po_number: str | None = None
    allocation_strategy: AllocationStrategy = AllocationStrategy.NEAREST
    shortfall_policy: ShortfallPolicy = ShortfallPolicy.BACKORDER

    def request(self) -> OrderRequest:
        return OrderRequest(
            account_id=str(self.account_id).strip(),
            lines=tuple(LineRequest(x.sku.strip(), x.quantity) for x in self.lines),
            ship_to=self.ship_to.ship_to(),
            requested_delivery_date=self.requested_delivery_date,
            customer_po_number=self.customer_po_number,
            strategy=self.allocation_strategy,
            shortfall=self.shortfall_policy,
        )


@strawberry.input(description="An order to promise: what submitting it now would give.")
class PromiseOrderInput:
    account_id: strawberry.ID
    lines: list[OrderLineInput]
    ship_to: AddressInput
    allocation_strategy: AllocationStrategy = AllocationStrategy.NEAREST

    def request(self) -> OrderRequest:
        return OrderRequest(
            account_id=str(self.account_id).strip(),
            lines=tuple(LineRequest(x.sku.strip(), x.quantity) for x in self.lines),
            ship_to=self.ship_to.ship_to(),
            strategy=self.allocation_strategy,
        )

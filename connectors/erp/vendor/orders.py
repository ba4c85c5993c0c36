"""ERP sales orders, validated and normalized into ``OrderRecord``.

The ERP's ``status`` word mixes approval, fulfilment and billing ("Pending Approval",
"Partially Fulfilled", "Billed"); the order's own state is the custom field
``custbody_status``, read first. Where it is missing, the word is the best we know.
The financial status comes from what has been billed, paid and credited.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, StrictInt, StrictStr, model_validator

from connectors.erp.enums import FinancialStatus, HoldReason, OrderStatus
from connectors.erp.records import OrderRecord, PricedLine
from connectors.erp.vendor.base import Amount, NamedRef, Payload, Timestamp
from connectors.values import AddressRecord, Region

__all__ = ["PricedLinePayload", "SalesOrderPayload", "financial_status"]

_STATUS_WORDS = {
    "Pending Approval": OrderStatus.SUBMITTED,
    "Pending Fulfillment": OrderStatus.CONFIRMED,
    "Partially Fulfilled": OrderStatus.CONFIRMED,
    "Pending Billing/Partially Fulfilled": OrderStatus.CONFIRMED,
    "Pending Billing": OrderStatus.CONFIRMED,
    "Billed": OrderStatus.COMPLETED,
    "Closed": OrderStatus.COMPLETED,
    "Cancelled": OrderStatus.CANCELLED,
}


class PricedLinePayload(Payload):
    line: StrictInt = Field(ge=0)
    item: NamedRef
    quantity: StrictInt
    rate: Amount
    amount: Amount
    location: NamedRef | None = None

    def record(self) -> PricedLine:
        return PricedLine(
            line_number=self.line,
            sku=self.item.ref_name,
            quantity=self.quantity,
            unit_price=self.rate,
            extended_price=self.amount,
            center_id=self.location.ref_name if self.location else None,
        )


class _OrderLinePayload(PricedLinePayload):
    quantity_billed: StrictInt = Field(default=0, alias="quantityBilled", ge=0)


class _Lines(Payload):
    items: list[_OrderLinePayload]


class _Entity(Payload):
    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    external_id: StrictStr = Field(alias="externalId", min_length=1)


class _ShipAddress(Payload):
    addr1: StrictStr
    city: StrictStr
    state: StrictStr
    zip: StrictStr
    country: StrictStr
    region: Region = Field(alias="custrecord_region")

    def record(self) -> AddressRecord:
        return AddressRecord(
            street=self.addr1,
            city=self.city,
            state=self.state,
            postal_code=self.zip,
            country=self.country,
            region=self.region,
        )


def financial_status(
    *, quantity_ordered: int, quantity_billed: int, billed: Amount, paid: Amount, credited: Amount
) -> FinancialStatus:
    """Credited beats everything; otherwise how much is billed, and whether that is paid."""
    if credited > 0:
        return FinancialStatus.CREDITED
    if quantity_billed <= 0:
        return FinancialStatus.UNBILLED
    if quantity_billed < quantity_ordered:
        return FinancialStatus.PARTIALLY_BILLED
    return FinancialStatus.PAID if paid >= billed else FinancialStatus.BILLED


class SalesOrderPayload(Payload):
    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    tran_id: StrictStr = Field(alias="tranId", min_length=1)
    entity: _Entity
    status: StrictStr
    custbody_status: OrderStatus | None = None
    custbody_hold_reason: HoldReason | None = None
    currency: NamedRef
    other_ref_num: StrictStr | None = Field(default=None, alias="otherRefNum")
    ship_address: _ShipAddress | None = Field(default=None, alias="shipAddress")
    created_date: Timestamp | None = Field(default=None, alias="createdDate")
    custbody_requested_delivery: date | None = None
    custbody_promised_date: date | None = None
    custbody_submitted_by: StrictStr | None = None
    custbody_cancelled_by: StrictStr | None = None
    custbody_cancel_reason: StrictStr | None = None
    subtotal: Amount
    tax_total: Amount = Field(alias="taxTotal")
    total: Amount
    amount_billed: Amount = Field(default="0", alias="amountBilled", validate_default=True)
    amount_paid: Amount = Field(default="0", alias="amountPaid", validate_default=True)
    amount_credited: Amount = Field(default="0", alias="amountCredited", validate_default=True)
    item: _Lines

    @model_validator(mode="after")
    def _known_status(self) -> SalesOrderPayload:
        if self.custbody_status is None and self.status not in _STATUS_WORDS:
            raise ValueError(f"unknown sales order status {self.status!r}")
        return self

    def order_status(self) -> OrderStatus:
        if self.custbody_status is not None:
            return self.custbody_status
        return _STATUS_WORDS[self.status]

    def record(self) -> OrderRecord:
        lines = self.item.items
        status = self.order_status()
        return OrderRecord(
            id=self.internal_id,
            number=self.tran_id,
            account_id=self.entity.external_id,
            status=status,
            hold_reason=self.custbody_hold_reason if status is OrderStatus.ON_HOLD else None,
            financial_status=financial_status(
                quantity_ordered=sum(line.quantity for line in lines),
                quantity_billed=sum(min(line.quantity_billed, line.quantity) for line in lines),
                billed=self.amount_billed,
                paid=self.amount_paid,
                credited=self.amount_credited,
            ),
            currency=self.currency.ref_name,
            customer_po=self.other_ref_num or None,
            ship_to=self.ship_address.record() if self.ship_address else None,
            placed_at=self.created_date,
            requested_delivery_date=self.custbody_requested_delivery,
            promised_date=self.custbody_promised_date,
            lines=tuple(line.record() for line in lines),
            subtotal=self.subtotal,
            tax=self.tax_total,
            total=self.total,
            submitted_by=self.custbody_submitted_by or None,
            cancelled_by=self.custbody_cancelled_by or None,
            cancel_reason=self.custbody_cancel_reason or None,
        )

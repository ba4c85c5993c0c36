"""ERP invoices, credit memos and return authorizations, normalized into our records."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt, StrictStr

from connectors.erp.enums import InvoiceStatus, ReturnAuthorizationStatus, ReturnReason
from connectors.erp.records import (
    CreditMemoRecord,
    InvoiceRecord,
    ReturnAuthorizationRecord,
    ReturnLine,
)
from connectors.erp.vendor.base import Amount, NamedRef, Payload, RecordRef, Timestamp
from connectors.erp.vendor.orders import PricedLinePayload

__all__ = ["CreditMemoPayload", "InvoicePayload", "ReturnAuthorizationPayload"]

_INVOICE_STATUSES = {"Open": InvoiceStatus.OPEN, "Paid In Full": InvoiceStatus.PAID}
_RETURN_STATUSES = {
    "Pending Approval": ReturnAuthorizationStatus.REQUESTED,
    "Pending Receipt": ReturnAuthorizationStatus.AUTHORIZED,
    "Partially Received": ReturnAuthorizationStatus.PARTIALLY_RECEIVED,
    "Cancelled": ReturnAuthorizationStatus.DECLINED,
    "Pending Refund": ReturnAuthorizationStatus.RECEIVED,
    "Refunded": ReturnAuthorizationStatus.CREDITED,
}


def _invoice_status(value: Any) -> InvoiceStatus:
    if not isinstance(value, str) or value not in _INVOICE_STATUSES:
        raise ValueError(f"unknown invoice status {value!r}")
    return _INVOICE_STATUSES[value]


def _return_status(value: Any) -> ReturnAuthorizationStatus:
    if not isinstance(value, str) or value not in _RETURN_STATUSES:
        raise ValueError(f"unknown return authorization status {value!r}")
    return _RETURN_STATUSES[value]


class _Entity(Payload):
    external_id: StrictStr = Field(alias="externalId", min_length=1)


class _PricedLines(Payload):
    items: list[PricedLinePayload]


class _Transaction(Payload):
    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    tran_id: StrictStr = Field(alias="tranId", min_length=1)
    entity: _Entity
    currency: NamedRef
    created_date: Timestamp = Field(alias="createdDate")


class _Billed(_Transaction):
    subtotal: Amount
    tax_total: Amount = Field(alias="taxTotal")
    total: Amount
    item: _PricedLines


class InvoicePayload(_Billed):
    status: Annotated[InvoiceStatus, BeforeValidator(_invoice_status)]
    created_from: RecordRef = Field(alias="createdFrom")
    custbody_shipment_id: StrictStr | None = None
    due_date: date = Field(alias="dueDate")
    amount_remaining: Amount = Field(alias="amountRemaining")

    def record(self) -> InvoiceRecord:
        return InvoiceRecord(
            id=self.internal_id,
            number=self.tran_id,
            order_id=self.created_from.internal_id,
            account_id=self.entity.external_id,
            shipment_id=self.custbody_shipment_id or None,
            status=self.status,
            currency=self.currency.ref_name,
            issued_at=self.created_date,
            due_date=self.due_date,
            lines=tuple(line.record() for line in self.item.items),
            subtotal=self.subtotal,
            tax=self.tax_total,
            total=self.total,
            balance_due=self.amount_remaining,
        )


class CreditMemoPayload(_Billed):
    status: StrictStr | None = None
    created_from: RecordRef | None = Field(default=None, alias="createdFrom")
    custbody_sales_order: RecordRef

    def record(self) -> CreditMemoRecord:
        return CreditMemoRecord(
            id=self.internal_id,
            number=self.tran_id,
            order_id=self.custbody_sales_order.internal_id,
            account_id=self.entity.external_id,
            return_authorization_id=self.created_from.internal_id if self.created_from else None,
            currency=self.currency.ref_name,
            issued_at=self.created_date,
            lines=tuple(line.record() for line in self.item.items),
            subtotal=self.subtotal,
            tax=self.tax_total,
            total=self.total,
        )


class _ReturnLinePayload(Payload):
    line: StrictInt = Field(ge=0)
    item: NamedRef
    quantity: StrictInt
    quantity_received: StrictInt = Field(default=0, ge=0, alias="quantityReceived")
    custcol_return_reason: ReturnReason | None = None

    def record(self) -> ReturnLine:
        return ReturnLine(
            line_number=self.line,
            sku=self.item.ref_name,
            quantity=self.quantity,
            reason=self.custcol_return_reason,
            quantity_received=self.quantity_received,
        )


class _ReturnLines(Payload):
    items: list[_ReturnLinePayload]


class ReturnAuthorizationPayload(_Transaction):
    status: Annotated[ReturnAuthorizationStatus, BeforeValidator(_return_status)]
    created_from: RecordRef = Field(alias="createdFrom")
    custbody_decline_reason: StrictStr | None = None
    location: NamedRef | None = None
    custbody_requested_by: StrictStr | None = None
    custbody_received_by: StrictStr | None = None
    item: _ReturnLines

    def record(self) -> ReturnAuthorizationRecord:
        return ReturnAuthorizationRecord(
            id=self.internal_id,
            number=self.tran_id,
            order_id=self.created_from.internal_id,
            account_id=self.entity.external_id,
            status=self.status,
            decline_reason=self.custbody_decline_reason or None,
            center_id=self.location.ref_name if self.location else None,
            created_at=self.created_date,
            lines=tuple(line.record() for line in self.item.items),
            requested_by=self.custbody_requested_by or None,
            received_by=self.custbody_received_by or None,
        )

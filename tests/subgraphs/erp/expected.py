"""What the ERP subgraph should answer for records of the test world, field by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from systems.world import document_amounts
from systems.world_records import (
    InvoiceRecord,
    OrderLineRecord,
    OrderRecord,
    ProductRecord,
    World,
)
from tests.support.expected import address_json

__all__ = [
    "INVOICE_FIELDS",
    "ORDER_FIELDS",
    "PRODUCT_FIELDS",
    "expected_financial_status",
    "expected_invoice",
    "expected_order",
    "expected_product",
    "money",
]

UNITS = {"EA": "EACH", "CS": "CASE", "BX": "BOX", "PK": "PACK", "RL": "ROLL"}

PRODUCT_FIELDS = """
  sku name description category unitOfMeasure listPrice { amount currency } active weightKg
  quantityBreaks { minQuantity discountPercent unitPrice { amount } }
"""

LINE_FIELDS = """
  lineNumber quantity unitPrice { amount currency } extendedPrice { amount currency }
  product { sku } distributionCenter { id }
"""

ORDER_FIELDS = f"""
  id number status holdReason financialStatus currency customerPoNumber
  shipTo {{ street city state postalCode country region }}
  lines {{ {LINE_FIELDS} }}
  subtotal {{ amount currency }} tax {{ amount currency }} total {{ amount currency }}
  placedAt requestedDeliveryDate promisedDate account {{ id }}
"""

INVOICE_FIELDS = f"""
  id number invoiceStatus: status issuedAt dueDate lines {{ {LINE_FIELDS} }}
  subtotal {{ amount }} tax {{ amount }} total {{ amount }} balanceDue {{ amount }}
  order {{ id }} shipment {{ id }} account {{ id }}
"""


def money(amount: Decimal, currency: str = "USD") -> dict[str, str]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currency": currency}


def expected_product(world: World, product: ProductRecord) -> dict[str, Any]:
    breaks = [b for b in world.quantity_breaks if b.sku == product.sku]
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "unitOfMeasure": UNITS[product.unit_of_measure],
        "listPrice": money(product.list_price),
        "active": product.active,
        "weightKg": float(product.weight_kg),
        "quantityBreaks": [
            {
                "minQuantity": b.min_quantity,
                "discountPercent": float(b.discount_percent),
                "unitPrice": {
                    "amount": str(
                        (product.list_price * (100 - b.discount_percent) / 100).quantize(
                            Decimal("0.01"), rounding="ROUND_HALF_UP"
                        )
                    )
                },
            }
            for b in sorted(breaks, key=lambda b: b.min_quantity)
        ],
    }


def _line(line: OrderLineRecord, currency: str) -> dict[str, Any]:
    return {
        "lineNumber": line.line_number,
        "quantity": line.quantity,
        "unitPrice": money(line.unit_price, currency),
        "extendedPrice": money(line.unit_price * line.quantity, currency),
        "product": {"sku": line.sku},
        "distributionCenter": {"id": line.center_id},
    }


def expected_financial_status(world: World, order: OrderRecord) -> str:
    if any(m.order_id == order.id for m in world.credit_memos):
        return "CREDITED"
    invoices = [i for i in world.invoices if i.order_id == order.id]
    billed = sum(line.quantity for i in invoices for line in i.lines)
    if billed == 0:
        return "UNBILLED"
    if billed < sum(line.quantity for line in order.lines):
        return "PARTIALLY_BILLED"
    return "PAID" if all(i.status == "PAID" for i in invoices) else "BILLED"


def expected_order(world: World, order: OrderRecord) -> dict[str, Any]:
    subtotal, tax, total = document_amounts(order.lines, order.tax_rate)
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "holdReason": order.hold_reason,
        "financialStatus": expected_financial_status(world, order),
        "currency": order.currency,
        "customerPoNumber": order.customer_po,
        "shipTo": address_json(order.ship_to),
        "lines": [_line(line, order.currency) for line in order.lines],
        "subtotal": money(subtotal, order.currency),
        "tax": money(tax, order.currency),
        "total": money(total, order.currency),
        "placedAt": order.placed_at.isoformat(),
        "requestedDeliveryDate": order.requested_delivery_date.isoformat(),
        "promisedDate": None if order.promised_date is None else order.promised_date.isoformat(),
        "account": {"id": order.account_id},
    }


def expected_invoice(invoice: InvoiceRecord) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "invoiceStatus": invoice.status,
        "issuedAt": invoice.issued_at.isoformat(),
        "dueDate": invoice.due_date.isoformat(),
        "lines": [_line(line, "USD") for line in invoice.lines],
        "subtotal": {"amount": str(invoice.subtotal)},
        "tax": {"amount": str(invoice.tax)},
        "total": {"amount": str(invoice.total)},
        "balanceDue": {"amount": str(invoice.total) if invoice.status == "OPEN" else "0.00"},
        "order": {"id": invoice.order_id},
        "shipment": {"id": invoice.shipment_id},
        "account": {"id": invoice.account_id},
    }

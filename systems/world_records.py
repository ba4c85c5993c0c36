"""The records of the demo world: one distributor's history as all three systems know it.

Ids here are the graph's ids (``Account.id`` is the CRM Id, ``Order.id`` the ERP internal id,
``Product.sku`` the item id, ``DistributionCenter.id`` the WMS facility code); each system's
seeder maps these records into its own vendor-shaped tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "REGIONS",
    "AccountRecord",
    "Address",
    "CaseRecord",
    "ContactRecord",
    "CreditMemoRecord",
    "DistributionCenterRecord",
    "FulfillmentOrderRecord",
    "InventoryRecord",
    "InvoiceRecord",
    "LineQuantity",
    "OrderLineRecord",
    "OrderRecord",
    "PriceListEntryRecord",
    "PriceListRecord",
    "ProductRecord",
    "QuantityBreakRecord",
    "ReturnAuthorizationRecord",
    "ReturnLineRecord",
    "ReturnReceiptLineRecord",
    "ReturnReceiptRecord",
    "ShipmentRecord",
    "TrackingEventRecord",
    "World",
]

REGIONS: tuple[str, ...] = ("NORTHEAST", "SOUTHEAST", "MIDWEST", "SOUTHWEST", "WEST")


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    region: str


@dataclass(frozen=True)
class DistributionCenterRecord:
    id: str  # facility code, e.g. "ATL1"
    name: str
    region: str
    address: Address
    timezone: str


@dataclass(frozen=True)
class PriceListRecord:
    id: str  # e.g. "PL-GOLD"
    name: str
    discount_percent: Decimal  # off list price, for every item without an explicit entry


@dataclass(frozen=True)
class AccountRecord:
    id: str  # CRM Id, 18 characters
    number: str  # "ACC-10001"
    name: str
    segment: str  # ENTERPRISE | MID_MARKET | SMALL_BUSINESS
    region: str  # one of REGIONS
    tier: str  # PLATINUM | GOLD | SILVER | BRONZE
    owner: str  # account owner (sales rep)
    industry: str
    phone: str
    active: bool
    billing_address: Address
    created_at: datetime
    # ERP side of the same customer
    erp_id: str  # ERP internal id
    customer_code: str  # ERP entity id, "C10001"
    payment_terms: str  # NET_15 | NET_30 | NET_45 | NET_60 | DUE_ON_RECEIPT
    credit_limit: Decimal
    credit_hold: bool
    price_list_id: str


@dataclass(frozen=True)
class ContactRecord:
    id: str
    account_id: str
    first_name: str
    last_name: str
    title: str
    email: str
    phone: str
    primary: bool


@dataclass(frozen=True)
class ProductRecord:
    sku: str  # "SKU-10001"
    erp_id: str
    name: str
    description: str
    category: str
    unit_of_measure: str  # EA | CS | BX | PK | RL
    list_price: Decimal
    weight_kg: Decimal
    active: bool


@dataclass(frozen=True)
class PriceListEntryRecord:
    """A customer-specific (price-list) price for one item, overriding the list discount."""

    price_list_id: str
    sku: str
    unit_price: Decimal


@dataclass(frozen=True)
class QuantityBreakRecord:
    """From ``min_quantity`` units on, the item costs ``discount_percent`` less."""

    sku: str
    min_quantity: int
    discount_percent: Decimal


@dataclass(frozen=True)
class InventoryRecord:
    sku: str
    center_id: str
    on_hand: int
    allocated: int  # reserved for open fulfillment orders; available = on_hand - allocated
    incoming: int
    incoming_date: date | None


@dataclass(frozen=True)
class OrderLineRecord:
    line_number: int
    sku: str
    quantity: int
    unit_price: Decimal
    center_id: str  # the distribution center the line ships from


@dataclass(frozen=True)
class OrderRecord:
    id: str  # ERP internal id
    number: str  # "SO-100001"
    account_id: str
    status: str  # DRAFT | SUBMITTED | ON_HOLD | CONFIRMED | COMPLETED | CANCELLED
    hold_reason: str | None  # CREDIT | PRICING | MANUAL_REVIEW when ON_HOLD
    currency: str
    customer_po: str
    ship_to: Address
    placed_at: datetime
    requested_delivery_date: date
    promised_date: date | None
    tax_rate: Decimal
    lines: tuple[OrderLineRecord, ...]


@dataclass(frozen=True)
class LineQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True)
class FulfillmentOrderRecord:
    id: str  # "FO-1000001"
    order_id: str
    order_number: str
    center_id: str
    # RELEASED | PICKING | PICKED | PACKED | SHIPPED | DELIVERED | CANCELLED
    status: str
    released_at: datetime
    lines: tuple[LineQuantity, ...]


@dataclass(frozen=True)
class TrackingEventRecord:
    status: str
    description: str
    location: str
    occurred_at: datetime


@dataclass(frozen=True)
class ShipmentRecord:
    id: str  # "SH-1000001"
    fulfillment_order_id: str
    order_id: str
    center_id: str
    carrier: str  # UPS | FEDEX | USPS | XPO
    service: str
    tracking_number: str
    # LABEL_CREATED | PICKED_UP | IN_TRANSIT | OUT_FOR_DELIVERY | DELIVERED
    # | DELAYED | EXCEPTION | RETURNED_TO_SENDER
    status: str
    package_count: int
    weight_kg: Decimal
    shipped_at: datetime
    estimated_delivery: date
    delivered_at: datetime | None
    lines: tuple[LineQuantity, ...]
    events: tuple[TrackingEventRecord, ...]


@dataclass(frozen=True)
class InvoiceRecord:
    id: str  # ERP internal id
    number: str  # "INV-100001"
    order_id: str
    account_id: str
    shipment_id: str  # one invoice per shipped shipment
    status: str  # OPEN | PAID
    issued_at: datetime
    due_date: date
    lines: tuple[OrderLineRecord, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class ReturnLineRecord:
    sku: str
    quantity: int
    reason: str  # DAMAGED | WRONG_ITEM | NOT_NEEDED | DEFECTIVE


@dataclass(frozen=True)
class ReturnAuthorizationRecord:
    id: str  # ERP internal id
    number: str  # "RMA-100001"
    order_id: str
    account_id: str
    # REQUESTED | AUTHORIZED | DECLINED | RECEIVED | CREDITED
    status: str
    decline_reason: str | None
    center_id: str  # where the goods come back to
    created_at: datetime
    lines: tuple[ReturnLineRecord, ...]


@dataclass(frozen=True)
class ReturnReceiptLineRecord:
    sku: str
    quantity_received: int
    disposition: str  # RESTOCKED | NOT_RESTOCKED | INSPECTION_REQUIRED | SCRAPPED


@dataclass(frozen=True)
class ReturnReceiptRecord:
    id: str  # "RR-1000001"
    return_authorization_id: str
    order_id: str
    center_id: str
    received_at: datetime
    lines: tuple[ReturnReceiptLineRecord, ...]


@dataclass(frozen=True)
class CreditMemoRecord:
    id: str
    number: str  # "CM-100001"
    order_id: str
    account_id: str
    return_authorization_id: str
    issued_at: datetime
    lines: tuple[OrderLineRecord, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class CaseRecord:
    id: str  # CRM Id
    case_number: str  # "00001001"
    account_id: str
    contact_id: str | None
    subject: str
    description: str
    status: str  # NEW | WORKING | ESCALATED | CLOSED
    priority: str  # LOW | MEDIUM | HIGH | CRITICAL
    origin: str  # PHONE | EMAIL | WEB | PORTAL
    order_id: str | None  # ERP order internal id
    order_number: str | None
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class World:
    """Everything the three systems are seeded with, consistent across them."""

    seed: int
    anchor: datetime  # "now" of the demo history; everything happened before it
    centers: tuple[DistributionCenterRecord, ...]
    price_lists: tuple[PriceListRecord, ...]
    accounts: tuple[AccountRecord, ...]
    contacts: tuple[ContactRecord, ...]
    products: tuple[ProductRecord, ...]
    price_list_entries: tuple[PriceListEntryRecord, ...]
    quantity_breaks: tuple[QuantityBreakRecord, ...]
    inventory: tuple[InventoryRecord, ...]
    orders: tuple[OrderRecord, ...]
    fulfillment_orders: tuple[FulfillmentOrderRecord, ...]
    shipments: tuple[ShipmentRecord, ...]
    invoices: tuple[InvoiceRecord, ...]
    return_authorizations: tuple[ReturnAuthorizationRecord, ...]
    return_receipts: tuple[ReturnReceiptRecord, ...]
    credit_memos: tuple[CreditMemoRecord, ...]
    cases: tuple[CaseRecord, ...]

"""The three systems as the workflows see them: typed reads and idempotent writes.

Reads reuse the subgraphs' clients and vendor parsing (one place knows each vendor shape);
writes follow ``docs/system-writes.md``. Every call raises ``SystemCallError`` when a system
fails, so a workflow step either returns a record or fails as a whole.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from connectors.crm.client import CrmClient
from connectors.crm.vendor import AccountPayload
from connectors.crm.vendor import parse_record as parse_crm
from connectors.erp.client import ErpClient
from connectors.erp.records import ItemRecord, OrderRecord, ReturnAuthorizationRecord
from connectors.erp.vendor import (
    CustomerPayload,
    ItemPayload,
    ReturnAuthorizationPayload,
    parse_list,
    parse_record,
)
from connectors.http import SystemClient, SystemResponseInvalid
from connectors.settings import system_client
from connectors.wms.client import WmsClient
from connectors.wms.vendor import FacilityPayload
from connectors.wms.vendor import parse_record as parse_wms
from resolvers.allocation import Center, Stock
from resolvers.settings import WorkflowSettings
from telemetry.metrics import ClientCalls

__all__ = [
    "Customer",
    "FulfillmentCancel",
    "KeyHeld",
    "OrderRef",
    "ReceiptBooking",
    "ReservationReleased",
    "ShortLine",
    "Systems",
]

# What an id in a system may look like; anything else names no record and is never sent.
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

FulfillmentCancel = Literal["CANCELLED", "UNRELEASED", "SHIPPED"]
"""What cancelling an order's fulfillment did: cancelled open lines, found none released, or
found every asked line shipped (and changed nothing)."""


@dataclass(frozen=True, slots=True)
class Customer:
    """The ERP customer of a CRM account: its id there and its live credit position."""

    internal_id: str
    currency: str
    credit_limit: Decimal
    credit_exposure: Decimal
    credit_hold: bool


@dataclass(frozen=True, slots=True)
class ReceiptBooking:
    """What the WMS made of a return receipt: its number (``RR-…``), or its refusal code."""

    receipt_no: str | None = None
    refusal: str | None = None


class KeyHeld(Exception):
    """The ERP keeps the order's submission key for another request: nothing was entered."""


class ReservationReleased(Exception):
    """The WMS answered a reservation with its id released: taken back (or tombstoned) by a
    compensation before this reserve, which therefore allocated nothing."""


@dataclass(frozen=True, slots=True)
class OrderRef:
    """A sales order as the ERP answered it; ``external_id`` is the workflow that entered it
    and ``submission`` what that workflow left with it, when the ERP said (look-ups by key,
    and a create answered with the order that holds its key)."""

    id: str
    number: str
    status: str
    hold_reason: str | None = None
    external_id: str | None = None
    submission: dict[str, Any] | None = None
    request_fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class ShortLine:
    sku: str
    center_id: str
    requested: int
    available: int


class Systems:
    """One shared HTTP client per system; ``calls`` and the clients are for the whole process."""

    def __init__(
        self,
        crm: SystemClient,
        erp: SystemClient,
        wms: SystemClient,
        *,
        centers_ttl_seconds: float = 300.0,
    ) -> None:
        self.crm = crm
        self.erp = erp
        self.wms = wms
        self._crm = CrmClient(crm)
        self._erp = ErpClient(erp)
        self._wms = WmsClient(wms)
        self._centers_ttl = centers_ttl_seconds
        self._centers: tuple[float, list[Center]] | None = None

    @classmethod
    def from_settings(
        cls, settings: WorkflowSettings, *, calls: ClientCalls | None = None
    ) -> Systems:
        """The three systems' clients as ``settings`` say, their calls timed into ``calls``."""
        return cls(
            system_client("crm", settings.connectors, calls=calls),
            system_client("erp", settings.connectors, calls=calls),
            system_client("wms", settings.connectors, calls=calls),
            centers_ttl_seconds=settings.reference_ttl_seconds,
        )

    def health_checks(self) -> dict[str, Callable[[], Awaitable[bool]]]:
        """Each system's health check, by name: the orders workflows need all three."""
        return {"crm": self._crm.ping, "erp": self._erp.ping, "wms": self._wms.ping}

    async def aclose(self) -> None:
        for client in (self.crm, self.erp, self.wms):
            await client.aclose()

    # Reads.

    async def account_active(self, account_id: str) -> bool | None:
        """Whether the CRM account is active; ``None`` if the CRM has no such account."""
        found = await self._crm.account_payloads([account_id])
        data = found.get(account_id)
        return None if data is None else parse_crm(AccountPayload, data).record().active

    async def customer(self, account_id: str) -> Customer | None:
        if not _ID.fullmatch(account_id):
            return None  # no customer has such an id; the ERP would refuse to look (422)
        body = await self.erp.get_json("/customers", {"externalIds": account_id})
        for data in parse_list(body).items:
            payload = parse_record(CustomerPayload, data)
            credit = payload.credit()
            return Customer(
                internal_id=payload.internal_id,
                currency=credit.currency,
                credit_limit=credit.credit_limit,
                credit_exposure=credit.credit_exposure,
                credit_hold=credit.credit_hold,
            )
        return None

    async def items(self, skus: Sequence[str]) -> dict[str, ItemRecord]:
        found = await self._erp.item_payloads(list(skus))
        return {sku: parse_record(ItemPayload, data).record() for sku, data in found.items()}

    async def unit_prices(self, customer_id: str, quantities: dict[str, int]) -> dict[str, Decimal]:
        """The customer's unit price of each SKU at its quantity (quantity breaks apply)."""
        by_quantity: dict[int, list[str]] = {}
        for sku, quantity in quantities.items():
            by_quantity.setdefault(quantity, []).append(sku)
        prices: dict[str, Decimal] = {}
        for quantity, skus in by_quantity.items():
            body = await self.erp.get_json(
                "/prices", {"customer": customer_id, "skus": ",".join(skus), "quantity": quantity}
            )
            for data in parse_list(body).items:
                prices[data["item"]["refName"]] = Decimal(data["unitPrice"])
        return prices

    async def stock(self, skus: Sequence[str]) -> list[Stock]:
        return [
            Stock(
                p.sku, p.center_id, p.on_hand, p.allocated, p.available, p.incoming, p.incoming_date
            )
            for p in await self._wms.positions(skus)
        ]

    async def centers(self) -> list[Center]:
        """The distribution centers, kept for the reference TTL (they hardly ever change)."""
        now = time.monotonic()
        if self._centers is not None and now - self._centers[0] < self._centers_ttl:
            return self._centers[1]
        directory = await self._wms.facility_directory()
        records = [parse_wms(FacilityPayload, data).record() for data in directory.values()]
        centers = [Center(record.id, record.region) for record in records]
        self._centers = (now, centers)
        return centers

    # Writes (each idempotent by the id the caller derives from its workflow).

    async def reserve(
        self, reservation_id: str, lines: Sequence[tuple[str, str, int]]
    ) -> list[ShortLine]:
        """Allocate ``(sku, center, qty)`` lines, all or none; the short lines if refused.
        Raises ``ReservationReleased`` for an id released before (nothing allocated)."""
        body = {
            "reservation_id": reservation_id,
            "lines": [{"item_number": s, "facility_id": c, "qty": q} for s, c, q in lines],
        }
        answer = await self.wms.request("POST", "/reservations", json=body, accept=(409,))
        if answer.status != 409:
            if isinstance(answer.body, dict) and answer.body.get("status") == "RELEASED":
                raise ReservationReleased(reservation_id)
            return []
        error = _error(answer.body)
        if error.get("code") != "INSUFFICIENT_INVENTORY":
            raise SystemResponseInvalid("wms", f"wms refused the reservation: {error.get('code')}")
        return [
            ShortLine(x["item_number"], x["facility_id"], x["qty_requested"], x["qty_available"])
            for x in error.get("short_lines", [])
        ]

    async def release_reservation(self, reservation_id: str) -> None:
        await self.wms.request("DELETE", f"/reservations/{reservation_id}", accept=(404,))

    async def credit_fits(
        self,
        account_id: str,
        ship_address: dict[str, Any],
        lines: Sequence[tuple[str, int, Decimal]],
    ) -> bool:
        """Whether an order of ``lines`` (``(sku, quantity, unit price)``) shipped to
        ``ship_address`` (the ERP's shape) fits the account's credit now, by the ERP's own
        rule: its total with the ship-to state's tax against exposure and limit, as entering
        the order would decide (``POST /salesOrders/creditCheck``)."""
        body = {
            "entity": {"externalId": account_id},
            "shipAddress": ship_address,
            "item": {
                "items": [
                    {"item": {"refName": sku}, "quantity": quantity, "rate": str(price)}
                    for sku, quantity, price in lines
                ]
            },
        }
        answer = await self.erp.request("POST", "/salesOrders/creditCheck", json=body)
        fits = answer.body.get("fits") if isinstance(answer.body, dict) else None
        if not isinstance(fits, bool):
            raise SystemResponseInvalid("erp", "erp answered a credit check without 'fits'")
        return fits

    async def create_order(self, body: dict[str, Any]) -> OrderRef:
        """Enter the order; ``KeyHeld`` when its submission key holds another request's."""
        answer = await self.erp.request("POST", "/salesOrders", json=body, accept=(409,))
        if answer.status == 409:
            if _error(answer.body).get("code") == "IDEMPOTENCY_KEY_REUSED":
                raise KeyHeld(str(body.get("custbody_idempotency_key")))
            raise SystemResponseInvalid("erp", "erp answered 409")
        return _order_ref(answer.body)

    async def orders_entered_as(self, external_ids: Sequence[str]) -> dict[str, OrderRef]:
        """The orders ``create_order`` entered under ``external_ids`` (found ones), as they
        are now."""
        body = await self.erp.get_json("/salesOrders", {"externalIds": ",".join(external_ids)})
        found: dict[str, OrderRef] = {}
        for data in parse_list(body).items:
            external_id = data.get("externalId") if isinstance(data, dict) else None
            if not isinstance(external_id, str):
                raise SystemResponseInvalid("erp", "erp answered a sales order without its id")
            found[external_id] = _order_ref(data)
        return found

    async def order_of_key(self, key: str) -> OrderRef | None:
        """The order that holds the submission ``key`` in the ERP (open or not), if any."""
        body = await self.erp.get_json("/salesOrders", {"idempotencyKeys": key})
        items = parse_list(body).items
        return _order_ref(items[0]) if items else None

    async def hold_order(self, order_id: str, reason: str) -> OrderRef:
        body = {"custbody_status": "ON_HOLD", "custbody_hold_reason": reason}
        answer = await self.erp.request("PATCH", f"/salesOrders/{order_id}", json=body)
        return _order_ref(answer.body)

    async def confirm_order(self, order_id: str) -> OrderRef:
        """Confirm an order (a hold lifted, its reason cleared); a confirmed one stays so."""
        answer = await self.erp.request(
            "PATCH", f"/salesOrders/{order_id}", json={"custbody_status": "CONFIRMED"}
        )
        return _order_ref(answer.body)

    async def order(self, order_id: str) -> OrderRecord | None:
        found = await self._erp.orders([order_id])
        return found[0] if found else None

    async def cancel_order_lines(
        self,
        order_id: str,
        request_id: str,
        lines: Sequence[int] | None,
        reason: str,
        *,
        by: str | None = None,
    ) -> bool:
        """Cancel the open (unbilled) quantity of ``lines`` (all when None); False if none was.
        The ERP records ``by`` as who cancelled."""
        body = {"requestId": request_id, "lines": None if lines is None else list(lines)}
        body["reason"] = reason
        if by is not None:
            body["cancelledBy"] = by
        answer = await self.erp.request(
            "POST", f"/salesOrders/{order_id}/cancel", json=body, accept=(409,)
        )
        if answer.status == 409 and _error(answer.body).get("code") != "NOTHING_TO_CANCEL":
            raise SystemResponseInvalid("erp", "erp refused the cancellation")
        return answer.status != 409

    async def cancel_fulfillment(
        self, request_id: str, order_id: str, skus: Sequence[str] | None
    ) -> tuple[FulfillmentCancel, list[str]]:
        """Cancel the open fulfillment lines of ``skus`` (all when None); the SKUs cancelled."""
        body = {
            "request_id": request_id,
            "order_ref": order_id,
            "items": None if skus is None else list(skus),
        }
        answer = await self.wms.request(
            "POST", "/fulfillment-orders/cancel", json=body, accept=(404, 409)
        )
        if answer.status == 404:
            return "UNRELEASED", []
        if answer.status == 409:
            if _error(answer.body).get("code") != "ALREADY_SHIPPED":
                raise SystemResponseInvalid("wms", "wms refused the cancellation")
            return "SHIPPED", []
        lines = answer.body.get("cancelled_lines", []) if isinstance(answer.body, dict) else []
        return "CANCELLED", list(dict.fromkeys(str(x["item_number"]) for x in lines))

    async def return_authorization(self, ra_id: str) -> ReturnAuthorizationRecord | None:
        found = await self._erp.return_authorizations([ra_id])
        return found[0] if found else None

    async def authorize_return(self, body: dict[str, Any]) -> ReturnAuthorizationRecord:
        answer = await self.erp.post_json("/returnAuthorizations", body)
        return parse_record(ReturnAuthorizationPayload, answer).record()

    async def receive_return_erp(self, ra_id: str, body: dict[str, Any]) -> None:
        await self.erp.post_json(f"/returnAuthorizations/{ra_id}/receive", body)

    async def credit_return(self, body: dict[str, Any]) -> str:
        """Issue the credit memo; its internal id."""
        answer = await self.erp.post_json("/creditMemos", body)
        try:
            return str(answer["internalId"])
        except (KeyError, TypeError):
            raise SystemResponseInvalid(
                "erp", "erp answered a credit memo without its id"
            ) from None

    async def expect_return(self, body: dict[str, Any]) -> None:
        await self.wms.post_json("/expected-returns", body)

    async def receive_return_wms(self, body: dict[str, Any]) -> ReceiptBooking:
        """Book the receipt (restocking what is RESTOCKED): its number, or the WMS's refusal."""
        answer = await self.wms.request("POST", "/return-receipts", json=body, accept=(409,))
        if answer.status == 409:
            return ReceiptBooking(refusal=str(_error(answer.body).get("code") or "REFUSED"))
        number = answer.body.get("receipt_no") if isinstance(answer.body, dict) else None
        if not isinstance(number, str) or not number:
            raise SystemResponseInvalid("wms", "wms answered a return receipt without its number")
        return ReceiptBooking(receipt_no=number)

    async def release_fulfillment(self, body: dict[str, Any]) -> list[str]:
        """Release fulfillment orders, one per center; their numbers."""
        return _released(await self.wms.post_json("/fulfillment-orders/release", body))

    async def release_or_refusal(self, body: dict[str, Any]) -> list[str] | str:
        """Release fulfillment orders (their numbers), or the WMS's refusal code (its 409:
        ``INSUFFICIENT_INVENTORY`` …, nothing released)."""
        path = "/fulfillment-orders/release"
        answer = await self.wms.request("POST", path, json=body, accept=(409,))
        if answer.status == 409:
            return str(_error(answer.body).get("code") or "REFUSED")
        return _released(answer.body)

    async def fulfillment_orders_of(self, order_id: str) -> list[str]:
        """The numbers of the fulfillment orders released for ERP order ``order_id``."""
        answer = await self.wms.get_json("/fulfillment-orders", {"order_refs": order_id})
        orders = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(orders, list):
            raise SystemResponseInvalid("wms", "wms answered fulfillment orders without data")
        return [str(x.get("fulfillment_order_no")) for x in orders if isinstance(x, dict)]


def _error(body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _released(answer: Any) -> list[str]:
    orders = answer.get("fulfillment_orders") if isinstance(answer, dict) else None
    if not isinstance(orders, list):
        raise SystemResponseInvalid("wms", "wms answered a release without its orders")
    return [str(x.get("fulfillment_order_no")) for x in orders if isinstance(x, dict)]


def _order_ref(body: Any) -> OrderRef:
    try:
        ref = OrderRef(str(body["internalId"]), str(body["tranId"]), str(body["custbody_status"]))
    except (KeyError, TypeError):
        raise SystemResponseInvalid("erp", "erp answered a sales order without its ids") from None
    hold_reason = body.get("custbody_hold_reason")
    external_id = body.get("externalId")
    submission = body.get("custbody_submission")
    fingerprint = body.get("custbody_request_fingerprint")
    return replace(
        ref,
        hold_reason=hold_reason if isinstance(hold_reason, str) else None,
        external_id=external_id if isinstance(external_id, str) else None,
        submission=submission if isinstance(submission, dict) else None,
        request_fingerprint=fingerprint if isinstance(fingerprint, str) else None,
    )

"""The write bodies of a submission, in each system's own shape (``docs/system-writes.md``)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from resolvers.planning import Plan
from resolvers.records import OrderRequest

__all__ = ["release_body", "reservation_lines", "sales_order_body", "submission_key"]


def submission_key(kind: str, scoped_key: str) -> str:
    """The ERP's ``custbody_idempotency_key`` of a workflow's (account-scoped) key: a digest,
    so that any key the client chose fits a query parameter and the ERP's field alike."""
    return hashlib.sha256(f"{kind}\n{scoped_key}".encode()).hexdigest()


def reservation_lines(plan: Plan) -> list[tuple[str, str, int]]:
    """``(sku, center, qty)`` of every allocation, one per SKU and center."""
    merged: dict[tuple[str, str], int] = {}
    for part in plan.allocations:
        key = (part.sku, part.center_id)
        merged[key] = merged.get(key, 0) + part.quantity
    return [(sku, center, qty) for (sku, center), qty in merged.items()]


def sales_order_body(
    workflow_id: str,
    request: OrderRequest,
    plan: Plan,
    today: date,
    *,
    submitted_by: str,
    key: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """``POST /salesOrders``: one line per SKU and center, backorders without a center;
    ``submitted_by`` is who the ERP records as the submitter (``resolvers.authority``).
    ``key`` (the :func:`submission_key` and the request's fingerprint) makes the order the
    one of its key in the ERP, which keeps the plan with it to answer a repeated key."""
    lines = [
        {
            "item": {"refName": sku},
            "quantity": qty,
            "rate": str(plan.prices[sku]),
            "location": {"refName": center},
        }
        for sku, center, qty in reservation_lines(plan)
    ]
    lines += [
        {
            "item": {"refName": b.sku},
            "quantity": b.quantity,
            "rate": str(plan.prices[b.sku]),
            "location": {"refName": None},
        }
        for b in plan.backorders
    ]
    promised = plan.promised_date
    # The ERP needs a requested date: without one, the customer wants it when we can.
    requested = request.requested_delivery_date or promised or today
    keyed: dict[str, Any] = {}
    if key is not None:
        keyed = {
            "custbody_idempotency_key": key[0],
            "custbody_request_fingerprint": key[1],
            "custbody_submission": {"plan": plan.json()},
        }
    return {
        **keyed,
        "externalId": workflow_id,
        "entity": {"externalId": request.account_id},
        "otherRefNum": request.customer_po_number or "",
        "shipAddress": request.ship_to.erp_address(),
        "custbody_requested_delivery": requested.isoformat(),
        "custbody_promised_date": promised.isoformat() if promised else None,
        "custbody_status": "ON_HOLD" if plan.hold_reason else "CONFIRMED",
        "custbody_hold_reason": plan.hold_reason,
        "custbody_submitted_by": submitted_by,
        "item": {"items": lines},
    }


def release_body(
    workflow_id: str, order_id: str, order_number: str, reservation_id: str | None, plan: Plan
) -> dict[str, Any]:
    """``POST /fulfillment-orders/release``: per center, what ships and what waits there
    (a line's ``qty`` counts both, ``qty_backordered`` the part that waits)."""
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for sku, center, qty in reservation_lines(plan):
        lines[(center, sku)] = {
            "facility_id": center,
            "item_number": sku,
            "qty": qty,
            "qty_backordered": 0,
        }
    for b in plan.backorders:
        line = lines.setdefault(
            (b.center_id, b.sku),
            {"facility_id": b.center_id, "item_number": b.sku, "qty": 0, "qty_backordered": 0},
        )
        line["qty"] += b.quantity
        line["qty_backordered"] += b.quantity
    return {
        "release_id": workflow_id,
        "order_ref": order_id,
        "order_number": order_number,
        "reservation_id": reservation_id,
        "lines": list(lines.values()),
    }

"""The facts the workflows and the consumers report, with the event ids that make each count
once however often it is reported (a replayed submission, a redelivered shipment, the
workflow and the consumer both crediting one return).

The callers hold the records (a submission's result, a shipment); these builders take their
plain values, so nothing here knows the layers above.
"""

from __future__ import annotations

import time
from datetime import date

from monitoring.records import Fact, FactKind

__all__ = [
    "backorder_planned",
    "credited",
    "held",
    "invoiced",
    "rejected",
    "release_failed",
    "return_authorized",
    "return_received",
    "submitted",
]


def _now(at: float | None) -> float:
    return time.time() if at is None else at


def submitted(
    order_id: str,
    *,
    promised_date: date | None,
    center_id: str | None = None,
    at: float | None = None,
) -> Fact:
    """An order entered in the ERP (confirmed or held)."""
    return Fact(
        f"submitted:{order_id}", FactKind.SUBMITTED, order_id, _now(at),
        center_id=center_id, promised_date=promised_date,
    )  # fmt: skip


def held(order_id: str, reason: str, *, at: float | None = None) -> Fact:
    """Held at submission: ``reason`` is the ERP's hold reason (``CREDIT``: a credit hold)."""
    return Fact(f"held:{order_id}", FactKind.HELD, order_id, _now(at), reason=reason)


def release_failed(order_id: str, reason: str, *, at: float | None = None) -> Fact:
    """The WMS refused the release: the order is held for manual review."""
    return Fact(
        f"release-failed:{order_id}", FactKind.RELEASE_FAILED, order_id, _now(at), reason=reason
    )


def backorder_planned(order_id: str, reason: str, *, at: float | None = None) -> Fact:
    """A submission that left quantities no center has (backordered)."""
    return Fact(
        f"backorder:{order_id}", FactKind.BACKORDER_PLANNED, order_id, _now(at), reason=reason
    )


def rejected(submission: str, reason: str, *, at: float | None = None) -> Fact:
    """A submission refused (no order): ``submission`` names it (its account and key)."""
    return Fact(f"rejected:{submission}", FactKind.REJECTED, "", _now(at), reason=reason)


def invoiced(order_id: str, shipment_id: str, *, at: float | None = None) -> Fact:
    """The ERP invoiced a shipment (one invoice per shipment)."""
    return Fact(
        f"invoiced:{shipment_id}", FactKind.INVOICED, order_id, _now(at), shipment_id=shipment_id
    )


def return_authorized(order_id: str, return_id: str, *, at: float | None = None) -> Fact:
    return Fact(
        f"return-authorized:{return_id}", FactKind.RETURN_AUTHORIZED, order_id, _now(at),
        return_id=return_id,
    )  # fmt: skip


def return_received(
    order_id: str, return_id: str, center_id: str | None = None, *, at: float | None = None
) -> Fact:
    return Fact(
        f"return-received:{return_id}", FactKind.RETURN_RECEIVED, order_id, _now(at),
        center_id=center_id, return_id=return_id,
    )  # fmt: skip


def credited(
    order_id: str, return_id: str, center_id: str | None = None, *, at: float | None = None
) -> Fact:
    """The return's credit memo was issued."""
    return Fact(
        f"return-credited:{return_id}", FactKind.RETURN_CREDITED, order_id, _now(at),
        center_id=center_id, return_id=return_id,
    )  # fmt: skip

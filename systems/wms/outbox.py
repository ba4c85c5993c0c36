"""The outbox of milestone webhooks: each written in the transaction of the change it announces.

A row of ``webhook_deliveries`` holds the webhook's body and its delivery state;
``systems.wms.webhooks.WebhookSender`` sends it. A row is about a fulfillment order (the
lifecycle's milestones) or a return (``RT_RCV``, by its RMA), so the delivery log can be read
by either.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any

import orjson

__all__ = ["new_event_id", "record_webhook"]


def new_event_id() -> str:
    """A vendor event id: unique per milestone, kept by every redelivery of it."""
    return f"wev_{uuid.uuid4().hex}"


def record_webhook(
    conn: sqlite3.Connection,
    body: dict[str, Any],
    *,
    fulfillment_order_no: str | None = None,
    rma_ref: str | None = None,
) -> dict[str, Any]:
    """Queue ``body`` for delivery (in the caller's transaction), filed under what it is about."""
    if (fulfillment_order_no is None) == (rma_ref is None):
        raise ValueError("a webhook is about a fulfillment order or a return, one of them")
    seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM webhook_deliveries").fetchone()[0]
    conn.execute(
        "INSERT INTO webhook_deliveries (event_id, seq, fulfillment_order_no, rma_ref, event_code,"
        " body, status, next_attempt_ts, created_ts) VALUES (?,?,?,?,?,?,'PENDING',?,?)",
        (body["event_id"], seq, fulfillment_order_no, rma_ref, body["event_code"],
         orjson.dumps(body).decode(), time.time(), body["event_ts"]),
    )  # fmt: skip
    return body

"""The submission key of a sales order: one open order per key, found again by it.

``externalId`` makes a retry of one create idempotent; it is the caller's workflow id, so a
caller that has lost its own records (its Redis restarted empty) starts another workflow and
would enter a second order. ``custbody_idempotency_key`` is the key the customer submitted
under, kept where the order is: a create under a key that an open order holds answers that
order (200) and enters nothing, or 409 ``IDEMPOTENCY_KEY_REUSED`` when the key was first
asked for another request (``custbody_request_fingerprint``, the caller's digest of what was
asked): a code of its own, so the caller can tell it from a conflict of its ``externalId``.

A cancelled order lets go of its key, so a submission that was compensated (its order
cancelled) can be retried under the same key. The records live in the shared idempotency
table (scope ``salesOrderKey``), written in the transaction that enters the order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator

from systems.common.db import Database, placeholders
from systems.common.errors import ApiError
from systems.erp.formats import Payload
from systems.erp.sales_orders import orders_by
from systems.erp.writes import now

__all__ = [
    "KEY_SCOPE",
    "MAX_SUBMISSION_BYTES",
    "Submission",
    "claim_key",
    "order_of_key",
    "orders_by_key",
]

KEY_SCOPE = "salesOrderKey"
MAX_SUBMISSION_BYTES = 64 * 1024


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    if len(orjson.dumps(value)) > MAX_SUBMISSION_BYTES:
        raise ValueError(f"custbody_submission is over {MAX_SUBMISSION_BYTES} bytes")
    return value


Submission = Annotated[dict[str, Any], AfterValidator(_bounded)]
"""``custbody_submission``: an object the ERP keeps with the key and never reads (a long-text
custom field in NetSuite terms), so that a caller that lost its own records can answer a
repeated key with what it answered the first time."""


def order_of_key(
    db: Database, conn: sqlite3.Connection, key: str, request_fingerprint: str
) -> Payload | None:
    # Shown as ``orders_by_key`` shows it, so the caller can tell another workflow's order.
    """The open order that holds ``key``, or ``None`` when no open order does (the key is
    free; a record left by a cancelled order is dropped). 409 when ``key`` was asked for
    another request. Callers hold the write transaction."""
    row = conn.execute(
        "SELECT fingerprint, answer FROM idempotency WHERE scope = ? AND key = ?",
        (KEY_SCOPE, key),
    ).fetchone()
    if row is None:
        return None
    internal_id = str(orjson.loads(row["answer"])["internalId"])
    order = orders_by(db, "internal_id", [internal_id]).get(internal_id)
    if order is None or order["custbody_status"] == "CANCELLED":
        conn.execute("DELETE FROM idempotency WHERE scope = ? AND key = ?", (KEY_SCOPE, key))
        return None
    if row["fingerprint"] != request_fingerprint:
        raise ApiError(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            f"submission key {key!r} holds an order asked for another request",
        )
    return orders_by_key(db, [key])[key]


def claim_key(
    conn: sqlite3.Connection,
    key: str,
    request_fingerprint: str,
    order: tuple[str, str],
    submission: dict[str, Any] | None,
) -> None:
    """Bind ``key`` to the order just entered, ``(internalId, externalId)``, in the same
    transaction."""
    internal_id, external_id = order
    answer = {"internalId": internal_id, "externalId": external_id, "submission": submission}
    conn.execute(
        "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
        (KEY_SCOPE, key, request_fingerprint, orjson.dumps(answer).decode(), now()),
    )


def orders_by_key(db: Database, keys: Sequence[str]) -> dict[str, Payload]:
    """The orders that hold ``keys`` (found ones, open or not), each with its
    ``custbody_idempotency_key``, the ``externalId`` that entered it, and the
    ``custbody_request_fingerprint`` and ``custbody_submission`` kept with the key."""
    if not keys:
        return {}
    rows = db.fetch_all(
        "SELECT key, fingerprint, answer FROM idempotency "
        f"WHERE scope = ? AND key IN ({placeholders(len(keys))})",
        [KEY_SCOPE, *keys],
    )
    answers = {row["key"]: orjson.loads(row["answer"]) for row in rows}
    orders = orders_by(db, "internal_id", [str(a["internalId"]) for a in answers.values()])
    found: dict[str, Payload] = {}
    for row in rows:
        answer = answers[row["key"]]
        order = orders.get(str(answer["internalId"]))
        if order is not None:
            found[row["key"]] = {
                **order,
                "externalId": answer.get("externalId"),
                "custbody_idempotency_key": row["key"],
                "custbody_request_fingerprint": row["fingerprint"],
                "custbody_submission": answer.get("submission"),
            }
    return found

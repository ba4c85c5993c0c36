"""What every ERP write shares: the clock, record numbering, idempotency, the body parts.

A write is keyed by the caller's id within a scope (``salesOrder``, ``cancel``, …). The first
call stores a fingerprint of its body and its answer; the same id with the same body answers
the stored answer again (200) and changes nothing, the same id with another body is 409
``IDEMPOTENCY_CONFLICT``. A refused write stores nothing, so its id may be used again.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from systems.common.errors import ApiError
from systems.erp.formats import Payload
from systems.world import DEFAULT_ANCHOR

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "Body",
    "ItemRef",
    "Rate",
    "RecordRef",
    "Written",
    "conflict",
    "fingerprint",
    "next_number",
    "now",
    "remember",
    "replay",
    "tax_cents",
    "today",
]

MAX_LINES = 100
MAX_QUANTITY = 1_000_000


def _moment() -> datetime:
    # Never before the seeded history ends, so a new record is always the newest one.
    return max(datetime.now(UTC), DEFAULT_ANCHOR).replace(microsecond=0)


def now() -> str:
    """The ERP's timestamp of a record written now (UTC, seconds, like the seeded ones)."""
    return _moment().isoformat()


def today() -> date:
    return _moment().date()


def tax_cents(subtotal_cents: int, rate: Decimal) -> int:
    """Tax on a subtotal, rounded half up to the cent (the rule the seeded records follow)."""
    return int((Decimal(subtotal_cents) * rate).quantize(Decimal(1), "ROUND_HALF_UP"))


def _rate(value: Any) -> Decimal:
    """A unit price as a decimal string or a number, at most two decimal places, >= 0."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("a rate must be a decimal string or a number")
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal rate: {value!r}") from None
    if not rate.is_finite() or rate < 0 or rate > 10_000_000:
        raise ValueError(f"rate out of range: {value!r}")
    cent = rate.quantize(Decimal("0.01"))
    if rate != cent:
        raise ValueError(f"a rate has at most two decimal places: {value!r}")
    return cent  # "10.5" and "10.50" are one rate (and one idempotency fingerprint)


Rate = Annotated[Decimal, BeforeValidator(_rate)]


class Body(BaseModel):
    """A write body: unknown fields are refused, so a typo is a 422 and not a silent no-op."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class ItemRef(Body):
    """``{"refName": "SKU-10001"}``."""

    ref_name: str = Field(alias="refName", min_length=1, max_length=64)


class RecordRef(Body):
    """``{"internalId": "200001"}``; a ``refName`` may come along and is not checked."""

    internal_id: str = Field(alias="internalId", min_length=1, max_length=32)
    ref_name: str | None = Field(default=None, alias="refName", max_length=128)


@dataclass(frozen=True)
class Written:
    """The answer of a write, and whether this call made it (201) or replayed it (200)."""

    payload: Payload
    created: bool

    @property
    def status_code(self) -> int:
        return 201 if self.created else 200


def fingerprint(body: BaseModel, *context: str) -> str:
    """A digest of what was asked: the validated body, plus the record it was asked of."""
    data = {"body": body.model_dump(mode="json", by_alias=True), "context": list(context)}
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def conflict(scope: str, key: str) -> ApiError:
    return ApiError(
        409, "IDEMPOTENCY_CONFLICT", f"{scope} {key!r} was already asked with another body"
    )


def replay(conn: sqlite3.Connection, scope: str, key: str, digest: str) -> Written | None:
    """The stored answer of ``key`` in ``scope``; 409 when it was asked with another body."""
    row = conn.execute(
        "SELECT fingerprint, answer FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
    ).fetchone()
    if row is None:
        return None
    if row["fingerprint"] != digest:
        raise conflict(scope, key)
    return Written(orjson.loads(row["answer"]), created=False)


def remember(
    conn: sqlite3.Connection, scope: str, key: str, digest: str, answer: Payload
) -> Written:
    """Store the answer of a write that has just been made (in the same transaction)."""
    conn.execute(
        "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
        (scope, key, digest, orjson.dumps(answer).decode(), now()),
    )
    return Written(answer, created=True)


def next_number(conn: sqlite3.Connection, table: str, column: str, prefix: str, first: int) -> int:
    """The number after the highest ``prefix``-numbered value of ``column`` (``first`` if none).

    Callers hold the write transaction, so two writes never draw the same number.
    """
    start = len(prefix) + 1
    value = conn.execute(
        f"SELECT MAX(CAST(substr({column}, ?) AS INTEGER)) FROM {table} WHERE {column} LIKE ?",
        (start, f"{prefix}%"),
    ).fetchone()[0]
    return first if value is None else int(value) + 1

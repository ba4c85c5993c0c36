"""What every ERP write shares: the clock, the body parts, and idempotency in the ERP's words.

A write is keyed by the caller's id within a scope (``salesOrder``, ``cancel``, …): see
``systems.common.idempotency``, which keeps the records; this module binds the ERP's clock and
fingerprint (the body by its aliases, plus the record it was asked of) to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from systems.common.errors import ApiError
from systems.common.idempotency import WriteLog, Written, digest, next_number
from systems.world import DEFAULT_ANCHOR

__all__ = [
    "AUDIT_FIELDS",
    "MAX_LINES",
    "MAX_QUANTITY",
    "Actor",
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


AUDIT_FIELDS = frozenset(
    {"custbody_submitted_by", "cancelled_by", "custbody_requested_by", "received_by"}
)
"""The body fields that say who asked (``custbody_submitted_by`` …), not what was asked."""

Actor = Annotated[str, Field(min_length=1, max_length=255)]
"""Who asks for a write, in the caller's words: a token's subject (at most 255 characters in
OpenID Connect), or ``"system"``."""


def fingerprint(body: BaseModel, *context: str) -> str:
    """A digest of what was asked: the validated body, plus the record it was asked of.

    Who asked (``AUDIT_FIELDS``) is left out: a retry answered with the first write is the
    same write, and its record keeps the name the first call gave; two callers sending the
    same write (the returns workflow and the returns consumer) are not a conflict.
    """
    asked = body.model_dump(mode="json", by_alias=True, exclude=set(AUDIT_FIELDS))
    return digest({"body": asked, "context": list(context)})


def conflict(scope: str, key: str) -> ApiError:
    return ApiError(
        409, "IDEMPOTENCY_CONFLICT", f"{scope} {key!r} was already asked with another body"
    )


_LOG = WriteLog(now=now, conflict=conflict)
replay = _LOG.replay
remember = _LOG.remember

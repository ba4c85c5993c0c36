"""Idempotent writes of the WMS: its clock, its body base, idempotency in the WMS's words.

The records themselves (fingerprint, stored answer, replay, numbering) are kept by
``systems.common.idempotency``; the WMS fingerprints the validated body as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from systems.common.errors import ApiError
from systems.common.idempotency import WriteLog, Written, digest, next_number
from systems.wms.codes import format_ts
from systems.world import DEFAULT_ANCHOR

__all__ = ["Body", "Written", "conflict", "fingerprint", "next_number", "now", "remember", "replay"]


class Body(BaseModel):
    """A write body: unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")


def now() -> str:
    """The WMS's timestamp of a record written now, never before the seeded history ends."""
    return format_ts(max(datetime.now(UTC), DEFAULT_ANCHOR))


def fingerprint(body: BaseModel) -> str:
    return digest(body.model_dump(mode="json"))


def conflict(what: str, key: str) -> ApiError:
    return ApiError(409, "IDEMPOTENCY_CONFLICT", f"{what} {key!r} was already asked otherwise")


_LOG = WriteLog(now=now, conflict=conflict)
replay = _LOG.replay
remember = _LOG.remember

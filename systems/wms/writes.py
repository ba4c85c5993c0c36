"""Idempotent writes of the WMS: a caller's id, a fingerprint of the body, the stored answer.

The first call of an id stores a fingerprint of its body and its answer; the same id with the
same body answers the stored answer again (200) and changes nothing; the same id with another
body is 409 ``IDEMPOTENCY_CONFLICT``. A refused write stores nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

from systems.common.errors import ApiError
from systems.wms.codes import format_ts
from systems.world import DEFAULT_ANCHOR

__all__ = ["Body", "Written", "conflict", "fingerprint", "next_number", "now", "remember", "replay"]


class Body(BaseModel):
    """A write body: unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Written:
    """The answer of a write, and whether this call made it (201) or replayed it (200)."""

    payload: dict[str, Any]
    created: bool

    @property
    def status_code(self) -> int:
        return 201 if self.created else 200


def now() -> str:
    """The WMS's timestamp of a record written now, never before the seeded history ends."""
    return format_ts(max(datetime.now(UTC), DEFAULT_ANCHOR))


def fingerprint(body: BaseModel) -> str:
    data = body.model_dump(mode="json")
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def conflict(what: str, key: str) -> ApiError:
    return ApiError(409, "IDEMPOTENCY_CONFLICT", f"{what} {key!r} was already asked otherwise")


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
    conn: sqlite3.Connection, scope: str, key: str, digest: str, answer: dict[str, Any]
) -> Written:
    """Store the answer of a write that has just been made (in the same transaction)."""
    conn.execute(
        "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
        (scope, key, digest, orjson.dumps(answer).decode(), now()),
    )
    return Written(answer, created=True)


def next_number(conn: sqlite3.Connection, table: str, column: str, prefix: str, first: int) -> int:
    """The number after the highest ``prefix``-numbered ``column`` (``first`` if none)."""
    value = conn.execute(
        f"SELECT MAX(CAST(substr({column}, ?) AS INTEGER)) FROM {table} WHERE {column} LIKE ?",
        (len(prefix) + 1, f"{prefix}%"),
    ).fetchone()[0]
    return first if value is None else int(value) + 1

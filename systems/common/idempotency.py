"""Idempotent writes of a reference system: a caller's id, a fingerprint, the stored answer.

A write is keyed by the caller's id within a scope (``salesOrder``, ``release``, …). The first
call stores a fingerprint of what was asked and its answer, in the same transaction as the
write; the same id with the same fingerprint answers the stored answer again (200) and changes
nothing, the same id with another fingerprint is 409 ``IDEMPOTENCY_CONFLICT``. A refused write
stores nothing, so its id may be used again.

Each system binds the parts that are its own (its clock, its wording of a conflict, the name of
the stamp column) in a ``WriteLog``; the table, the digest and the numbering are shared.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from systems.common.errors import ApiError

__all__ = ["WriteLog", "Written", "digest", "idempotency_table", "next_number"]


def idempotency_table(stamp_column: str) -> str:
    """The ``CREATE TABLE idempotency`` statement; ``stamp_column`` is the system's word for
    when the answer was stored (``created_date``, ``created_ts``)."""
    return f"""
-- The answers of idempotent writes, by the caller's id (see systems.common.idempotency).
CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    answer TEXT NOT NULL,
    {stamp_column} TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
"""


def digest(asked: object) -> str:
    """A digest of what was asked (JSON-shaped data), independent of the order of keys."""
    return hashlib.sha256(orjson.dumps(asked, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Written:
    """The answer of a write, and whether this call made it (201) or replayed it (200)."""

    payload: dict[str, Any]
    created: bool

    @property
    def status_code(self) -> int:
        return 201 if self.created else 200


@dataclass(frozen=True)
class WriteLog:
    """The idempotency records of one system: ``now`` stamps them, ``conflict`` words a 409."""

    now: Callable[[], str]
    conflict: Callable[[str, str], ApiError]

    def replay(self, conn: sqlite3.Connection, scope: str, key: str, asked: str) -> Written | None:
        """The stored answer of ``key`` in ``scope``; 409 when it was asked with another
        fingerprint than ``asked``; ``None`` when it was never asked."""
        row = conn.execute(
            "SELECT fingerprint, answer FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
        if row is None:
            return None
        if row["fingerprint"] != asked:
            raise self.conflict(scope, key)
        return Written(orjson.loads(row["answer"]), created=False)

    def remember(
        self, conn: sqlite3.Connection, scope: str, key: str, asked: str, answer: dict[str, Any]
    ) -> Written:
        """Store the answer of a write that has just been made (in the same transaction)."""
        conn.execute(
            "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
            (scope, key, asked, orjson.dumps(answer).decode(), self.now()),
        )
        return Written(answer, created=True)


def next_number(conn: sqlite3.Connection, table: str, column: str, prefix: str, first: int) -> int:
    """The number after the highest ``prefix``-numbered value of ``column`` (``first`` if none).

    Callers hold the write transaction, so two writes never draw the same number.
    """
    value = conn.execute(
        f"SELECT MAX(CAST(substr({column}, ?) AS INTEGER)) FROM {table} WHERE {column} LIKE ?",
        (len(prefix) + 1, f"{prefix}%"),
    ).fetchone()[0]
    return first if value is None else int(value) + 1

"""How the ERP writes values and lists: money as decimal strings, references, list envelopes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from systems.common.db import Database, Params
from systems.common.params import PageRequest

__all__ = [
    "Payload",
    "count",
    "envelope",
    "found",
    "location",
    "money",
    "page_envelope",
    "ref",
]

Payload = dict[str, Any]


def money(cents: int) -> str:
    """Whole cents as the vendor's decimal string, ``"1234.50"``; never a float."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def ref(internal_id: str | None, name: str | None = None) -> Payload | None:
    """A record reference, ``{"internalId", "refName"}``; ``None`` for no record."""
    if internal_id is None:
        return None
    return {"internalId": internal_id, "refName": name if name is not None else internal_id}


def location(name: str | None) -> Payload | None:
    """A location (distribution center) reference; ``None`` for a line not yet sourced."""
    return {"refName": name} if name else None


def page_envelope(items: list[Payload], page: PageRequest, total: int) -> Payload:
    """One page of a list, with where it starts and whether more follow."""
    return {
        "items": items,
        "count": len(items),
        "offset": page.offset,
        "totalResults": total,
        "hasMore": page.offset + len(items) < total,
    }


def envelope(items: list[Payload]) -> Payload:
    """The answer to a bulk lookup: the records found, all on one page."""
    return {
        "items": items,
        "count": len(items),
        "offset": 0,
        "totalResults": len(items),
        "hasMore": False,
    }


def found(rows_by_key: dict[str, Payload], keys: list[str]) -> list[Payload]:
    """The payloads of ``keys`` that exist, in the order asked."""
    return [rows_by_key[key] for key in keys if key in rows_by_key]


def count(db: Database, sql: str, params: Params = ()) -> int:
    """The number a ``SELECT COUNT(*) …`` answers (the total of a paged list)."""
    row = db.fetch_one(sql, params)
    return 0 if row is None else int(row[0])

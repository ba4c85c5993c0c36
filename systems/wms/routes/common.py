"""What every WMS resource route shares: list envelopes and bulk filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from starlette.requests import Request

from systems.common.db import Database, Params
from systems.common.errors import Unprocessable
from systems.common.params import PageRequest, parse_ids

__all__ = [
    "Envelope",
    "ListMeta",
    "bulk_envelope",
    "count_rows",
    "one_filter",
    "page_envelope",
]


class ListMeta(TypedDict):
    total: int
    offset: int
    limit: int


class Envelope(TypedDict):
    """``{"data": [...], "meta": {...}}``: the body of every list answer."""

    data: list[dict[str, Any]]
    meta: ListMeta


def page_envelope(data: list[dict[str, Any]], *, total: int, page: PageRequest) -> Envelope:
    """One page of a list: ``total`` counts the whole list, not the page."""
    return {"data": data, "meta": {"total": total, "offset": page.offset, "limit": page.limit}}


def bulk_envelope(data: list[dict[str, Any]]) -> Envelope:
    """The answer of a bulk look-up: the records found, all of them, in one page."""
    return {"data": data, "meta": {"total": len(data), "offset": 0, "limit": len(data)}}


def one_filter(request: Request, names: Sequence[str]) -> tuple[str, list[str]] | None:
    """The one bulk filter among ``names`` the request uses, with its ids; 422 for several."""
    present = [name for name in names if name in request.query_params]
    if len(present) > 1:
        raise Unprocessable(f"use one of the parameters {', '.join(present)}, not several")
    if not present:
        return None
    ids = parse_ids(request, present[0])
    assert ids is not None  # present in the query string
    return present[0], ids


def count_rows(db: Database, sql: str, params: Params = ()) -> int:
    """The integer a ``SELECT count(*) ...`` answers."""
    value = db.fetch_value(sql, params)
    assert isinstance(value, int)
    return value

"""Parse query parameters and JSON bodies; anything malformed is a 422 naming the culprit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from systems.common.errors import Unprocessable

__all__ = [
    "MAX_BATCH",
    "PageRequest",
    "describe_validation_error",
    "parse_body",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_ids",
    "parse_page",
]

MAX_BATCH = 100

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a list the caller asked for."""

    offset: int
    limit: int


def _parse_int(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise Unprocessable(f"parameter '{name}' must be an integer, got {raw!r}") from None
    if value < minimum:
        raise Unprocessable(f"parameter '{name}' must be at least {minimum}, got {value}")
    if value > maximum:
        raise Unprocessable(f"parameter '{name}' must be at most {maximum}, got {value}")
    return value


def parse_page(request: Request, *, default_limit: int = 50, max_limit: int = 200) -> PageRequest:
    """``?offset=&limit=``: offset >= 0 (default 0), 1 <= limit <= ``max_limit``."""
    offset = _parse_int(request, "offset", default=0, minimum=0, maximum=2**62)
    limit = _parse_int(request, "limit", default=default_limit, minimum=1, maximum=max_limit)
    return PageRequest(offset=offset, limit=limit)


def parse_ids(
    request: Request, name: str = "ids", *, max_batch: int = MAX_BATCH
) -> list[str] | None:
    """Comma-separated ids, duplicates removed in order; ``None`` when the parameter is absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    items = [item.strip() for item in raw.split(",")]
    if not raw.strip():
        raise Unprocessable(f"parameter '{name}' must list at least one id")
    if any(not item for item in items):
        raise Unprocessable(f"parameter '{name}' has an empty id (stray comma?)")
    ids = list(dict.fromkeys(items))
    if len(ids) > max_batch:
        raise Unprocessable(
            f"parameter '{name}' lists {len(ids)} ids; at most {max_batch} per request"
        )
    return ids


def parse_choice(request: Request, name: str, choices: Collection[str]) -> str | None:
    """One of ``choices`` (exact match), or ``None`` when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        allowed = ", ".join(sorted(choices))
        raise Unprocessable(f"parameter '{name}' must be one of {allowed}; got {raw!r}")
    return raw


def parse_bool(request: Request, name: str) -> bool | None:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``), or ``None`` when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Unprocessable(f"parameter '{name}' must be true or false, got {raw!r}")


def parse_date(request: Request, name: str) -> date | None:
    """An ISO date ``YYYY-MM-DD``, or ``None`` when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        # fromisoformat also takes "20240101" and week dates; only the plain form is accepted.
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise Unprocessable(f"parameter '{name}' must be a date YYYY-MM-DD, got {raw!r}") from None


def describe_validation_error(exc: ValidationError, *, limit: int = 3) -> str:
    """A one-line account of what is wrong with a body, field by field."""
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


async def parse_body(request: Request, model: type[ModelT]) -> ModelT:
    """The JSON body validated as ``model``; 422 on malformed JSON or invalid fields."""
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Unprocessable("request body must be a JSON document") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(f"invalid body: {describe_validation_error(exc)}") from None

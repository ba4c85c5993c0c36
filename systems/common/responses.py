"""JSON responses written with orjson, and the error answers built from them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from systems.common.errors import error_body
from systems.common.idempotency import Written

__all__ = ["OrjsonResponse", "dumps", "error_response", "json_response", "written_response"]


def _default(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: object) -> bytes:
    """orjson with Decimal as a string (no float rounding) and dates in ISO format."""
    # OPT_PASSTHROUGH_DATETIME routes dates through _default, i.e. plain isoformat().
    return orjson.dumps(data, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


class OrjsonResponse(JSONResponse):
    def render(self, content: object) -> bytes:
        return dumps(content)


def json_response(
    data: object, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``data`` as an ``application/json`` response."""
    return OrjsonResponse(data, status_code=status_code, headers=headers)


def error_response(
    status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """``{"error": {"code": code, "message": message}}`` with ``status_code``."""
    return json_response(error_body(code, message), status_code, headers)


def written_response(written: Written) -> Response:
    """The answer of an idempotent write: 201 when this call made it, 200 when replayed."""
    return json_response(written.payload, written.status_code)

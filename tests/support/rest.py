"""Checking a reference system's REST answers in tests: a JSON body, or a JSON error."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["error_code", "ok"]


def ok(response: httpx.Response) -> Any:
    """The JSON body of a 200 answer."""
    assert response.status_code == 200, response.text
    return response.json()


def error_code(response: httpx.Response, status: int) -> str:
    """The ``error.code`` of a ``status`` answer shaped ``{"error": {"code", "message"}}``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    code: str = body["error"]["code"]
    return code

"""Checking a reference system's REST answers in tests: a JSON body, or a JSON error."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["error_code", "ok", "refused"]


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a ``status`` (by default 200) answer."""
    assert response.status_code == status, response.text
    return response.json()


def error_code(response: httpx.Response, status: int) -> str:
    """The ``error.code`` of a ``status`` answer shaped ``{"error": {"code", "message"}}``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    code: str = body["error"]["code"]
    return code


def refused(response: httpx.Response, status: int, code: str) -> None:
    """Assert that ``response`` is a ``status`` error answer with ``code``."""
    assert error_code(response, status) == code

"""Talking to the ERP subgraph and to the ERP's admin endpoints from the subgraph's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["SetFaults", "data", "erp_requests", "error_codes", "query"]

SetFaults = Callable[..., None]
"""The ``erp_faults`` fixture: sets fault settings (keyword arguments) on the shared ERP."""


def query(
    client: httpx.Client, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST one operation to ``/graphql``; the whole response body (``data``, ``errors``)."""
    response = client.post("/graphql", json={"query": document, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def data(client: httpx.Client, document: str, variables: dict[str, Any] | None = None) -> Any:
    """The ``data`` of an operation that must succeed without errors."""
    body = query(client, document, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_codes(body: dict[str, Any]) -> list[tuple[str, list[str | int]]]:
    """``(code, path)`` of every error, in order."""
    return [(e["extensions"]["code"], e.get("path") or []) for e in body.get("errors", [])]


def erp_requests(admin: httpx.Client) -> int:
    """How many requests the ERP has answered (admin and health excluded)."""
    response = admin.get("/_admin/stats")
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total

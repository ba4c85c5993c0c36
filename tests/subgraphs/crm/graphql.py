"""Talking to a subgraph and to the CRM's admin endpoints from the CRM subgraph's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["SetFaults", "crm_requests", "error_codes", "query"]

SetFaults = Callable[..., None]
"""The ``crm_faults`` fixture: sets fault settings (keyword arguments) on the shared CRM."""


def query(
    client: httpx.Client, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST one operation to ``/graphql``; the whole response body (``data``, ``errors``)."""
    response = client.post("/graphql", json={"query": document, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[tuple[str, list[str | int]]]:
    """``(code, path)`` of every error, in order."""
    return [(e["extensions"]["code"], e.get("path") or []) for e in body.get("errors", [])]


def crm_requests(admin: httpx.Client) -> int:
    """How many requests the CRM has answered (admin and health excluded)."""
    response = admin.get("/_admin/stats")
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total

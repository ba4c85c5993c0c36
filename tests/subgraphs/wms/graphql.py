"""Talking to the WMS subgraph and to the WMS's admin endpoints from the subgraph's tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["SetFaults", "entities", "error_codes", "query", "route_counts"]

SetFaults = Callable[..., None]
"""The ``wms_faults`` fixture: sets fault settings (keyword arguments) on the shared WMS."""


def query(
    client: httpx.Client, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST one operation to ``/graphql``; the whole response body (``data``, ``errors``)."""
    response = client.post("/graphql", json={"query": document, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def entities(
    client: httpx.Client, representations: list[dict[str, Any]], selection: str
) -> dict[str, Any]:
    """``_entities`` for ``representations``, each answered with ``selection`` (fragments)."""
    document = (
        "query($representations: [_Any!]!) "
        f"{{ _entities(representations: $representations) {{ {selection} }} }}"
    )
    return query(client, document, {"representations": representations})


def error_codes(body: dict[str, Any]) -> list[tuple[str, list[str | int]]]:
    """``(code, path)`` of every error, in order."""
    return [(e["extensions"]["code"], e.get("path") or []) for e in body.get("errors", [])]


def route_counts(admin: httpx.Client) -> Counter[str]:
    """How many requests the WMS has answered so far, by ``"GET /route"`` (admin excluded)."""
    response = admin.get("/_admin/stats")
    assert response.status_code == 200, response.text
    return Counter(response.json()["requests"])

"""Talking to a subgraph over HTTP, and to a reference system's ``/_admin`` endpoints, in tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from crossdock.settings import FaultSettings

__all__ = [
    "PREFLIGHTED",
    "SetFaults",
    "data",
    "entities",
    "error_codes",
    "fault_setter",
    "query",
    "route_counts",
    "system_requests",
]

# What a browser client sends with a GET (Apollo Client: ``apollo-require-preflight``), so
# that the gateway's CSRF prevention lets it through, as it lets any client that sends it.
PREFLIGHTED = {"apollo-require-preflight": "true"}

SetFaults = Callable[..., None]
"""A ``*_faults`` fixture: sets fault settings (keyword arguments) on a shared system."""


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


def entities(client: httpx.Client, representations: list[Any], selection: str) -> dict[str, Any]:
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
    """How many requests a system has answered, by ``"GET /route"`` (admin and health excluded)."""
    response = admin.get("/_admin/stats")
    assert response.status_code == 200, response.text
    return Counter(response.json()["requests"])


def system_requests(admin: httpx.Client) -> int:
    """How many requests a system has answered in all (admin and health excluded)."""
    response = admin.get("/_admin/stats")
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


@contextmanager
def fault_setter(admin: httpx.Client) -> Iterator[SetFaults]:
    """``set_faults(error_rate=1.0, ...)`` on the system ``admin`` talks to; the defaults come
    back on leaving, whatever happened."""

    def set_faults(**faults: Any) -> None:
        response = admin.put("/_admin/faults", json=faults)
        assert response.status_code == 200, response.text

    try:
        yield set_faults
    finally:
        response = admin.put("/_admin/faults", json=FaultSettings().model_dump(mode="json"))
        assert response.status_code == 200, response.text

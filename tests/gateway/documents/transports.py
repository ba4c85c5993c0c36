"""One GraphQL request sent over each of the gateway's four transports, and what came back.

Each sender takes the request as a client would put it on the wire (``query``, ``variables``,
``extensions``, ``documentId``, ``doc_id``) and returns an :class:`Observed`: the HTTP status
and the GraphQL responses, in order. A graphql-transport-ws ``error`` message is observed as
the response ``{"errors": payload}``, so one assertion reads every transport alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.support.graphql import PREFLIGHTED

__all__ = ["TRANSPORTS", "Observed", "get_params", "over_get", "over_post", "over_sse", "over_ws"]

# How long any one exchange may take on a loaded machine.
SOON = 10.0


@dataclass
class Observed:
    """What a client saw: the HTTP status (101 for a WebSocket) and every GraphQL response."""

    status: int
    responses: list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> dict[str, Any]:
        assert self.responses, f"no response (status {self.status})"
        return self.responses[0]

    @property
    def codes(self) -> list[str]:
        """The ``extensions.code`` of the first response's errors."""
        return [e.get("extensions", {}).get("code") for e in self.first.get("errors", [])]

    @property
    def data(self) -> Any:
        assert "errors" not in self.first, self.first
        return self.first["data"]


def get_params(body: dict[str, Any]) -> dict[str, str]:
    """``body`` as GET parameters, as Apollo Client sends them: objects as JSON text."""
    params = {}
    for key, value in body.items():
        if value is None:
            continue
        params[key] = value if isinstance(value, str) else json.dumps(value)
    return params


def over_post(url: str, body: dict[str, Any]) -> Observed:
    response = httpx.post(f"{url}/graphql", json=body, timeout=SOON)
    return Observed(response.status_code, [response.json()], dict(response.headers))


def over_get(url: str, body: dict[str, Any]) -> Observed:
    response = httpx.get(
        f"{url}/graphql", params=get_params(body), headers=PREFLIGHTED, timeout=SOON
    )
    return Observed(response.status_code, [response.json()], dict(response.headers))


def over_sse(
    url: str, body: dict[str, Any], *, events: int | None = None, method: str = "POST"
) -> Observed:
    """``Accept: text/event-stream``; every ``next`` until ``complete`` (or the first
    ``events`` of them, for a subscription that does not end). GET sends ``body`` as
    parameters, as an ``EventSource`` would."""
    headers = {"accept": "text/event-stream", **PREFLIGHTED}
    options: dict[str, Any] = {"params": get_params(body)} if method == "GET" else {"json": body}
    with httpx.stream(
        method, f"{url}/graphql", headers=headers, timeout=SOON, **options
    ) as response:
        if not response.headers["content-type"].startswith("text/event-stream"):
            response.read()
            return Observed(response.status_code, [response.json()], dict(response.headers))
        responses: list[dict[str, Any]] = []
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "next":
                responses.append(json.loads(line.removeprefix("data: ")))
                if events is not None and len(responses) == events:
                    break
            elif event == "complete" and line == "":
                break
        return Observed(response.status_code, responses, dict(response.headers))


def over_ws(
    url: str,
    body: dict[str, Any],
    *,
    events: int | None = None,
    between: Callable[[], None] | None = None,
) -> Observed:
    """One ``subscribe`` on a fresh graphql-transport-ws socket; every ``next`` until
    ``complete`` or ``error`` (or the first ``events``). ``between`` runs once the operation
    is subscribed (a test publishes its events there)."""
    ws_url = url.replace("http://", "ws://") + "/graphql"
    if "query" not in body and "documentId" not in body and "doc_id" not in body:
        # graphql-ws clients must send a string: a persisted query's is empty.
        body = {"query": "", **body}
    with connect(
        ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=SOON
    ) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=SOON)) == {"type": "connection_ack"}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": body}))
        if between is not None:
            between()
        responses: list[dict[str, Any]] = []
        while events is None or len(responses) < events:
            message = json.loads(ws.recv(timeout=SOON))
            assert message["id"] == "1", message
            if message["type"] == "next":
                responses.append(message["payload"])
            elif message["type"] == "error":
                responses.append({"errors": message["payload"]})
                break
            else:
                assert message["type"] == "complete", message
                break
        return Observed(101, responses)


TRANSPORTS: dict[str, Callable[[str, dict[str, Any]], Observed]] = {
    "post": over_post,
    "get": over_get,
    "sse": over_sse,
    "ws": over_ws,
}

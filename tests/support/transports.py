"""One GraphQL operation over each transport our GraphQL servers speak, as a client sees it.

Every front-door control must act the same over HTTP POST, HTTP GET, server-sent events and a
graphql-transport-ws ``subscribe``: a test parametrized over :data:`TRANSPORTS` asks with
:func:`ask` (the one response the client got), or starts a request and hangs up on it with
:func:`hang_up` (the client's connection closed, or over a WebSocket ``complete`` sent).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

__all__ = ["HANGUPS", "PATIENCE", "TRANSPORTS", "ask", "ask_many", "hang_up", "subscription"]

TRANSPORTS = ("post", "get", "sse", "ws")
# Besides hanging up, a WebSocket client can stop one operation and keep its socket.
HANGUPS = (*TRANSPORTS, "ws-complete")

PROTOCOL = Subprotocol("graphql-transport-ws")
# How long a client waits for anything the gateway must do by then (the machine is loaded).
PATIENCE = 20.0
# What Apollo Client sends with a GET, so that CSRF prevention lets it through.
GET_HEADERS = {"apollo-require-preflight": "true"}


def _body(query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    return {"query": query, "variables": variables or {}}


def ask(
    transport: str, base_url: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The one response to ``query`` over ``transport`` (``next`` payload for SSE and WS)."""
    [response] = ask_many(transport, base_url, query, variables)
    return response


def ask_many(
    transport: str, base_url: str, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every response until the operation completes (one for a query)."""
    if transport in ("post", "get"):
        with httpx.Client(base_url=base_url, timeout=PATIENCE) as client:
            if transport == "post":
                answer = client.post("/graphql", json=_body(query, variables))
            else:
                params = {"query": query, "variables": json.dumps(variables or {})}
                answer = client.get("/graphql", params=params, headers=GET_HEADERS)
        assert answer.status_code == 200, answer.text
        return [answer.json()]
    if transport == "sse":
        with _event_stream(base_url, query, variables) as events:
            return list(events)
    assert transport == "ws", transport
    with _socket(base_url) as ws:
        _send(ws, {"id": "1", "type": "subscribe", "payload": _body(query, variables)})
        responses = []
        while (message := _receive(ws))["type"] == "next":
            responses.append(message["payload"])
        assert message == {"id": "1", "type": "complete"}, message
        return responses


@contextmanager
def _event_stream(
    base_url: str, query: str, variables: dict[str, Any] | None
) -> Iterator[Iterator[dict[str, Any]]]:
    """The request sent and its headers read; yields its ``next`` payloads as they come."""
    headers = {"accept": "text/event-stream"}
    with (
        httpx.Client(base_url=base_url, timeout=PATIENCE) as client,
        client.stream("POST", "/graphql", json=_body(query, variables), headers=headers) as answer,
    ):
        assert answer.status_code == 200

        def events() -> Iterator[dict[str, Any]]:
            event = None
            for line in answer.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                    if event == "complete":
                        return
                elif line.startswith("data: ") and event == "next":
                    yield json.loads(line.removeprefix("data: "))
            raise AssertionError("the event stream ended without complete")

        yield events()


@contextmanager
def subscription(
    transport: str, base_url: str, query: str, variables: dict[str, Any] | None = None
) -> Iterator[Iterator[dict[str, Any]]]:
    """The responses of a subscription over ``sse`` or ``ws``, one by one as they come."""
    if transport == "sse":
        with _event_stream(base_url, query, variables) as events:
            yield events
        return
    assert transport == "ws", transport
    with _socket(base_url) as ws:
        _send(ws, {"id": "1", "type": "subscribe", "payload": _body(query, variables)})

        def responses() -> Iterator[dict[str, Any]]:
            while (message := _receive(ws))["type"] == "next":
                yield message["payload"]

        yield responses()


@contextmanager
def hang_up(
    hangup: str,
    base_url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    before: Callable[[], None] = lambda: None,
) -> Iterator[Callable[[], None]]:
    """Send ``query`` over a connection of the client's; yield the function that walks away
    without reading the answer: the connection closed (``post``, ``get``, ``sse``, ``ws``),
    or ``complete`` sent on a socket that stays open (``ws-complete``). ``before`` runs when
    the client has what it keeps after leaving (nothing, or an acknowledged socket), just
    before it sends the query: there a test takes the server's baseline."""
    if hangup.startswith("ws"):
        if hangup == "ws":
            before()
        with _socket(base_url) as ws:
            if hangup != "ws":
                before()
            _send(ws, {"id": "1", "type": "subscribe", "payload": _body(query, variables)})

            def leave() -> None:
                if hangup == "ws":
                    ws.close()
                    return
                _send(ws, {"id": "1", "type": "complete"})
                # Read: the socket stays up, and nothing (no ``next``) was sent for the query.
                _send(ws, {"type": "ping"})
                assert _receive(ws) == {"type": "pong"}

            yield leave
        return
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    if hangup == "get":
        target = "/graphql?" + urlencode({"query": query, "variables": json.dumps(variables)})
        lines = "".join(f"{name}: {value}\r\n" for name, value in GET_HEADERS.items())
        raw = f"GET {target} HTTP/1.1\r\nhost: {url.netloc}\r\n{lines}\r\n".encode()
    else:
        body = json.dumps(_body(query, variables)).encode()
        accept = "text/event-stream" if hangup == "sse" else "application/json"
        raw = (
            f"POST /graphql HTTP/1.1\r\nhost: {url.netloc}\r\naccept: {accept}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        ).encode() + body
    before()
    with socket.create_connection((url.hostname, url.port), timeout=PATIENCE) as sock:
        sock.sendall(raw)
        yield sock.close


@contextmanager
def _socket(base_url: str) -> Iterator[ClientConnection]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=[PROTOCOL], proxy=None, open_timeout=PATIENCE) as ws:
        _send(ws, {"type": "connection_init"})
        assert _receive(ws) == {"type": "connection_ack"}
        yield ws


def _send(ws: ClientConnection, message: dict[str, Any]) -> None:
    ws.send(json.dumps(message))


def _receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=PATIENCE))
    assert isinstance(message, dict)
    return message

"""What the front-door tests (browsers, CORS, rate limits) share: a gateway over the
subscription federation served with given settings, and the clients they speak through:
httpx for HTTP and event streams, ``websockets`` for graphql-transport-ws."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from tests.gateway.subscription_federation import Federation
from tests.support.servers import serve
from tests.support.waiting import wait_until

__all__ = [
    "EVENT_STREAM",
    "MILESTONES",
    "SOON",
    "listening",
    "metric",
    "next_events",
    "receive",
    "send",
    "serving",
    "subscribe",
    "ws_connected",
    "ws_url",
]

PROTOCOL = Subprotocol("graphql-transport-ws")
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq } }"
EVENT_STREAM = {"accept": "text/event-stream"}
# How long a test waits for something the gateway must do now (the machine is shared).
SOON = 10.0


@contextmanager
def serving(federation: Federation, settings: GatewaySettings) -> Iterator[str]:
    """A gateway over ``federation`` with ``settings`` on loopback; yields its base URL."""
    with serve(create_app(Gateway(federation.supergraph), settings)) as url:
        yield url


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def ws_connected(
    base: str, *, origin: str | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """An acknowledged graphql-transport-ws socket, opened as a page of ``origin`` would."""
    async with connect(
        ws_url(base),
        subprotocols=[PROTOCOL],
        origin=None if origin is None else Origin(origin),
        proxy=None,
        open_timeout=SOON,
        **options,
    ) as ws:
        await send(ws, {"type": "connection_init"})
        assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), SOON))
    assert isinstance(message, dict)
    return message


def subscribe(id_: str, query: str, operation_name: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"query": query}
    if operation_name is not None:
        payload["operationName"] = operation_name
    return {"id": id_, "type": "subscribe", "payload": payload}


def metric(base: str, name: str) -> float:
    """A sample of the gateway's ``/metrics`` (``requests_total``: requests the engine saw)."""
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(f"crossdock_gateway_{name} "):
            return float(line.split(" ")[1])
    raise AssertionError(f"no metric {name}")


def next_events(stream: httpx.Response) -> Iterator[dict[str, Any]]:
    """The data of each ``next`` event of an open event stream, as they come."""
    for line in stream.iter_lines():
        if line.startswith("data: "):
            yield json.loads(line.removeprefix("data: "))


@contextmanager
def listening(
    client: httpx.Client, federation: Federation, order_id: str
) -> Iterator[Iterator[dict[str, Any]]]:
    """A subscriber to ``order_id``'s milestones (over an event stream, without ``Origin``),
    subscribed upstream before this returns: whatever publishes a milestone is seen."""
    body = {"query": MILESTONES, "variables": {"o": order_id}}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as stream:
        assert stream.status_code == 200
        wait_until(lambda: federation.feed.active(order_id) == 1, timeout=SOON, what="subscribed")
        yield next_events(stream)

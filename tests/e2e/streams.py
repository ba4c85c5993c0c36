"""Subscribing to the gateway as a client does: graphql-transport-ws over a WebSocket (the
``websockets`` client) and GraphQL over server-sent events (``httpx``), each message read with
a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.e2e.world import E2EWorld
from tests.support.waiting import wait_until

__all__ = [
    "MILESTONES_BY_ACCOUNT",
    "MILESTONES_BY_ORDER",
    "SHIPMENT_UPDATES",
    "EventStream",
    "StreamEnded",
    "WsSubscription",
    "sse_subscription",
    "ws_subscription",
    "ws_until_complete",
]

PROTOCOL = Subprotocol("graphql-transport-ws")

# Each milestone with fields from the three subgraphs: the WMS's own (type, shipment, center),
# the ERP's (order number and total) and the CRM's (the account's name).
_MILESTONE = """
    eventId type occurredAt trackingNumber carrier exceptionReason
    quantities { sku quantity }
    order { id number total { amount } account { id name } }
    fulfillmentOrder { id }
    shipment { id trackingNumber }
    distributionCenter { id }
"""
MILESTONES_BY_ORDER = f"""
subscription ByOrder($orderId: ID!, $after: ID) {{
  fulfillmentMilestones(orderId: $orderId, after: $after) {{ {_MILESTONE} }}
}}
"""
MILESTONES_BY_ACCOUNT = f"""
subscription ByAccount($accountId: ID!, $after: ID) {{
  fulfillmentMilestones(accountId: $accountId, after: $after) {{ {_MILESTONE} }}
}}
"""
SHIPMENT_UPDATES = f"""
subscription Tracking($trackingNumber: String!, $after: ID) {{
  shipmentUpdates(trackingNumber: $trackingNumber, after: $after) {{ {_MILESTONE} }}
}}
"""


class StreamEnded(Exception):
    """The subscription ended (``complete``) or failed (``error``) while a result was awaited."""


class WsSubscription:
    """One subscription on one graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection, operation_id: str) -> None:
        self.ws = ws
        self.id = operation_id

    async def next(self, *, timeout: float = 20.0) -> dict[str, Any]:
        """The payload (``data``, ``errors``) of the next ``next`` message; answers pings."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no result within {timeout}s")
            message = orjson.loads(await asyncio.wait_for(self.ws.recv(), left))
            kind = message.get("type")
            if kind == "ping":
                await self.ws.send(orjson.dumps({"type": "pong"}).decode())
                continue
            if kind == "pong":
                continue
            assert message.get("id") == self.id, message
            if kind == "next":
                payload: dict[str, Any] = message["payload"]
                return payload
            raise StreamEnded(f"{kind}: {message.get('payload')}")

    async def take(self, count: int, *, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The ``data`` of the next ``count`` results, none of them with errors."""
        deadline = time.monotonic() + timeout
        results = []
        for _ in range(count):
            payload = await self.next(timeout=max(0.01, deadline - time.monotonic()))
            assert "errors" not in payload, payload["errors"]
            results.append(payload["data"])
        return results

    async def nothing_for(self, seconds: float) -> None:
        """Assert that no result arrives for ``seconds`` (pings aside)."""
        try:
            payload = await self.next(timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected result {payload}")


def _ws_url(http_url: str) -> str:
    return "ws" + http_url.removeprefix("http") + "/graphql"


@asynccontextmanager
async def ws_subscription(
    world: E2EWorld, query: str, variables: dict[str, Any]
) -> AsyncIterator[WsSubscription]:
    """Connect to the gateway, subscribe, and wait until the wms subgraph's feed counts the
    new subscriber (so that no milestone published from then on can be missed); the
    subscription is completed and the socket closed on leaving."""
    url = _ws_url(world.gateway)
    async with _counted(world), connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        assert ws.subprotocol == PROTOCOL
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": variables}
        subscribe = {"id": "1", "type": "subscribe", "payload": payload}
        await ws.send(orjson.dumps(subscribe).decode())
        await _registered(world)
        subscription = WsSubscription(ws, "1")
        yield subscription
        if ws.state.name == "OPEN":
            await ws.send(orjson.dumps({"id": "1", "type": "complete"}).decode())


async def ws_until_complete(
    world: E2EWorld, query: str, variables: dict[str, Any], *, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """The messages of a subscription that the server ends by itself (it was refused): every
    message after the acknowledgement, up to its ``complete`` or ``error``."""
    url = _ws_url(world.gateway)
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": variables}
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
        messages: list[dict[str, Any]] = []
        while not messages or messages[-1]["type"] not in ("complete", "error"):
            messages.append(orjson.loads(await asyncio.wait_for(ws.recv(), timeout)))
        return messages


class EventStream:
    """A GraphQL operation answered as ``text/event-stream``: its ``next`` events."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def _event(self) -> tuple[str, str]:
        kind, data = "message", list[str]()
        async for line in self._lines:
            if line == "":
                if data or kind != "message":
                    return kind, "\n".join(data)
                continue
            if line.startswith(":"):
                continue  # a keep-alive comment
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)
        raise StreamEnded("the server closed the stream")

    async def next(self, *, timeout: float = 20.0) -> dict[str, Any]:
        kind, data = await asyncio.wait_for(self._event(), timeout)
        if kind != "next":
            raise StreamEnded(f"{kind}: {data}")
        payload: dict[str, Any] = orjson.loads(data)
        return payload

    async def take(self, count: int, *, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        results = []
        for _ in range(count):
            payload = await self.next(timeout=max(0.01, deadline - time.monotonic()))
            assert "errors" not in payload, payload["errors"]
            results.append(payload["data"])
        return results


@asynccontextmanager
async def sse_subscription(
    world: E2EWorld, query: str, variables: dict[str, Any]
) -> AsyncIterator[EventStream]:
    """POST the subscription with ``Accept: text/event-stream``; like ``ws_subscription``,
    yields once the wms subgraph's feed counts the subscriber."""
    async with (
        _counted(world),
        httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None)) as client,
        client.stream(
            "POST",
            f"{world.gateway}/graphql",
            json={"query": query, "variables": variables},
            headers={"Accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        await _registered(world)
        yield EventStream(response)


# The subscriptions this test process holds open: the wms subgraph's feed serves exactly these
# once the ones of earlier tests (ended upstream a moment after their client left) are gone.
_open = 0


def subscribers(world: E2EWorld) -> int:
    """How many subscriptions the wms subgraph's milestone feed is serving now."""
    count: int = world.wms_subgraph_app.state.milestone_feed.subscribers
    return count


async def _wait_for_subscribers(world: E2EWorld, count: int) -> None:
    await asyncio.to_thread(
        wait_until,
        lambda: subscribers(world) == count,
        timeout=10.0,
        what=f"{count} subscriber(s) on the wms subgraph's feed",
    )


@asynccontextmanager
async def _counted(world: E2EWorld) -> AsyncIterator[None]:
    """Around one subscription: first the feed serves only this process's others."""
    global _open
    await _wait_for_subscribers(world, _open)
    _open += 1
    try:
        yield
    finally:
        _open -= 1


async def _registered(world: E2EWorld) -> None:
    await _wait_for_subscribers(world, _open)

"""Demand control of subscriptions and mutations on a live federation
(``subscription_federation``): a subscription over its cost never opens upstream, an event over
the actual maximum ends it, a refused mutation changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gateway.demand import DemandControl, DemandSettings
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from tests.gateway.demand.test_transports import events_of
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve
from tests.support.waiting import wait_until_async

# A milestone and its order: 2; publishing one is a mutation (10) returning the same: 12.
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"
PUBLISH = 'mutation { publish(orderId: "o-7", seq: 1) { seq order { id } } }'
SOON = 5.0
PROTOCOL = Subprotocol("graphql-transport-ws")


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@contextmanager
def demand_gateway(federation: Federation, **demand: Any) -> Iterator[str]:
    """A gateway over ``federation`` whose engine has these demand settings."""
    engine = Gateway(federation.supergraph, demand=DemandControl(DemandSettings(**demand)))
    with serve(create_app(engine, GatewaySettings(reload_interval=0))) as url:
        yield url


@asynccontextmanager
async def socket(url: str) -> AsyncIterator[ClientConnection]:
    async with connect(
        url.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL], proxy=None
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), SOON)) == {"type": "connection_ack"}
        yield ws


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), SOON))
    return message


async def subscribed(federation: Federation, order_id: str, count: int) -> None:
    async def enough() -> bool:
        return federation.feed.active(order_id) == count

    await wait_until_async(enough, timeout=SOON, what=f"{count} subscribers of {order_id}")


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_subscription_over_the_maximum_never_opens_upstream(
    federation: Federation,
) -> None:
    opened = federation.feed.opened
    with demand_gateway(federation, max=1) as url:
        async with socket(url) as ws:
            subscribe = {"query": MILESTONES, "variables": {"o": "o-1"}}
            await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": subscribe}))
            message = await receive(ws)
        async with httpx.AsyncClient(timeout=SOON) as client:
            response = await client.post(
                f"{url}/graphql", json=subscribe, headers={"accept": "text/event-stream"}
            )
    assert message["type"] == "error" and message["id"] == "s"
    assert codes({"errors": message["payload"]}) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    assert message["payload"][0]["extensions"]["cost.estimated"] == 2
    events = events_of(response.text)
    assert [event for event, _ in events] == ["next", "complete"]
    assert codes(events[0][1]) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    assert federation.feed.opened == opened  # the events subgraph never saw it


async def test_an_event_over_the_actual_maximum_ends_the_subscription(
    federation: Federation,
) -> None:
    with demand_gateway(federation, actual_max=1) as url:
        async with socket(url) as ws:
            subscribe = {"query": MILESTONES, "variables": {"o": "o-2"}}
            await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": subscribe}))
            await subscribed(federation, "o-2", 1)
            federation.feed.publish("o-2", 1)
            withheld = await receive(ws)
            assert await receive(ws) == {"id": "s", "type": "complete"}
            # The upstream subscription is completed with it.
            await subscribed(federation, "o-2", 0)
    assert withheld["type"] == "next"
    assert withheld["payload"] == {
        "errors": [
            {
                "message": "Query actual cost 2 exceeded configured maximum 1",
                "extensions": {
                    "cost.actual": 2.0,
                    "cost.max": 1.0,
                    "code": "COST_ACTUAL_TOO_EXPENSIVE",
                },
            }
        ]
    }


async def test_an_event_over_the_actual_maximum_ends_the_event_stream(
    federation: Federation,
) -> None:
    with demand_gateway(federation, actual_max=1) as url:
        body = {"query": MILESTONES, "variables": {"o": "o-4"}}
        async with (
            httpx.AsyncClient(timeout=SOON) as client,
            client.stream(
                "POST", f"{url}/graphql", json=body, headers={"accept": "text/event-stream"}
            ) as response,
        ):
            await subscribed(federation, "o-4", 1)
            federation.feed.publish("o-4", 1)
            text = (await asyncio.wait_for(response.aread(), SOON)).decode()
        await subscribed(federation, "o-4", 0)
    events = events_of(text)
    assert [event for event, _ in events] == ["next", "complete"]
    assert codes(events[0][1]) == ["COST_ACTUAL_TOO_EXPENSIVE"]


async def test_a_refused_mutation_changes_nothing(federation: Federation) -> None:
    # The subscription (2) is admitted, the mutation (12) is not.
    with demand_gateway(federation, max=11) as url:
        async with socket(url) as ws:
            subscribe = {"query": MILESTONES, "variables": {"o": "o-7"}}
            await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": subscribe}))
            await subscribed(federation, "o-7", 1)
            async with httpx.AsyncClient(timeout=SOON) as client:
                refused = (await client.post(f"{url}/graphql", json={"query": PUBLISH})).json()
            assert codes(refused) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
            assert refused["errors"][0]["extensions"]["cost.estimated"] == 12
            # Nothing was published: the next message the subscriber gets is a pong.
            await ws.send(json.dumps({"type": "ping"}))
            assert await receive(ws) == {"type": "pong"}
            federation.feed.publish("o-7", 2)
            event = await receive(ws)
    assert event["payload"]["data"]["milestones"]["seq"] == 2

"""Subscriptions are filtered as queries are: every event answers the unauthorized fields null
with their errors (and fetches nothing for them); an unauthorized subscription field is
refused before anything is opened upstream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from gateway import Gateway
from gateway.auth import AuthSettings, Identity
from gateway.authorization import Authorizer
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import Supergraph, parse_supergraph
from tests.gateway.subscription_federation import Federation, running_federation, supergraph_sdl
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer
from tests.support.waiting import wait_until_async

Prove = Callable[..., Awaitable[Identity]]

LINKS = """  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
"""
AUTH_LINKS = """  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
"""
DEFINITIONS = """
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT \
| INTERFACE | SCALAR | ENUM
scalar requiresScopes__Scope
"""
TOTAL = "  total: Int @join__field(graph: LEDGER)\n"
MILESTONES = "subscription($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"
LATEST = "subscription($o: ID!) { latestTick: milestones(orderId: $o) { seq } }"


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


def guarded(federation: Federation) -> Supergraph:
    """The federation's supergraph with Order.total asking the "totals" scope."""
    source = supergraph_sdl(federation.urls)
    assert LINKS in source and TOTAL in source
    source = source.replace(LINKS, LINKS + AUTH_LINKS) + DEFINITIONS
    source = source.replace(
        TOTAL, '  total: Int @join__field(graph: LEDGER) @requiresScopes(scopes: [["totals"]])\n'
    )
    return parse_supergraph(source)


@pytest.fixture
async def gateway(federation: Federation) -> AsyncIterator[Gateway]:
    gateway = Gateway(guarded(federation), authorization=Authorizer())
    yield gateway
    await gateway.aclose()


async def test_each_event_is_filtered(
    gateway: Gateway, federation: Federation, identity: Prove
) -> None:
    federation.ledger.reset()
    outcome = await gateway.stream(
        {"query": MILESTONES, "variables": {"o": "SO-41"}}, identity=await identity("x")
    )
    assert outcome.responses is not None
    first = asyncio.ensure_future(anext(outcome.responses))

    async def upstream() -> bool:
        return federation.feed.active("SO-41") == 1

    await wait_until_async(upstream, timeout=10, what="the subscription upstream")
    federation.feed.publish("SO-41", 1)
    federation.feed.publish("SO-41", 2)
    events = [
        await asyncio.wait_for(first, 10),
        await asyncio.wait_for(anext(outcome.responses), 10),
    ]
    await outcome.responses.aclose()
    assert events == [
        {
            "data": {"milestones": {"seq": seq, "order": {"id": "SO-41", "total": None}}},
            "errors": [
                {
                    "message": "Unauthorized field or type",
                    "path": ["milestones", "order", "total"],
                    "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
                }
            ],
        }
        for seq in (1, 2)
    ]
    # total was never asked of the ledger.
    assert federation.ledger.http_seen == []


async def test_an_unauthorized_subscription_opens_nothing(
    federation: Federation, identity: Prove
) -> None:
    source = supergraph_sdl(federation.urls).replace(LINKS, LINKS + AUTH_LINKS) + DEFINITIONS
    source = source.replace(
        "  milestones(orderId: ID!): Milestone!",
        "  milestones(orderId: ID!): Milestone! @authenticated",
    )
    assert "@authenticated\n" in source
    gateway = Gateway(parse_supergraph(source), authorization=Authorizer())
    try:
        outcome = await gateway.stream({"query": LATEST, "variables": {"o": "SO-42"}})
    finally:
        await gateway.aclose()
    assert outcome.refused is not None
    assert outcome.refused.response == {
        "data": None,
        "errors": [
            {
                "message": "Unauthorized field or type",
                "path": ["latestTick"],
                "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
            }
        ],
    }
    assert federation.feed.active("SO-42") == 0


async def test_over_a_websocket_the_token_of_connection_init_decides(
    federation: Federation, issuer: TestIssuer, jwks_path: Path
) -> None:
    auth = AuthSettings(jwks=str(jwks_path), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    settings = GatewaySettings(reload_interval=0, auth=auth)
    engine = Gateway(guarded(federation), authorization=Authorizer.from_settings(auth))
    protocol = Subprotocol("graphql-transport-ws")

    async def first_event(scope: str, order_id: str) -> Any:
        init = {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {issuer.token(scope=scope)}"},
        }
        payload = {"query": MILESTONES, "variables": {"o": order_id}}
        async with connect(ws_url, subprotocols=[protocol], proxy=None) as connection:
            await connection.send(json.dumps(init))
            assert (
                json.loads(await asyncio.wait_for(connection.recv(), 10))["type"]
                == "connection_ack"
            )
            await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))

            async def upstream() -> bool:
                return federation.feed.active(order_id) == 1

            await wait_until_async(upstream, timeout=10, what="the subscription upstream")
            federation.feed.publish(order_id, 1)
            message = json.loads(await asyncio.wait_for(connection.recv(), 10))
            assert message["type"] == "next", message
            return message["payload"]

    with serve(create_app(engine, settings)) as url:
        ws_url = url.replace("http://", "ws://") + "/graphql"
        with_scope = await first_event("totals", "SO-43")
        without = await first_event("other", "SO-44")
    assert with_scope == {
        "data": {"milestones": {"seq": 1, "order": {"id": "SO-43", "total": 4300}}}
    }
    assert without == {
        "data": {"milestones": {"seq": 1, "order": {"id": "SO-44", "total": None}}},
        "errors": [
            {
                "message": "Unauthorized field or type",
                "path": ["milestones", "order", "total"],
                "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
            }
        ],
    }

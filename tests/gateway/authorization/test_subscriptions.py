"""Subscriptions are filtered as queries are: every event answers the unauthorized fields null
with their errors (and fetches nothing for them); an unauthorized subscription field is
refused before anything is opened upstream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from gateway import Gateway
from gateway.auth import Identity
from gateway.authorization import Authorizer
from gateway.supergraph import parse_supergraph
from tests.gateway.subscription_federation import Federation, running_federation, supergraph_sdl
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


@pytest.fixture
async def gateway(federation: Federation) -> AsyncIterator[Gateway]:
    """The federation with Order.total asking the "totals" scope."""
    source = supergraph_sdl(federation.urls)
    assert LINKS in source and TOTAL in source
    source = source.replace(LINKS, LINKS + AUTH_LINKS) + DEFINITIONS
    source = source.replace(
        TOTAL, '  total: Int @join__field(graph: LEDGER) @requiresScopes(scopes: [["totals"]])\n'
    )
    gateway = Gateway(parse_supergraph(source), authorization=Authorizer())
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

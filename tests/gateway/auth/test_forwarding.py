"""What the subgraphs receive: the client's verified token on every fetch (``Authorization``)
and in the ``connection_init`` of subscription connections (one per token), and nothing when
the client is anonymous or auth is off."""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.gateway.auth.test_transports import (
    ANSWER,
    LATEST,
    VARIABLES,
    receive,
    socket,
)
from tests.gateway.subscription_federation import Federation
from tests.support.tokens import TestIssuer
from tests.support.waiting import wait_until_async

MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"


def _post(url: str, headers: dict[str, str]) -> Any:
    body = {"query": LATEST, "variables": VARIABLES}
    response = httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _authorizations(federation: Federation) -> list[str | None]:
    seen = federation.events.http_seen + federation.ledger.http_seen
    return [headers.get("authorization") for headers in seen]


def test_every_fetch_carries_the_token(
    gateway_url: str, issuer: TestIssuer, federation: Federation
) -> None:
    token = issuer.token(subject="ann")
    assert _post(gateway_url, {"authorization": f"Bearer {token}"}) == ANSWER
    # The root fetch to events and the entity fetch to ledger.
    assert _authorizations(federation) == [f"Bearer {token}"] * 2


def test_an_anonymous_request_carries_none(gateway_url: str, federation: Federation) -> None:
    assert _post(gateway_url, {}) == ANSWER
    assert _authorizations(federation) == [None, None]


def test_with_auth_off_the_header_is_never_forwarded(
    open_gateway_url: str, issuer: TestIssuer, federation: Federation
) -> None:
    token = issuer.token()
    assert _post(open_gateway_url, {"authorization": f"Bearer {token}"}) == ANSWER
    assert _authorizations(federation) == [None, None]


async def _subscribe(connection: ClientConnection, token: str | None, order: str) -> None:
    init: dict[str, Any] = {"type": "connection_init"}
    if token is not None:
        init["payload"] = {"Authorization": f"Bearer {token}"}
    await connection.send(json.dumps(init))
    assert await receive(connection) == {"type": "connection_ack"}
    payload = {"query": MILESTONES, "variables": {"o": order}}
    await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def _subscribed(federation: Federation, order: str, count: int) -> None:
    async def ready() -> bool:
        return federation.feed.active(order) == count

    await wait_until_async(ready, timeout=5, what=f"{count} subscribers of {order}")


async def test_subscription_connections_are_one_per_token(
    gateway_url: str, issuer: TestIssuer, federation: Federation
) -> None:
    ann, bob = issuer.token(subject="ann"), issuer.token(subject="bob")
    order = "o-41"
    async with (
        socket(gateway_url) as first,
        socket(gateway_url) as second,
        socket(gateway_url) as third,
        socket(gateway_url) as anonymous,
        socket(gateway_url) as also_anonymous,
    ):
        await _subscribe(first, ann, order)
        await _subscribe(second, ann, order)
        await _subscribe(third, bob, order)
        await _subscribe(anonymous, None, order)
        await _subscribe(also_anonymous, None, order)
        # ann's two identical subscriptions share one connection and one subscription on it,
        # bob has his own, and the anonymous ones share the tokenless one (and one there).
        await _subscribed(federation, order, 3)
        inits = sorted(json.dumps(p, sort_keys=True) for p in federation.events.ws_inits)
        assert inits == sorted(
            json.dumps(p, sort_keys=True)
            for p in ({"Authorization": f"Bearer {ann}"}, {"Authorization": f"Bearer {bob}"}, {})
        )
        federation.feed.publish(order, 1)
        for connection in (first, second, third, anonymous, also_anonymous):
            message = await receive(connection)
            assert message["payload"] == {
                "data": {"milestones": {"seq": 1, "order": {"id": order, "total": 4100}}}
            }
        # Each event's entity fetch to ledger carried its subscriber's token (or none);
        # subscribers with the same token may share one fetch in flight, never across tokens.
        ledger = [h.get("authorization") for h in federation.ledger.http_seen]
        assert set(ledger) == {f"Bearer {ann}", f"Bearer {bob}", None}
        assert len(ledger) <= 5


async def test_with_auth_off_connection_init_carries_no_token(
    open_gateway_url: str, issuer: TestIssuer, federation: Federation
) -> None:
    order = "o-42"
    async with socket(open_gateway_url) as connection:
        await _subscribe(connection, issuer.token(), order)
        await _subscribed(federation, order, 1)
        assert federation.events.ws_inits == [{}]

"""Identical subscriptions share one subgraph subscription and one entity round per event.

The two-subgraph federation on loopback (``subscription_federation``): the ``events``
subgraph counts its running subscription generators per order (``Feed.active``), the
``ledger`` subgraph's door records every HTTP request (the entity fetches for
``order.total``). What is asserted is what the subgraphs saw and what each client got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from gateway import Gateway
from gateway.auth import Identity
from gateway.executor import SubgraphTransport, TransportSettings
from tests.gateway.subscription_federation import Federation, running_federation
from tests.gateway.test_subscription_engine import (
    MILESTONES,
    Subscriber,
    milestone,
    subscribe,
)
from tests.support.waiting import wait_until_async


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture
async def gateway(federation: Federation) -> AsyncIterator[Gateway]:
    federation.ledger.reset()
    gateway = Gateway(federation.supergraph)
    yield gateway
    await gateway.aclose()


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    async def check() -> bool:
        return condition()

    await wait_until_async(check, timeout=timeout, what=what)


async def subscribe_as(gateway: Gateway, order_id: str, identity: Identity) -> Subscriber:
    outcome = await gateway.stream(
        {"query": MILESTONES, "variables": {"o": order_id}}, identity=identity
    )
    assert outcome.refused is None and outcome.responses is not None
    subscriber = Subscriber(outcome.responses)
    subscriber.ask()
    return subscriber


async def opened(gateway: Gateway, subscribers: int) -> None:
    """Wait until every subscriber's subscribe reached the gateway's subgraph client."""
    client = gateway.transport.subscriptions
    await until(lambda: client.subscribers() == subscribers, f"{subscribers} subscribers upstream")


async def test_subscribers_of_one_order_share_one_subscription_and_one_entity_fetch(
    gateway: Gateway, federation: Federation
) -> None:
    subscribers = [await subscribe(gateway, "SO-301") for _ in range(10)]
    await opened(gateway, 10)
    await until(lambda: federation.feed.active("SO-301") == 1, "the subscription upstream")
    for seq in (1, 2):
        before = federation.ledger.seen()
        federation.feed.publish("SO-301", seq)
        got = [await s.take() for s in subscribers]
        assert got == [milestone(seq, "SO-301")] * 10
        # One entity fetch for the ten of them.
        assert federation.ledger.seen() - before == 1
        for subscriber in subscribers:  # all waiting for the next event, as clients reading
            subscriber.ask()
    assert federation.feed.active("SO-301") == 1
    for subscriber in subscribers:
        await subscriber.stop()
    await until(lambda: federation.feed.active("SO-301") == 0, "the subscription completed")


async def test_one_subscriber_leaving_does_not_end_the_others(
    gateway: Gateway, federation: Federation
) -> None:
    subscribers = [await subscribe(gateway, "SO-302") for _ in range(3)]
    await opened(gateway, 3)
    await until(lambda: federation.feed.active("SO-302") == 1, "the subscription upstream")
    await subscribers[0].stop()
    federation.feed.publish("SO-302", 1)
    assert [await s.take() for s in subscribers[1:]] == [milestone(1, "SO-302")] * 2
    assert federation.feed.active("SO-302") == 1
    await subscribers[1].stop()
    federation.feed.publish("SO-302", 2)
    assert await subscribers[2].take() == milestone(2, "SO-302")
    await subscribers[2].stop()
    await until(lambda: federation.feed.active("SO-302") == 0, "the last one completed it")


async def test_different_tokens_do_not_share(gateway: Gateway, federation: Federation) -> None:
    ann, bob = Identity(token="ann-token", subject="ann"), Identity(token="bob-token")
    subscribers = [
        await subscribe_as(gateway, "SO-303", ann),
        await subscribe_as(gateway, "SO-303", ann),
        await subscribe_as(gateway, "SO-303", bob),
    ]
    await opened(gateway, 3)
    await until(lambda: federation.feed.active("SO-303") == 2, "one subscription per token")
    federation.feed.publish("SO-303", 1)
    assert [await s.take() for s in subscribers] == [milestone(1, "SO-303")] * 3
    # One entity fetch per token, each forwarding its own.
    forwarded = sorted(h.get("authorization", "") for h in federation.ledger.http_seen)
    assert forwarded == ["Bearer ann-token", "Bearer bob-token"]
    for subscriber in subscribers:
        await subscriber.stop()
    await until(lambda: federation.feed.active("SO-303") == 0, "the subscriptions completed")


async def test_a_subscriber_after_the_first_event_gets_a_subscription_of_its_own(
    gateway: Gateway, federation: Federation
) -> None:
    first = await subscribe(gateway, "SO-304")
    await until(lambda: federation.feed.active("SO-304") == 1, "the subscription upstream")
    federation.feed.publish("SO-304", 1)
    assert await first.take() == milestone(1, "SO-304")
    # Joining the running one could miss what it was sent first (a resume's backlog).
    late = await subscribe(gateway, "SO-304")
    await until(lambda: federation.feed.active("SO-304") == 2, "a second subscription upstream")
    federation.feed.publish("SO-304", 2)
    assert await first.take() == milestone(2, "SO-304")
    assert await late.take() == milestone(2, "SO-304")
    await first.stop()
    await late.stop()
    await until(lambda: federation.feed.active("SO-304") == 0, "the subscriptions completed")


async def test_sharing_can_be_turned_off(federation: Federation) -> None:
    transport = SubgraphTransport(TransportSettings(share_subscriptions=False))
    gateway = Gateway(federation.supergraph, transport=transport)
    try:
        subscribers = [await subscribe(gateway, "SO-305") for _ in range(3)]
        await until(lambda: federation.feed.active("SO-305") == 3, "one subscription each")
        federation.feed.publish("SO-305", 1)
        assert [await s.take() for s in subscribers] == [milestone(1, "SO-305")] * 3
        for subscriber in subscribers:
            await subscriber.stop()
    finally:
        await gateway.aclose()
    await until(lambda: federation.feed.active("SO-305") == 0, "the subscriptions completed")

"""A client that walks away stops its request: the subgraph sees its fetch abandoned, and the
gateway's running tasks come back to what they were, over every transport.

The ledger subgraph's door holds its answer until the gateway hangs up on it, so the only way
the fetch can end is the gateway cancelling it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from gateway.engine import Gateway
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.gated import gateway_app
from tests.support.loops import LoopProbe
from tests.support.servers import serve
from tests.support.transports import HANGUPS, ask, hang_up, subscription
from tests.support.waiting import wait_until

LATEST = '{ latest(orderId: "o-7") { seq order { id total } } }'
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"
SOON = 10.0


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture(autouse=True)
def doors(federation: Federation) -> Iterator[None]:
    federation.events.reset()
    federation.ledger.reset()
    yield
    federation.events.reset()
    federation.ledger.reset()


@pytest.fixture
def served(federation: Federation) -> Iterator[tuple[str, LoopProbe]]:
    """A gateway with the default deadline (far off), and a probe of its event loop."""
    probe = LoopProbe(gateway_app(Gateway(federation.supergraph)))
    with serve(probe) as url:
        yield url, probe


def back_to(probe: LoopProbe, baseline: int) -> None:
    def settled() -> bool:
        return probe.tasks() == baseline

    try:
        wait_until(settled, timeout=SOON, what=f"the gateway back to {baseline} tasks")
    except TimeoutError:
        raise AssertionError(f"still running: {probe.task_names()}") from None


@pytest.mark.parametrize("hangup", HANGUPS)
def test_a_client_that_leaves_stops_its_fetches(
    federation: Federation, served: tuple[str, LoopProbe], hangup: str
) -> None:
    url, probe = served
    federation.ledger.http_delay = math.inf
    baseline: list[int] = []
    with hang_up(hangup, url, LATEST, before=lambda: baseline.append(probe.tasks())) as leave:
        wait_until(lambda: federation.ledger.seen() == 1, timeout=SOON, what="the ledger asked")
        assert federation.ledger.abandoned() == 0  # held: only a hang-up ends it
        leave()
        wait_until(
            lambda: federation.ledger.abandoned() == 1,
            timeout=SOON,
            what="the ledger's request abandoned",
        )
        # Over a socket that stays open (``complete``), its operation's task is gone too.
        back_to(probe, baseline[0])
    assert federation.events.abandoned() == 0  # that fetch had answered, nothing to stop


@pytest.mark.parametrize("hangup", ["sse", "ws", "ws-complete"])
def test_a_subscriber_that_leaves_stops_its_events_fetches(
    federation: Federation, served: tuple[str, LoopProbe], hangup: str
) -> None:
    url, probe = served
    # The gateway keeps one connection to the events subgraph for all its subscriptions, open
    # a while after the last one ends (as HTTP keeps its idle connections): it is part of
    # the baseline, not work for nobody.
    with subscription("ws", url, MILESTONES, {"o": "warm-up"}):
        wait_until(lambda: federation.feed.active("warm-up") == 1, timeout=SOON, what="warm")
    wait_until(lambda: federation.feed.active("warm-up") == 0, timeout=SOON, what="cold")
    federation.ledger.http_delay = math.inf
    baseline: list[int] = []
    before = lambda: baseline.append(probe.tasks())  # noqa: E731
    with hang_up(hangup, url, MILESTONES, {"o": "o-5"}, before=before) as leave:
        wait_until(lambda: federation.feed.active("o-5") == 1, timeout=SOON, what="subscribed")
        federation.feed.publish("o-5", 1)
        wait_until(lambda: federation.ledger.seen() == 1, timeout=SOON, what="the ledger asked")
        leave()
        wait_until(
            lambda: federation.ledger.abandoned() == 1,
            timeout=SOON,
            what="the ledger's request abandoned",
        )
        wait_until(lambda: federation.feed.active("o-5") == 0, timeout=SOON, what="unsubscribed")
        back_to(probe, baseline[0])


def test_answered_requests_leave_nothing_running(
    federation: Federation, served: tuple[str, LoopProbe]
) -> None:
    url, probe = served
    before = probe.tasks()
    for transport in ("post", "get", "sse", "ws"):
        assert ask(transport, url, LATEST)["data"]["latest"]["order"]["total"] == 700
    back_to(probe, before)

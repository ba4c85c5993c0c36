"""A request's deadline, as a client and the subgraphs see it, over every transport.

A real gateway serves the two-subgraph federation of ``subscription_federation`` on loopback;
the ledger subgraph's door holds its HTTP requests (until the gateway hangs up, or for a
while), so a test decides which fetch misses the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gateway.engine import Gateway
from gateway.executor import TIMEOUT_HEADER, SubgraphTransport
from gateway.server import GatewaySettings, RequestSettings, create_app
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve
from tests.support.transports import PATIENCE, TRANSPORTS, ask, subscription
from tests.support.waiting import wait_until

# Long enough for the fetches that are not held to answer on a loaded machine.
DEADLINE = 2.0
LATEST = '{ latest(orderId: "o-7") { seq order { id total } } }'
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"


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


@contextmanager
def gateway(federation: Federation, timeout: float | None = DEADLINE) -> Iterator[str]:
    """A gateway over ``federation`` whose requests have ``timeout``; yields its base URL."""
    settings = GatewaySettings(reload_interval=0, requests=RequestSettings(timeout=timeout))
    engine = Gateway(
        federation.supergraph,
        request_timeout=settings.requests.timeout,
        transport=SubgraphTransport(settings.transport()),
    )
    with serve(create_app(engine, settings)) as url:
        yield url


def timed_out(service: str | None, path: list[str | int] | None = None) -> dict[str, Any]:
    """The GATEWAY_TIMEOUT error of a fetch to ``service`` cut at ``path``, or (``None``) of
    the request as a whole."""
    if service is None:
        return {
            "message": (
                f"The request did not finish within its deadline of {DEADLINE:g}s; "
                "the data that arrived in time is kept."
            ),
            "extensions": {"code": "GATEWAY_TIMEOUT"},
        }
    return {
        "message": (
            f"Subgraph '{service}' did not answer within the request's deadline of {DEADLINE:g}s."
        ),
        "path": path,
        "extensions": {"code": "GATEWAY_TIMEOUT", "serviceName": service},
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_at_the_deadline_the_client_gets_what_arrived(
    federation: Federation, transport: str
) -> None:
    federation.ledger.http_delay = math.inf  # the ledger never answers: the gateway gives up
    with gateway(federation) as url:
        started = time.monotonic()
        response = ask(transport, url, LATEST)
        took = time.monotonic() - started
    assert response == {
        "errors": [timed_out("ledger", ["latest", "order"]), timed_out(None)],
        "data": {"latest": {"seq": 0, "order": {"id": "o-7", "total": None}}},
    }
    assert DEADLINE <= took < DEADLINE + PATIENCE
    # The gateway let go of the fetch: the ledger saw its request abandoned.
    wait_until(lambda: federation.ledger.abandoned() == 1, what="the ledger's request abandoned")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_request_within_its_deadline_is_untouched(federation: Federation, transport: str) -> None:
    federation.ledger.http_delay = 0.2
    with gateway(federation) as url:
        response = ask(transport, url, LATEST)
    assert response == {"data": {"latest": {"seq": 0, "order": {"id": "o-7", "total": 700}}}}
    assert federation.ledger.abandoned() == 0


def test_each_fetch_is_told_only_the_time_left(federation: Federation) -> None:
    # The events subgraph takes half a second: the ledger's fetch, after it, has that less.
    federation.events.http_delay = 0.5
    with gateway(federation) as url:
        response = ask("post", url, LATEST)
    assert "errors" not in response
    [events] = [int(seen[TIMEOUT_HEADER]) for seen in federation.events.http_seen]
    [ledger] = [int(seen[TIMEOUT_HEADER]) for seen in federation.ledger.http_seen]
    assert 0 < ledger <= events - 500
    assert events <= DEADLINE * 1000


def test_without_a_deadline_nothing_is_forwarded(federation: Federation) -> None:
    with gateway(federation, timeout=None) as url:
        assert "errors" not in ask("post", url, LATEST)
    assert all(TIMEOUT_HEADER not in seen for seen in federation.ledger.http_seen)
    assert federation.ledger.seen() == 1


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_each_subscription_event_gets_its_own_deadline(
    federation: Federation, transport: str
) -> None:
    federation.ledger.http_delay = math.inf
    with (
        gateway(federation) as url,
        subscription(transport, url, MILESTONES, {"o": "o-3"}) as responses,
    ):
        wait_until(lambda: federation.feed.active("o-3") == 1, what="the subscription")
        cut = {"errors": [timed_out("ledger", ["milestones", "order"]), timed_out(None)]}
        # The subscription outlives any deadline; each event's entity fetch has its own.
        for seq in (1, 2):
            federation.feed.publish("o-3", seq)
            started = time.monotonic()
            assert next(responses) == {
                **cut,
                "data": {"milestones": {"seq": seq, "order": {"id": "o-3", "total": None}}},
            }
            assert DEADLINE <= time.monotonic() - started < DEADLINE + PATIENCE
        federation.ledger.http_delay = 0
        federation.feed.publish("o-3", 3)
        assert next(responses) == {
            "data": {"milestones": {"seq": 3, "order": {"id": "o-3", "total": 300}}}
        }
    assert federation.ledger.abandoned() == 2

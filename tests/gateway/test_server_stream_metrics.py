"""``/metrics`` of the gateway after real streamed operations: server-sent events,
graphql-transport-ws and ``@defer``'s multipart parts are timed as operations, and each
subscription per event and over its lifetime (docs/metrics.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import parse_supergraph
from tests.gateway.defer_federation import DeferFederation, running_defer_federation
from tests.gateway.subscription_federation import Federation, running_federation
from tests.gateway.test_defer import DEFERRED, INITIAL, SHIPMENTS, multipart
from tests.support.metrics import scrape
from tests.support.servers import serve
from tests.support.transports import _receive, _send, _socket, ask, subscription
from tests.support.waiting import wait_until

SETTINGS = GatewaySettings(reload_interval=0)
MILESTONES = "subscription Follow($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"
OPERATIONS = "graphql_server_operation_duration_seconds_count"
EVENTS = "graphql_server_subscription_event_duration_seconds_count"
LIFETIMES = "graphql_server_subscription_duration_seconds_count"


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture
def gateway_url(federation: Federation) -> Iterator[str]:
    with serve(create_app(Gateway(federation.supergraph), SETTINGS)) as url:
        yield url


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_a_subscription_is_timed_per_event_and_over_its_lifetime(
    transport: str, gateway_url: str, federation: Federation
) -> None:
    order = f"o-{transport}-7"
    started = time.perf_counter()
    with subscription(transport, gateway_url, MILESTONES, {"o": order}) as responses:
        wait_until(lambda: federation.feed.active(order) == 1, what="the subscriber")
        for seq in (1, 2, 3):
            federation.feed.publish(order, seq)
            got = next(responses)
            assert got == {
                "data": {"milestones": {"seq": seq, "order": {"id": order, "total": 7_00}}}
            }
        federation.feed.end(order)
        assert next(responses, None) is None
    lasted = time.perf_counter() - started
    samples = scrape(gateway_url)
    assert samples.types["graphql_server_subscription_event_duration_seconds"] == "histogram"
    # Each event's resolution (its fetch of the order's total from the ledger).
    assert samples.value(EVENTS, graphql_operation_name="Follow") == 3
    assert (
        samples.value(f"{EVENTS.removesuffix('_count')}_sum", graphql_operation_name="Follow") > 0
    )
    assert samples.value("subgraph_fetch_duration_seconds_count", subgraph="ledger") == 3
    # Its lifetime once it ended: no longer than the client saw it open.
    assert samples.value(LIFETIMES, graphql_operation_name="Follow") == 1
    lifetime = samples.value(f"{LIFETIMES.removesuffix('_count')}_sum")
    assert 0 < lifetime <= lasted
    # A subscription is no operation of the operations' histogram (hours in a 10 s scale).
    assert samples.value(OPERATIONS, graphql_operation_type="subscription") == 0


def refused_errors(transport: str, base_url: str, query: str) -> list[str]:
    """The codes of the errors refusing ``query``: SSE's one ``next``, WebSocket's ``error``."""
    if transport == "sse":
        errors = ask(transport, base_url, query)["errors"]
    else:
        with _socket(base_url) as ws:
            _send(ws, {"id": "1", "type": "subscribe", "payload": {"query": query}})
            message = _receive(ws)
            assert message["type"] == "error", message
            errors = message["payload"]
    return [e["extensions"]["code"] for e in errors]


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_a_query_over_a_stream_is_timed_as_an_operation(transport: str, gateway_url: str) -> None:
    answer = ask(transport, gateway_url, 'query Latest { latest(orderId: "o-2") { seq } }')
    assert "errors" not in answer, answer
    assert refused_errors(transport, gateway_url, "query Broken { lastSeq { nope } }") == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    samples = scrape(gateway_url)
    assert samples.value(OPERATIONS, graphql_operation_name="Latest") == 1
    assert samples.value(OPERATIONS, graphql_operation_type="query") == 1
    # Refused before it ran: of no type the gateway could tell, its error counted by code.
    assert samples.value(OPERATIONS, graphql_operation_type="unknown") == 1
    assert samples.value("graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1


@pytest.fixture(scope="module")
def defer_federation() -> Iterator[DeferFederation]:
    with running_defer_federation() as fed:
        yield fed


def test_a_deferred_operation_is_timed_to_its_last_part(defer_federation: DeferFederation) -> None:
    engine = Gateway(parse_supergraph(defer_federation.supergraph))
    held = 0.3
    with serve(create_app(engine, SETTINGS)) as url:
        defer_federation.gate.shut()
        try:
            with multipart(url, SHIPMENTS) as (answer, parts):
                assert answer.headers["content-type"].startswith("multipart/mixed")
                assert next(parts) == {**INITIAL, "hasNext": True}
                # Not timed while its deferred part is still held.
                pending = scrape(url)
                assert pending.value(OPERATIONS, graphql_operation_type="query") == 0
                time.sleep(held)  # the deferred part takes this long at least (not a wait)
                defer_federation.gate.open()
                assert next(parts) == DEFERRED
                assert next(parts, None) is None
        finally:
            defer_federation.gate.open()
        samples = scrape(url)
    assert samples.value(OPERATIONS, graphql_operation_type="query") == 1
    # The whole response: its deferred part's wait included.
    assert samples.value("graphql_server_operation_duration_seconds_sum") >= held

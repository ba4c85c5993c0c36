"""Rate limits as clients meet them, on every transport: 429 with Retry-After over HTTP and
event streams, an ``error`` for the one ``subscribe`` over a WebSocket that stays open; per
client (behind trusted proxies only, X-Forwarded-For) and per operation; one limit for two
gateways sharing a real Redis, and what a Redis that does not answer means."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from gateway.server import GatewaySettings
from gateway.server._rate_limit import RateLimit, RateLimitSettings
from tests.gateway.front_door import (
    EVENT_STREAM,
    SOON,
    listening,
    metric,
    receive,
    send,
    serving,
    subscribe,
    ws_connected,
)
from tests.gateway.subscription_federation import (
    Federation,
    running_federation,
    supergraph_sdl,
)
from tests.support.graphql import PREFLIGHTED
from tests.support.ports import reserve_port
from tests.support.redis import dead_redis_url, redis_prefix, redis_url
from tests.support.tcp_switch import TcpSwitch
from tests.support.waiting import wait_until

__all__ = ["dead_redis_url", "redis_prefix", "redis_url"]

# Slow refill: within a test, a bucket only empties.
LIMITS = RateLimitSettings(
    default=RateLimit(capacity=2, interval=600),
    operations={"Hot": RateLimit(capacity=1, interval=600)},
    trusted_proxies=["127.0.0.1/32"],
)
SETTINGS = GatewaySettings(reload_interval=0, rate_limits=LIMITS)
QUERY = "query Q { lastSeq }"
HOT = "query Hot { lastSeq }"
HTTP_TRANSPORTS = ["post", "get", "sse-post", "sse-get"]

# Each test speaks for clients of its own, behind the trusted proxy (the test itself).
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def new_client() -> dict[str, str]:
    return {"x-forwarded-for": next(_addresses)}


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture(scope="module")
def base(federation: Federation) -> Iterator[str]:
    with serving(federation, SETTINGS) as url:
        yield url


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=SOON) as client:
        yield client


def ask(
    client: httpx.Client, transport: str, who: dict[str, str], query: str = QUERY
) -> httpx.Response:
    """One request over ``transport`` from client ``who``."""
    headers = {**who, **(EVENT_STREAM if transport.startswith("sse") else {})}
    name = query.split()[1]
    if transport.endswith("get"):
        params = {"query": query, "operationName": name}
        return client.get("/graphql", params=params, headers={**headers, **PREFLIGHTED})
    return client.post("/graphql", json={"query": query, "operationName": name}, headers=headers)


def ran(response: httpx.Response) -> bool:
    assert response.status_code == 200, response.text
    return '{"data":{"lastSeq":0}}' in response.text.replace(" ", "")


def assert_limited(response: httpx.Response, per_token: int = 300) -> None:
    """A 429 telling the client to come back when its bucket has a token again: in
    ``per_token`` seconds (whole seconds, rounded up; one less once a second has gone by)."""
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) in (per_token - 1, per_token)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(response.headers["retry-after"])


@pytest.mark.parametrize("transport", HTTP_TRANSPORTS)
def test_over_http_the_request_past_the_limit_gets_429(
    base: str, client: httpx.Client, transport: str
) -> None:
    who = new_client()
    assert ran(ask(client, transport, who))
    assert ran(ask(client, transport, who))
    requests = metric(base, "requests_total")
    assert_limited(ask(client, transport, who))
    # Refused before the engine: it parsed, planned and ran nothing.
    assert metric(base, "requests_total") == requests


async def test_over_a_websocket_the_subscribe_past_the_limit_gets_an_error(base: str) -> None:
    async with ws_connected(base, additional_headers=new_client()) as ws:
        for id_ in ("1", "2"):
            await send(ws, subscribe(id_, QUERY, "Q"))
            assert (await receive(ws))["type"] == "next"
            assert await receive(ws) == {"id": id_, "type": "complete"}
        await send(ws, subscribe("3", QUERY, "Q"))
        refused = await receive(ws)
        assert refused["id"] == "3" and refused["type"] == "error"
        [error] = refused["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] in (300, 301)
        # The socket stays open: another operation, with a bucket of its own, still runs.
        await send(ws, subscribe("4", HOT, "Hot"))
        assert await receive(ws) == {
            "id": "4",
            "type": "next",
            "payload": {"data": {"lastSeq": 0}},
        }


async def test_every_transport_draws_on_one_bucket(base: str, client: httpx.Client) -> None:
    who = new_client()
    assert ran(ask(client, "get", who))
    async with ws_connected(base, additional_headers=who) as ws:
        await send(ws, subscribe("1", QUERY, "Q"))
        assert (await receive(ws))["type"] == "next"
    assert_limited(ask(client, "sse-post", who))


def test_an_operation_with_a_limit_of_its_own(client: httpx.Client) -> None:
    who = new_client()
    assert ran(ask(client, "post", who, HOT))
    assert_limited(ask(client, "post", who, HOT), per_token=600)
    # The default bucket is apart, and every operation without a limit shares it: a renamed
    # operation gains nothing.
    assert ran(ask(client, "post", who, "query Cold { lastSeq }"))
    assert ran(ask(client, "post", who, "query Freezing { lastSeq }"))
    assert_limited(ask(client, "post", who, "query Tepid { lastSeq }"))


def test_clients_are_limited_apart(client: httpx.Client) -> None:
    first, second = new_client(), new_client()
    for _ in range(2):
        assert ran(ask(client, "post", first))
    assert_limited(ask(client, "post", first))
    assert ran(ask(client, "post", second))


def test_x_forwarded_for_is_ignored_from_a_peer_not_trusted(federation: Federation) -> None:
    untrusting = SETTINGS.model_copy(
        update={"rate_limits": LIMITS.model_copy(update={"trusted_proxies": []})}
    )
    with serving(federation, untrusting) as url, httpx.Client(base_url=url) as client:
        # A client claiming a new address each time is still the one peer.
        assert ran(ask(client, "post", new_client()))
        assert ran(ask(client, "post", new_client()))
        assert_limited(ask(client, "post", new_client()))


def test_a_refused_mutation_does_not_run(client: httpx.Client, federation: Federation) -> None:
    def publish(seq: int, who: dict[str, str]) -> httpx.Response:
        mutation = f'mutation Hot {{ publish(orderId: "RL-1", seq: {seq}) {{ seq }} }}'
        body = {"query": mutation, "operationName": "Hot"}
        return client.post("/graphql", json=body, headers=who)

    who = new_client()
    with listening(client, federation, "RL-1") as events:
        assert publish(1, who).status_code == 200
        assert next(events) == {"data": {"milestones": {"seq": 1}}}
        assert_limited(publish(2, who), per_token=600)
        assert publish(3, new_client()).status_code == 200
        # Milestone 2 was never published.
        assert next(events) == {"data": {"milestones": {"seq": 3}}}


# --- shared in Redis --------------------------------------------------------------------------


def redis_settings(url: str, prefix: str, **limits: Any) -> GatewaySettings:
    return SETTINGS.model_copy(
        update={
            "redis_url": url,
            "redis_prefix": prefix,
            "rate_limits": LIMITS.model_copy(update=limits),
        }
    )


async def test_two_gateways_sharing_redis_enforce_one_limit(
    federation: Federation, redis_url: str, redis_prefix: str
) -> None:
    settings = redis_settings(redis_url, redis_prefix, default=RateLimit(capacity=3, interval=600))
    who = new_client()
    with (
        serving(federation, settings) as first,
        serving(federation, settings) as second,
        httpx.Client(base_url=first, timeout=SOON) as one,
        httpx.Client(base_url=second, timeout=SOON) as other,
    ):
        assert ran(ask(one, "post", who))
        assert ran(ask(other, "get", who))
        async with ws_connected(second, additional_headers=who) as ws:
            await send(ws, subscribe("1", QUERY, "Q"))
            assert (await receive(ws))["type"] == "next"
            assert (await receive(ws))["type"] == "complete"
            await send(ws, subscribe("2", QUERY, "Q"))
            assert (await receive(ws))["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert_limited(ask(one, "sse-get", who), per_token=200)
        # Another client of either is untouched.
        assert ran(ask(one, "post", new_client()))


def test_without_redis_each_gateway_counts_alone(federation: Federation) -> None:
    who = new_client()
    with (
        serving(federation, SETTINGS) as first,
        serving(federation, SETTINGS) as second,
        httpx.Client(base_url=first, timeout=SOON) as one,
        httpx.Client(base_url=second, timeout=SOON) as other,
    ):
        for client in (one, one, other, other):
            assert ran(ask(client, "post", who))
        assert_limited(ask(one, "post", who))


def test_a_redis_that_does_not_answer_lets_requests_through_by_default(
    federation: Federation, dead_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    who = new_client()
    with (
        caplog.at_level(logging.WARNING, "gateway.server.rate_limit"),
        serving(federation, redis_settings(dead_redis_url, "unused:")) as url,
        httpx.Client(base_url=url, timeout=SOON) as client,
    ):
        for transport in HTTP_TRANSPORTS:
            assert ran(ask(client, transport, who))
    # Said once, not once a request.
    warnings = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(warnings) == 1
    assert "let through" in warnings[0].getMessage()


async def test_a_redis_that_does_not_answer_refuses_requests_when_closed(
    federation: Federation, dead_redis_url: str
) -> None:
    who = new_client()
    settings = redis_settings(dead_redis_url, "unused:", on_redis_error="closed")
    with serving(federation, settings) as url, httpx.Client(base_url=url, timeout=SOON) as client:
        for transport in HTTP_TRANSPORTS:
            response = ask(client, transport, who)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            [error] = response.json()["errors"]
            assert error["extensions"] == {"code": "RATE_LIMIT_UNAVAILABLE", "retryAfter": 1}
        async with ws_connected(url, additional_headers=who) as ws:
            await send(ws, subscribe("1", QUERY, "Q"))
            refused = await receive(ws)
            assert refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMIT_UNAVAILABLE"


def test_limits_hold_again_once_redis_is_back(
    federation: Federation, redis_url: str, redis_prefix: str
) -> None:
    who = new_client()
    with TcpSwitch(redis_url) as switch:
        limit = RateLimit(capacity=1, interval=600)
        settings = redis_settings(switch.url, redis_prefix, default=limit)
        with serving(federation, settings) as url, httpx.Client(base_url=url) as client:
            assert ran(ask(client, "post", who))  # the one token, taken in Redis
            switch.off()
            assert ran(ask(client, "post", who))  # let through: Redis does not answer
            switch.on()
            # After its second of rest, Redis is asked again: the bucket is where it was.
            wait_until(
                lambda: ask(client, "post", who).status_code == 429,
                timeout=SOON,
                what="the limit to hold again",
            )
            # A bucket Redis said was empty stays refused, even while Redis is away.
            switch.off()
            assert_limited(ask(client, "post", who), per_token=600)


def test_limits_from_the_environment(
    federation: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__RATE_LIMITS__DEFAULT", '{"capacity": 1, "interval": 60}')
    monkeypatch.setenv(
        "CROSSDOCK_GATEWAY__RATE_LIMITS__OPERATIONS", '{"Hot": {"capacity": 2, "interval": 60}}'
    )
    monkeypatch.setenv("CROSSDOCK_GATEWAY__RATE_LIMITS__TRUSTED_PROXIES", '["127.0.0.0/8"]')
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CROSSDOCK_REDIS_URL", raising=False)
    settings = Settings().gateway.model_copy(update={"reload_interval": 0})
    who = new_client()
    with serving(federation, settings) as url, httpx.Client(base_url=url) as client:
        assert ran(ask(client, "post", who))
        assert_limited(ask(client, "post", who), per_token=60)
        assert ran(ask(client, "post", who, HOT))
        assert ran(ask(client, "post", who, HOT))
        assert_limited(ask(client, "post", who, HOT), per_token=30)


def test_crossdock_serves_the_gateway_with_the_real_peer(
    federation: Federation, tmp_path: Path
) -> None:
    # uvicorn would otherwise take the peer from X-Forwarded-For for 127.0.0.1 itself, and
    # each request claiming a new address would get a new bucket.
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(federation.urls))
    port = reserve_port()
    env = {
        **os.environ,
        "CROSSDOCK_GATEWAY__RATE_LIMITS__DEFAULT": '{"capacity": 1, "interval": 600}',
    }
    env.pop("REDIS_URL", None)
    env.pop("CROSSDOCK_REDIS_URL", None)
    command = [sys.executable, "-m", "crossdock.cli", "gateway", "--supergraph", str(supergraph)]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.poll() is None, "crossdock gateway exited"
            try:
                return httpx.get(f"{url}/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout=60, what="crossdock gateway")
        with httpx.Client(base_url=url, timeout=SOON) as client:
            assert ran(ask(client, "post", new_client()))
            assert_limited(ask(client, "post", new_client()), per_token=600)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err

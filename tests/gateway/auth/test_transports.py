"""Tokens on every transport of a real gateway (auth on, JWKS over HTTP): POST, GET, server-sent
events and WebSocket each serve a good token, serve no token as anonymous, and refuse every
hostile one before anything reaches a subgraph (401 + ``WWW-Authenticate``, or close 4403)."""

from __future__ import annotations

import asyncio
import json
import socket as pysocket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from gateway.engine import Gateway
from gateway.server import create_app
from gateway.server._rate_limit import RateLimit, RateLimitSettings
from tests.gateway.auth.conftest import auth_settings
from tests.gateway.auth.hostile import hostile_tokens
from tests.gateway.subscription_federation import Federation
from tests.support.graphql import PREFLIGHTED
from tests.support.servers import serve
from tests.support.tokens import TestIssuer
from tests.support.waiting import wait_until_async

LATEST = "query L($o: ID!) { latest(orderId: $o) { seq order { id total } } }"
VARIABLES = {"o": "o-3"}
ANSWER = {"data": {"latest": {"seq": 0, "order": {"id": "o-3", "total": 300}}}}
PROTOCOL = Subprotocol("graphql-transport-ws")
SOON = 5.0
KINDS = list(hostile_tokens(TestIssuer()))


def _headers(token: str | None) -> dict[str, str]:
    return {} if token is None else {"authorization": f"Bearer {token}"}


def post(url: str, token: str | None) -> httpx.Response:
    body = {"query": LATEST, "variables": VARIABLES}
    return httpx.post(f"{url}/graphql", json=body, headers=_headers(token), timeout=SOON)


def get(url: str, token: str | None) -> httpx.Response:
    params = {"query": LATEST, "variables": json.dumps(VARIABLES)}
    headers = {**PREFLIGHTED, **_headers(token)}
    return httpx.get(f"{url}/graphql", params=params, headers=headers, timeout=SOON)


def sse(url: str, token: str | None) -> httpx.Response:
    body = {"query": LATEST, "variables": VARIABLES}
    headers = {"accept": "text/event-stream", **_headers(token)}
    return httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=SOON)


def answer(response: httpx.Response) -> Any:
    """The GraphQL response of a JSON answer or of an event stream's first ``next``."""
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        line = next(li for li in response.text.splitlines() if li.startswith("data: {"))
        return json.loads(line.removeprefix("data: "))
    return response.json()


HTTP = {"post": post, "get": get, "sse": sse}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert isinstance(error["message"], str) and "Traceback" not in error["message"]


@pytest.mark.parametrize("transport", HTTP)
def test_a_good_token_is_served(
    gateway_url: str, issuer: TestIssuer, federation: Federation, transport: str
) -> None:
    token = issuer.token(subject="ann")
    assert answer(HTTP[transport](gateway_url, token)) == ANSWER


@pytest.mark.parametrize("transport", HTTP)
def test_no_token_is_anonymous(gateway_url: str, transport: str) -> None:
    assert answer(HTTP[transport](gateway_url, None)) == ANSWER


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("transport", HTTP)
def test_a_hostile_token_is_401_before_anything_runs(
    gateway_url: str, issuer: TestIssuer, federation: Federation, transport: str, kind: str
) -> None:
    assert_unauthenticated(HTTP[transport](gateway_url, hostile_tokens(issuer)[kind]))
    assert federation.events.seen() == 0


@pytest.mark.parametrize("transport", HTTP)
@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"])
def test_another_scheme_is_401(gateway_url: str, transport: str, header: str) -> None:
    def send(url: str) -> httpx.Response:
        body = {"query": LATEST, "variables": VARIABLES}
        headers = {"authorization": header, **PREFLIGHTED}
        if transport == "sse":
            headers["accept"] = "text/event-stream"
        if transport == "get":
            params = {"query": LATEST, "variables": json.dumps(VARIABLES)}
            return httpx.get(f"{url}/graphql", params=params, headers=headers)
        return httpx.post(f"{url}/graphql", json=body, headers=headers)

    assert_unauthenticated(send(gateway_url))


@pytest.mark.parametrize("transport", HTTP)
def test_with_auth_off_the_header_is_ignored(open_gateway_url: str, transport: str) -> None:
    assert answer(HTTP[transport](open_gateway_url, "garbage")) == ANSWER


def test_a_rotated_key_verifies_without_restart(
    gateway_url: str, issuer: TestIssuer, federation: Federation
) -> None:
    fetched = issuer.fetches
    issuer.rotate()
    tokens = [issuer.token(subject=f"u{i}") for i in range(20)]

    async def all_at_once() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=SOON) as client:
            body = {"query": LATEST, "variables": VARIABLES}
            return await asyncio.gather(
                *(client.post("/graphql", json=body, headers=_headers(t)) for t in tokens)
            )

    responses = asyncio.run(all_at_once())
    assert [answer(r) for r in responses] == [ANSWER] * 20
    # Twenty requests with an unknown kid, one fetch of the JWKS.
    assert issuer.fetches == fetched + 1


def test_an_idp_down_at_start_means_401_until_it_answers(
    federation: Federation, issuer: TestIssuer
) -> None:
    sock = pysocket.socket(pysocket.AF_INET, pysocket.SOCK_STREAM)
    sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    port = sock.getsockname()[1]
    jwks = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    token = issuer.token()
    try:
        with serve(create_app(Gateway(federation.supergraph), auth_settings(jwks))) as url:
            assert_unauthenticated(post(url, token))
            with issuer.serve_jwks(sock):
                assert answer(post(url, token)) == ANSWER
    finally:
        sock.close()


def test_rate_limits_key_on_the_token_subject(
    federation: Federation, jwks_url: str, issuer: TestIssuer
) -> None:
    settings = auth_settings(jwks_url)
    settings = settings.model_copy(
        update={"rate_limits": RateLimitSettings(default=RateLimit(capacity=2, interval=3600))}
    )
    with serve(create_app(Gateway(federation.supergraph), settings)) as url:
        ann, bob = issuer.token(subject="ann"), issuer.token(subject="bob")
        assert [post(url, ann).status_code for _ in range(3)] == [200, 200, 429]
        # Same address, another subject: a bucket of its own.
        assert post(url, bob).status_code == 200
        # Another token of the same subject shares its bucket.
        assert post(url, issuer.token(subject="ann", scope="x")).status_code == 429


# WebSocket


def ws(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def socket(url: str) -> AsyncIterator[ClientConnection]:
    async with connect(ws(url), subprotocols=[PROTOCOL], proxy=None) as connection:
        yield connection


async def receive(connection: ClientConnection, timeout: float = SOON) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(connection.recv(), timeout))
    assert isinstance(message, dict)
    return message


async def run_latest(connection: ClientConnection) -> Any:
    payload = {"query": LATEST, "variables": VARIABLES}
    await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    message = await receive(connection)
    assert message["type"] == "next", message
    assert await receive(connection) == {"id": "1", "type": "complete"}
    return message["payload"]


@pytest.mark.parametrize(
    "payload",
    [
        lambda t: {"Authorization": f"Bearer {t}"},
        lambda t: {"authorization": f"Bearer {t}"},
        lambda t: {"headers": {"Authorization": f"Bearer {t}"}},
        lambda t: {"headers": {"authorization": f"Bearer {t}"}},
    ],
    ids=["Authorization", "authorization", "headers.Authorization", "headers.authorization"],
)
async def test_ws_a_good_token_in_connection_init(
    gateway_url: str, issuer: TestIssuer, payload: Any
) -> None:
    async with socket(gateway_url) as connection:
        init = {"type": "connection_init", "payload": payload(issuer.token())}
        await connection.send(json.dumps(init))
        assert await receive(connection) == {"type": "connection_ack"}
        assert await run_latest(connection) == ANSWER


async def test_ws_no_token_is_anonymous(gateway_url: str) -> None:
    async with socket(gateway_url) as connection:
        await connection.send(json.dumps({"type": "connection_init"}))
        assert await receive(connection) == {"type": "connection_ack"}
        assert await run_latest(connection) == ANSWER


async def _refused(url: str, payload: Any) -> ConnectionClosed:
    async with socket(url) as connection:
        await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(connection)
    return closed.value


@pytest.mark.parametrize("kind", KINDS)
async def test_ws_a_hostile_token_closes_4403(
    gateway_url: str, issuer: TestIssuer, federation: Federation, kind: str
) -> None:
    token = hostile_tokens(issuer)[kind]
    closed = await _refused(gateway_url, {"Authorization": f"Bearer {token}"})
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "Forbidden")
    assert federation.events.seen() == 0


@pytest.mark.parametrize(
    "payload",
    [
        lambda t: {"AUTHORIZATION": f"Bearer {t}"},
        lambda t: {"headers": {"AuthoriZation": f"Bearer {t}"}},
        lambda t: {"Authorization": None, "headers": {"Authorization": f"Bearer {t}"}},
    ],
    ids=["AUTHORIZATION", "headers.AuthoriZation", "null, then headers.Authorization"],
)
async def test_ws_credentials_in_any_spelling_are_checked(
    gateway_url: str, issuer: TestIssuer, federation: Federation, payload: Any
) -> None:
    """The attack: a header name in another case (GraphiQL sends the headers as typed), or a
    null beside the real one, to be served as anonymous rather than refused. Credentials
    are read in any case, as the subgraphs read them, so a bad token is refused."""
    closed = await _refused(gateway_url, payload(hostile_tokens(issuer)["expired"]))
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "Forbidden")
    assert federation.events.seen() == 0


@pytest.mark.parametrize("value", ["Basic abc", 42, ["Bearer x"]], ids=repr)
async def test_ws_a_malformed_authorization_closes_4403(gateway_url: str, value: Any) -> None:
    closed = await _refused(gateway_url, {"Authorization": value})
    assert closed.rcvd is not None and closed.rcvd.code == 4403


async def test_ws_the_socket_closes_4403_when_its_token_expires(
    gateway_url: str, issuer: TestIssuer
) -> None:
    # Two seconds to live, and the test gateway's leeway of one second.
    async with socket(gateway_url) as connection:
        payload = {"Authorization": f"Bearer {issuer.token(ttl=2)}"}
        init = {"type": "connection_init", "payload": payload}
        await connection.send(json.dumps(init))
        assert await receive(connection) == {"type": "connection_ack"}
        assert await run_latest(connection) == ANSWER
        with pytest.raises(ConnectionClosed) as closed:
            await receive(connection, timeout=10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")


async def test_ws_with_auth_off_the_payload_is_ignored(open_gateway_url: str) -> None:
    async with socket(open_gateway_url) as connection:
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer garbage"}}
        await connection.send(json.dumps(init))
        assert await receive(connection) == {"type": "connection_ack"}
        assert await run_latest(connection) == ANSWER


async def test_sse_a_stream_ends_when_its_token_expires(
    gateway_url: str, issuer: TestIssuer, federation: Federation
) -> None:
    """The attack: open a subscription over server-sent events with a token about to expire
    and keep reading. A WebSocket is closed when its token expires; an event stream must not
    outlive its token either, whatever the subgraph does (this one checks no token): it ends
    with one ``UNAUTHENTICATED`` event, then ``complete``, and the upstream subscription
    with it."""
    body = {"query": 'subscription { milestones(orderId: "o-9") { seq } }'}
    headers = {"accept": "text/event-stream", **_headers(issuer.token(ttl=2))}
    events: list[str] = []
    async with (
        httpx.AsyncClient(timeout=SOON) as client,
        client.stream("POST", f"{gateway_url}/graphql", json=body, headers=headers) as stream,
    ):
        assert stream.status_code == 200
        await wait_until_async(subscribers(federation, 1), timeout=SOON, what="the subscription")

        async def read_all() -> None:
            async for line in stream.aiter_lines():
                if line.startswith(("data: {", "event: complete")):
                    events.append(line)

        # Two seconds to live and one of leeway; the stream is read until it ends.
        await asyncio.wait_for(read_all(), timeout=10)
    [expired, complete] = events
    [error] = json.loads(expired.removeprefix("data: "))["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert complete == "event: complete"
    await wait_until_async(subscribers(federation, 0), timeout=SOON, what="the upstream to end")


def subscribers(federation: Federation, count: int) -> Callable[[], Awaitable[bool]]:
    async def holds() -> bool:
        return federation.feed.active("o-9") == count

    return holds

"""Web pages at the gateway's door: the Origin check of WebSockets and event streams, and CSRF
prevention on HTTP, as a browser (or a page forging one's requests) meets them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.exceptions import InvalidStatus

from gateway.server import GatewaySettings
from gateway.server._browsers import BrowserSettings
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
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.graphql import PREFLIGHTED

PORTAL = "https://portal.example"
EVIL = "http://evil.example"
SETTINGS = GatewaySettings(
    reload_interval=0,
    browsers=BrowserSettings(
        allow_origins=[PORTAL], allow_origin_regex=r"https://[a-z0-9-]+\.shops\.example"
    ),
)
QUERY = "{ lastSeq }"


def publish(order_id: str, seq: int) -> str:
    """The mutation of this federation with a visible effect (our graph's ``submitOrder``)."""
    return f'mutation {{ publish(orderId: "{order_id}", seq: {seq}) {{ seq }} }}'


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


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


# --- WebSockets ------------------------------------------------------------------------------


async def test_a_page_of_a_foreign_origin_cannot_open_a_websocket(
    base: str, client: httpx.Client, federation: Federation
) -> None:
    with listening(client, federation, "WS-EVIL") as events:
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connected(base, origin=EVIL) as ws:
                await send(ws, subscribe("1", publish("WS-EVIL", 1)))
        response = refused.value.response
        assert response.status_code == 403
        assert orjson.loads(response.body)["errors"][0]["extensions"] == {
            "code": "ORIGIN_NOT_ALLOWED"
        }
        # Nothing ran: the next milestone the subscriber sees is the one published next.
        assert client.post("/graphql", json={"query": publish("WS-EVIL", 2)}).status_code == 200
        assert next(events) == {"data": {"milestones": {"seq": 2}}}


async def test_the_gateways_own_pages_run_mutations_over_a_websocket(
    base: str, client: httpx.Client, federation: Federation
) -> None:
    # GraphiQL, served by the gateway, opens its socket from the gateway's own origin.
    with listening(client, federation, "WS-OWN") as events:
        async with ws_connected(base, origin=base) as ws:
            await send(ws, subscribe("1", publish("WS-OWN", 1)))
            assert await receive(ws) == {
                "id": "1",
                "type": "next",
                "payload": {"data": {"publish": {"seq": 1}}},
            }
        assert next(events) == {"data": {"milestones": {"seq": 1}}}


@pytest.mark.parametrize(
    "origin",
    [None, PORTAL, "https://north.shops.example"],
    ids=["no-origin", "listed", "regex"],
)
async def test_allowed_origins_and_clients_without_one_open_websockets(
    base: str, origin: str | None
) -> None:
    async with ws_connected(base, origin=origin) as ws:
        await send(ws, subscribe("q", QUERY))
        assert await receive(ws) == {"id": "q", "type": "next", "payload": {"data": {"lastSeq": 0}}}
        assert await receive(ws) == {"id": "q", "type": "complete"}


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "https://portal.example.evil.example",
        "https://shops.example",
        "https://x.shops.example.evil.example",
        "http://127.0.0.1:1",
    ],
    ids=["null", "listed-as-prefix", "regex-parent", "regex-prefix", "other-port"],
)
async def test_near_misses_are_foreign(base: str, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connected(base, origin=origin):
            pass
    assert refused.value.response.status_code == 403


async def test_any_origin_when_configured(federation: Federation) -> None:
    settings = SETTINGS.model_copy(update={"browsers": BrowserSettings(allow_origins=["*"])})
    with serving(federation, settings) as url:
        async with ws_connected(url, origin=EVIL) as ws:
            await send(ws, subscribe("q", QUERY))
            assert (await receive(ws))["type"] == "next"


# --- event streams ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_page_of_a_foreign_origin_cannot_open_an_event_stream(
    base: str, client: httpx.Client, federation: Federation, method: str
) -> None:
    requests = metric(base, "requests_total")
    with listening(client, federation, f"SSE-EVIL-{method}") as events:
        request: dict[str, Any] = {
            "headers": {**EVENT_STREAM, **PREFLIGHTED, "origin": EVIL},
        }
        if method == "POST":
            request["json"] = {"query": publish(f"SSE-EVIL-{method}", 1)}
        else:
            request["params"] = {"query": QUERY}
        response = client.request(method, "/graphql", **request)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/json"
        assert codes(response) == ["ORIGIN_NOT_ALLOWED"]
        assert "evil.example" in response.json()["errors"][0]["message"]
        client.post("/graphql", json={"query": publish(f"SSE-EVIL-{method}", 2)})
        assert next(events) == {"data": {"milestones": {"seq": 2}}}
    # The listener's stream and the mutation above: the refused request never reached it.
    assert metric(base, "requests_total") == requests + 2


@pytest.mark.parametrize("origin", [None, "same", PORTAL], ids=["no-origin", "same", "listed"])
def test_allowed_origins_open_event_streams(
    base: str, client: httpx.Client, origin: str | None
) -> None:
    headers = dict(EVENT_STREAM)
    if origin is not None:
        headers["origin"] = base if origin == "same" else origin
    response = client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert 'data: {"data":{"lastSeq":0}}' in response.text


def test_plain_json_requests_of_a_foreign_page_are_refused(client: httpx.Client) -> None:
    # A foreign page cannot send this without a preflight, which CORS refuses (test_cors):
    # unless DNS rebinding made it look same-origin to the browser. Either way, 403.
    response = client.post("/graphql", json={"query": QUERY}, headers={"origin": EVIL})
    assert response.status_code == 403
    assert codes(response) == ["ORIGIN_NOT_ALLOWED"]
    assert "access-control-allow-origin" not in response.headers


def test_a_page_under_a_rebound_name_is_foreign(base: str) -> None:
    # evil.example re-pointed at the gateway's address: the browser sends the page's own name
    # as Host and Origin alike, so only the names the gateway is known by count as its own.
    port = base.rsplit(":", 1)[1]
    rebound = {"host": f"evil.example:{port}", "origin": f"http://evil.example:{port}"}
    with httpx.Client(base_url=base) as client:
        response = client.post(
            "/graphql", json={"query": QUERY}, headers={**rebound, **PREFLIGHTED}
        )
        assert response.status_code == 403
        assert codes(response) == ["ORIGIN_NOT_ALLOWED"]
        own = {"origin": base, **PREFLIGHTED}
        assert client.post("/graphql", json={"query": QUERY}, headers=own).status_code == 200


# --- CSRF ------------------------------------------------------------------------------------


SIMPLE_REQUESTS = {
    "get": {"method": "GET", "params": {"query": QUERY}},
    "get-event-stream": {"method": "GET", "params": {"query": QUERY}, "headers": EVENT_STREAM},
    "form": {
        "method": "POST",
        "content": b"query=x",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    },
    "multipart": {
        "method": "POST",
        "files": {"query": ("q", b"{ lastSeq }")},
    },
    "text-plain": {
        "method": "POST",
        "content": orjson.dumps({"query": QUERY}),
        "headers": {"content-type": "Text/Plain; charset=utf-8"},
    },
    "no-content-type": {"method": "POST", "content": orjson.dumps({"query": QUERY})},
    "event-stream-text-plain": {
        "method": "POST",
        "content": orjson.dumps({"query": QUERY}),
        "headers": {"content-type": "text/plain", **EVENT_STREAM},
    },
    # Not one type a browser parses: it proves nothing, as Apollo Router reads it.
    "unparsable": {
        "method": "POST",
        "content": orjson.dumps({"query": QUERY}),
        "headers": {"content-type": "text/plain, application/json"},
    },
}


@pytest.mark.parametrize("request_args", SIMPLE_REQUESTS.values(), ids=SIMPLE_REQUESTS.keys())
def test_requests_a_page_can_send_unasked_are_refused(
    base: str, client: httpx.Client, request_args: dict[str, Any]
) -> None:
    requests = metric(base, "requests_total")
    method = request_args.pop("method")
    response = client.request(method, "/graphql", **request_args)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "CSRF_ERROR"}
    assert "apollo-require-preflight" in error["message"]
    assert metric(base, "requests_total") == requests


def test_a_forged_form_post_runs_no_mutation(client: httpx.Client, federation: Federation) -> None:
    with listening(client, federation, "CSRF-FORM") as events:
        forged = orjson.dumps({"query": publish("CSRF-FORM", 1)})
        response = client.post(
            "/graphql", content=forged, headers={"content-type": "text/plain", "origin": EVIL}
        )
        assert codes(response) == ["ORIGIN_NOT_ALLOWED"]
        # Without an Origin (a browser that leaves it out), CSRF prevention still stops it.
        unnamed = client.post("/graphql", content=forged, headers={"content-type": "text/plain"})
        assert codes(unnamed) == ["CSRF_ERROR"]
        client.post("/graphql", json={"query": publish("CSRF-FORM", 2)})
        assert next(events) == {"data": {"milestones": {"seq": 2}}}


@pytest.mark.parametrize(
    "headers",
    [
        PREFLIGHTED,
        {"x-apollo-operation-name": "LastSeq"},  # Apollo iOS and Kotlin
        {"apollo-require-preflight": ""},  # a page cannot add even an empty one unasked
        {"content-type": "application/json"},  # Apollo Client's GETs
    ],
    ids=["apollo-require-preflight", "x-apollo-operation-name", "empty", "content-type"],
)
def test_a_get_that_proves_a_preflight_runs(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.get("/graphql", params={"query": QUERY}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"data": {"lastSeq": 0}}


def test_graphiql_is_a_page_and_posts_json(base: str, client: httpx.Client) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    # What the page sends: a JSON POST from the gateway's own origin.
    response = client.post(
        "/graphql",
        json={"query": QUERY},
        headers={"origin": base, "accept": "application/graphql-response+json, application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"lastSeq": 0}}


def test_the_required_headers_are_configurable(federation: Federation) -> None:
    browsers = BrowserSettings(csrf_required_headers=["X-CSRF"])
    with (
        serving(federation, SETTINGS.model_copy(update={"browsers": browsers})) as url,
        httpx.Client(base_url=url, timeout=SOON) as client,
    ):
        default = client.get("/graphql", params={"query": QUERY}, headers=PREFLIGHTED)
        assert codes(default) == ["CSRF_ERROR"]
        assert "x-csrf" in default.json()["errors"][0]["message"]
        own = client.get("/graphql", params={"query": QUERY}, headers={"x-csrf": "1"})
        assert own.json() == {"data": {"lastSeq": 0}}


def test_csrf_prevention_can_be_turned_off(federation: Federation) -> None:
    browsers = BrowserSettings(csrf_unsafe_disabled=True)
    with (
        serving(federation, SETTINGS.model_copy(update={"browsers": browsers})) as url,
        httpx.Client(base_url=url, timeout=SOON) as client,
    ):
        response = client.get("/graphql", params={"query": QUERY})
        assert response.json() == {"data": {"lastSeq": 0}}

"""``@defer`` end to end: a real gateway over the two subgraphs of ``defer_federation``.

The shipping subgraph holds ``Order.shipments`` behind a gate: a client must get the initial
payload (the order and its lines) while the gate is still shut, over multipart HTTP, SSE and
graphql-transport-ws, and the deferred part once it opens. Errors of a deferred part come in
that part; ``if: false`` is inline; a client that does not accept multipart gets the whole
result as one JSON response; invalid uses of ``@defer`` are refused by validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import parse_supergraph
from tests.gateway.defer_federation import DeferFederation, running_defer_federation
from tests.support.servers import serve
from tests.support.transports import PATIENCE, subscription
from tests.support.waiting import wait_until

SHIPMENTS = (
    '{ order(id: "o-1") { number lines { sku quantity } '
    '... @defer(label: "shipments") { shipments { trackingNumber } } } }'
)
INITIAL = {"data": {"order": {"number": "SO-1", "lines": [{"sku": "A", "quantity": 2}]}}}
DEFERRED = {
    "incremental": [
        {
            "data": {"shipments": [{"trackingNumber": "1Z-1"}, {"trackingNumber": "1Z-2"}]},
            "path": ["order"],
            "label": "shipments",
        }
    ],
    "hasNext": False,
}
MULTIPART = "multipart/mixed;deferSpec=20220824, application/json"


@pytest.fixture(scope="module")
def federation() -> Iterator[DeferFederation]:
    with running_defer_federation() as fed:
        yield fed


@pytest.fixture(scope="module")
def url(federation: DeferFederation) -> Iterator[str]:
    settings = GatewaySettings(reload_interval=0)
    engine = Gateway(parse_supergraph(federation.supergraph))
    with serve(create_app(engine, settings)) as base:
        yield base


@pytest.fixture(autouse=True)
def gate(federation: DeferFederation) -> Iterator[None]:
    federation.gate.shut()
    yield
    federation.gate.open()


@contextmanager
def multipart(
    url: str, query: str, accept: str = MULTIPART, method: str = "POST"
) -> Iterator[tuple[httpx.Response, Iterator[dict[str, Any]]]]:
    """The response and its parts' JSON payloads, each as soon as it has arrived whole."""
    with httpx.Client(base_url=url, timeout=PATIENCE) as client:
        if method == "POST":
            request = client.build_request(
                "POST", "/graphql", json={"query": query}, headers={"accept": accept}
            )
        else:
            request = client.build_request(
                "GET",
                "/graphql",
                params={"query": query},
                headers={"accept": accept, "apollo-require-preflight": "true"},
            )
        answer = client.send(request, stream=True)
        try:

            def parts() -> Iterator[dict[str, Any]]:
                buffer = b""
                raw = answer.iter_raw()
                while True:
                    # A part is whole once its JSON parses (the next boundary may come late).
                    while True:
                        head, sep, rest = buffer.partition(b"\r\n\r\n")
                        if sep and not rest.startswith(b"\r\n"):
                            body = rest.split(b"\r\n---", 1)[0]
                            try:
                                payload = orjson.loads(body)
                            except orjson.JSONDecodeError:
                                pass
                            else:
                                assert head.startswith(b"\r\n---\r\n"), head
                                assert b"Content-Type: application/json" in head
                                buffer = rest[len(body) :]
                                yield payload
                                continue
                        break
                    chunk = next(raw, None)
                    if chunk is None:
                        assert buffer == b"\r\n-----\r\n", buffer
                        return
                    buffer += chunk

            yield answer, parts()
        finally:
            answer.close()


def held(federation: DeferFederation) -> None:
    """Wait until the shipping subgraph is holding the deferred fetch."""
    wait_until(lambda: federation.gate.waiting > 0, what="the held shipments fetch")


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_multipart_sends_the_initial_part_before_the_deferred_fetch_answers(
    federation: DeferFederation, url: str, method: str
) -> None:
    with multipart(url, SHIPMENTS, method=method) as (answer, parts):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == (
            'multipart/mixed; boundary="-"; deferSpec=20220824'
        )
        first = next(parts)
        # The shipments are still held: this part was not cut from a finished result.
        held(federation)
        assert not federation.gate.opened.is_set()
        assert first == {**INITIAL, "hasNext": True}
        federation.gate.open()
        assert list(parts) == [DEFERRED]


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_event_streams_and_websockets_send_successive_payloads(
    federation: DeferFederation, url: str, transport: str
) -> None:
    with subscription(transport, url, SHIPMENTS) as responses:
        first = next(responses)
        held(federation)
        assert not federation.gate.opened.is_set()
        assert first == {**INITIAL, "hasNext": True}
        federation.gate.open()
        assert list(responses) == [DEFERRED]


def test_a_client_without_multipart_gets_the_whole_result_at_once(
    federation: DeferFederation, url: str
) -> None:
    federation.gate.open()
    answer = httpx.post(f"{url}/graphql", json={"query": SHIPMENTS}, timeout=PATIENCE)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    order = INITIAL["data"]["order"]
    assert answer.json() == {
        "data": {
            "order": {
                **order,
                "shipments": [{"trackingNumber": "1Z-1"}, {"trackingNumber": "1Z-2"}],
            }
        }
    }


def test_errors_of_a_deferred_part_stay_in_that_part(federation: DeferFederation, url: str) -> None:
    federation.gate.open()
    query = (
        '{ order(id: "o-2") { number ... @defer(label: "late") '
        "{ shipments { trackingNumber eta } } } }"
    )
    with multipart(url, query) as (_, parts):
        payloads = list(parts)
    assert payloads[0] == {"data": {"order": {"number": "SO-2"}}, "hasNext": True}
    [item] = payloads[1]["incremental"]
    assert item["data"] == {"shipments": [{"trackingNumber": "1Z-3", "eta": None}]}
    assert item["label"] == "late"
    assert [(e["message"], e["path"]) for e in item["errors"]] == [
        ("no estimate for 1Z-3", ["order", "shipments", 0, "eta"])
    ]
    assert payloads[1]["hasNext"] is False


def test_nested_and_listed_fragments_come_one_item_per_object_after_their_parent(
    federation: DeferFederation, url: str
) -> None:
    federation.gate.open()
    query = (
        '{ orders { number ... @defer(label: "outer") { carrierNote '
        'shipments { trackingNumber ... @defer(label: "inner") { eta } } } } }'
    )
    with multipart(url, query) as (_, parts):
        payloads = list(parts)
    assert payloads[0] == {
        "data": {"orders": [{"number": "SO-1"}, {"number": "SO-2"}]},
        "hasNext": True,
    }
    outer, inner = payloads[1:]
    assert [(i["path"], i["label"]) for i in outer["incremental"]] == [
        (["orders", 0], "outer"),
        (["orders", 1], "outer"),
    ]
    assert outer["incremental"][0]["data"]["carrierNote"] == "note o-1"
    assert "errors" not in outer["incremental"][0]  # eta's errors belong to "inner"
    assert outer["hasNext"] is True
    assert [i["path"] for i in inner["incremental"]] == [
        ["orders", 0, "shipments", 0],
        ["orders", 0, "shipments", 1],
        ["orders", 1, "shipments", 0],
    ]
    assert all(i["data"] == {"eta": None} and i["errors"] for i in inner["incremental"])
    assert inner["hasNext"] is False


def test_defer_if_false_is_inline(federation: DeferFederation, url: str) -> None:
    federation.gate.open()
    query = '{ order(id: "o-1") { number ... @defer(if: false) { shipments { trackingNumber } } } }'
    answer = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"accept": MULTIPART}, timeout=PATIENCE
    )
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == {
        "data": {
            "order": {
                "number": "SO-1",
                "shipments": [{"trackingNumber": "1Z-1"}, {"trackingNumber": "1Z-2"}],
            }
        }
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            'query($l: String) { order(id: "o-1") { ... @defer(label: $l) { number } } }',
            "Defer directive label argument must be a static string.",
        ),
        (
            '{ order(id: "o-1") { ... @defer(label: "a") { number } '
            '... @defer(label: "a") { id } } }',
            "Defer/Stream directive label argument must be unique.",
        ),
        (
            '{ order(id: "o-1") { number @defer } }',
            "Directive '@defer' may not be used on field.",
        ),
    ],
)
def test_invalid_uses_of_defer_are_refused(url: str, query: str, message: str) -> None:
    answer = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"accept": MULTIPART}, timeout=PATIENCE
    )
    body = answer.json()
    assert [e["message"] for e in body["errors"]] == [message]
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_introspection_shows_defer(url: str) -> None:
    query = "{ __schema { directives { name locations args { name } } } }"
    body = httpx.post(f"{url}/graphql", json={"query": query}, timeout=PATIENCE).json()
    [defer] = [d for d in body["data"]["__schema"]["directives"] if d["name"] == "defer"]
    assert sorted(defer["locations"]) == ["FRAGMENT_SPREAD", "INLINE_FRAGMENT"]
    assert sorted(a["name"] for a in defer["args"]) == ["if", "label"]

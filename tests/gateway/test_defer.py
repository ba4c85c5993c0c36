"""``@defer`` end to end: a real gateway over the two subgraphs of ``defer_federation``.

The shipping subgraph holds ``Order.shipments`` behind a gate: a client must get the initial
payload (the order and its lines) while the gate is still shut, over multipart HTTP, SSE and
graphql-transport-ws, and the deferred part once it opens. Errors of a deferred part come in
that part; ``if: false`` is inline; a client that does not accept multipart gets the whole
result as one JSON response; invalid uses of ``@defer`` are refused by validation. The
request's deadline covers its deferred parts (a part still held at it ends the stream with
``GATEWAY_TIMEOUT``), and demand control costs the deferred fields with the rest, refusing
an operation over its maximum before any part. (Authorization inside deferred fragments:
``tests/gateway/authorization/test_defer.py``.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest

from gateway.demand import DemandControl, DemandSettings
from gateway.engine import Gateway
from gateway.executor import SubgraphTransport
from gateway.server import GatewaySettings, RequestSettings, create_app
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


# Long enough for the fetches that are not held to answer on a loaded machine.
DEADLINE = 2.0


@contextmanager
def gateway_with(
    federation: DeferFederation, requests: RequestSettings | None = None, **options: Any
) -> Iterator[str]:
    """A gateway over ``federation`` built with the engine ``options``; yields its base URL."""
    requests = requests or RequestSettings(timeout=DEADLINE)
    settings = GatewaySettings(reload_interval=0, requests=requests)
    engine = Gateway(
        parse_supergraph(federation.supergraph),
        transport=SubgraphTransport(settings.transport()),
        **options,
    )
    with serve(create_app(engine, settings)) as base:
        yield base


def timed_out(service: str, path: Sequence[str | int]) -> list[dict[str, Any]]:
    """The errors of a deferred part cut by the deadline: its fetch's, then the request's."""
    return [
        {
            "message": (
                f"Subgraph '{service}' did not answer within the request's deadline of "
                f"{DEADLINE:g}s."
            ),
            "path": list(path),
            "extensions": {"code": "GATEWAY_TIMEOUT", "serviceName": service},
        },
        {
            "message": (
                f"The request did not finish within its deadline of {DEADLINE:g}s; "
                "the data that arrived in time is kept."
            ),
            "extensions": {"code": "GATEWAY_TIMEOUT"},
        },
    ]


@pytest.mark.parametrize("transport", ["multipart", "sse", "ws"])
def test_the_deadline_cuts_a_deferred_part_still_held_and_ends_the_stream(
    federation: DeferFederation, transport: str
) -> None:
    # The gate stays shut: the shipments never come in time.
    with gateway_with(federation, request_timeout=DEADLINE) as base:
        started = time.monotonic()
        if transport == "multipart":
            with multipart(base, SHIPMENTS) as (_, parts):
                first = next(parts)
                held(federation)
                rest = list(parts)
        else:
            with subscription(transport, base, SHIPMENTS) as responses:
                first = next(responses)
                held(federation)
                rest = list(responses)
        took = time.monotonic() - started
    assert first == {**INITIAL, "hasNext": True}
    # shipments is non-null: its null takes the fragment's data with it, in that part alone.
    assert rest == [
        {
            "incremental": [
                {
                    "data": None,
                    "path": ["order"],
                    "label": "shipments",
                    "errors": timed_out("shipping", ["order"]),
                }
            ],
            "hasNext": False,
        }
    ]
    assert DEADLINE <= took < DEADLINE + PATIENCE


def test_a_deferred_part_within_the_deadline_is_untouched(federation: DeferFederation) -> None:
    federation.gate.open()
    with (
        gateway_with(federation, request_timeout=DEADLINE) as base,
        multipart(base, SHIPMENTS) as (_, parts),
    ):
        assert list(parts) == [{**INITIAL, "hasNext": True}, DEFERRED]


def test_demand_control_costs_the_deferred_fields_and_refuses_before_any_part(
    federation: DeferFederation,
) -> None:
    federation.gate.open()
    shipping = federation.subgraphs["shipping"]
    orders = federation.subgraphs["orders"]
    query = "{ orders { number ... @defer { shipments { trackingNumber } } } }"
    # 10 orders estimated, each 1 + 10 shipments: 110, as without @defer; the initial part
    # alone (10) would be under the maximum.
    demand = DemandControl(DemandSettings(max=100))
    with gateway_with(federation, demand=demand) as base:
        shipping.requests.clear()
        orders.requests.clear()
        for accept in (MULTIPART, "application/json"):
            answer = httpx.post(
                f"{base}/graphql",
                json={"query": query},
                headers={"accept": accept},
                timeout=PATIENCE,
            )
            assert answer.headers["content-type"].startswith("application/json")
            assert answer.json() == {
                "errors": [
                    {
                        "message": "query estimated cost 110 exceeded configured maximum 100",
                        "extensions": {
                            "cost.estimated": 110.0,
                            "cost.max": 100.0,
                            "code": "COST_ESTIMATED_TOO_EXPENSIVE",
                        },
                    }
                ]
            }
        with subscription("ws", base, query) as responses:
            assert list(responses) == []  # refused with the protocol's error, before any part
    assert shipping.requests == [] and orders.requests == []


@pytest.mark.parametrize("transport", ["multipart", "sse", "ws"])
def test_a_deferred_payload_over_the_size_limit_is_replaced_in_its_place(
    federation: DeferFederation, transport: str
) -> None:
    federation.gate.open()
    query = '{ orders { number ... @defer(label: "s") { shipments { trackingNumber } } } }'
    # The initial payload (72 bytes) fits, the deferred one (225) does not.
    with gateway_with(federation, RequestSettings(max_response_bytes=150)) as base:
        if transport == "multipart":
            with multipart(base, query) as (_, parts):
                payloads = list(parts)
        else:
            with subscription(transport, base, query) as responses:
                payloads = list(responses)
    too_large = {
        "message": "The response is larger than the gateway's limit of 150 bytes; "
        "ask for fewer fields or a smaller page.",
        "extensions": {"code": "RESPONSE_TOO_LARGE", "maxBytes": 150},
    }
    assert payloads == [
        {"data": {"orders": [{"number": "SO-1"}, {"number": "SO-2"}]}, "hasNext": True},
        {
            "incremental": [
                {"data": None, "path": ["orders", n], "errors": [too_large], "label": "s"}
                for n in (0, 1)
            ],
            "hasNext": False,
        },
    ]

"""``@defer`` read by real clients in Node (``tests/gateway/defer_client``): Apollo Client
(installed by ``scripts/setup --dev``) over each transport the gateway serves it on (multipart
HTTP with its HttpLink, graphql-transport-ws with its GraphQLWsLink over graphql-ws, GraphQL over
SSE through graphql-sse's client), and the gateway's own GraphiQL page, over multipart HTTP.

Apollo Client must hand the application the order and its lines while the shipping subgraph
still holds the shipments, then the whole order once the gate opens. The GraphiQL page, fetched
from the gateway with the vendored scripts it loads, must build a fetcher that asks for
multipart and yields GraphiQL the initial payload while the shipments are held, then the
deferred one (GraphiQL 3 merges ``incremental`` payloads into the result it shows).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import pytest

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import parse_supergraph
from tests.gateway.defer_federation import DeferFederation, running_defer_federation
from tests.support.servers import serve
from tests.support.transports import PATIENCE
from tests.support.waiting import wait_until

CLIENT = Path(__file__).parent / "defer_client"
QUERY = (
    'query Shipped { order(id: "o-1") { id number lines { sku quantity } '
    '... @defer(label: "shipments") { shipments { trackingNumber } } } }'
)


@pytest.fixture(scope="module")
def federation() -> Iterator[DeferFederation]:
    with running_defer_federation() as fed:
        yield fed


@pytest.fixture(scope="module")
def url(federation: DeferFederation) -> Iterator[str]:
    engine = Gateway(parse_supergraph(federation.supergraph))
    # The parts exactly as a client reads them: without the query plan the page would ask
    # for (tests/gateway/test_graphiql_query_plan.py shows that one).
    settings = GatewaySettings(reload_interval=0, expose_query_plans=False)
    with serve(create_app(engine, settings)) as base:
        yield base


def _lines(process: subprocess.Popen[str], out: Queue[Any]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        out.put(json.loads(line))


@pytest.mark.parametrize("transport", ["http", "ws", "sse"])
def test_apollo_client_shows_the_initial_part_while_the_deferred_one_is_held(
    federation: DeferFederation, url: str, transport: str
) -> None:
    assert (CLIENT / "node_modules" / "@apollo" / "client").is_dir(), (
        "scripts/setup --dev installs the Node client (npm ci in tests/gateway/defer_client)"
    )
    federation.gate.shut()
    results: Queue[dict[str, Any]] = Queue()
    process = subprocess.Popen(
        ["node", str(CLIENT / "apollo_defer.mjs"), f"{url}/graphql", QUERY, transport],
        stdout=subprocess.PIPE,
        text=True,
    )
    reader = threading.Thread(target=_lines, args=(process, results), daemon=True)
    reader.start()
    try:
        first = results.get(timeout=PATIENCE)
        wait_until(lambda: federation.gate.waiting > 0, what="the held shipments fetch")
        assert not federation.gate.opened.is_set()
        assert first == {
            "data": {
                "order": {
                    "__typename": "Order",
                    "id": "o-1",
                    "number": "SO-1",
                    "lines": [{"__typename": "Line", "sku": "A", "quantity": 2}],
                }
            },
            "errors": None,
        }
        federation.gate.open()
        while True:
            try:
                result = results.get(timeout=PATIENCE)
            except Empty:
                raise AssertionError("Apollo Client never showed the shipments") from None
            assert "error" not in result, result
            if "shipments" in result["data"]["order"]:
                break
        assert result["data"]["order"]["shipments"] == [
            {"__typename": "Shipment", "trackingNumber": "1Z-1"},
            {"__typename": "Shipment", "trackingNumber": "1Z-2"},
        ]
        assert result["data"]["order"]["number"] == "SO-1"
    finally:
        federation.gate.open()
        process.kill()
        process.wait(timeout=PATIENCE)
        reader.join(timeout=PATIENCE)
        assert process.stdout is not None
        process.stdout.close()


def test_the_graphiql_page_fetcher_yields_the_initial_part_while_the_deferred_one_is_held(
    federation: DeferFederation, url: str
) -> None:
    federation.gate.shut()
    results: Queue[Any] = Queue()
    process = subprocess.Popen(
        ["node", str(CLIENT / "graphiql_defer.cjs"), url, QUERY],
        stdout=subprocess.PIPE,
        text=True,
    )
    reader = threading.Thread(target=_lines, args=(process, results), daemon=True)
    reader.start()
    try:
        first = results.get(timeout=PATIENCE)
        wait_until(lambda: federation.gate.waiting > 0, what="the held shipments fetch")
        assert not federation.gate.opened.is_set()
        # The multipart fetcher yields the parts that came together, as a list.
        assert first == [
            {
                "data": {
                    "order": {"id": "o-1", "number": "SO-1", "lines": [{"sku": "A", "quantity": 2}]}
                },
                "hasNext": True,
            }
        ]
        federation.gate.open()
        assert results.get(timeout=PATIENCE) == [
            {
                "incremental": [
                    {
                        "data": {
                            "shipments": [{"trackingNumber": "1Z-1"}, {"trackingNumber": "1Z-2"}]
                        },
                        "path": ["order"],
                        "label": "shipments",
                    }
                ],
                "hasNext": False,
            }
        ]
        assert results.get(timeout=PATIENCE) == {"done": True}
    finally:
        federation.gate.open()
        process.kill()
        process.wait(timeout=PATIENCE)
        reader.join(timeout=PATIENCE)
        assert process.stdout is not None
        process.stdout.close()

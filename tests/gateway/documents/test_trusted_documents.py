"""Trusted documents on every transport: a real manifest file of each format, operations run by
id (APQ hash, ``documentId``, ``doc_id``) or by a body the manifest lists, everything else
refused under ``enforce`` and counted under ``log``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.documents.conftest import (
    MILESTONES,
    ORDER,
    ORDER_DATA,
    ORDER_VARIABLES,
    PUBLISH,
    GatewayServer,
    apollo_manifest,
    metrics,
    persisted,
    relay_manifest,
    sha256,
)
from tests.gateway.documents.transports import TRANSPORTS, Observed, over_post, over_sse, over_ws
from tests.gateway.subscription_federation import Federation
from tests.support.waiting import wait_until

Send = Callable[[str, dict[str, Any]], Observed]
UNKNOWN = "query Unknown { lastSeq }"
BODIES = {"Order": ORDER, "Publish": PUBLISH, "Milestones": MILESTONES}
transports = pytest.mark.parametrize("send", TRANSPORTS.values(), ids=TRANSPORTS.keys())


@pytest.fixture
def apollo(tmp_path: Path) -> Path:
    return apollo_manifest(tmp_path / "persisted-query-manifest.json", BODIES)


@pytest.fixture
def relay(tmp_path: Path) -> Path:
    # Relay's ids are its compiler's (an md5 of the text); any string will do.
    return relay_manifest(
        tmp_path / "persisted_queries.json", {f"relay-{n}": b for n, b in BODIES.items()}
    )


def engine_work(url: str) -> tuple[float, float]:
    """What the engine did: requests it saw, and texts it parsed."""
    samples = metrics(url)
    return samples["requests"], samples["parses"]


@transports
def test_enforce_refuses_an_unknown_text_before_the_engine(
    send: Send, gateway_server: GatewayServer, apollo: Path
) -> None:
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        refused = send(url, {"query": UNKNOWN})
        assert refused.first == {
            "errors": [
                {
                    "message": "The operation body was not found in the persisted query safelist",
                    "extensions": {"code": "QUERY_NOT_IN_SAFELIST"},
                }
            ]
        }
        # Refused in front of the engine: nothing parsed, validated or fetched.
        assert engine_work(url) == (0, 0)
        assert metrics(url)["refused_operations"] == 1


@transports
def test_enforce_runs_the_manifests_operations_by_body_and_by_every_id(
    send: Send, gateway_server: GatewayServer, apollo: Path
) -> None:
    variables = {"variables": ORDER_VARIABLES}
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        assert send(url, {"query": ORDER, **variables}).data == ORDER_DATA
        assert send(url, {"extensions": persisted(ORDER), **variables}).data == ORDER_DATA
        assert send(url, {"documentId": sha256(ORDER), **variables}).data == ORDER_DATA
        prefixed = {"documentId": f"sha256:{sha256(ORDER)}", **variables}
        assert send(url, prefixed).data == ORDER_DATA
        assert metrics(url)["trusted_document_hits"] == 3


@transports
def test_enforce_refuses_an_unknown_id(
    send: Send, gateway_server: GatewayServer, apollo: Path
) -> None:
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        for body in ({"extensions": persisted(UNKNOWN)}, {"documentId": "nope"}):
            refused = send(url, body)
            assert refused.codes == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert engine_work(url) == (0, 0)


@transports
def test_enforce_registers_nothing(send: Send, gateway_server: GatewayServer, apollo: Path) -> None:
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        registration = {"query": UNKNOWN, "extensions": persisted(UNKNOWN)}
        assert send(url, registration).codes == ["QUERY_NOT_IN_SAFELIST"]
        assert send(url, {"extensions": persisted(UNKNOWN)}).codes == [
            "PERSISTED_QUERY_NOT_IN_LIST"
        ]
        assert metrics(url)["apq_registrations"] == 0


def test_a_body_matches_however_it_is_laid_out(gateway_server: GatewayServer, apollo: Path) -> None:
    relaid = (
        "# from the app\nquery Order($id: ID!) {\n  order(id: $id) {\n    id,\n    total\n  }\n}\n"
    )
    reordered = "query Order($id: ID!) { order(id: $id) { total id } }"
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        assert over_post(url, {"query": relaid, "variables": ORDER_VARIABLES}).data == ORDER_DATA
        # The order of fields is part of the operation (it orders the response).
        assert over_post(url, {"query": reordered}).codes == ["QUERY_NOT_IN_SAFELIST"]


def test_a_refused_mutation_changes_nothing(
    gateway_server: GatewayServer, apollo: Path, federation: Federation
) -> None:
    sneaky = 'mutation Sneaky { publish(orderId: "o-sneaky", seq: 1) { seq } }'
    listed = {"documentId": sha256(PUBLISH), "variables": {"o": "o-sneaky", "s": 2}}
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        for send in TRANSPORTS.values():
            assert send(url, {"query": sneaky}).codes == ["QUERY_NOT_IN_SAFELIST"]
        assert over_post(url, listed).data == {"publish": {"seq": 2}}
    assert [seq for order, seq in federation.feed.published if order == "o-sneaky"] == [2]


@pytest.mark.parametrize("stream", ["ws", "sse"])
def test_a_subscription_by_relay_doc_id(
    stream: str, gateway_server: GatewayServer, relay: Path, federation: Federation
) -> None:
    order = f"o-{stream}-3"
    body = {"doc_id": "relay-Milestones", "variables": {"o": order}}

    def publish_when_subscribed() -> None:
        wait_until(lambda: federation.feed.active(order) == 1, what="the subscription")
        federation.feed.publish(order, 1)
        federation.feed.publish(order, 2)

    with gateway_server(trusted_documents="enforce", manifest=relay) as url:
        if stream == "ws":
            observed = over_ws(url, body, events=2, between=publish_when_subscribed)
        else:
            publisher = threading.Thread(target=publish_when_subscribed)
            publisher.start()
            observed = over_sse(url, body, events=2)
            publisher.join()
    assert [r["data"]["milestones"] for r in observed.responses] == [
        {"seq": 1, "order": {"total": 300}},
        {"seq": 2, "order": {"total": 300}},
    ]


@transports
def test_log_runs_unknown_operations_and_counts_them(
    send: Send, gateway_server: GatewayServer, relay: Path
) -> None:
    with gateway_server(trusted_documents="log", manifest=relay) as url:
        assert send(url, {"query": ORDER, "variables": ORDER_VARIABLES}).data == ORDER_DATA
        assert send(url, {"doc_id": "relay-Order", "variables": ORDER_VARIABLES}).data == ORDER_DATA
        for _ in range(2):
            assert send(url, {"query": UNKNOWN}).data == {"lastSeq": 0}
        # APQ still registers under log; what it stored is counted like any text.
        assert send(url, {"query": UNKNOWN, "extensions": persisted(UNKNOWN)}).data
        assert send(url, {"extensions": persisted(UNKNOWN)}).data == {"lastSeq": 0}
        samples = metrics(url)
    assert samples["unknown_operations"] == 4
    assert samples["trusted_document_hits"] == 1
    assert samples["refused_operations"] == 0


def test_ids_that_disagree_are_refused(gateway_server: GatewayServer, apollo: Path) -> None:
    with gateway_server(trusted_documents="enforce", manifest=apollo) as url:
        both = {"documentId": sha256(ORDER), "extensions": persisted(PUBLISH)}
        refused = over_post(url, both)
        assert refused.status == 400
        assert refused.codes == ["BAD_REQUEST"]
        other_text = {"documentId": sha256(ORDER), "query": UNKNOWN}
        assert over_post(url, other_text).codes == ["BAD_REQUEST"]


def test_without_a_manifest_an_id_is_not_supported(gateway_server: GatewayServer) -> None:
    with gateway_server() as url:
        assert over_post(url, {"documentId": sha256(ORDER)}).codes == [
            "PERSISTED_QUERY_NOT_SUPPORTED"
        ]

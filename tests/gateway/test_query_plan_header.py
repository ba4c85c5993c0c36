"""``Apollo-Expose-Query-Plan`` over HTTP against real subgraphs on loopback: the plan in
``extensions.apolloQueryPlan`` beside the data (``true``) or alone with nothing fetched
(``dry-run``); in the first part of a multipart ``@defer`` response; ignored where the
setting or production turns it off; and never a way around the trusted documents, demand
control or authorization."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError

from gateway.auth import AuthSettings
from gateway.demand import DemandControl, DemandSettings
from gateway.documents import PersistedQuerySettings
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app, create_gateway_app
from gateway.supergraph import parse_supergraph
from tests.gateway.authorization.conftest import APOLLO, build
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.gateway.defer_federation import DeferFederation, running_defer_federation
from tests.gateway.documents.conftest import apollo_manifest
from tests.gateway.subgraph_kit import Subgraph
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

ORDER = 'query Order { order(id: "o-1") { number shipments { trackingNumber } } }'
DEFERRED = (
    'query Deferred { order(id: "o-1") { number'
    ' ... @defer(label: "later") { shipments { trackingNumber } } } }'
)
MULTIPART = "multipart/mixed;deferSpec=20220824, application/json"
PART = b"\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
SHOW = {"apollo-expose-query-plan": "true"}
DRY_RUN = {"apollo-expose-query-plan": "dry-run"}


@pytest.fixture(scope="module")
def federation() -> Iterator[DeferFederation]:
    with running_defer_federation() as fed:
        fed.gate.open()  # nothing is held here
        yield fed


@pytest.fixture
def counted(federation: DeferFederation) -> dict[str, list[dict[str, Any]]]:
    """The requests each subgraph receives from now on."""
    for subgraph in federation.subgraphs.values():
        subgraph.requests.clear()
    return {name: s.requests for name, s in federation.subgraphs.items()}


@contextmanager
def gateway(federation: DeferFederation, **settings: Any) -> Iterator[str]:
    demand = settings.pop("demand", None)
    production = settings.get("production", False)
    engine = Gateway(
        parse_supergraph(federation.supergraph),
        demand=demand,
        introspection=not production,
        redact_errors=production,
    )
    with serve(create_app(engine, GatewaySettings(reload_interval=0, **settings))) as url:
        yield url


def post(url: str, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30)


def multipart_parts(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.headers["content-type"].startswith("multipart/mixed")
    body = answer.content
    assert body.endswith(b"\r\n-----\r\n"), body
    chunks = body[: -len(b"\r\n-----\r\n")].split(PART)
    assert chunks[0] == b""
    return [orjson.loads(chunk.removesuffix(b"\r\n---")) for chunk in chunks[1:]]


def test_true_answers_the_query_and_adds_its_plan(
    federation: DeferFederation, counted: dict[str, list[dict[str, Any]]]
) -> None:
    with gateway(federation) as url:
        answer = post(url, ORDER, SHOW)
        plain = post(url, ORDER)
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] == {
        "order": {
            "number": "SO-1",
            "shipments": [{"trackingNumber": "1Z-1"}, {"trackingNumber": "1Z-2"}],
        }
    }
    plan = body["extensions"]["apolloQueryPlan"]
    node = plan["object"]["node"]
    assert plan["object"]["kind"] == "QueryPlan"
    assert node["kind"] == "Sequence"
    first, then = node["nodes"]
    assert first["kind"] == "Fetch" and first["serviceName"] == "orders"
    assert then["kind"] == "Flatten" and then["path"] == ["order"]
    assert then["node"]["serviceName"] == "shipping"
    assert then["node"]["requires"][0]["typeCondition"] == "Order"
    text = plan["text"]
    assert text.startswith("QueryPlan {\n  Sequence {\n")
    assert 'Fetch(service: "orders")' in text and 'Flatten(path: "order")' in text
    assert 'Fetch(service: "shipping")' in text
    # Without the header: the same data, no plan.
    assert plain.json() == {"data": body["data"]}
    assert len(counted["orders"]) == 2 and len(counted["shipping"]) == 2


def test_dry_run_returns_the_plan_and_fetches_nothing(
    federation: DeferFederation, counted: dict[str, list[dict[str, Any]]]
) -> None:
    with gateway(federation) as url:
        answer = post(url, ORDER, DRY_RUN)
        deferred = post(url, DEFERRED, {**DRY_RUN, "accept": MULTIPART})
        by_get = httpx.get(
            f"{url}/graphql",
            params={"query": ORDER},
            headers={**DRY_RUN, "apollo-require-preflight": "true"},
        )
    assert answer.status_code == 200
    body = answer.json()
    assert "data" not in body and "errors" not in body
    assert body["extensions"]["apolloQueryPlan"]["object"]["node"]["kind"] == "Sequence"
    # A deferred operation's dry run is its plan as JSON, not multipart.
    assert deferred.headers["content-type"].startswith("application/json")
    assert deferred.json()["extensions"]["apolloQueryPlan"]["object"]["node"]["kind"] == "Defer"
    assert by_get.json() == body
    assert counted == {"orders": [], "shipping": []}


def test_a_multipart_defer_response_has_the_plan_in_its_first_part(
    federation: DeferFederation,
) -> None:
    with gateway(federation) as url:
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": DEFERRED},
            headers={**SHOW, "accept": MULTIPART},
            timeout=30,
        )
    first, *rest = multipart_parts(answer)
    assert first["data"] == {"order": {"number": "SO-1"}} and first["hasNext"] is True
    plan = first["extensions"]["apolloQueryPlan"]
    defer = plan["object"]["node"]
    assert defer["kind"] == "Defer"
    assert defer["primary"]["node"]["serviceName"] == "orders"
    [part] = defer["deferred"]
    assert part["label"] == "later" and part["path"] == ["order"]
    assert part["node"]["node"]["serviceName"] == "shipping"
    assert 'Deferred(id: 0, label: "later", path: "order"' in plan["text"]
    assert rest and all("extensions" not in later for later in rest)
    assert rest[-1]["hasNext"] is False


def test_with_the_setting_off_the_header_is_ignored(
    federation: DeferFederation, counted: dict[str, list[dict[str, Any]]]
) -> None:
    with gateway(federation, expose_query_plans=False) as url:
        shown = post(url, ORDER, SHOW)
        dry = post(url, ORDER, DRY_RUN)
    for answer in (shown, dry):
        assert "extensions" not in answer.json()
        assert answer.json()["data"]["order"]["number"] == "SO-1"
    # The dry run ran as a plain request.
    assert len(counted["orders"]) == 2


def test_production_turns_plans_off_and_refuses_a_setting_that_says_otherwise(
    federation: DeferFederation, tmp_path: Path, counted: dict[str, list[dict[str, Any]]]
) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", {"Order": ORDER})
    documents = PersistedQuerySettings(manifest=manifest)
    assert GatewaySettings(production=True, persisted_queries=documents).expose_query_plans is False
    with pytest.raises(ValidationError, match="unset expose_query_plans"):
        GatewaySettings(production=True, persisted_queries=documents, expose_query_plans=True)
    with gateway(federation, production=True, persisted_queries=documents) as url:
        shown = post(url, ORDER, SHOW)
        dry = post(url, ORDER, DRY_RUN)
    for answer in (shown, dry):
        assert answer.json() == {
            "data": {
                "order": {
                    "number": "SO-1",
                    "shipments": [{"trackingNumber": "1Z-1"}, {"trackingNumber": "1Z-2"}],
                }
            }
        }
    assert len(counted["orders"]) == 2


def test_a_dry_run_is_refused_by_the_trusted_documents_and_demand_control(
    federation: DeferFederation, tmp_path: Path, counted: dict[str, list[dict[str, Any]]]
) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", {"Order": ORDER})
    enforced = PersistedQuerySettings(manifest=manifest, trusted_documents="enforce")
    with gateway(federation, persisted_queries=enforced) as url:
        unlisted = post(url, DEFERRED, DRY_RUN)
        listed = post(url, ORDER, DRY_RUN)
    assert "extensions" not in unlisted.json()
    assert [e["extensions"]["code"] for e in unlisted.json()["errors"]] == ["QUERY_NOT_IN_SAFELIST"]
    assert "apolloQueryPlan" in listed.json()["extensions"]
    expensive = "{ orders { number shipments { trackingNumber } } }"
    with gateway(federation, demand=DemandControl(DemandSettings(max=100))) as url:
        refused = post(url, expensive, DRY_RUN)
    body = refused.json()
    assert "extensions" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    assert counted == {"orders": [], "shipping": []}


# Authorization: the directives graph (accounts, billing), its directives enforced.


@pytest.fixture
def graph(run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running]) -> Running:
    return run_subgraphs("authorization-directives", build)


@pytest.fixture
def directives_app(graph: Running, tmp_path: Path) -> Iterator[str]:
    _, urls = graph
    jwks_path = TestIssuer().jwks_file(tmp_path)
    source = (APOLLO / "directives" / "supergraph.graphql").read_text()
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(source, urls))
    auth = AuthSettings(jwks=str(jwks_path), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    with serve(create_gateway_app(path, GatewaySettings(reload_interval=0, auth=auth))) as url:
        yield url


def test_a_plan_never_shows_fields_the_caller_may_not_see(
    directives_app: str, graph: Running
) -> None:
    subgraphs, _ = graph
    query = '{ public user(id: "u1") { name secret email } }'
    dry = post(directives_app, query, DRY_RUN).json()
    assert "data" not in dry
    # What authorization took out is named, as in the answer, and absent from the plan.
    assert sorted(e["path"] for e in dry["errors"]) == [["user", "email"], ["user", "secret"]]
    plan = dry["extensions"]["apolloQueryPlan"]
    assert "secret" not in plan["text"] and "email" not in plan["text"]
    assert "billing" not in plan["text"]  # email was billing's only field here
    assert "secret" not in orjson.dumps(plan["object"]).decode()
    assert subgraphs["accounts"].requests == [] and subgraphs["billing"].requests == []
    shown = post(directives_app, query, SHOW).json()
    assert shown["data"] == {
        "public": "hello",
        "user": {"name": "Ada", "secret": None, "email": None},
    }
    assert shown["extensions"]["apolloQueryPlan"] == plan

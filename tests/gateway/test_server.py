"""The gateway over HTTP: GraphQL-over-HTTP statuses, GraphiQL, health, limits, failures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.server import GatewaySettings, create_gateway_app
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.graphql import PREFLIGHTED
from tests.support.servers import serve, wait_until

SETTINGS = GatewaySettings(max_body_bytes=4_000, max_depth=4, max_aliases=3, reload_interval=0.05)


@pytest.fixture
def graph(run_subgraphs: Callable[..., Running]) -> Running:
    return run_subgraphs("entities", entities.build)


@pytest.fixture
def supergraph_file(graph: Running, tmp_path: Path) -> Path:
    _, urls = graph
    path = tmp_path / "supergraph.graphql"
    source = entities.CASE.supergraph_path.read_text()
    path.write_text(supergraph_with_urls(source, urls))
    return path


@pytest.fixture
def gateway_url(supergraph_file: Path) -> Iterator[str]:
    with serve(create_gateway_app(supergraph_file, SETTINGS)) as url:
        yield url


def post(url: str, body: Any, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body, headers=headers)


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


def test_post_query(gateway_url: str) -> None:
    response = post(gateway_url, {"query": "{ users { name } }"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "data": {"users": [{"name": "Ada"}, {"name": "Bob"}, {"name": "Cy"}]}
    }


def test_get_query(gateway_url: str) -> None:
    params = {"query": "query Q($w: Boolean!) { users { id name @include(if: $w) } }"}
    params["variables"] = '{"w": false}'
    response = httpx.get(f"{gateway_url}/graphql", params=params, headers=PREFLIGHTED)
    assert response.status_code == 200
    assert response.json()["data"]["users"][0] == {"id": "u1"}


def test_graphiql_for_browsers(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_graphiql_opens_on_the_configured_operation(supergraph_file: Path) -> None:
    example = '{ users { name } }\n# a comment with "quotes" and </script>'
    settings = SETTINGS.model_copy(update={"graphiql_default_query": example})
    with serve(create_gateway_app(supergraph_file, settings)) as url:
        page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"}).text
    # As a JSON string in the page's script, "</" escaped so the script does not end early.
    assert orjson.dumps(example).decode().replace("</", "<\\/") in page
    assert page.count("</script>") == 4  # the three bundles and the page's own


def test_graphiql_opens_on_its_welcome_text_unless_configured(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/graphql", headers={"accept": "text/html"}).text
    assert "defaultQuery" not in page


def test_health_and_ready(gateway_url: str) -> None:
    assert httpx.get(f"{gateway_url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway_url}/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ users { name "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ users { nope } }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "{ users { id } }", "operationName": "Nope"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "{ a: users { id } b: users { id } c: users { id } d: users { id } }"},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            {"query": "{ users { badges { holder { badges { holder { id } } } } } }"},
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
    ids=["parse", "unknown-field", "unknown-operation", "aliases", "depth"],
)
def test_invalid_operations(gateway_url: str, body: dict[str, Any], code: str) -> None:
    response = post(gateway_url, body)
    assert response.status_code == 200
    assert codes(response) == [code]
    assert "data" not in response.json()
    modern = post(gateway_url, body, accept="application/graphql-response+json")
    assert modern.status_code == 400
    assert modern.headers["content-type"].startswith("application/graphql-response+json")


def test_wrong_variable_type(gateway_url: str) -> None:
    body = {
        "query": "query ($x: Boolean!) { users { name @include(if: $x) } }",
        "variables": {"x": "yes"},
    }
    response = post(gateway_url, body)
    assert response.status_code == 200
    assert codes(response) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 400),
        (b"[1, 2]", {"content-type": "application/json"}, 400),
        (b'{"query": 1}', {"content-type": "application/json"}, 400),
        # Preflighted, so that CSRF prevention (tested in test_browsers) lets it reach the
        # content-type check.
        (b"{}", {"content-type": "text/plain", **PREFLIGHTED}, 415),
        (
            b'{"query": "' + b" " * 5_000 + b'{ users { id } }"}',
            {"content-type": "application/json"},
            413,
        ),
    ],
    ids=["bad-json", "not-an-object", "query-not-a-string", "content-type", "too-large"],
)
def test_bad_requests(
    gateway_url: str, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = httpx.post(f"{gateway_url}/graphql", content=content, headers=headers)
    assert response.status_code == status
    assert codes(response) == ["BAD_REQUEST"]


def test_subgraph_down_gives_partial_data(gateway_url: str, graph: Running) -> None:
    subgraphs, _ = graph
    subgraphs["users"].down = True
    response = post(gateway_url, {"query": "{ orgs { name members { id name } } }"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["orgs"][0] == {
        "name": "Acme",
        "members": [{"id": "u1", "name": None}, {"id": "u2", "name": None}],
    }
    [error] = body["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_ERROR", "serviceName": "users"}


def test_supergraph_reload(gateway_url: str, supergraph_file: Path, graph: Running) -> None:
    # A broken file is ignored (the last good supergraph keeps serving); a valid new one is
    # picked up without a restart.
    supergraph_file.write_text("not a supergraph")
    assert post(gateway_url, {"query": "{ users { id } }"}).json()["data"]["users"]
    renamed = entities.CASE.supergraph_path.read_text().replace("orgs: [Org!]!", "teams: [Org!]!")
    supergraph_file.write_text(supergraph_with_urls(renamed, graph[1]))

    def renamed_is_served() -> bool:
        body = post(gateway_url, {"query": '{ __type(name: "Query") { fields { name } } }'})
        return {"name": "teams"} in body.json()["data"]["__type"]["fields"]

    wait_until(renamed_is_served, what="the changed supergraph")


def test_routes_of_the_application_are_served_beside_the_gateways_own(
    supergraph_file: Path,
) -> None:
    """``routes=``: pages of whoever serves the gateway (crossdock's /ops); on a path of the
    gateway's own, the gateway's route wins."""

    async def page(request: Any) -> PlainTextResponse:
        return PlainTextResponse("a page of the application")

    routes = [Route("/app-page", page), Route("/graphql", page, methods=["POST"])]
    app = create_gateway_app(supergraph_file, GatewaySettings(reload_interval=0), routes=routes)
    with serve(app) as url:
        assert httpx.get(f"{url}/app-page").text == "a page of the application"
        answer = post(url, {"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}

"""The HTTP edges of the gateway: malformed variables, other methods, clients that hang up
mid-body, and a GraphiQL page that needs nothing but the gateway."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.server import GatewaySettings, create_gateway_app
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.servers import serve
from tests.support.waiting import wait_until


@pytest.fixture
def gateway_url(run_subgraphs: Callable[..., Running], tmp_path: Path) -> Iterator[str]:
    _, urls = run_subgraphs("entities", entities.build)
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    with serve(create_gateway_app(path, GatewaySettings(reload_interval=0))) as url:
        yield url


@pytest.mark.parametrize("variables", [[], "", 0, "{}", [{"a": 1}]], ids=repr)
def test_variables_must_be_an_object_or_null(gateway_url: str, variables: object) -> None:
    body = {"query": "{ users { id } }", "variables": variables}
    response = httpx.post(f"{gateway_url}/graphql", json=body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error == {
        "message": "Variables must be a JSON object or null.",
        "extensions": {"code": "BAD_REQUEST"},
    }


@pytest.mark.parametrize("variables", [None, {}])
def test_null_or_empty_variables_are_fine(gateway_url: str, variables: object) -> None:
    body = {"query": "{ __typename }", "variables": variables}
    response = httpx.post(f"{gateway_url}/graphql", json=body)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_operation_name_must_be_a_string_or_null(gateway_url: str) -> None:
    body = {"query": "{ users { id } }", "operationName": 7}
    response = httpx.post(f"{gateway_url}/graphql", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "operationName must be a string or null."


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_a_json_405_with_allow(gateway_url: str, method: str) -> None:
    response = httpx.request(method, f"{gateway_url}/graphql", json={"query": "{ users { id } }"})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "GET" in error["message"] and "POST" in error["message"]


def test_a_client_hanging_up_mid_body_is_not_an_error(
    gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    address = urlsplit(gateway_url)
    assert address.hostname is not None and address.port is not None
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n"
    )
    # uvicorn's loggers do not propagate to the root, where ``caplog`` listens.
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(caplog.handler)
    with caplog.at_level(logging.DEBUG), contextlib.ExitStack() as cleanup:
        cleanup.callback(uvicorn_error.removeHandler, caplog.handler)
        with socket.create_connection((address.hostname, address.port)) as sock:
            sock.sendall(head.encode() + b'{"query": "{ users')
        # The server saw the request and the hang-up once a later request gets through.
        wait_until(lambda: httpx.get(f"{gateway_url}/health").status_code == 200, what="the server")
        noticed = ("disconnected", "Exception in ASGI application")
        wait_until(
            lambda: any(n in r.getMessage() for r in caplog.records for n in noticed),
            what="the hang-up to be noticed",
        )
    assert "Traceback" not in caplog.text
    assert "Exception in ASGI application" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_graphiql_needs_nothing_but_the_gateway(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert len(urls) == 4
    expected = {".js": "text/javascript", ".css": "text/css"}
    for url in urls:
        assert url.startswith("/"), f"{url} is not served by the gateway"
        asset = httpx.get(f"{gateway_url}{url}")
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(expected[Path(url).suffix]), url
        assert "immutable" in asset.headers["cache-control"]
        assert len(asset.content) > 1000
    assert httpx.get(f"{gateway_url}/graphiql/README.md").status_code == 404

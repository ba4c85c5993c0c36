"""What a client gets for bad requests: a clear coded error and the right status, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.gateway.graph.conftest import MAX_ALIASES, MAX_BODY_BYTES, MAX_DEPTH, MAX_TOKENS
from tests.support.graphql import PREFLIGHTED

GRAPHQL_RESPONSE = "application/graphql-response+json"
ORDER = "query ($id: ID!) { order(id: $id) { number } }"
FITTING_LEVELS = (MAX_DEPTH - 2) // 4


def nested_orders(levels: int) -> str:
    """A query ``2 + 4 * levels`` fields deep: order → (account → orders → edges → node)* → …"""
    inner = "number"
    for _ in range(levels):
        inner = f"account {{ orders {{ edges {{ node {{ {inner} }} }} }} }}"
    return f'{{ order(id: "x") {{ {inner} }} }}'


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: distributionCenters {{ id }}" for i in range(count)) + " }"


def tokens(count: int) -> str:
    """A valid query of more than ``count`` tokens (repeating a field is valid)."""
    return "{ distributionCenters { " + " ".join(["id"] * count) + " } }"


def assert_graphql_errors(response: httpx.Response) -> list[dict[str, Any]]:
    """A GraphQL-shaped error body, every error coded, nothing of the server's insides."""
    assert response.status_code != 500
    assert "Traceback" not in response.text
    body = response.json()
    assert isinstance(body, dict)
    errors = body["errors"]
    assert errors
    for error in errors:
        assert isinstance(error["message"], str) and error["message"]
        assert error["extensions"]["code"]
    return errors  # type: ignore[no-any-return]


OPERATION_ERRORS = [
    pytest.param({"query": "{ order(id: "}, "GRAPHQL_PARSE_FAILED", id="malformed"),
    pytest.param({"query": "query { }"}, "GRAPHQL_PARSE_FAILED", id="empty-selection"),
    pytest.param(
        {"query": '{ order(id: "1") { number nope } }'},
        "GRAPHQL_VALIDATION_FAILED",
        id="unknown-field",
    ),
    pytest.param(
        {"query": "{ orders { edges { node { number } } } warehouse { id } }"},
        "GRAPHQL_VALIDATION_FAILED",
        id="unknown-root-field",
    ),
    pytest.param(
        {"query": "{ order { number } }"}, "GRAPHQL_VALIDATION_FAILED", id="missing-argument"
    ),
    pytest.param(
        {"query": ORDER, "variables": {"id": {"not": "an id"}}},
        "BAD_USER_INPUT",
        id="wrong-variable-type",
    ),
    pytest.param({"query": ORDER, "variables": {}}, "BAD_USER_INPUT", id="missing-variable"),
    pytest.param({"query": ORDER, "variables": {"id": None}}, "BAD_USER_INPUT", id="null-variable"),
    pytest.param(
        {"query": "query ($id: Nope) { order(id: $id) { number } }"},
        "GRAPHQL_VALIDATION_FAILED",
        id="unknown-variable-type",
    ),
    pytest.param(
        {"query": "query A { __typename } query B { __typename }"},
        "GRAPHQL_VALIDATION_FAILED",
        id="operation-name-needed",
    ),
    pytest.param(
        {"query": "query A { __typename }", "operationName": "B"},
        "GRAPHQL_VALIDATION_FAILED",
        id="unknown-operation",
    ),
    pytest.param(
        {"query": nested_orders(FITTING_LEVELS + 1)}, "GRAPHQL_VALIDATION_FAILED", id="too-deep"
    ),
    pytest.param(
        {"query": aliased(MAX_ALIASES + 1)},
        "GRAPHQL_VALIDATION_FAILED",
        id="too-many-aliases",
    ),
    pytest.param({"query": tokens(MAX_TOKENS)}, "GRAPHQL_VALIDATION_FAILED", id="too-many-tokens"),
    pytest.param(
        {"query": "subscription { __typename }"},
        "GRAPHQL_VALIDATION_FAILED",
        id="no-subscriptions",
    ),
]


@pytest.mark.parametrize(("body", "code"), OPERATION_ERRORS)
def test_operation_errors_over_application_json(
    graph_gateway_url: str, body: dict[str, Any], code: str
) -> None:
    response = httpx.post(f"{graph_gateway_url}/graphql", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert {e["extensions"]["code"] for e in assert_graphql_errors(response)} == {code}
    assert "data" not in response.json(), "a request error has no data entry"


@pytest.mark.parametrize(("body", "code"), OPERATION_ERRORS)
def test_operation_errors_over_graphql_response_json(
    graph_gateway_url: str, body: dict[str, Any], code: str
) -> None:
    response = httpx.post(
        f"{graph_gateway_url}/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert {e["extensions"]["code"] for e in assert_graphql_errors(response)} == {code}


def test_limits_leave_the_real_queries_alone(graph_gateway_url: str) -> None:
    for query in (nested_orders(FITTING_LEVELS), aliased(MAX_ALIASES), tokens(100)):
        response = httpx.post(f"{graph_gateway_url}/graphql", json={"query": query})
        assert response.status_code == 200
        assert "errors" not in response.json(), query


def test_errors_have_locations_where_the_document_has_them(graph_gateway_url: str) -> None:
    response = httpx.post(
        f"{graph_gateway_url}/graphql", json={"query": '{\n  order(id: "1") { nope } }'}
    )
    [error] = assert_graphql_errors(response)
    assert error["locations"] == [{"line": 2, "column": 20}]
    assert "nope" in error["message"]


def oversize_chunks() -> Iterator[bytes]:
    yield b'{"query": "{ __typename }", "padding": "'
    for _ in range(MAX_BODY_BYTES // 1_000 + 1):
        yield b"x" * 1_000
    yield b'"}'


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        pytest.param(
            "POST",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            id="non-json-body",
        ),
        pytest.param(
            "POST",
            {"content": b'["{ __typename }"]', "headers": {"content-type": "application/json"}},
            400,
            id="json-array-body",
        ),
        pytest.param("POST", {"json": {"variables": {}}}, 400, id="no-query"),
        pytest.param("POST", {"json": {"query": ["{ a }"]}}, 400, id="query-not-a-string"),
        pytest.param(
            "POST",
            {"json": {"query": ORDER, "variables": ["1"]}},
            400,
            id="variables-not-an-object",
        ),
        pytest.param(
            "POST",
            {"content": b"{ __typename }", "headers": {"content-type": "application/graphql"}},
            415,
            id="wrong-content-type",
        ),
        pytest.param(
            "POST",
            {"content": b"query={ __typename }", "headers": PREFLIGHTED},
            415,
            id="no-content-type",
        ),
        pytest.param(
            "POST",
            {"json": {"query": "{ __typename }", "padding": "x" * MAX_BODY_BYTES}},
            413,
            id="oversize-body",
        ),
        pytest.param(
            "POST",
            {"content": oversize_chunks, "headers": {"content-type": "application/json"}},
            413,
            id="oversize-chunked-body",
        ),
        pytest.param(
            "GET",
            {"params": {"query": "mutation { __typename }"}, "headers": PREFLIGHTED},
            405,
            id="get-mutation",
        ),
        pytest.param(
            "GET",
            {"params": {"query": ORDER, "variables": "{nope"}, "headers": PREFLIGHTED},
            400,
            id="get-variables-not-json",
        ),
        pytest.param("GET", {"headers": PREFLIGHTED}, 400, id="get-without-query"),
    ],
)
def test_bad_http_requests(
    graph_gateway_url: str, method: str, kwargs: dict[str, Any], status: int
) -> None:
    if callable(kwargs.get("content")):
        kwargs = {**kwargs, "content": kwargs["content"]()}
    response = httpx.request(method, f"{graph_gateway_url}/graphql", **kwargs)
    assert response.status_code == status
    assert [e["extensions"]["code"] for e in assert_graphql_errors(response)] == ["BAD_REQUEST"]
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_get_mutation_is_refused_for_modern_clients_too(graph_gateway_url: str) -> None:
    response = httpx.get(
        f"{graph_gateway_url}/graphql",
        params={"query": "mutation M { __typename }", "operationName": "M"},
        headers={"accept": GRAPHQL_RESPONSE, **PREFLIGHTED},
    )
    assert response.status_code == 405

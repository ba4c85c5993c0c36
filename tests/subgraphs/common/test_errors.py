"""ErrorCodes: every error gets extensions.code, stays located, and leaks nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from strawberry.types import ExecutionResult

from connectors import SystemClient, SystemUnavailable
from subgraphs.common import FEDERATION_VERSION, federation_schema, subgraph_sdl
from tests.subgraphs.common.tiny import context_getter, schema


async def run(
    client: SystemClient, query: str, variables: dict[str, Any] | None = None
) -> ExecutionResult:
    return await schema.execute(
        query, variable_values=variables, context_value=context_getter(client)
    )


def formatted(result: ExecutionResult) -> list[dict[str, Any]]:
    return [dict(error.formatted) for error in result.errors or []]


async def test_syntax_error_is_parse_failed(client: SystemClient) -> None:
    [error] = formatted(await run(client, "{ item(id: "))
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 12}]


async def test_validation_error_is_validation_failed(client: SystemClient) -> None:
    [error] = formatted(await run(client, "{ nope }"))
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "nope" in error["message"]


async def test_bad_variable_is_bad_user_input(client: SystemClient) -> None:
    result = await run(client, "query($n: Int!) { picky(size: $n) }", {"n": "three"})
    [error] = formatted(result)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "$n" in error["message"]


async def test_bad_user_input_keeps_its_message_and_location(client: SystemClient) -> None:
    result = await run(client, "{ ok: picky(size: 2) bad: picky(size: 9) }")
    assert result.data is None  # picky is non-null, so the error reaches the root
    [error] = formatted(result)
    assert error == {
        "message": "size must be at most 3",
        "locations": [{"line": 1, "column": 22}],
        "path": ["bad"],
        "extensions": {"code": "BAD_USER_INPUT"},
    }


async def test_system_failure_is_subgraph_error_on_its_field_only(client: SystemClient) -> None:
    result = await run(client, '{ offline item(id: "A") { name } }')
    assert result.data == {"offline": None, "item": {"name": "Item A"}}
    assert formatted(result) == [
        {
            "message": "wms is unavailable: wms timed out after 2.0s",
            "locations": [{"line": 1, "column": 3}],
            "path": ["offline"],
            "extensions": {"code": "SUBGRAPH_ERROR", "system": "wms"},
        }
    ]


async def test_invalid_system_answer_is_subgraph_error(client: SystemClient) -> None:
    result = await run(client, '{ item(id: "missing") { name } }')
    assert result.data == {"item": None}  # a missing item is null, not an error
    assert result.errors is None


async def test_unexpected_error_is_masked_and_logged(
    client: SystemClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="subgraphs.common.errors"):
        result = await run(client, "{ boom warehouse { city } }")
    assert result.data == {"boom": None, "warehouse": {"city": "Atlanta"}}
    [error] = formatted(result)
    assert error == {
        "message": "Internal server error",
        "locations": [{"line": 1, "column": 3}],
        "path": ["boom"],
        "extensions": {"code": "INTERNAL"},
    }
    assert result.errors and result.errors[0].original_error is None
    [record] = caplog.records
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
    assert "boom" in record.getMessage()


async def test_null_for_non_null_is_internal(client: SystemClient) -> None:
    [error] = formatted(await run(client, "{ wrong }"))
    assert error["extensions"] == {"code": "INTERNAL"}
    assert error["message"] == "Internal server error"
    assert error["path"] == ["wrong"]


async def test_deliberate_graphql_error_keeps_its_code(client: SystemClient) -> None:
    result = await run(client, "{ deliberate plainGraphqlError }")
    assert [(e["message"], e["extensions"]) for e in formatted(result)] == [
        ("no access to this", {"code": "FORBIDDEN"}),
        ("told you so", {"code": "INTERNAL"}),
    ]


async def test_errors_are_not_logged_by_strawberry(
    client: SystemClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await run(client, "{ picky(size: 9) }")
        await run(client, "{ nope }")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_federation_schema_is_federation_2_with_error_codes() -> None:
    @strawberry.type
    class Query:
        hello: str = "world"

    built = federation_schema(Query)
    assert f"https://specs.apollo.dev/federation/v{FEDERATION_VERSION}" in subgraph_sdl(built)
    result = built.execute_sync("{ hello(x: 1) }")
    assert result.errors and result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError("secret: the ticker's database password")

    @strawberry.subscription
    async def shipments(self) -> AsyncGenerator[int, None]:
        raise SystemUnavailable("wms", "wms answered 503")
        yield 0  # pragma: no cover


async def events(query: str) -> list[tuple[object, list[dict[str, Any]]]]:
    @strawberry.type
    class Query:
        hello: str = "world"

    built = federation_schema(Query, subscription=Subscription)
    stream = await built.subscribe(query)
    assert isinstance(stream, AsyncGenerator)
    return [(result.data, formatted(result)) async for result in stream]


async def test_subscription_errors_are_coded_and_masked() -> None:
    assert await events("subscription { ticks }") == [
        ({"ticks": 1}, []),
        (None, [{"message": "Internal server error", "extensions": {"code": "INTERNAL"}}]),
    ]
    assert await events("subscription { shipments }") == [
        (
            None,
            [
                {
                    "message": "wms is unavailable: wms answered 503",
                    "extensions": {"code": "SUBGRAPH_ERROR", "system": "wms"},
                }
            ],
        )
    ]

"""Authorization's errors joined to what the executor answers (one response, or each event)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from gateway.wire import GraphQLError, GraphQLResponse

__all__ = ["each_with_unauthorized", "with_unauthorized"]


def with_unauthorized(
    errors: tuple[GraphQLError, ...], response: GraphQLResponse
) -> GraphQLResponse:
    """``response`` with the ``errors`` of the fields taken out first (fresh copies: a
    response may be changed on its way, the cached errors must not)."""
    fresh: list[GraphQLError] = [
        {**e, "path": list(e.get("path", ())), "extensions": dict(e.get("extensions", {}))}
        for e in errors
    ]
    return {**response, "errors": [*fresh, *response.get("errors", [])]}


async def each_with_unauthorized(
    responses: AsyncGenerator[GraphQLResponse, None], errors: tuple[GraphQLError, ...]
) -> AsyncGenerator[GraphQLResponse, None]:
    """Each of ``responses`` (a subscription's events) with the ``errors``; closing it
    closes them."""
    try:
        async for response in responses:
            yield with_unauthorized(errors, response)
    finally:
        await responses.aclose()

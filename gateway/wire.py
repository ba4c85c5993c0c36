"""GraphQL wire JSON as TypedDicts: requests, responses and errors."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "ErrorLocation",
    "GraphQLError",
    "GraphQLRequest",
    "GraphQLResponse",
    "IncrementalItem",
]


class ErrorLocation(TypedDict):
    line: int
    column: int


class GraphQLError(TypedDict):
    message: str
    locations: NotRequired[list[ErrorLocation]]
    path: NotRequired[list[str | int]]
    extensions: NotRequired[dict[str, Any]]


class GraphQLRequest(TypedDict):
    query: str
    operationName: NotRequired[str | None]
    variables: NotRequired[dict[str, Any] | None]
    extensions: NotRequired[dict[str, Any] | None]
    # Ids of a trusted document, in place of ``query``: GraphQL over HTTP's, and Relay's.
    documentId: NotRequired[str | None]
    doc_id: NotRequired[str | None]


class IncrementalItem(TypedDict):
    """What a deferred fragment completes at one place (``deferSpec=20220824``)."""

    data: dict[str, Any] | None
    path: list[str | int]
    label: NotRequired[str]
    errors: NotRequired[list[GraphQLError]]


class GraphQLResponse(TypedDict):
    data: NotRequired[dict[str, Any] | None]
    errors: NotRequired[list[GraphQLError]]
    extensions: NotRequired[dict[str, Any]]
    # Incremental delivery (``@defer``): set on every payload of a deferred response.
    hasNext: NotRequired[bool]
    incremental: NotRequired[list[IncrementalItem]]

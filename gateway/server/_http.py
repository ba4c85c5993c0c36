"""GraphQL over HTTP, the parts JSON answers and event streams share: reading a request out of
a POST body or GET parameters, and answering a refusal with its status and JSON body."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from gateway.engine import RequestOutcome
from gateway.wire import GraphQLRequest, GraphQLResponse

__all__ = ["error_body", "plain", "read_get", "read_post", "respond"]

log = logging.getLogger("gateway.server")

_GRAPHQL_RESPONSE = "application/graphql-response+json"


class _TooLarge(Exception):
    pass


def error_body(message: str, code: str) -> GraphQLResponse:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def plain(status: int, message: str, code: str) -> Response:
    """An error as JSON with ``status``, for requests that are not GraphQL at all."""
    return Response(
        orjson.dumps(error_body(message, code)), status_code=status, media_type="application/json"
    )


def _wants_graphql_response(request: Request) -> bool:
    return _GRAPHQL_RESPONSE in request.headers.get("accept", "")


def respond(
    request: Request,
    outcome: RequestOutcome,
    encode: Callable[[GraphQLResponse], bytes] = orjson.dumps,
) -> Response:
    """Status codes per GraphQL-over-HTTP: ``application/json`` keeps 200 for invalid
    operations; ``application/graphql-response+json`` answers them 400. ``encode`` makes
    the body (the server's holds the response size limit), once for all the requests that
    share one execution (``RequestOutcome.body``). A request refused before it ran for want
    of an execution slot is 503 with ``Retry-After``, whatever it accepts."""
    modern = _wants_graphql_response(request)
    status = 200
    headers: dict[str, str] | None = None
    if outcome.status == "bad_request" or (outcome.status == "invalid" and modern):
        status = 400
    elif outcome.status == "not_allowed":
        status = 405
        headers = {"allow": "POST"}
    elif outcome.status == "overloaded":
        status = 503
    if outcome.retry_after is not None:
        headers = {**(headers or {}), "retry-after": str(outcome.retry_after)}
    shared = outcome.body
    return Response(
        encode(outcome.response) if shared is None else shared.encode(outcome.response, encode),
        status_code=status,
        media_type=_GRAPHQL_RESPONSE if modern else "application/json",
        headers=headers,
    )


async def _read_body(request: Request, limit: int | None) -> bytes:
    declared = request.headers.get("content-length")
    if limit is not None and declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def read_post(request: Request, limit: int | None) -> GraphQLRequest | Response:
    """The JSON body of a POST as a GraphQL request, or the response refusing it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return plain(415, "Content-Type must be application/json.", "BAD_REQUEST")
    try:
        raw = await _read_body(request, limit)
    except _TooLarge:
        return plain(413, "Request body is too large.", "BAD_REQUEST")
    except ClientDisconnect:
        # The client went away mid-body: nobody will read an answer, and it is not ours
        # to report as a failure.
        log.debug("client disconnected before sending the whole body")
        return Response(status_code=400)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return plain(400, "Request body is not valid JSON.", "BAD_REQUEST")
    if not isinstance(body, dict):
        return plain(400, "Request body must be a JSON object.", "BAD_REQUEST")
    return body  # type: ignore[return-value]


def read_get(request: Request) -> GraphQLRequest | Response:
    """The GraphQL request of GET parameters, or the response refusing it."""
    params = request.query_params
    # A persisted document comes without its text: by APQ hash (in ``extensions``, as Apollo
    # Client sends it), ``documentId`` or ``doc_id`` (gateway/documents resolves them).
    if not any(key in params for key in ("query", "extensions", "documentId", "doc_id")):
        return plain(400, "Must provide query string.", "BAD_REQUEST")
    body: dict[str, Any] = {"query": params.get("query")}
    if "operationName" in params:
        body["operationName"] = params["operationName"] or None
    for key in ("documentId", "doc_id"):
        if params.get(key):
            body[key] = params[key]
    for key, what in (("variables", "Variables"), ("extensions", "Extensions")):
        if params.get(key):
            try:
                body[key] = orjson.loads(params[key])
            except orjson.JSONDecodeError:
                return plain(400, f"{what} are not valid JSON.", "BAD_REQUEST")
    return body  # type: ignore[return-value]

"""Incremental delivery over HTTP: ``@defer``'s payloads as ``multipart/mixed`` parts.

A POST or GET whose ``Accept`` has ``multipart/mixed`` (Apollo Client and urql send
``multipart/mixed;deferSpec=20220824, application/json``) and whose operation defers
fragments is answered ``multipart/mixed; boundary="-"; deferSpec=20220824``: each payload is
a part, ``\\r\\n---\\r\\nContent-Type: application/json; charset=utf-8\\r\\n\\r\\n{json}``, written
as soon as it is ready, and the body ends with ``\\r\\n-----\\r\\n``. An operation that defers
nothing, and every refusal, is answered JSON as without multipart; a client that does not
accept multipart gets a deferred operation's whole result at once (``Gateway.execute``).

A client that hangs up stops the request: the parts not yet fetched are never fetched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.auth import ANONYMOUS, Identity
from gateway.engine import Gateway, RequestOutcome
from gateway.server._hangup import disconnected, unless_hung_up
from gateway.server._http import error_body, respond
from gateway.server._metrics import GatewayMetrics
from gateway.server._query_plan import with_plan
from gateway.wire import GraphQLRequest, GraphQLResponse

__all__ = ["CONTENT_TYPE", "END", "PART", "respond_multipart", "wants_multipart"]

log = logging.getLogger("gateway.server.multipart")

CONTENT_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824'
PART = b"\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
END = b"\r\n-----\r\n"
# What each write carries: a part's headers and JSON, then the next delimiter at once. A
# client (Apollo Client's, urql's) hands a part on when it reads the delimiter after it, so
# the delimiter must not wait for the next part; the last one is closed by ``--``, as Apollo
# Router writes them.
_DELIMITER = PART[:5]  # \r\n---
_HEAD = PART[5:]
_CLOSE = END[5:]  # --\r\n

Encode = Callable[[GraphQLResponse], bytes]


def wants_multipart(request: Request) -> bool:
    """Whether the client reads ``multipart/mixed`` (with or without ``deferSpec``)."""
    return "multipart/mixed" in request.headers.get("accept", "").lower()


class _Parts(Response):
    """Writes ``first`` and then each of ``rest`` as a part, until they end or the client
    hangs up (which closes ``rest``, cancelling what it still fetches)."""

    def __init__(
        self, first: GraphQLResponse, rest: AsyncGenerator[GraphQLResponse, None], encode: Encode
    ) -> None:
        self.first = first
        self.rest = rest
        self.encode = encode
        self.status_code = 200
        self.background = None
        self.init_headers(
            {
                "content-type": CONTENT_TYPE,
                "cache-control": "no-cache",
                # Proxies (nginx) must pass each part on at once rather than buffer them.
                "x-accel-buffering": "no",
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        parts = asyncio.create_task(self._parts(send))
        hangup = asyncio.create_task(disconnected(receive))
        try:
            await asyncio.wait((parts, hangup), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (parts, hangup):
                task.cancel()
            await asyncio.gather(parts, hangup, return_exceptions=True)
        if parts.done() and not parts.cancelled() and parts.exception() is None:
            await send({"type": "http.response.body", "body": _CLOSE, "more_body": False})

    async def _parts(self, send: Send) -> None:
        try:
            await send({"type": "http.response.body", "body": _DELIMITER, "more_body": True})
            await self._write(send, self.first)
            while True:
                try:
                    response = await anext(self.rest)
                except StopAsyncIteration:
                    break
                await self._write(send, response)
        except (asyncio.CancelledError, OSError):
            raise
        except Exception:
            log.exception("a multipart response failed while streaming")
            internal = {**error_body("Internal server error.", "INTERNAL"), "hasNext": False}
            await self._write(send, internal)  # type: ignore[arg-type]
        finally:
            await self.rest.aclose()

    async def _write(self, send: Send, response: GraphQLResponse) -> None:
        body = _HEAD + self.encode(response) + _DELIMITER
        await send({"type": "http.response.body", "body": body, "more_body": True})


async def respond_multipart(
    request: Request,
    gateway: Gateway,
    body: GraphQLRequest,
    *,
    allow_mutations: bool,
    identity: Identity = ANONYMOUS,
    encode: Encode = orjson.dumps,
    expose_plan: bool = False,
    metrics: GatewayMetrics | None = None,
    request_name: str | None = None,
) -> Response:
    """Answer a request that accepts ``multipart/mixed``; see the module's docstring.

    ``expose_plan``: the query plan in the first part's extensions
    (``gateway.server._query_plan``). ``metrics`` time the whole response, to its last part
    (``request_name``: the operation the request names)."""
    started = time.perf_counter()
    outcome = await gateway.stream(
        body, identity=identity, allow_mutations=allow_mutations, subscriptions=False
    )
    if metrics is not None:
        outcome = metrics.stream(request_name, outcome, started)
    if outcome.refused is not None:
        return respond(request, outcome.refused, encode)
    responses = outcome.responses
    assert responses is not None
    try:
        first = await unless_hung_up(request.receive, anext(responses))
    except BaseException:
        await responses.aclose()
        raise
    if first is None:
        await responses.aclose()
        return Response(status_code=499)  # nobody reads it
    if expose_plan:
        first = with_plan(first, outcome.plan)
    if "hasNext" not in first:  # nothing deferred: the one response, as JSON
        await responses.aclose()
        return respond(request, RequestOutcome(first), encode)
    return _Parts(first, responses, encode)

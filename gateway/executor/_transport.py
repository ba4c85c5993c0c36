"""To subgraphs: HTTP over a pool of keep-alive connections per subgraph URL, and subscriptions
over one graphql-transport-ws connection per subgraph URL and client token.

A request made for a verified identity carries its token to the subgraph (``Authorization:
Bearer <token>`` on the fetch, or in the subscription connection's ``connection_init``), so
each subgraph can verify it and scope its answer itself (docs/auth.md, "Forwarding to
subgraphs"); an anonymous request carries none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson

from gateway._single_flight import SingleFlight
from gateway.auth import ANONYMOUS, Identity
from gateway.executor._deadline import TIMEOUT_HEADER
from gateway.executor._http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadUrl,
    Endpoint,
    HttpError,
    HttpResponse,
    header_lines,
)
from gateway.executor._ws_client import SubscriptionClient, SubscriptionSettings
from gateway.wire import GraphQLRequest, GraphQLResponse
from telemetry.tracing import SpanKind, current_tracer, span, trace_headers

__all__ = ["SubgraphFetchError", "SubgraphTransport", "TransportSettings"]


class SubgraphFetchError(Exception):
    """A subgraph could not be reached or did not answer with a GraphQL response."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"HTTP fetch failed from '{service}': {reason}")
        self.service = service
        self.reason = reason


@dataclass(frozen=True)
class TransportSettings:
    """Pool limits and timeouts of the subgraph connections, per subgraph URL."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Requests in flight to one subgraph; more wait for a connection to come free.
    max_connections: int = 100
    # Idle connections kept open for the next requests.
    max_keepalive_connections: int = 100
    # A subgraph response body over this many bytes fails the fetch.
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    # Subscriptions: from connection_init to the subgraph's connection_ack.
    subscription_ack_timeout: float = 5.0
    # Events one subscription may have waiting for its client; one more ends it as too slow.
    subscription_buffer: int = 32
    # WebSocket pings on a quiet subscription connection (and how long a pong may take).
    subscription_ping_interval: float | None = 20.0
    # A subscription connection without subscriptions this long is closed (None: never).
    subscription_idle_timeout: float | None = 60.0
    # Identical idempotent fetches in flight to one subgraph (same URL, body and token)
    # share one HTTP call.
    share_fetches: bool = True
    # Identical subscriptions on one subgraph connection (same request and token) opened
    # before its first event share one subgraph subscription, and each event is finished
    # (entity fetches, response) once per selection for them (gateway.executor._subscribe).
    share_subscriptions: bool = True


_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


def authorization_lines(identity: Identity) -> bytes:
    """The header line forwarding ``identity``'s token; nothing for an anonymous one."""
    if identity.token is None:
        return b""
    # A verified JWT is base64url and dots: header_lines refuses anything else anyway.
    return header_lines({"authorization": f"Bearer {identity.token}"})


_last_trace: tuple[Mapping[str, str] | None, bytes] = (None, b"")


def trace_lines() -> bytes:
    """The header lines carrying the current span's trace context (none without a span)."""
    global _last_trace
    if current_tracer() is None:
        return b""
    headers = trace_headers()
    last_headers, last_lines = _last_trace
    if headers is last_headers:  # the same span's context as the fetch before
        return last_lines
    try:
        lines = header_lines(headers)
    except ValueError:  # a caller's tracestate that cannot be sent on: the context goes without
        lines = b""
    _last_trace = (headers, lines)
    return lines


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class SubgraphTransport:
    """Sends GraphQL requests to subgraphs; connection pools are made on first use, per URL."""

    def __init__(self, settings: TransportSettings | None = None) -> None:
        self.settings = settings or TransportSettings()
        self._endpoints: dict[str, Endpoint] = {}
        # Told the subgraph and the seconds of each fetch that ends, answered or not (metrics).
        self.on_fetch: Callable[[str, float], None] | None = None
        s = self.settings
        self._fetches: SingleFlight[tuple[str, bytes, bytes], HttpResponse] | None = (
            SingleFlight() if s.share_fetches else None
        )
        self.subscriptions = SubscriptionClient(
            SubscriptionSettings(
                connect_timeout=s.connect_timeout,
                ack_timeout=s.subscription_ack_timeout,
                buffer=s.subscription_buffer,
                ping_interval=s.subscription_ping_interval,
                ping_timeout=s.subscription_ping_interval,
                max_message_bytes=s.max_response_bytes,
                idle_timeout=s.subscription_idle_timeout,
            )
        )

    def endpoint(self, url: str) -> Endpoint:
        endpoint = self._endpoints.get(url)
        if endpoint is None:
            s = self.settings
            endpoint = Endpoint(
                url,
                headers=_HEADERS,
                connect_timeout=s.connect_timeout,
                read_timeout=s.read_timeout,
                max_connections=s.max_connections,
                max_keepalive=s.max_keepalive_connections,
                max_response_bytes=s.max_response_bytes,
                deadline_header=TIMEOUT_HEADER,
            )
            self._endpoints[url] = endpoint
        return endpoint

    async def send(
        self,
        service: str,
        url: str,
        request: GraphQLRequest,
        *,
        idempotent: bool = True,
        deadline: float | None = None,
        identity: Identity = ANONYMOUS,
    ) -> GraphQLResponse:
        """POST one request; raise :class:`SubgraphFetchError` unless a GraphQL body comes back.

        An ``idempotent`` request (not a mutation) is sent again, once, when a kept-alive
        connection turns out to have been closed by the subgraph before it was used. With a
        ``deadline`` (loop time; the caller's timer enforces it) the subgraph is told the
        milliseconds left in the ``x-request-timeout-ms`` header. An authenticated
        ``identity``'s token goes along as ``Authorization: Bearer <token>``.

        Idempotent fetches in flight with the same URL, body and token share one HTTP call
        (``share_fetches``): the first one's deadline is the one the subgraph is told, and
        each caller decodes the body on its own, so none sees another's changes to it.
        """
        on_fetch = self.on_fetch
        started = time.perf_counter()
        try:
            if current_tracer() is None:
                return await self._send(service, url, request, idempotent, deadline, identity)
            with span(
                f"fetch {service}",
                kind=SpanKind.CLIENT,
                attributes={"graphql.federation.subgraph": service, "server.address": url},
            ):
                return await self._send(service, url, request, idempotent, deadline, identity)
        finally:
            if on_fetch is not None:
                on_fetch(service, time.perf_counter() - started)

    async def _send(
        self,
        service: str,
        url: str,
        request: GraphQLRequest,
        idempotent: bool,
        deadline: float | None,
        identity: Identity,
    ) -> GraphQLResponse:
        body = orjson.dumps(request)
        headers = authorization_lines(identity)
        # The fetch's trace context goes to the subgraph; identical fetches still share one
        # call (the first one's context is the one the subgraph continues).
        traced = trace_lines()
        try:
            endpoint = self.endpoint(url)
            if idempotent and self._fetches is not None:
                response = await self._fetches.run(
                    (url, body, headers),
                    lambda: endpoint.post(
                        body, retry=True, deadline=deadline, headers=headers + traced
                    ),
                )
            else:
                response = await endpoint.post(
                    body, retry=idempotent, deadline=deadline, headers=headers + traced
                )
        except BadUrl as error:
            raise SubgraphFetchError(service, "invalid subgraph URL") from error
        except HttpError as error:
            raise SubgraphFetchError(service, type(error).__name__) from error
        try:
            decoded: Any = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict) or not ("data" in decoded or "errors" in decoded):
            raise SubgraphFetchError(service, _status_line(response.status))
        result: GraphQLResponse = decoded  # type: ignore[assignment]
        return result

    @property
    def fetches_shared(self) -> int:
        """Fetches answered by an identical fetch already in flight, since start."""
        return 0 if self._fetches is None else self._fetches.joined

    async def aclose(self) -> None:
        endpoints, self._endpoints = self._endpoints, {}
        for endpoint in endpoints.values():
            endpoint.close()
        await self.subscriptions.aclose()

"""HTTP to subgraphs: one pooled ``httpx.AsyncClient`` per subgraph URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from gateway.wire import GraphQLRequest, GraphQLResponse

__all__ = ["SubgraphFetchError", "SubgraphTransport", "TransportSettings"]


class SubgraphFetchError(Exception):
    """A subgraph could not be reached or did not answer with a GraphQL response."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"HTTP fetch failed from '{service}': {reason}")
        self.service = service
        self.reason = reason


@dataclass(frozen=True)
class TransportSettings:
    """Pool limits and timeouts of the subgraph clients."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_connections: int = 100
    max_keepalive_connections: int = 20


_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


class SubgraphTransport:
    """Sends GraphQL requests to subgraphs; clients are created on first use, per URL."""

    def __init__(self, settings: TransportSettings | None = None) -> None:
        self.settings = settings or TransportSettings()
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client(self, url: str) -> httpx.AsyncClient:
        client = self._clients.get(url)
        if client is None:
            s = self.settings
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
                limits=httpx.Limits(
                    max_connections=s.max_connections,
                    max_keepalive_connections=s.max_keepalive_connections,
                ),
                headers=_HEADERS,
            )
            self._clients[url] = client
        return client

    async def send(self, service: str, url: str, request: GraphQLRequest) -> GraphQLResponse:
        """POST one request; raise :class:`SubgraphFetchError` unless a GraphQL body comes back."""
        try:
            response = await self.client(url).post(url, content=orjson.dumps(request))
        except httpx.HTTPError as error:
            raise SubgraphFetchError(service, type(error).__name__) from error
        try:
            body: Any = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            raise SubgraphFetchError(service, f"{response.status_code} {response.reason_phrase}")
        result: GraphQLResponse = body  # type: ignore[assignment]
        return result

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

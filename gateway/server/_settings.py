"""Gateway configuration: limits, timeouts, caches and supergraph reloading."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gateway.executor import TransportSettings
from gateway.limits import Limits
from gateway.server._requests import RequestSettings

__all__ = ["GatewaySettings"]


class GatewaySettings(BaseModel):
    """Everything the gateway server reads at start-up (``CROSSDOCK_GATEWAY__*`` upstream)."""

    # Where several gateway processes share state (persisted queries, rate-limit buckets):
    # Redis at this URL, every key under ``redis_prefix``; each process's memory when unset.
    redis_url: str | None = None
    redis_prefix: str = "crossdock:gateway:"
    max_body_bytes: int | None = Field(default=1_000_000, gt=0)
    requests: RequestSettings = Field(
        default_factory=RequestSettings,
        description="what one request may take: its deadline, the size of its response "
        "(docs/deadlines.md)",
    )
    max_depth: int | None = Field(default=32, gt=0)
    max_aliases: int | None = Field(default=64, ge=0)
    max_tokens: int | None = Field(default=20_000, gt=0)
    subgraph_connect_timeout: float = Field(default=5.0, gt=0)
    subgraph_read_timeout: float = Field(default=30.0, gt=0)
    subgraph_max_connections: int = Field(default=100, gt=0)
    subgraph_max_keepalive: int = Field(default=100, ge=0)
    # A subgraph response body over this many bytes fails that fetch.
    subgraph_max_response_bytes: int = Field(default=64 << 20, gt=0)
    # The caches of parsed documents and of plans: entries, and the bytes they may hold.
    # Query texts longer than ``max_cached_query_bytes`` are never cached (comments do not
    # count as tokens, so only this bounds what one cached text costs).
    plan_cache_size: int = Field(default=1024, gt=0)
    document_cache_size: int = Field(default=1024, gt=0)
    plan_cache_bytes: int = Field(default=64 << 20, gt=0)
    document_cache_bytes: int = Field(default=64 << 20, gt=0)
    max_cached_query_bytes: int = Field(default=64 << 10, ge=0)
    # Progressive ``@override(label:)`` labels to turn on, e.g. ``["new-pricing"]``
    # (``CROSSDOCK_GATEWAY__OVERRIDE_LABELS='["new-pricing"]'``). A field whose label is on is
    # resolved by the overriding subgraph, otherwise by the one it overrides. ``percent(N)``
    # labels are on only at N >= 100 (plans are cached, so no per-request coin toss).
    override_labels: list[str] = Field(default_factory=list)
    # Seconds between checks of the supergraph file; 0 turns reloading off.
    reload_interval: float = Field(default=1.0, ge=0)
    graphiql: bool = True
    # The operation GraphiQL opens on for a first-time visitor; None: GraphiQL's welcome text.
    graphiql_default_query: str | None = None
    ready_timeout: float = Field(default=2.0, gt=0)
    # Subscriptions over WebSocket (graphql-transport-ws) and server-sent events.
    # Seconds a new WebSocket has to send ``connection_init`` before it is closed (4408).
    ws_connection_init_timeout: float = Field(default=10.0, gt=0)
    # A larger WebSocket message closes the socket (1009); operations running on one socket
    # at once, beyond which a ``subscribe`` is answered with an ``error`` message.
    ws_max_message_bytes: int = Field(default=1_000_000, gt=0)
    ws_max_operations: int = Field(default=100, gt=0)
    # Seconds between keep-alive comments on an idle event stream, so proxies keep it open
    # and a vanished client is noticed.
    sse_keepalive_interval: float = Field(default=15.0, gt=0)
    # Subscriptions to subgraphs (one graphql-transport-ws connection per subgraph URL).
    # Events one subscription may have waiting for its client; one more ends it with
    # SUBSCRIPTION_TOO_SLOW (the gateway's own entity fetches do not count against it).
    subscription_buffer: int = Field(default=32, gt=0)
    # Seconds a subgraph has to answer ``connection_init`` with ``connection_ack``.
    subscription_ack_timeout: float = Field(default=5.0, gt=0)
    # Seconds a connection to a subgraph stays open without subscriptions; None: forever.
    subscription_idle_timeout: float | None = Field(default=60.0, gt=0)
    # Seconds between WebSocket pings on a quiet connection (a pong may take as long);
    # None: no pings.
    subscription_ping_interval: float | None = Field(default=20.0, gt=0)

    def limits(self) -> Limits:
        return Limits(
            max_body_bytes=self.max_body_bytes,
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_tokens=self.max_tokens,
        )

    def transport(self) -> TransportSettings:
        return TransportSettings(
            connect_timeout=self.subgraph_connect_timeout,
            read_timeout=self.subgraph_read_timeout,
            max_connections=self.subgraph_max_connections,
            max_keepalive_connections=self.subgraph_max_keepalive,
            max_response_bytes=self.subgraph_max_response_bytes,
            subscription_buffer=self.subscription_buffer,
            subscription_ack_timeout=self.subscription_ack_timeout,
            subscription_idle_timeout=self.subscription_idle_timeout,
            subscription_ping_interval=self.subscription_ping_interval,
        )

"""Gateway configuration: limits, timeouts, caches and supergraph reloading."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from gateway.auth import AuthSettings
from gateway.demand import DemandSettings
from gateway.documents import PersistedQuerySettings
from gateway.executor import TransportSettings
from gateway.limits import Limits
from gateway.server._browsers import BrowserSettings
from gateway.server._rate_limit import RateLimitSettings
from gateway.server._requests import RequestSettings

__all__ = ["GatewaySettings", "RedisUrl"]


def _redis_url(url: str) -> str:
    """A URL redis-py's client takes, checked by redis-py's own parser, so that a bad one is
    refused at start rather than on the first request that needs Redis."""
    from redis.connection import parse_url

    # A ValueError says what is wrong (the scheme, the port, an option); redis-py leaves the
    # function unannotated.
    parsed = parse_url(url)  # type: ignore[no-untyped-call]
    if url.startswith("unix:") and not parsed.get("path"):
        raise ValueError("a unix:// URL needs the path of the socket, e.g. unix:///run/redis.sock")
    return url


RedisUrl = Annotated[
    str,
    AfterValidator(_redis_url),
    WithJsonSchema({"type": "string", "pattern": "^(redis|rediss|unix)://"}),
]
"""A Redis URL: ``redis://``, ``rediss://`` (TLS) or ``unix://``, as redis-py reads it."""


class GatewaySettings(BaseModel):
    """Everything the gateway server reads at start-up (``CROSSDOCK_GATEWAY__*`` upstream)."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    redis_url: RedisUrl | None = Field(
        default=None,
        description="where several gateway processes share state (persisted queries, "
        "rate-limit buckets): Redis at this URL, every key under redis_prefix; each process's "
        "memory when unset",
        examples=["redis://127.0.0.1:6379/0"],
    )
    redis_prefix: str = Field(
        default="crossdock:gateway:", description="every shared-state key starts with this"
    )
    max_body_bytes: int | None = Field(
        default=1_000_000, gt=0, description="a larger request body is refused"
    )
    requests: RequestSettings = Field(
        default_factory=RequestSettings,
        description="what one request may take: its deadline, the size of its response "
        "(docs/deadlines.md)",
    )
    max_depth: int | None = Field(
        default=32, gt=0, description="a deeper operation is refused before it is planned"
    )
    max_aliases: int | None = Field(
        default=64, ge=0, description="an operation with more aliases is refused"
    )
    max_tokens: int | None = Field(
        default=20_000, gt=0, description="a document of more tokens is refused unparsed"
    )
    subgraph_connect_timeout: float = Field(
        default=5.0, gt=0, description="seconds to connect to a subgraph"
    )
    subgraph_read_timeout: float = Field(
        default=30.0, gt=0, description="seconds a subgraph has to answer a fetch"
    )
    subgraph_max_connections: int = Field(
        default=100, gt=0, description="connections to one subgraph at once"
    )
    subgraph_max_keepalive: int = Field(
        default=100, ge=0, description="idle connections kept open per subgraph"
    )
    subgraph_max_response_bytes: int = Field(
        default=64 << 20,
        gt=0,
        description="a subgraph response body over this many bytes fails that fetch",
    )
    share_queries: bool = Field(
        default=True,
        description="identical queries in flight at once (same document, operation, variables "
        "and token) share one execution; each is still rate-limited, authorized and costed on "
        "its own; mutations never share (docs/deduplication.md)",
    )
    max_executions_in_flight: int = Field(
        default=48,
        ge=0,
        description="queries and mutations executing at once in one gateway process; more "
        "wait their turn in arrival order, within their deadline (GATEWAY_TIMEOUT if it "
        "passes first; nothing ran). An execution shared by identical queries counts once; "
        "subscriptions and @defer streams do not count. 0: no cap (docs/deadlines.md)",
    )
    max_executions_queued: int = Field(
        default=192,
        ge=0,
        description="requests waiting for an execution slot at most (4 times the default "
        "max_executions_in_flight: a burst of up to both waits its turn); one more is refused "
        "at once, before anything of it runs: 503 with Retry-After, GATEWAY_OVERLOADED. "
        "Past that length the gateway is falling behind, and a request that joined the line "
        "would mostly wait out its deadline. 0: any length (docs/deadlines.md)",
    )
    subgraph_share_fetches: bool = Field(
        default=True,
        description="identical fetches in flight to one subgraph (same URL, body and token; "
        "never a mutation) share one HTTP call (docs/deduplication.md)",
    )
    share_subscriptions: bool = Field(
        default=True,
        description="identical subscriptions (same subgraph operation, variables and token) "
        "opened before the first event share one subgraph subscription, and each event's "
        "entity fetches and response are made once for the subscribers of one selection and "
        "token (docs/deduplication.md)",
    )
    plan_cache_size: int = Field(default=1024, gt=0, description="query plans kept")
    document_cache_size: int = Field(
        default=1024, gt=0, description="parsed and validated documents kept"
    )
    plan_cache_bytes: int = Field(
        default=64 << 20, gt=0, description="bytes the cached plans may hold"
    )
    document_cache_bytes: int = Field(
        default=64 << 20, gt=0, description="bytes the cached documents may hold"
    )
    max_cached_query_bytes: int = Field(
        default=64 << 10,
        ge=0,
        description="longer query texts are never cached (comments do not count as tokens, so "
        "only this bounds what one cached text costs)",
    )
    override_labels: list[str] = Field(
        default_factory=list,
        description='progressive @override(label:) labels to turn on, e.g. ["new-pricing"]: '
        "a field whose label is on is resolved by the overriding subgraph, otherwise by the "
        "one it overrides; percent(N) labels are on only at N >= 100 (plans are cached, so no "
        "per-request coin toss)",
    )
    metrics_histograms: bool = Field(
        default=True,
        description="time every request, operation and subgraph fetch and count errors by code "
        "in /metrics (docs/metrics.md); off: /metrics has the gateway's counters only",
    )
    metrics_operation_names: int = Field(
        default=100,
        ge=0,
        description="distinct operation names (client-chosen) /metrics labels operations "
        'with, per process; later ones are counted as "other" (docs/metrics.md)',
    )
    reload_interval: float = Field(
        default=1.0, ge=0, description="seconds between checks of the supergraph file; 0: off"
    )
    production: bool = Field(
        default=False,
        description="the production switch: GraphiQL, introspection and query plans off, "
        "error messages without internals, only the operations of the trusted-documents "
        "manifest (persisted_queries.manifest, required) run (docs/production.md)",
    )
    graphiql: bool = Field(default=True, description="serve GraphiQL to browsers on /graphql")
    expose_query_plans: bool = Field(
        default=True,
        description="a request with the header Apollo-Expose-Query-Plan: true gets its query "
        "plan in extensions.apolloQueryPlan, with dry-run the plan alone (nothing fetched); "
        "off in production, and the header is then ignored (docs/query-plans.md)",
    )
    graphiql_default_query: str | None = Field(
        default=None,
        description="the operation GraphiQL opens on for a first-time visitor; unset: "
        "GraphiQL's welcome text",
        examples=["{ __typename }"],
    )
    subgraph_ready_path: str | None = Field(
        default=None,
        description="where each subgraph tells its own readiness (e.g. /ready, relative to its "
        "URL): /ready then asks there, so it fails when a subgraph's own dependencies do; "
        "unset: /ready asks each subgraph {__typename}",
        examples=["/ready"],
    )
    ready_timeout: float = Field(
        default=2.0, gt=0, description="seconds /ready waits for the subgraphs to answer"
    )
    ws_connection_init_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds a new WebSocket has to send connection_init before it is closed "
        "(4408)",
    )
    ws_max_message_bytes: int = Field(
        default=1_000_000, gt=0, description="a larger WebSocket message closes the socket (1009)"
    )
    ws_max_operations: int = Field(
        default=100,
        gt=0,
        description="operations running on one socket at once, beyond which a subscribe is "
        "answered with an error message",
    )
    sse_keepalive_interval: float = Field(
        default=15.0,
        gt=0,
        description="seconds between keep-alive comments on an idle event stream, so proxies "
        "keep it open and a vanished client is noticed",
    )
    subscription_buffer: int = Field(
        default=32,
        gt=0,
        description="events one subscription may have waiting for its client; one more ends "
        "it with SUBSCRIPTION_TOO_SLOW (the gateway's own entity fetches do not count)",
    )
    subscription_ack_timeout: float = Field(
        default=5.0,
        gt=0,
        description="seconds a subgraph has to answer connection_init with connection_ack",
    )
    subscription_idle_timeout: float | None = Field(
        default=60.0,
        gt=0,
        description="seconds a connection to a subgraph stays open without subscriptions "
        "(one graphql-transport-ws connection per subgraph URL); unset: forever",
    )
    subscription_ping_interval: float | None = Field(
        default=20.0,
        gt=0,
        description="seconds between WebSocket pings on a quiet connection to a subgraph (a "
        "pong may take as long); unset: no pings",
    )
    persisted_queries: PersistedQuerySettings = Field(
        default_factory=PersistedQuerySettings,
        description="automatic persisted queries and trusted documents (docs/persisted-queries.md)",
    )
    browsers: BrowserSettings = Field(
        default_factory=BrowserSettings,
        description="what web pages may do: CORS, the Origin check of WebSockets and event "
        "streams, CSRF prevention (docs/browsers-and-rate-limits.md)",
    )
    rate_limits: RateLimitSettings = Field(
        default_factory=RateLimitSettings,
        description="token buckets per client and operation, in Redis when redis_url is set "
        "(docs/browsers-and-rate-limits.md)",
    )
    auth: AuthSettings = Field(
        default_factory=AuthSettings,
        description="bearer tokens verified against a JWKS, the auth directives enforced "
        "(docs/auth.md); off while jwks is unset",
    )
    demand: DemandSettings = Field(
        default_factory=DemandSettings,
        description="demand control: each operation's cost, estimated from the supergraph "
        "before any fetch, refused over its maximum (docs/demand-control.md)",
    )

    @model_validator(mode="after")
    def _production_switch(self) -> GatewaySettings:
        """``production`` sets what it stands for, and refuses to start without a manifest or
        against a setting that says otherwise."""
        if not self.production:
            return self
        documents = self.persisted_queries
        if documents.manifest is None:
            raise ValueError(
                "production needs a trusted-documents manifest (persisted_queries.manifest): "
                "only the operations it lists may run"
            )
        if "graphiql" in self.model_fields_set and self.graphiql:
            raise ValueError("production turns GraphiQL off; unset graphiql")
        if "expose_query_plans" in self.model_fields_set and self.expose_query_plans:
            raise ValueError("production keeps query plans to itself; unset expose_query_plans")
        if "trusted_documents" in documents.model_fields_set and (
            documents.trusted_documents != "enforce"
        ):
            raise ValueError(
                "production enforces the trusted documents; unset "
                f"persisted_queries.trusted_documents (it says {documents.trusted_documents!r})"
            )
        self.graphiql = False
        self.expose_query_plans = False
        self.persisted_queries = documents.model_copy(update={"trusted_documents": "enforce"})
        return self

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
            share_fetches=self.subgraph_share_fetches,
            share_subscriptions=self.share_subscriptions,
            subscription_buffer=self.subscription_buffer,
            subscription_ack_timeout=self.subscription_ack_timeout,
            subscription_idle_timeout=self.subscription_idle_timeout,
            subscription_ping_interval=self.subscription_ping_interval,
        )

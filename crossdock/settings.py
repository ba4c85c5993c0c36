"""Configuration: a config file, environment variables prefixed ``CROSSDOCK_`` (nested with
``__``) and flags, each overriding the one before (``docs/configuration.md``).

Each component owns its settings record (``ConnectorSettings`` in ``connectors``,
``BusSettings`` in ``events``, ``SystemsSettings`` in ``systems``, ``GatewaySettings`` in
``gateway``, …); :class:`Settings` reads them once and composes them. Nothing below this
package imports it. A field's ``description`` is what ``crossdock config schema`` and the
example file (``crossdock.example.toml``) say about it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cache.factory import CacheSettings
from connectors.settings import ConnectorSettings
from consumers.runtime import ConsumerSettings
from crossdock.config_file import settings_sources
from crossdock.config_keys import KeyPath
from crossdock.demo.settings import DemoSettings
from events.factory import BusSettings
from events.outbox import OutboxSettings, is_postgres_url
from gateway.auth import AuthSettings
from gateway.server import GatewaySettings, RedisUrl
from monitoring.settings import MonitoringConfig, MonitoringSettings
from resolvers.settings import OrdersSettings, WorkflowSettings
from subgraphs.apps import SubgraphName
from subgraphs.settings import SubgraphSettings, WebhookIntakeSettings
from systems.settings import (
    SYSTEM_NAMES,
    FaultSettings,
    SystemName,
    SystemsSettings,
    WmsLifecycleSettings,
)

__all__ = [
    "COMPOSED_DEFAULTS",
    "SYSTEM_NAMES",
    "FaultSettings",
    "HttpUrl",
    "OrdersSettings",
    "Ports",
    "Settings",
    "SystemName",
    "WmsIntake",
    "WmsLifecycle",
]


def _http_url(url: str) -> str:
    """An absolute http(s) URL with a host, so that a typo fails at start rather than as a
    connection error on the first request that uses it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    parts.port  # noqa: B018 -- a ValueError for a port that is not a number or out of range
    return url


def _outbox_location(location: str) -> str:
    """A SQLite file's path or a PostgreSQL URL with a host: another scheme (a MySQL URL, a
    typo) would otherwise be taken for a file name."""
    if "://" not in location:
        return location
    if not is_postgres_url(location):
        raise ValueError("must be a SQLite file's path or a postgresql:// URL")
    parts = urlsplit(location)
    if not parts.hostname and "host=" not in parts.query:
        raise ValueError("a postgresql:// URL needs a host")
    parts.port  # noqa: B018 -- a ValueError for a port that is not a number or out of range
    return location


OutboxLocation = Annotated[str, AfterValidator(_outbox_location)]
"""Where an outbox lives: a SQLite file's path, or a ``postgresql://`` URL."""

HttpUrl = Annotated[
    str,
    AfterValidator(_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"}),
]
"""An ``http://`` or ``https://`` URL with a host."""


class Ports(BaseModel):
    """Loopback ports of every process ``crossdock up`` starts."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    gateway: int = Field(default=4000, ge=1, le=65535, description="the gateway's")
    crm_subgraph: int = Field(default=4001, ge=1, le=65535, description="the crm subgraph's")
    erp_subgraph: int = Field(default=4002, ge=1, le=65535, description="the erp subgraph's")
    wms_subgraph: int = Field(default=4003, ge=1, le=65535, description="the wms subgraph's")
    orders_subgraph: int = Field(default=4004, ge=1, le=65535, description="the orders subgraph's")
    crm_system: int = Field(default=4101, ge=1, le=65535, description="the reference CRM's")
    erp_system: int = Field(default=4102, ge=1, le=65535, description="the reference ERP's")
    wms_system: int = Field(default=4103, ge=1, le=65535, description="the reference WMS's")

    def subgraph(self, name: SubgraphName) -> int:
        """The port of subgraph ``name``."""
        return {
            "crm": self.crm_subgraph,
            "erp": self.erp_subgraph,
            "wms": self.wms_subgraph,
            "orders": self.orders_subgraph,
        }[name]

    def system(self, name: SystemName) -> int:
        """The port of reference system ``name``."""
        return {"crm": self.crm_system, "erp": self.erp_system, "wms": self.wms_system}[name]


class WmsLifecycle(WmsLifecycleSettings):
    """The reference WMS's lifecycle and webhooks (``CROSSDOCK_WMS_LIFECYCLE__…``), plus the one
    setting of the group that the wms subgraph's intake reads beside the secret they share."""

    webhook_url: HttpUrl | None = Field(
        default=None,
        description="where milestone webhooks go; unset: crossdock up sends them to the wms "
        "subgraph's intake, a WMS run alone logs them and keeps them pending",
        examples=["http://127.0.0.1:4003/webhooks/wms"],
    )
    signature_tolerance_seconds: float = Field(
        default=300.0, gt=0, description="how old a signed timestamp the intake still accepts"
    )


class WmsIntake(BaseModel):
    """The wms subgraph's webhook intake and its outbox: by default, with Redis, the SQLite
    file ``<data_dir>/wms-intake-outbox.<events prefix>.sqlite3``, or where ``outbox`` says
    (``CROSSDOCK_WMS_INTAKE__…``, docs/events.md)."""

    model_config = ConfigDict(allow_inf_nan=False)

    outbox: OutboxLocation | None = Field(
        default=None,
        min_length=1,
        description="where the intake's outbox lives: a SQLite file's path, or a "
        "postgresql:// URL (a table per events prefix, shared by every wms replica: "
        "docs/events.md); unset: a SQLite file in data_dir with Redis, memory without",
        examples=["postgresql://crossdock@db.internal:5432/crossdock"],
    )

    outbox_retention_seconds: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="how long a received event stays in the outbox once relayed: its id is "
        "recognized as a duplicate (200) or a reuse (409) for that long",
    )
    outbox_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="how long a webhook waits to write the outbox before it is answered 503",
    )
    publish_wait_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how long a recorded webhook's answer waits for the event to be on the "
        "event bus too (0: not at all); a bus that is down is not waited for",
    )
    replay_window_seconds: float | None = Field(
        default=None,
        gt=0,
        description="after the event bus lost its streams (Redis restarted empty), the events "
        "relayed this long ago or later are relayed again; unset: the outbox retention",
    )


COMPOSED_DEFAULTS: Mapping[KeyPath, str] = {
    ("gateway", "redis_url"): "the graph's redis_url (REDIS_URL)",
    ("gateway", "redis_prefix"): 'cache_prefix + "gateway:"',
    ("gateway", "auth"): "the graph's auth (CROSSDOCK_AUTH__*)",
}
"""Settings whose default is composed from others by :class:`Settings` (what they default
to): the example file leaves them out, since a value written there would stop following."""


class Settings(BaseSettings):
    """Everything configurable, read once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="CROSSDOCK_", env_nested_delimiter="__", extra="ignore", allow_inf_nan=False
    )

    host: str = Field(default="127.0.0.1", description="the interface every service binds")
    ports: Ports = Ports()
    data_dir: Path = Field(
        default=Path(".crossdock"),
        description="where the systems keep their SQLite files, the orders subgraph its "
        "workflow journal (without Redis), the wms subgraph its webhook outbox and crossdock "
        "up its composed supergraph",
    )
    seed: int = Field(default=7, description="seed number of the deterministic demo data")
    redis_url: RedisUrl | None = Field(
        default=None,
        validation_alias=AliasChoices("CROSSDOCK_REDIS_URL", "REDIS_URL"),
        description="Redis for the cache, idempotency records, workflow state, events and "
        "the gateway's shared state (REDIS_URL in the environment); in memory when unset",
        examples=["redis://127.0.0.1:6379/0"],
    )
    crm_url: HttpUrl | None = Field(
        default=None,
        description="where the subgraphs find the CRM; unset: its own port on host",
        examples=["http://127.0.0.1:4101"],
    )
    erp_url: HttpUrl | None = Field(
        default=None,
        description="where the subgraphs find the ERP; unset: its own port on host",
        examples=["http://127.0.0.1:4102"],
    )
    wms_url: HttpUrl | None = Field(
        default=None,
        description="where the subgraphs find the WMS; unset: its own port on host",
        examples=["http://127.0.0.1:4103"],
    )
    crm_faults: FaultSettings = Field(
        default=FaultSettings(), description="fault injection in the reference CRM"
    )
    erp_faults: FaultSettings = Field(
        default=FaultSettings(), description="fault injection in the reference ERP"
    )
    wms_faults: FaultSettings = Field(
        default=FaultSettings(), description="fault injection in the reference WMS"
    )
    system_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how long a subgraph waits for its system (429 retries and their waits "
        "included) before the field fails with SUBGRAPH_ERROR",
    )
    subgraph_request_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="seconds one subgraph request may spend on its system calls, all told "
        "(shortened to the gateway's time left when it forwards less: docs/deadlines.md)",
    )
    system_max_retries: int = Field(
        default=2, ge=0, description="bounded retries of a system's 429 answer"
    )
    system_max_retry_after_seconds: float = Field(
        default=2.0, ge=0, description="Retry-After is honoured up to this many seconds"
    )
    system_max_response_bytes: int = Field(
        default=16 << 20,
        gt=0,
        description="a system's answer over this many bytes fails the call (SUBGRAPH_ERROR): "
        "a system that answers without end costs a bounded amount of memory",
    )
    system_max_connections: int = Field(
        default=16,
        gt=0,
        description="connections one process keeps to one system at once, each system its "
        "own pool (calls in flight; more wait for one to come free): a reference system is one "
        "process over SQLite, which answers a few calls at a time no faster than one by one",
    )
    reference_cache_ttl_seconds: int = Field(
        default=300,
        gt=0,
        description="how long reference data (products, accounts, centers, price lists) is cached",
    )
    cache_prefix: str = Field(
        default="crossdock:",
        description="every cache key starts with this, so several graphs (or test runs) can "
        "share one Redis",
    )
    events_prefix: str | None = Field(
        default=None,
        min_length=1,
        description='every event stream key starts with this; unset: cache_prefix + "events:'
        "seed\" + seed, so graphs over other datasets never read each other's streams",
        examples=["ci-run-42:events:"],
    )
    gateway: GatewaySettings = Field(
        default=GatewaySettings(),
        description="the gateway: front-door limits, subgraph timeouts, caches, reloading, "
        "subscriptions",
    )
    orders: OrdersSettings = OrdersSettings()
    monitoring: MonitoringSettings = Field(
        default=MonitoringSettings(),
        description="business activity monitoring: each stage's threshold and expected "
        "duration for the orders at risk (docs/operations.md)",
    )
    wms_lifecycle: WmsLifecycle = WmsLifecycle()
    wms_intake: WmsIntake = WmsIntake()
    auth: AuthSettings = Field(
        default=AuthSettings(),
        description="identity: bearer tokens verified at the gateway and again by every "
        "subgraph, the auth directives enforced (docs/auth.md); off while jwks is unset",
    )
    demo: DemoSettings = Field(
        default=DemoSettings(),
        description="demo traffic with crossdock up (--demo): orders and returns through the "
        "gateway, the WMS timer on (docs/operations-page.md)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (keyword arguments) over the environment over the config file."""
        environment = (env_settings, dotenv_settings, file_secret_settings)
        return settings_sources(settings_cls, init_settings, environment)

    def system_port(self, system: SystemName) -> int:
        return self.ports.system(system)

    @property
    def client_host(self) -> str:
        """How this machine's clients reach ``host``: a wildcard bind is reached on loopback,
        an IPv6 address in brackets."""
        if self.host in ("", "0.0.0.0"):
            return "127.0.0.1"
        if self.host == "::":
            return "[::1]"
        return f"[{self.host}]" if ":" in self.host else self.host

    def system_url(self, system: SystemName) -> str:
        """Base URL a subgraph uses to reach its system."""
        override = {"crm": self.crm_url, "erp": self.erp_url, "wms": self.wms_url}[system]
        return override or f"http://{self.client_host}:{self.system_port(system)}"

    @property
    def reference_cache_prefix(self) -> str:
        """Where the subgraphs keep reference data: ``cache_prefix`` plus the identity of the
        data (its seed), so subgraphs over different datasets sharing one Redis never read
        each other's entries."""
        return f"{self.cache_prefix}seed{self.seed}:"

    @property
    def orders_prefix(self) -> str:
        """Where the orders subgraph keeps its workflow journal and leases in Redis: per
        dataset, like the reference cache (which holds its idempotency records), so a key
        replayed against another dataset sharing the Redis is not answered with an order
        of this one."""
        return f"{self.cache_prefix}orders:seed{self.seed}:"

    @property
    def event_streams_prefix(self) -> str:
        """Where the event bus keeps its streams in Redis: ``events_prefix`` when set, else
        ``cache_prefix`` + ``events:`` + the identity of the data (its seed). A milestone names
        orders and shipments of one dataset, so graphs over different datasets (or test runs,
        or CI beside a developer) sharing one Redis must not read each other's streams."""
        if self.events_prefix is not None:
            return self.events_prefix
        return f"{self.cache_prefix}events:seed{self.seed}:"

    @property
    def monitoring_path(self) -> Path:
        """The monitoring's SQLite file without Redis: in ``data_dir``, per dataset (its seed),
        like the journal's facts it shares orders with."""
        return self.data_dir / f"monitoring.seed{self.seed}.sqlite3"

    @property
    def monitoring_config(self) -> MonitoringConfig:
        """The monitoring's policy and store: Redis under ``cache_prefix`` + ``monitoring:`` +
        the dataset's seed when ``redis_url`` is set, else :attr:`monitoring_path`."""
        return MonitoringConfig(
            path=self.monitoring_path,
            redis_url=self.redis_url,
            prefix=f"{self.cache_prefix}monitoring:seed{self.seed}:",
            policy=self.monitoring,
        )

    @property
    def wms_intake_outbox_path(self) -> Path | None:
        """The wms intake's outbox when it is a SQLite file: ``wms_intake.outbox`` when that is
        a path, else with Redis a file in ``data_dir`` per event streams' prefix (its ids and
        rows belong to those streams: another prefix is another dataset's streams, or another
        test run's); ``None`` in PostgreSQL, or with the in-process bus, whose streams do not
        outlive the process either (docs/events.md)."""
        location = self.wms_intake.outbox
        if location is not None:
            return None if is_postgres_url(location) else Path(location)
        if not self.redis_url:
            return None
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.event_streams_prefix).strip("-.")
        return self.data_dir / f"wms-intake-outbox.{name or 'events'}.sqlite3"

    @property
    def wms_intake_outbox(self) -> OutboxSettings:
        """Where the wms intake's outbox is, and for how long it keeps what it was given."""
        location = self.wms_intake.outbox
        return OutboxSettings(
            location=location
            if location is not None and is_postgres_url(location)
            else self.wms_intake_outbox_path,
            namespace=self.event_streams_prefix,
            retention_seconds=self.wms_intake.outbox_retention_seconds,
            timeout_seconds=self.wms_intake.outbox_timeout_seconds,
        )

    @model_validator(mode="after")
    def _gateway_shares_our_redis(self) -> Settings:
        """The gateway keeps its shared state in the graph's Redis, under ``cache_prefix``,
        unless ``CROSSDOCK_GATEWAY__REDIS_URL`` / ``__REDIS_PREFIX`` say otherwise."""
        chosen = self.gateway.model_fields_set
        update: dict[str, object] = {}
        if "redis_url" not in chosen:
            update["redis_url"] = self.redis_url
        if "redis_prefix" not in chosen:
            update["redis_prefix"] = f"{self.cache_prefix}gateway:"
        if "auth" not in chosen:
            update["auth"] = self.auth
        browsers = self.gateway.browsers
        own = self.host.strip("[]").lower()
        if (
            "own_hosts" not in browsers.model_fields_set
            and own not in ("", "0.0.0.0", "::")
            and own not in browsers.own_hosts
        ):
            # Served on a specific address, its GraphiQL is a page of that address.
            own_hosts = [*browsers.own_hosts, own]
            update["browsers"] = browsers.model_copy(update={"own_hosts": own_hosts})
        if update:
            self.gateway = self.gateway.model_copy(update=update)
        return self

    # The components' own settings, composed from the fields above.

    @property
    def connectors(self) -> ConnectorSettings:
        """Where the systems are and how a client calls them."""
        return ConnectorSettings(
            crm_url=self.system_url("crm"),
            erp_url=self.system_url("erp"),
            wms_url=self.system_url("wms"),
            timeout_seconds=self.system_timeout_seconds,
            max_retries=self.system_max_retries,
            max_retry_after_seconds=self.system_max_retry_after_seconds,
            max_response_bytes=self.system_max_response_bytes,
            max_connections=self.system_max_connections,
        )

    @property
    def reference_cache(self) -> CacheSettings:
        """The subgraphs' reference cache, which also holds the records of events seen and of
        idempotency keys."""
        return CacheSettings(self.redis_url, self.reference_cache_prefix)

    @property
    def bus(self) -> BusSettings:
        """The event bus every service of this dataset shares."""
        return BusSettings(self.redis_url, self.event_streams_prefix)

    @property
    def systems(self) -> SystemsSettings:
        """The reference systems'."""
        return SystemsSettings(
            data_dir=self.data_dir,
            seed=self.seed,
            crm_faults=self.crm_faults,
            erp_faults=self.erp_faults,
            wms_faults=self.wms_faults,
            wms_lifecycle=self.wms_lifecycle,
        )

    @property
    def workflows(self) -> WorkflowSettings:
        """The orchestration's (the orders subgraph's workflows)."""
        return WorkflowSettings(
            connectors=self.connectors,
            journal_dir=self.data_dir,
            state=CacheSettings(self.redis_url, self.orders_prefix),
            cache=self.reference_cache,
            reference_ttl_seconds=self.reference_cache_ttl_seconds,
            orders=self.orders,
            monitoring=self.monitoring_config,
        )

    @property
    def subgraphs(self) -> SubgraphSettings:
        """Every subgraph's."""
        return SubgraphSettings(
            connectors=self.connectors,
            webhooks=WebhookIntakeSettings(
                secret=self.wms_lifecycle.webhook_secret,
                tolerance_seconds=self.wms_lifecycle.signature_tolerance_seconds,
                outbox=self.wms_intake_outbox,
                publish_wait_seconds=self.wms_intake.publish_wait_seconds,
                replay_window_seconds=self.wms_intake.replay_window_seconds,
            ),
            workflows=self.workflows,
            cache=self.reference_cache,
            reference_ttl_seconds=self.reference_cache_ttl_seconds,
            bus=self.bus,
            request_timeout_seconds=self.subgraph_request_timeout_seconds,
            auth=self.auth,
            monitoring=self.monitoring_config,
        )

    @property
    def consumers(self) -> ConsumerSettings:
        """The milestone consumers'."""
        return ConsumerSettings(
            connectors=self.connectors,
            cache=self.reference_cache,
            monitoring=self.monitoring_config,
        )

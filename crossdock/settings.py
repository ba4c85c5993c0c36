"""Configuration: environment variables prefixed ``CROSSDOCK_`` (nested with ``__``) and flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.server import GatewaySettings

__all__ = [
    "SYSTEM_NAMES",
    "FaultSettings",
    "OrdersSettings",
    "Ports",
    "Settings",
    "SystemName",
    "WmsLifecycleSettings",
]

SystemName = Literal["crm", "erp", "wms"]
SYSTEM_NAMES: tuple[SystemName, ...] = ("crm", "erp", "wms")


class FaultSettings(BaseModel):
    """Fault injection for one reference system: what a flaky real backend would do."""

    latency_ms: int = Field(default=0, ge=0, description="added to every request")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share answered 503")
    rate_limit_per_second: float | None = Field(
        default=None, gt=0, description="requests per second before 429 with Retry-After"
    )
    routes: list[str] | None = Field(
        default=None,
        description='only these routes, as /_admin/stats counts them ("POST /salesOrders"); '
        "every route when unset",
    )


class Ports(BaseModel):
    """Loopback ports of every process ``crossdock up`` starts."""

    gateway: int = Field(default=4000, ge=1, le=65535)
    crm_subgraph: int = Field(default=4001, ge=1, le=65535)
    erp_subgraph: int = Field(default=4002, ge=1, le=65535)
    wms_subgraph: int = Field(default=4003, ge=1, le=65535)
    orders_subgraph: int = Field(default=4004, ge=1, le=65535)
    crm_system: int = Field(default=4101, ge=1, le=65535)
    erp_system: int = Field(default=4102, ge=1, le=65535)
    wms_system: int = Field(default=4103, ge=1, le=65535)


class OrdersSettings(BaseModel):
    """The orders subgraph's workflows (``CROSSDOCK_ORDERS__…``)."""

    # How long an idempotency key answers its first result.
    idempotency_retention_seconds: int = Field(default=86_400, gt=0)
    # Centers in the order the PRIORITY allocation strategy tries them (and breaks ties).
    center_priority: list[str] = Field(default=["ORD1", "ATL1", "EWR1", "RNO1"])


class WmsLifecycleSettings(BaseModel):
    """How the reference WMS moves released orders along and sends their milestone webhooks
    (``CROSSDOCK_WMS_LIFECYCLE__…``); the ``wms`` subgraph verifies with the same secret."""

    # Seconds between two steps of every released order; None: only POST /_admin/advance.
    speed_seconds: float | None = Field(default=None, gt=0)
    # Chance that a step which can go wrong does (delay, damage, address, short pick).
    exception_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # Where milestone webhooks go; None: they are logged and kept pending, never sent.
    webhook_url: str | None = None
    webhook_secret: str = Field(default="crossdock-dev-webhook-secret", min_length=1)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # Exponential backoff between attempts (jittered, capped), and when to give up.
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=12, ge=1)
    # How old a signed timestamp the intake still accepts.
    signature_tolerance_seconds: float = Field(default=300.0, gt=0)


class Settings(BaseSettings):
    """Everything configurable, read once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="CROSSDOCK_", env_nested_delimiter="__", extra="ignore"
    )

    host: str = "127.0.0.1"
    ports: Ports = Ports()
    data_dir: Path = Path(".crossdock")
    seed: int = Field(default=7, description="seed number of the deterministic demo data")
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CROSSDOCK_REDIS_URL", "REDIS_URL")
    )
    # Where the subgraphs find the systems; default: the systems' own ports on ``host``.
    crm_url: str | None = None
    erp_url: str | None = None
    wms_url: str | None = None
    crm_faults: FaultSettings = FaultSettings()
    erp_faults: FaultSettings = FaultSettings()
    wms_faults: FaultSettings = FaultSettings()
    # How long a subgraph waits for its system before the field fails with SUBGRAPH_ERROR.
    system_timeout_seconds: float = Field(default=5.0, gt=0)
    # Bounded retries of a 429 answer; Retry-After is honoured up to this many seconds.
    system_max_retries: int = Field(default=2, ge=0)
    system_max_retry_after_seconds: float = Field(default=2.0, ge=0)
    reference_cache_ttl_seconds: int = Field(default=300, gt=0)
    # Every cache key starts with this, so several graphs (or test runs) can share one Redis.
    cache_prefix: str = "crossdock:"
    # Every event stream key starts with this (CROSSDOCK_EVENTS_PREFIX); unset: the dataset's
    # own, ``event_streams_prefix``.
    events_prefix: str | None = Field(default=None, min_length=1)
    # Front-door limits, subgraph timeouts, caches and reloading (CROSSDOCK_GATEWAY__MAX_DEPTH…).
    gateway: GatewaySettings = GatewaySettings()
    orders: OrdersSettings = OrdersSettings()
    wms_lifecycle: WmsLifecycleSettings = WmsLifecycleSettings()

    def faults(self, system: SystemName) -> FaultSettings:
        """The fault settings of one system."""
        return {"crm": self.crm_faults, "erp": self.erp_faults, "wms": self.wms_faults}[system]

    def system_port(self, system: SystemName) -> int:
        return {
            "crm": self.ports.crm_system,
            "erp": self.ports.erp_system,
            "wms": self.ports.wms_system,
        }[system]

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

    def system_db_path(self, system: SystemName) -> Path:
        return self.data_dir / f"{system}.sqlite3"

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

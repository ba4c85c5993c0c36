"""What configures a subgraph: its system, its reference cache, and for some one more part.

``crossdock/settings.py`` composes a :class:`SubgraphSettings` from the environment and flags;
the subgraphs read nothing else. Every subgraph takes the same record and reads what it uses:
the wms subgraph its webhook intake and bus, the orders subgraph its workflows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cache.factory import CacheSettings
from connectors.settings import ConnectorSettings
from events.factory import BusSettings
from events.outbox import OutboxSettings
from gateway.auth import AuthSettings
from monitoring.settings import MonitoringConfig
from resolvers.settings import WorkflowSettings

__all__ = ["SubgraphSettings", "WebhookIntakeSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookIntakeSettings:
    """The wms subgraph's intake of the WMS's webhooks: the secret they are signed with (the
    WMS's), and how old a signed timestamp it still accepts.

    An event is acknowledged once it is committed to the outbox ``outbox`` (a SQLite file, a
    PostgreSQL table, or memory: for tests), where its id is remembered for the outbox's
    retention against duplicates; a write that waits more than its timeout for it is
    answered 503, and the answer waits up to
    ``publish_wait_seconds`` for the event to be on the bus too. After the bus lost events,
    those relayed within ``replay_window_seconds`` (``None``: the retention) are relayed again
    (``docs/events.md``)."""

    secret: str
    tolerance_seconds: float = 300.0
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    publish_wait_seconds: float = 1.0
    replay_window_seconds: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubgraphSettings:
    """Every subgraph's settings. ``cache`` holds reference data (products, accounts, centers,
    price lists) for ``reference_ttl_seconds``; ``bus`` is where the wms subgraph publishes the
    milestones its intake receives and where its subscriptions read them. A request's system
    calls end within ``request_timeout_seconds`` (or the gateway's time left, if shorter;
    ``None``: only the gateway's, and each call's own timeout)."""

    connectors: ConnectorSettings
    webhooks: WebhookIntakeSettings
    workflows: WorkflowSettings
    cache: CacheSettings = field(default_factory=CacheSettings)
    reference_ttl_seconds: float = 300.0
    bus: BusSettings = field(default_factory=BusSettings)
    request_timeout_seconds: float | None = 30.0
    # How a subgraph verifies the token the gateway forwards (the gateway's own settings);
    # auth off while ``auth.jwks`` is unset.
    auth: AuthSettings = field(default_factory=AuthSettings)
    # The business monitoring the wms subgraph serves as ``operations`` (``None``: not served
    # with figures: every field fails with MONITORING_OFF).
    monitoring: MonitoringConfig | None = None

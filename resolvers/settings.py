"""What configures the orchestration: its policies, where the systems are, where its state lives.

``OrdersSettings`` is read from ``CROSSDOCK_ORDERS__…``; ``crossdock/settings.py`` composes a
:class:`WorkflowSettings` around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cache.factory import CacheSettings
from connectors.settings import ConnectorSettings
from monitoring.settings import MonitoringConfig

__all__ = ["OrdersSettings", "WorkflowSettings"]


class OrdersSettings(BaseModel):
    """The workflows' policies (``CROSSDOCK_ORDERS__…``)."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    idempotency_retention_seconds: int = Field(
        default=86_400, gt=0, description="how long an idempotency key answers its first result"
    )
    center_priority: list[str] = Field(
        default=["ORD1", "ATL1", "EWR1", "RNO1"],
        description="centers in the order the PRIORITY allocation strategy tries them (and "
        "breaks ties)",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowSettings:
    """Everything :class:`~resolvers.service.OrdersService` is built from.

    ``state`` is where the journal and the leases live in Redis (a SQLite journal in
    ``journal_dir`` and in-process leases when its ``redis_url`` is unset); ``cache`` holds the
    idempotency records.
    """

    connectors: ConnectorSettings
    journal_dir: Path
    state: CacheSettings = field(default_factory=CacheSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    reference_ttl_seconds: float = 300.0
    orders: OrdersSettings = field(default_factory=OrdersSettings)
    # Where the workflows' outcomes are recorded for the business monitoring (``None``: not).
    monitoring: MonitoringConfig | None = None

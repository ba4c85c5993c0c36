"""What configures the monitoring: each stage's threshold and expected duration, and where its
state lives.

``MonitoringSettings`` is the ``[monitoring]`` table (``CROSSDOCK_MONITORING__…``);
``crossdock/settings.py`` composes a :class:`MonitoringConfig` around it with the store: Redis
when ``REDIS_URL`` is set, else a SQLite file in the data dir.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "OPEN_STAGES",
    "RETENTION_SECONDS",
    "MonitoringConfig",
    "MonitoringSettings",
    "StageMinutes",
]

RETENTION_SECONDS = 720 * 3600.0
"""The longest window (720 h): samples and seen event ids older than this are pruned."""

OPEN_STAGES = (
    "SUBMITTED",
    "ON_HOLD",
    "BACKORDERED",
    "RELEASED",
    "PICKING",
    "PICKED",
    "PACKED",
    "SHIPPED",
    "IN_TRANSIT",
    "OUT_FOR_DELIVERY",
)
"""The stages an open order can be in, least advanced first (the path to DELIVERED)."""


def _minutes(default: float, what: str) -> float:
    return Field(default=default, gt=0, description=what)


class StageMinutes(BaseModel):
    """Minutes per stage an order can be in."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    submitted: float = _minutes(30, "entered in the ERP, not yet released to a warehouse")
    on_hold: float = _minutes(1440, "held (credit, manual review)")
    backordered: float = _minutes(10080, "waiting for stock at the warehouse")
    released: float = _minutes(240, "released to the warehouse, picking not started")
    picking: float = _minutes(240, "being picked")
    picked: float = _minutes(120, "picked, not packed")
    packed: float = _minutes(240, "packed, not shipped")
    shipped: float = _minutes(1440, "handed to the carrier, not yet in transit")
    in_transit: float = _minutes(4320, "in transit")
    out_for_delivery: float = _minutes(720, "out for delivery")

    def seconds(self, stage: str) -> float | None:
        """The minutes of ``stage`` (an upper-case stage name) in seconds; ``None`` for a
        stage without any (a finished one)."""
        minutes: float | None = getattr(self, stage.lower(), None)
        return None if minutes is None else minutes * 60.0


def _expected() -> StageMinutes:
    return StageMinutes(
        submitted=5,
        on_hold=240,
        backordered=2880,
        released=60,
        picking=60,
        picked=30,
        packed=60,
        shipped=240,
        in_transit=1440,
        out_for_delivery=240,
    )


class MonitoringSettings(BaseModel):
    """The business monitoring's policy (``CROSSDOCK_MONITORING__…``; docs/operations.md)."""

    model_config = ConfigDict(allow_inf_nan=False)

    stuck_after_minutes: StageMinutes = Field(
        default_factory=StageMinutes,
        description="an open order is at risk (STUCK_IN_STAGE) once it has been in a stage "
        "this long",
    )
    expected_minutes: StageMinutes = Field(
        default_factory=_expected,
        description="how long an order usually spends in each stage: an order whose stages "
        "left to delivery take longer than its promised date leaves is at risk "
        "(PROMISE_AT_RISK)",
    )
    inventory_cache_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how long the ERP-booked vs WMS on-hand comparison is cached",
    )
    at_risk_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often the at-risk subscription re-evaluates the list (stuck-ness "
        "grows with time, not only with events)",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringConfig:
    """The policy and the store: Redis at ``redis_url`` under ``prefix``, else the SQLite file
    ``path``."""

    path: Path
    redis_url: str | None = None
    prefix: str = "crossdock:monitoring:"
    policy: MonitoringSettings = field(default_factory=MonitoringSettings)

"""What configures the reference systems: where their data lives, their faults, the WMS's pace.

``crossdock/settings.py`` composes a :class:`SystemsSettings` from the environment and flags;
the systems read nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SYSTEM_NAMES", "FaultSettings", "SystemName", "SystemsSettings", "WmsLifecycleSettings"]

SystemName = Literal["crm", "erp", "wms"]
"""The reference systems."""
SYSTEM_NAMES: tuple[SystemName, ...] = ("crm", "erp", "wms")


class FaultSettings(BaseModel):
    """Fault injection for one reference system: what a flaky real backend would do."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    latency_ms: int = Field(default=0, ge=0, description="added to every request")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share answered 503")
    rate_limit_per_second: float | None = Field(
        default=None,
        gt=0,
        description="requests per second before 429 with Retry-After",
        examples=[20.0],
    )
    routes: list[str] | None = Field(
        default=None,
        description='only these routes, as /_admin/stats counts them ("POST /salesOrders"); '
        "every route when unset",
        examples=[["POST /salesOrders"]],
    )


class WmsLifecycleSettings(BaseModel):
    """How the reference WMS moves released orders along and sends their milestone webhooks
    (``CROSSDOCK_WMS_LIFECYCLE__…``)."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    speed_seconds: float | None = Field(
        default=None,
        gt=0,
        description="seconds between two steps of every released order; unset: orders move "
        "only on POST /_admin/advance",
        examples=[5.0],
    )
    exception_rate: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="chance that a step which can go wrong does (delay, damage, address, "
        "short pick)",
    )
    webhook_url: str | None = Field(
        default=None,
        description="where milestone webhooks go; unset: they are logged and kept pending, "
        "never sent",
    )
    webhook_secret: str = Field(
        default="crossdock-dev-webhook-secret",
        min_length=1,
        description="the secret webhooks are signed with (the default is public: set your own "
        "on anything but loopback)",
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, description="how long one webhook delivery may take"
    )
    retry_base_seconds: float = Field(
        default=1.0,
        gt=0,
        description="first wait of the exponential backoff between delivery attempts (jittered)",
    )
    retry_max_seconds: float = Field(
        default=60.0, gt=0, description="longest wait between delivery attempts"
    )
    max_attempts: int = Field(
        default=12, ge=1, description="delivery attempts before a webhook is given up"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemsSettings:
    """The reference systems' settings: one SQLite file each in ``data_dir``, seeded from
    ``seed``; each system's faults; the WMS's lifecycle and webhooks."""

    data_dir: Path
    seed: int = 7
    crm_faults: FaultSettings = field(default_factory=FaultSettings)
    erp_faults: FaultSettings = field(default_factory=FaultSettings)
    wms_faults: FaultSettings = field(default_factory=FaultSettings)
    wms_lifecycle: WmsLifecycleSettings = field(default_factory=WmsLifecycleSettings)

    def faults(self, system: SystemName) -> FaultSettings:
        """The fault settings of one system."""
        return {"crm": self.crm_faults, "erp": self.erp_faults, "wms": self.wms_faults}[system]

    def db_path(self, system: SystemName) -> Path:
        """The SQLite file of one system."""
        return self.data_dir / f"{system}.sqlite3"

"""The demo traffic's settings (``[demo]``, ``CROSSDOCK_DEMO__…``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DemoSettings"]


class DemoSettings(BaseModel):
    """How much traffic ``crossdock up --demo`` makes; bounded: one action at a time."""

    model_config = ConfigDict(allow_inf_nan=False)

    enabled: bool = Field(
        default=False,
        description="on: crossdock up makes demo traffic (as --demo does): orders and returns "
        "through the gateway, and the WMS timer on",
    )
    order_interval_seconds: float = Field(
        default=10.0,
        ge=0.1,
        le=3600,
        description="seconds between two demo actions (one submitOrder, or one return)",
    )
    return_every: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="every Nth action is a return (requested, then received) of a delivered "
        "demo order, when one is delivered",
    )
    wms_speed_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="the WMS timer's step with the demo on, unless "
        "wms_lifecycle.speed_seconds sets one",
    )

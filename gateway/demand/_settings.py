"""Demand control's settings (``CROSSDOCK_GATEWAY__DEMAND__<KEY>``), Apollo Router's
``demand_control`` with its ``static_estimated`` strategy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DemandSettings"]


class DemandSettings(BaseModel):
    """How operations are costed, and what is refused (docs/demand-control.md).

    The defaults refuse the nested-list queries that can take the graph down (seven levels
    of ``account { cases { … } }`` estimate 12 million) and admit every query the README,
    ``docs/``, ``bench/`` and the tests send, with room to spare (the largest, fedbench's
    four nested lists, estimates 24,420; ``tests/gateway/demand/test_examples.py`` checks).
    """

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    enabled: bool = Field(
        default=True, description="off: no operation is costed, measured or refused"
    )
    mode: Literal["measure", "enforce"] = Field(
        default="enforce",
        description="measure: compute, log and export costs, never refuse (how a limit is "
        "rolled out); enforce: refuse an operation whose estimate is over max before any fetch",
    )
    max: float = Field(
        default=50_000,
        ge=0,
        description="the largest estimated cost admitted (COST_ESTIMATED_TOO_EXPENSIVE over it)",
    )
    list_size: int = Field(
        default=10,
        ge=0,
        description="the assumed length of a list without a @listSize size (slicing argument "
        "or assumedSize)",
    )
    actual_max: float | None = Field(
        default=None,
        ge=0,
        description="the largest actual cost (of what a response holds) answered: over it, "
        "enforce mode answers COST_ACTUAL_TOO_EXPENSIVE instead of the data; unset: not checked",
    )

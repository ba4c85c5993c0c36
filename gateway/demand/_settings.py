"""Demand control's settings (``CROSSDOCK_GATEWAY__DEMAND__<KEY>``), Apollo Router's
``demand_control`` with its ``static_estimated`` strategy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["DemandSettings"]


class DemandSettings(BaseModel):
    """How operations are costed, and what is refused.

    The defaults refuse the nested-list queries that can take the graph down (seven levels
    of ``account { cases { … } }`` estimate 12 million) and admit every query the README,
    ``docs/``, ``bench/`` and the tests send, with room to spare (the largest, fedbench's
    four nested lists, estimates 24,420; ``tests/gateway/demand/test_examples.py`` checks).
    """

    # Off: nothing is costed, measured or refused.
    enabled: bool = True
    # ``measure`` computes, logs and exports costs but never refuses (how a limit is rolled
    # out); ``enforce`` refuses an operation whose estimate is over ``max`` before any fetch.
    mode: Literal["measure", "enforce"] = "enforce"
    # The largest estimated cost admitted.
    max: float = Field(default=50_000, ge=0)
    # The assumed length of a list without ``@listSize`` (or without a size it can read).
    list_size: int = Field(default=10, ge=0)
    # The largest actual cost (of what the response holds) answered; over it, enforce mode
    # answers COST_ACTUAL_TOO_EXPENSIVE instead of the data. None: not checked.
    actual_max: float | None = Field(default=None, ge=0)

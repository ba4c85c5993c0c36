"""The business monitoring in the graph: the ``operations`` root field and the
``ordersAtRiskChanged`` subscription, over the wms subgraph's ``Monitor``
(``info.context.monitor``; docs/operations.md).

Both are staff only: ``@authenticated`` and ``@requiresScopes(scopes: [["staff"]])`` for the
gateway, and checked again here (``FORBIDDEN``). The subscription evaluates the at-risk list
when it starts (its first message is the list then) and again every
``at_risk_interval_seconds``, since an order becomes stuck by time passing as much as by
events; it sends a message only when the list changed: the orders added (or at risk for
another reason), the ids removed, and the whole list.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Final

from graphql import GraphQLError

from monitoring import MAX_WINDOW_HOURS, AtRisk
from subgraphs.common.errors import BadUserInput
from subgraphs.wms.types import Info
from subgraphs.wms.types.monitoring import (
    Operations,
    OrderAtRisk,
    OrdersAtRiskChange,
    monitor_of,
    utc,
)

__all__ = ["AT_RISK_LIST_SIZE", "FORBIDDEN", "operations", "orders_at_risk_changed"]

FORBIDDEN: Final = "FORBIDDEN"

AT_RISK_LIST_SIZE: Final = 500
"""How many orders at risk the subscription follows (the longest at risk)."""


def _staff_only(info: Info) -> None:
    actor = info.context.actor
    if actor.restricted and not actor.staff:
        raise GraphQLError("operations are for staff only", extensions={"code": FORBIDDEN})


async def operations(info: Info, window_hours: int = 24) -> Operations:
    """Business activity monitoring over the last ``window_hours`` (default 24, 1..720)."""
    _staff_only(info)
    if not 1 <= window_hours <= MAX_WINDOW_HOURS:
        raise BadUserInput(f"windowHours must be 1 to {MAX_WINDOW_HOURS}, got {window_hours}")
    start, end = monitor_of(info).window(window_hours)
    return Operations(window_start=utc(start), window_end=utc(end))


def _change(before: dict[str, AtRisk] | None, now: dict[str, AtRisk]) -> OrdersAtRiskChange | None:
    previous = before or {}
    added = [r for oid, r in now.items() if oid not in previous or previous[oid].reason != r.reason]
    removed = [oid for oid in previous if oid not in now]
    if before is not None and not added and not removed:
        return None
    return OrdersAtRiskChange(
        added=[OrderAtRisk.of(r) for r in added],
        removed_order_ids=removed,  # type: ignore[arg-type]
        at_risk=[OrderAtRisk.of(r) for r in now.values()],
    )


async def orders_at_risk_changed(info: Info) -> AsyncIterator[OrdersAtRiskChange]:
    """The at-risk list each time it changes (first message: the list now)."""
    _staff_only(info)
    monitor = monitor_of(info)
    interval = monitor.policy.at_risk_interval_seconds
    before: dict[str, AtRisk] | None = None
    while True:
        now = {r.order_id: r for r in await monitor.at_risk(AT_RISK_LIST_SIZE)}
        change = _change(before, now)
        before = now
        if change is not None:
            yield change
        await asyncio.sleep(interval)

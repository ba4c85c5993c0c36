"""Whether an open order is at risk, why and since when, from its state and the policy.

Every risk has a moment it begins (``due``), known when the order's state is written: the end
of the stage's threshold (``STUCK_IN_STAGE``); the moment the stages left to delivery, at
their expected durations, no longer fit before the end of the promised day
(``PROMISE_AT_RISK``); a shipment's delay or exception (at once). The stores index each open
order by its earliest ``due``, so "at risk now" is a range read of that index (``due <=
now``) and the reasons are worked out for the few orders it returns, with the clock of the
read: stuck-ness grows with time, not only with events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from monitoring.records import AtRiskReason, OrderState
from monitoring.settings import MonitoringSettings

__all__ = ["Risk", "due_at", "risks"]

# The path to delivery from each stage: the stages still to pass through, this one included.
_PATH = ("SUBMITTED", "RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "IN_TRANSIT",
         "OUT_FOR_DELIVERY")  # fmt: skip
_SEVERITY = {
    AtRiskReason.SHIPMENT_EXCEPTION: 0,
    AtRiskReason.SHIPMENT_DELAYED: 1,
    AtRiskReason.PROMISE_AT_RISK: 2,
    AtRiskReason.STUCK_IN_STAGE: 3,
}


@dataclass(frozen=True, slots=True)
class Risk:
    """One reason an order is at risk: from ``since`` (epoch seconds), ``detail`` for people."""

    reason: AtRiskReason
    since: float
    due: float
    detail: str


def _later(stage: str) -> list[str]:
    if stage in _PATH:
        return list(_PATH[_PATH.index(stage) + 1 :])
    return list(_PATH[1:])  # on hold, backordered: released (and on) once it moves again


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def _all(state: OrderState, policy: MonitoringSettings) -> list[Risk]:
    if not state.open:
        return []
    found: list[Risk] = []
    stage, since = state.stage, state.since
    threshold = policy.stuck_after_minutes.seconds(stage)
    if threshold is not None:
        found.append(
            Risk(
                AtRiskReason.STUCK_IN_STAGE,
                since,
                since + threshold,
                f"in {stage} longer than its threshold of {_hours(threshold)}",
            )
        )
    if state.promised_date is not None:
        deadline = datetime.combine(state.promised_date + timedelta(days=1), time(), UTC)
        end = deadline.timestamp()
        expected = policy.expected_minutes
        later = sum(expected.seconds(s) or 0.0 for s in _later(stage))
        here = expected.seconds(stage) or 0.0
        due = since if since + here + later > end else end - later
        found.append(
            Risk(
                AtRiskReason.PROMISE_AT_RISK,
                due,
                due,
                f"in {stage}: the stages left to delivery take {_hours(later + here)} "
                f"at their expected durations, promised for {state.promised_date.isoformat()}",
            )
        )
    for center, leg in sorted(state.legs.items()):
        if leg.trouble is None or leg.trouble_since is None:
            continue
        reason = (
            AtRiskReason.SHIPMENT_EXCEPTION
            if leg.trouble == "EXCEPTION"
            else AtRiskReason.SHIPMENT_DELAYED
        )
        what = "exception" if reason is AtRiskReason.SHIPMENT_EXCEPTION else "delay"
        detail = f"shipment {what} at {center}" + (
            f": {leg.trouble_detail}" if leg.trouble_detail else ""
        )
        found.append(Risk(reason, leg.trouble_since, leg.trouble_since, detail))
    return found


def due_at(state: OrderState | None, policy: MonitoringSettings) -> float | None:
    """When the order's first risk begins (``None``: closed, or nothing can put it at risk)."""
    if state is None:
        return None
    dues = [risk.due for risk in _all(state, policy)]
    return min(dues) if dues else None


def risks(state: OrderState, policy: MonitoringSettings, now: float) -> list[Risk]:
    """The order's risks that have begun by ``now``, worst first."""
    begun = [risk for risk in _all(state, policy) if risk.due <= now]
    return sorted(begun, key=lambda r: (_SEVERITY[r.reason], r.due))

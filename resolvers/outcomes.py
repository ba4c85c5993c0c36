"""The workflows' outcomes reported to the business monitoring, at one seam.

``OrdersService`` hands every answer it gives here (``Outcomes.submitted``,
``Outcomes.return_requested``): a submission entered (its promised date: the latest delivery of
its plan), held for credit or for review after the WMS refused its release, backordered, or
rejected; a return authorized. Each becomes facts with event ids of their own
(``monitoring.outcomes``), so a replayed key's answer, reported again, counts once. A
monitoring store that fails is logged, never the workflow's failure.
"""

from __future__ import annotations

from monitoring import Monitor
from monitoring import outcomes as facts
from resolvers.records import Outcome, SubmitResult
from resolvers.returns import ReturnResult

__all__ = ["Outcomes"]


class Outcomes:
    """Reports outcomes to ``monitor`` (``None``: to nobody)."""

    def __init__(self, monitor: Monitor | None) -> None:
        self.monitor = monitor

    async def submitted(
        self, account_id: str, key: str, result: SubmitResult, *, at: float | None = None
    ) -> None:
        """Report a submission's answer; ``at`` is when it was asked (default: now)."""
        monitor = self.monitor
        if monitor is None:
            return
        order_id = result.order_id
        if result.outcome is Outcome.REJECTED or order_id is None:
            reason = result.user_errors[0].code if result.user_errors else "REJECTED"
            await monitor.record_quietly(facts.rejected(f"{account_id}:{key}", reason, at=at))
            return
        dates = [a.delivery_date for a in result.allocations] + [
            b.promised_date for b in result.backorders if b.promised_date is not None
        ]
        center = result.allocations[0].center_id if result.allocations else None
        promised = max(dates) if dates else None
        await monitor.record_quietly(
            facts.submitted(order_id, promised_date=promised, center_id=center, at=at)
        )
        if result.hold_reason == "MANUAL_REVIEW":
            # The only hold a submission makes itself: the WMS refused the release.
            await monitor.record_quietly(
                facts.release_failed(order_id, "WMS_REFUSED_RELEASE", at=at)
            )
        elif result.hold_reason is not None:
            await monitor.record_quietly(facts.held(order_id, result.hold_reason, at=at))
        if result.backorders:
            await monitor.record_quietly(facts.backorder_planned(order_id, "SHORTFALL", at=at))

    async def return_requested(self, order_id: str, result: ReturnResult) -> None:
        if self.monitor is None or result.return_authorization_id is None:
            return
        if result.status == "AUTHORIZED":
            fact = facts.return_authorized(order_id, result.return_authorization_id)
            await self.monitor.record_quietly(fact)

    async def aclose(self) -> None:
        if self.monitor is not None:
            await self.monitor.aclose()

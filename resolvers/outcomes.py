"""The workflows' outcomes reported to the business monitoring, at one seam.

``OrdersService`` hands every answer it gives here (``Outcomes.submitted``,
``Outcomes.return_requested``, ``Outcomes.return_received``): a submission entered (its
promised date: the latest delivery of its plan), held for credit or for review after the WMS
refused its release, backordered, or rejected; a return authorized; a return received and
credited. So does its recovery sweep, for every workflow it finishes (``Outcomes.finished``,
from the journal: the same answer a request would have had). Each becomes facts with event
ids of their own (``monitoring.outcomes``), so an answer reported again (a replayed key, a
request and the sweep, the workflow and the milestone consumers) counts once. A monitoring
store that fails is logged, never the workflow's failure.
"""

from __future__ import annotations

from monitoring import Monitor
from monitoring import outcomes as facts
from resolvers.journal import WorkflowState
from resolvers.records import Outcome, SubmitResult
from resolvers.returns import RECEIVE, REQUEST, ReturnResult
from resolvers.submit import KIND as SUBMIT
from resolvers.workflow import STARTED_AT

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

    async def return_requested(
        self, order_id: str, result: ReturnResult, *, at: float | None = None
    ) -> None:
        if self.monitor is None or result.return_authorization_id is None:
            return
        if result.status == "AUTHORIZED":
            fact = facts.return_authorized(order_id, result.return_authorization_id, at=at)
            await self.monitor.record_quietly(fact)

    async def return_received(self, result: ReturnResult) -> None:
        """A receipt booked (the return received, in part or whole) and, if its memo was
        made, credited. The same ids as the milestone's (``monitoring.milestones``) and the
        returns consumer's facts: one receipt and one credit per return, whoever reports it."""
        monitor, ra_id, order_id = self.monitor, result.return_authorization_id, result.order_id
        if monitor is None or ra_id is None or order_id is None or result.user_errors:
            return
        center = result.center_id
        await monitor.record_quietly(facts.return_received(order_id, ra_id, center))
        if result.credit_memo_id is not None:
            await monitor.record_quietly(facts.credited(order_id, ra_id, center))

    async def finished(self, state: WorkflowState) -> None:
        """Report a workflow the recovery sweep finished as its request would have: a
        completed submission or return (cancellations and releases report through the
        WMS's milestones, as when a request finishes them)."""
        if self.monitor is None or state.status != "COMPLETED" or state.result is None:
            return
        started = state.data.get(STARTED_AT)
        at = float(started) if isinstance(started, int | float) else None
        if state.kind == SUBMIT:
            result = SubmitResult.from_json(state.result)
            account = str(state.request.get("accountId", ""))
            await self.submitted(account, state.idempotency_key or state.id, result, at=at)
        elif state.kind == REQUEST:
            order_id = state.order_id
            if order_id is not None:
                await self.return_requested(order_id, ReturnResult.from_json(state.result), at=at)
        elif state.kind == RECEIVE:
            await self.return_received(ReturnResult.from_json(state.result))

    async def aclose(self) -> None:
        if self.monitor is not None:
            await self.monitor.aclose()

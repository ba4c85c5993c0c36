"""``cancelOrder`` as a journaled workflow: check (ERP), cancel fulfillment (WMS), cancel (ERP).

The WMS goes first, so nothing that has shipped is cancelled in the ERP: lines the WMS finds
all shipped are refused with ``ALREADY_SHIPPED`` and nothing changes. Cancelled fulfillment
lines give their allocation back in the WMS, and cancelling a whole order releases any
reservation its submission still holds (an order held when its release failed). The writes
are idempotent by ids derived from the workflow id, so a workflow killed between them is
carried forward by ``recover``. An answer of the WMS lost (a timeout, a 5xx) is not a refusal:
the workflow stays RUNNING, its key claimed, and is asked again with the same request id.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from connectors.http import SystemCallError, SystemUnavailable
from resolvers.authority import audit_name
from resolvers.idempotency import KeyInProgress, KeyReused
from resolvers.journal import WorkflowState, WorkflowStatus
from resolvers.records import UserError
from resolvers.steplog import step
from resolvers.submit import WorkflowFailed
from resolvers.workflow import IN_PROGRESS, KEY_REUSED, JournaledWorkflow, begin, end
from schema.actor import SYSTEM, Actor

__all__ = ["KIND", "ORDER_NOT_FOUND", "CancelRequest", "CancelResult", "CancelWorkflow"]

KIND = "cancelOrder"
ORDER_NOT_FOUND = UserError("ORDER_NOT_FOUND", ("orderId",), "no such order")
NOTHING_TO_CANCEL = UserError("NOTHING_TO_CANCEL", ("orderId",), "nothing asked is still open")


@dataclass(frozen=True, slots=True)
class CancelRequest:
    order_id: str
    lines: tuple[int, ...] | None  # ERP line numbers; None for the whole order
    reason: str

    def json(self) -> dict[str, Any]:
        lines = None if self.lines is None else list(self.lines)
        return {"orderId": self.order_id, "lines": lines, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CancelRequest:
        lines = data["lines"]
        return cls(data["orderId"], None if lines is None else tuple(lines), data["reason"])


@dataclass(frozen=True, slots=True)
class CancelResult:
    order_id: str | None
    cancelled_skus: tuple[str, ...] = ()
    user_errors: tuple[UserError, ...] = ()

    def json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "cancelledSkus": list(self.cancelled_skus),
            "userErrors": [x.json() for x in self.user_errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CancelResult:
        return cls(
            data["orderId"],
            tuple(data["cancelledSkus"]),
            tuple(UserError.from_json(x) for x in data["userErrors"]),
        )


class CancelWorkflow(JournaledWorkflow):
    async def cancel(
        self, request: CancelRequest, idempotency_key: str, actor: Actor = SYSTEM
    ) -> CancelResult:
        """Cancel once per key of ``actor``, whom the ERP records as the canceller."""
        try:
            begun = await begin(
                self.idempotency,
                self.journal,
                KIND,
                request.json(),
                idempotency_key,
                self.leases,
                actor=actor,
            )
        except KeyReused:
            return CancelResult(request.order_id, user_errors=(KEY_REUSED,))
        except KeyInProgress:
            return CancelResult(request.order_id, user_errors=(IN_PROGRESS,))
        if isinstance(begun, dict):
            return CancelResult.from_json(begun)
        try:
            return await self.run(begun)
        finally:
            await self.leases.release(begun.id)

    async def recover(self) -> list[WorkflowState]:
        """Carry forward every cancellation that wrote something; abandon the others."""
        return [
            await self.recover_one(state)
            for state in await self.journal.unfinished()
            if state.kind == KIND
        ]

    async def recover_one(self, state: WorkflowState) -> WorkflowState:
        """Carry one unfinished cancellation forward, or abandon it if it wrote nothing."""
        if not state.done("cancel_fulfillment") and not state.data.get("cancellingFulfillment"):
            return await self._end(state, "FAILED", None)
        with contextlib.suppress(WorkflowFailed, SystemCallError):
            await self.run(state)
        return await self.journal.load(state.id) or state

    async def _end(
        self, state: WorkflowState, status: WorkflowStatus, result: CancelResult | None
    ) -> WorkflowState:
        payload = None if result is None else result.json()
        return await end(self.idempotency, self.journal, state, status, payload)

    async def _save(self, state: WorkflowState, finished: str) -> WorkflowState:
        await self.journal.save(state)
        if self.after_step is not None:
            await self.after_step(finished, state)
        return state

    async def _refuse(
        self, state: WorkflowState, error: UserError, *, known: bool = True
    ) -> CancelResult:
        order_id = state.request["orderId"] if known else None
        result = CancelResult(order_id, user_errors=(error,))
        await self._end(state, "COMPLETED", result)
        return result

    async def _release_reservations(self, state: WorkflowState, order_id: str) -> WorkflowState:
        """Give back stock still reserved for the order: an order held after its release failed
        keeps its reservation, which no fulfillment order consumed."""
        submissions = [
            s for s in await self.journal.of_order(order_id) if s.data.get("reservation")
        ]
        try:
            async with step(KIND, state.id, "release_reservations", "wms"):
                for submission in submissions:
                    await self.systems.release_reservation(submission.data["reservation"])
        except SystemCallError as error:
            raise WorkflowFailed(
                error.system,
                f"{error.message}; the fulfillment lines are cancelled and the order's "
                "reservation will be released when it recovers",
            ) from None
        return await self._save(state.after("release_reservations"), "release_reservations")

    async def _cancel_fulfillment(
        self, state: WorkflowState, request: CancelRequest, skus: list[str] | None
    ) -> tuple[str, list[str]]:
        """Cancel the open fulfillment lines, asking once more (same id) if an answer is lost."""
        for attempt in ("cancel_fulfillment", "cancel_fulfillment_again"):
            try:
                async with step(KIND, state.id, attempt, "wms"):
                    return await self.systems.cancel_fulfillment(
                        f"{state.id}-W", request.order_id, skus
                    )
            except SystemUnavailable:
                if attempt == "cancel_fulfillment_again":
                    raise
        raise AssertionError("unreachable")

    async def run(self, state: WorkflowState) -> CancelResult:
        request = CancelRequest.from_json(state.request)
        if not state.done("check"):
            try:
                async with step(KIND, state.id, "check", "erp"):
                    order = await self.systems.order(request.order_id)
            except SystemCallError:
                await self._end(state, "FAILED", None)
                raise
            if order is None:
                return await self._refuse(state, ORDER_NOT_FOUND, known=False)
            by_line = {line.line_number: line.sku for line in order.lines}
            for n, number in enumerate(request.lines or ()):
                if number not in by_line:
                    return await self._refuse(
                        state,
                        UserError(
                            "UNKNOWN_LINE", ("lines", str(n)), f"the order has no line {number}"
                        ),
                    )
            lines = sorted(by_line) if request.lines is None else list(request.lines)
            state = await self._save(
                state.after("check", lineSkus={str(number): by_line[number] for number in lines}),
                "check",
            )
        line_skus: dict[str, str] = state.data["lineSkus"]
        if not state.done("cancel_fulfillment"):
            skus = None if request.lines is None else sorted(set(line_skus.values()))
            if not state.data.get("cancellingFulfillment"):
                # From here the WMS may have cancelled: recovery asks again, with the same id.
                state = await self._save(
                    state.after("check", cancellingFulfillment=True), "cancelling_fulfillment"
                )
            try:
                outcome, cancelled = await self._cancel_fulfillment(state, request, skus)
            except SystemUnavailable as error:
                # The answer was lost, not refused: the WMS may have cancelled the lines. The
                # workflow stays RUNNING (its key claimed) and the recovery sweep asks again
                # with the same request id, which the WMS replays; then the ERP follows.
                raise WorkflowFailed(
                    error.system,
                    f"{error.message}; the cancellation will be completed when the wms recovers",
                ) from None
            except SystemCallError:
                # A definite refusal (4xx): the WMS wrote nothing.
                await self._end(state, "FAILED", None)
                raise
            if outcome == "SHIPPED":
                return await self._refuse(
                    state,
                    UserError(
                        "ALREADY_SHIPPED",
                        ("lines",) if request.lines is not None else ("orderId",),
                        "every line asked has shipped; request a return instead",
                    ),
                )
            state = await self._save(
                state.after("cancel_fulfillment", outcome=outcome, cancelledSkus=cancelled),
                "cancel_fulfillment",
            )
        if request.lines is None and not state.done("release_reservations"):
            state = await self._release_reservations(state, request.order_id)
        outcome = state.data["outcome"]
        cancelled = state.data["cancelledSkus"]
        if outcome == "UNRELEASED":
            cancelled = sorted(set(line_skus.values()))
        erp_lines = [int(n) for n, sku in line_skus.items() if sku in cancelled]
        if erp_lines and not state.done("cancel_order"):
            whole = request.lines is None and outcome == "UNRELEASED"
            try:
                async with step(KIND, state.id, "cancel_order", "erp"):
                    changed = await self.systems.cancel_order_lines(
                        request.order_id,
                        f"{state.id}-E",
                        None if whole else erp_lines,
                        request.reason,
                        by=audit_name(state.actor),
                    )
            except SystemCallError as error:
                raise WorkflowFailed(
                    error.system,
                    f"{error.message}; the fulfillment lines are cancelled and the order "
                    "will be cancelled in the ERP when it recovers",
                ) from None
            if not changed:
                return await self._refuse(state, NOTHING_TO_CANCEL)
            state = await self._save(state.after("cancel_order"), "cancel_order")
        if not cancelled:
            return await self._refuse(state, NOTHING_TO_CANCEL)
        result = CancelResult(request.order_id, tuple(cancelled))
        await self._end(state, "COMPLETED", result)
        return result

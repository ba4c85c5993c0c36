"""``releaseOrder``: staff lift a MANUAL_REVIEW hold, and the order goes to fulfillment.

An order is held for review when the WMS refused its release at submission
(``resolvers.submit``): the ERP order stands ON_HOLD (MANUAL_REVIEW), its stock still reserved.
Lifting the hold is a decision of staff in the graph rather than a change the graph notices in
the ERP: the ERP sends no events (the graph would have to poll every held order), and lifting
is a write to two systems that must survive a crash between them, which the journaled
workflows already do.

Check (ERP: the order is ON_HOLD for MANUAL_REVIEW; the journal: its submission's reservation
and backorders), release (WMS: what submission would have released, the order's open lines at
their centers, with the reservation), confirm (ERP: CONFIRMED, the hold reason cleared). The
WMS goes first, so that no order reads CONFIRMED without fulfillment. A WMS that refuses (the
stock is short now) is a user error and changes nothing: the order stays held, its stock
reserved. The release id is the order's, so releases of one order under two keys make one
release in the WMS. An answer of the WMS lost is asked again with the same id (the WMS replays),
then looked up by order; still unknown, the workflow stays RUNNING and the recovery sweep
carries it forward, as it does one killed between its writes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from connectors.erp.enums import HoldReason, OrderStatus
from connectors.http import SystemCallError, SystemUnavailable
from resolvers.idempotency import KeyInProgress, KeyReused
from resolvers.journal import WorkflowState, WorkflowStatus
from resolvers.planning import Plan
from resolvers.records import UserError
from resolvers.steplog import step
from resolvers.submit import KIND as SUBMIT
from resolvers.submit import WorkflowFailed
from resolvers.workflow import IN_PROGRESS, KEY_REUSED, JournaledWorkflow, begin, end
from schema.actor import SYSTEM, Actor

__all__ = [
    "KIND",
    "NOT_HELD_FOR_REVIEW",
    "ORDER_NOT_FOUND",
    "ReleaseResult",
    "ReleaseWorkflow",
]

KIND = "releaseOrder"
ORDER_NOT_FOUND = UserError("ORDER_NOT_FOUND", ("orderId",), "no such order")
NOT_HELD_FOR_REVIEW = UserError(
    "NOT_HELD_FOR_REVIEW", ("orderId",), "the order is not on hold for manual review"
)
NOTHING_TO_RELEASE = UserError(
    "NOTHING_TO_RELEASE", ("orderId",), "every line of the order is cancelled"
)


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    """The order released (its fulfillment orders), or why not."""

    order_id: str | None
    fulfillment_orders: tuple[str, ...] = ()
    user_errors: tuple[UserError, ...] = ()

    def json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "fulfillmentOrders": list(self.fulfillment_orders),
            "userErrors": [x.json() for x in self.user_errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseResult:
        return cls(
            data["orderId"],
            tuple(data["fulfillmentOrders"]),
            tuple(UserError.from_json(x) for x in data["userErrors"]),
        )


def _refused(code: str) -> UserError:
    """The WMS's refusal of the release as the caller sees it: nothing changed."""
    if code == "INSUFFICIENT_INVENTORY":
        return UserError(
            code,
            ("orderId",),
            "the distribution centers cannot fill the order now; it stays on hold",
        )
    return UserError("REFUSED", ("orderId",), f"the wms refused the release ({code})")


class ReleaseWorkflow(JournaledWorkflow):
    async def release(
        self, order_id: str, idempotency_key: str, actor: Actor = SYSTEM
    ) -> ReleaseResult:
        """Release the held order once per key of ``actor``."""
        try:
            begun = await begin(
                self.idempotency,
                self.journal,
                KIND,
                {"orderId": order_id},
                idempotency_key,
                self.leases,
                actor=actor,
            )
        except KeyReused:
            return ReleaseResult(order_id, user_errors=(KEY_REUSED,))
        except KeyInProgress:
            return ReleaseResult(order_id, user_errors=(IN_PROGRESS,))
        if isinstance(begun, dict):
            return ReleaseResult.from_json(begun)
        try:
            return await self.run(begun)
        finally:
            await self.leases.release(begun.id)

    async def recover_one(self, state: WorkflowState) -> WorkflowState:
        """Carry one unfinished release forward, or abandon it if it asked the WMS nothing."""
        if not state.data.get("releasing"):
            return await self._end(state, "FAILED", None)
        with contextlib.suppress(WorkflowFailed, SystemCallError):
            await self.run(state)
        return await self.journal.load(state.id) or state

    async def _end(
        self, state: WorkflowState, status: WorkflowStatus, result: ReleaseResult | None
    ) -> WorkflowState:
        payload = None if result is None else result.json()
        return await end(self.idempotency, self.journal, state, status, payload)

    async def _save(self, state: WorkflowState, finished: str) -> WorkflowState:
        await self.journal.save(state)
        if self.after_step is not None:
            await self.after_step(finished, state)
        return state

    async def _refuse(self, state: WorkflowState, error: UserError) -> ReleaseResult:
        order_id = None if error is ORDER_NOT_FOUND else state.request["orderId"]
        result = ReleaseResult(order_id, user_errors=(error,))
        await self._end(state, "COMPLETED", result)
        return result

    async def _check(self, state: WorkflowState) -> WorkflowState | UserError:
        """The release the order needs, journaled; or why there is none."""
        order_id = state.request["orderId"]
        order = await self.systems.order(order_id)
        if order is None:
            return ORDER_NOT_FOUND
        if order.status is not OrderStatus.ON_HOLD or order.hold_reason is not (
            HoldReason.MANUAL_REVIEW
        ):
            return NOT_HELD_FOR_REVIEW
        submissions = [s for s in await self.journal.of_order(order_id) if s.kind == SUBMIT]
        submission = submissions[-1] if submissions else None
        waiting: dict[tuple[str, str], int] = {}
        if submission is not None and "plan" in submission.data:
            for b in Plan.from_json(submission.data["plan"]).backorders:
                waiting[(b.center_id, b.sku)] = waiting.get((b.center_id, b.sku), 0) + b.quantity
        lines: dict[tuple[str, str], dict[str, Any]] = {}
        for line in order.lines:
            if line.quantity <= 0 or line.center_id is None:
                continue  # cancelled while held
            key = (line.center_id, line.sku)
            entry = lines.setdefault(
                key,
                {"facility_id": line.center_id, "item_number": line.sku, "qty": 0},
            )
            entry["qty"] += line.quantity
        if not lines:
            return NOTHING_TO_RELEASE
        for key, entry in lines.items():
            entry["qty_backordered"] = min(waiting.get(key, 0), entry["qty"])
        reservation = None if submission is None else submission.data.get("reservation")
        return await self._save(
            state.after(
                "check",
                releasing=True,
                orderNumber=order.number,
                reservation=reservation,
                lines=list(lines.values()),
            ),
            "check",
        )

    async def _release_once(self, state: WorkflowState) -> list[str] | str:
        """Release (idempotent by its id): the fulfillment orders, or the WMS's refusal code.
        An answer lost is asked again, then looked up by order; raises ``SystemUnavailable``
        while it cannot be told."""
        body = {
            # Keyed by the order, not the workflow: two reviewers releasing it at once (two
            # keys) send one release, which the WMS makes once and replays to the other.
            "release_id": f"review-{state.request['orderId']}",
            "order_ref": state.request["orderId"],
            "order_number": state.data["orderNumber"],
            "reservation_id": state.data["reservation"],
            "lines": state.data["lines"],
        }
        for attempt in ("release", "release_again"):
            try:
                async with step(KIND, state.id, attempt, "wms"):
                    return await self.systems.release_or_refusal(body)
            except SystemUnavailable as error:
                lost = error
        async with step(KIND, state.id, "find_release", "wms"):
            released = await self.systems.fulfillment_orders_of(state.request["orderId"])
        if released:
            return released
        raise lost

    async def run(self, state: WorkflowState) -> ReleaseResult:
        order_id = state.request["orderId"]
        if not state.done("check"):
            try:
                async with step(KIND, state.id, "check", "erp"):
                    checked = await self._check(state)
            except SystemCallError:
                await self._end(state, "FAILED", None)  # nothing written: free the key
                raise
            if isinstance(checked, UserError):
                return await self._refuse(state, checked)
            state = checked
        if not state.done("release"):
            try:
                numbers = await self._release_once(state)
            except SystemUnavailable as error:
                raise WorkflowFailed(
                    error.system,
                    f"{error.message}; whether the order was released is not known yet, "
                    "it will be completed when the wms recovers",
                ) from None
            except SystemCallError as error:
                # Another 4xx: the WMS took nothing of it either.
                return await self._refuse(state, _refused(error.message))
            if isinstance(numbers, str):
                # A definite refusal: the WMS wrote nothing, the order stays held.
                return await self._refuse(state, _refused(numbers))
            state = await self._save(state.after("release", fulfillmentOrders=numbers), "release")
        if not state.done("confirm"):
            try:
                async with step(KIND, state.id, "confirm", "erp"):
                    await self.systems.confirm_order(order_id)
            except SystemCallError as error:
                raise WorkflowFailed(
                    error.system,
                    f"{error.message}; the order is released to fulfillment and will be "
                    "confirmed in the ERP when it recovers",
                ) from None
            state = await self._save(state.after("confirm"), "confirm")
        result = ReleaseResult(order_id, tuple(state.data["fulfillmentOrders"]))
        await self._end(state, "COMPLETED", result)
        return result

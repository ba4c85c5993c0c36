"""``submitOrder`` as a journaled workflow: plan, reserve (WMS), create (ERP), release (WMS).

Each step is saved to the journal before the next begins, and every write is idempotent by
an id derived from the workflow id, so a step may be repeated safely. When a step fails:

    reserve fails          the reservation is deleted in case the WMS made it before failing;
                           the submission fails and its key is released (if the WMS cannot
                           be reached to delete it, the workflow stays RUNNING for recovery)
    create order fails     the reservation is released (COMPENSATED), the key is released;
                           when the failure leaves open whether the ERP entered the order
                           (a timeout, a 5xx), it is looked up by its external id (the
                           workflow id) and cancelled if it exists; after a timeout the
                           look-up waits as long again for a create still in flight. If the
                           ERP cannot be asked, the reservation is released but the key stays
                           claimed (a retry answers IN_PROGRESS) and the workflow stays
                           RUNNING (``compensating``): the recovery sweep cancels any order
                           the ERP entered, then lets go of the key. A workflow journaled
                           ``compensating`` is only ever finished backwards, never forward
    replanning gives up    the reservation id is deleted (a tombstone), the workflow FAILED
    release gets no answer it is asked again with the same release id (the WMS replays), then
                           looked up by order; still unknown: the workflow stays RUNNING
    release refused        the order is put ON_HOLD (MANUAL_REVIEW), its stock stays reserved
    hold fails as well     the workflow stays RUNNING: the next recovery finishes the job
    the journal is lost    Redis (the journal, the key's record, the lease, with ``REDIS_URL``)
                           unreachable once a step has written: what was written is undone at
                           once, since no recovery could find it (the reservation released, an
                           order the ERP entered cancelled), and Redis's error is raised (the
                           client is told to retry with the same key). Once the release is
                           done the order is complete in the systems: it is answered, and
                           the ERP answers the same key with it later

A workflow undone that way whose journal comes back (Redis restarted from its file) is
recognized by its recovery in the systems (``_undone_before``): the ERP answers the order it
entered cancelled, or the WMS its reservation released, and it ends COMPENSATED.

Before planning, a key the journal does not know is looked up in the ERP, which keeps every
order's submission key (``find_key``): an open order there is the answer, so a key holds after
Redis lost its records. The ERP checks credit as it enters the order; an order it holds for
credit gives back its reservation and is not released.

``recover`` runs at start-up (and the service's sweep later) over the journal: workflows that
wrote something are carried forward (or compensated as above), the others are abandoned and
their key released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from connectors.http import SystemCallError, SystemUnavailable
from resolvers.authority import audit_name
from resolvers.bodies import release_body, reservation_lines, sales_order_body, submission_key
from resolvers.idempotency import IdempotencyStore, KeyInProgress, KeyReused
from resolvers.journal import STATE_UNAVAILABLE, WorkflowJournal, WorkflowState, WorkflowStatus
from resolvers.planning import Plan, plan_order
from resolvers.records import OrderRequest, Outcome, SubmitResult, UserError
from resolvers.steplog import step
from resolvers.systems import KeyHeld, OrderRef, ReservationReleased, Systems
from resolvers.workflow import IN_PROGRESS, KEY_REUSED, JournaledWorkflow, StepHook, begin, end
from schema.actor import SYSTEM, Actor

__all__ = ["KIND", "StepHook", "SubmitWorkflow", "WorkflowFailed", "earlier_result"]

KIND = "submitOrder"
# How often a reservation refused for a stale inventory snapshot is planned again.
MAX_REPLANS = 3

log = logging.getLogger(__name__)


class WorkflowFailed(Exception):
    """A system failed mid-workflow; ``message`` says what failed and what was undone."""

    def __init__(self, system: str, message: str) -> None:
        super().__init__(message)
        self.system = system
        self.message = message


class _JournalLost(Exception):
    """A step's state could not be journaled (its store unreachable): ``state`` is what the
    journal should have recorded, ``error`` what the store raised."""

    def __init__(self, state: WorkflowState, error: Exception) -> None:
        super().__init__(str(error))
        self.state, self.error = state, error


def earlier_result(order: OrderRef) -> SubmitResult:
    """The answer of a submission whose order the ERP found by its key: the order as it is
    now, with the plan it was entered on (kept with the key in the ERP)."""
    submission = order.submission or {}
    plan = Plan.from_json(submission["plan"]) if "plan" in submission else None
    held = order.status == "ON_HOLD"
    return SubmitResult(
        outcome=Outcome.ON_HOLD if held else Outcome.CONFIRMED,
        order_id=order.id,
        hold_reason=order.hold_reason if held else None,
        allocations=plan.allocations if plan else (),
        backorders=plan.backorders if plan else (),
        unfilled=plan.unfilled if plan else (),
        subtotal=plan.subtotal if plan else None,
    )


class SubmitWorkflow(JournaledWorkflow):
    """Runs submissions; ``after_step`` (tests) is awaited after each step is journaled."""

    def __init__(
        self,
        systems: Systems,
        journal: WorkflowJournal,
        idempotency: IdempotencyStore,
        *,
        priority: Sequence[str],
        today: Callable[[], date] = date.today,
        after_step: StepHook | None = None,
    ) -> None:
        super().__init__(systems, journal, idempotency, after_step=after_step)
        self.priority = tuple(priority)
        self.today = today

    async def submit(
        self, request: OrderRequest, idempotency_key: str, actor: Actor = SYSTEM
    ) -> SubmitResult:
        """Submit ``request`` once per key of ``actor`` (see the idempotency module); the ERP
        records ``actor`` as its submitter. Whether the actor may is the caller's to check."""
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
            return SubmitResult.rejected(KEY_REUSED)
        except KeyInProgress:
            return SubmitResult.rejected(IN_PROGRESS)
        if isinstance(begun, dict):
            return SubmitResult.from_json(begun)
        try:
            return await self.run(begun)
        finally:
            # In Redis, gone with it: the lease expires by itself.
            with contextlib.suppress(*STATE_UNAVAILABLE):
                await self.leases.release(begun.id)

    async def recover(self) -> list[WorkflowState]:
        """Finish or compensate every unfinished submission in the journal; their end states."""
        ended = []
        for state in await self.journal.unfinished():
            if state.kind != KIND:
                continue
            try:
                ended.append(await self.recover_one(state))
            except Exception:  # one workflow's trouble must not stop the others' recovery
                log.exception("recovering workflow %s failed; the next sweep retries", state.id)
        return ended

    async def recover_one(self, state: WorkflowState) -> WorkflowState:
        """Finish or compensate one unfinished submission; where it ended (or stands)."""
        if state.data.get("writing") and await self._undone_before(state):
            undoing = state.after("compensating", compensating=True)
            with contextlib.suppress(SystemCallError):
                await self._release_reservation(undoing)
                await self._cancel_entered_order(undoing, settle=False)
                state = await self._end(undoing, "COMPENSATED", None)
            return state
        if state.data.get("compensating"):
            with contextlib.suppress(SystemCallError):
                await self._release_reservation(state)
                await self._cancel_entered_order(state, settle=False)
                state = await self._end(state, "COMPENSATED", None)
            return state
        if not state.data.get("writing"):
            return await self._end(state, "FAILED", None)
        # Compensated, or left RUNNING for the next recovery.
        with contextlib.suppress(WorkflowFailed, SystemCallError):
            await self.run(state)
        return await self.journal.load(state.id) or state

    async def _undone_before(self, state: WorkflowState) -> bool:
        """Whether the request that ran ``state`` undid it while its journal was unreachable
        (``_undo_unjournaled``), the journal since come back with the step before: the order
        it entered is cancelled, or its reservation released, though it never journaled so.
        Carried forward, it would enter an order on stock it gave back. (Also when the journal
        did take the last step, its store's answer lost: a timeout.)"""
        if state.data.get("compensating") or state.done("release"):
            return False
        if state.done("ordering"):
            found = (await self.systems.orders_entered_as([state.id])).get(state.id)
            if found is not None:
                return found.status == "CANCELLED"
        reservation_id = state.data.get("reservation")
        if state.done("reserve") and not state.done("create_order") and reservation_id:
            plan = Plan.from_json(state.data["plan"])
            try:
                # Idempotent: the stored reservation is answered, nothing allocated again.
                await self.systems.reserve(reservation_id, reservation_lines(plan))
            except ReservationReleased:
                return True
        return False

    async def run(self, state: WorkflowState) -> SubmitResult:
        """Carry ``state`` forward to its end, from the first step it has not done; undo what
        it wrote if its journal becomes unreachable before the release (then raises what the
        journal's store raised)."""
        try:
            return await self._forward(state)
        except _JournalLost as lost:
            await self._undo_unjournaled(lost.state)
            raise lost.error from None

    async def _forward(self, state: WorkflowState) -> SubmitResult:
        request = OrderRequest.from_json(state.request)
        if not state.done("plan"):
            try:
                async with step(KIND, state.id, "find_key", "erp"):
                    earlier = await self._earlier_order(state)
                if earlier is None:
                    async with step(KIND, state.id, "plan", "crm+erp+wms"):
                        planned = await self._plan(request)
            except SystemCallError:
                await self._end(state, "FAILED", None)  # nothing written: free the key
                raise
            if earlier is not None:
                return await self._answer_earlier(state, earlier)
            if isinstance(planned, list):
                result = SubmitResult.rejected(*planned)
                await self._end(state, "COMPLETED", result)
                return result
            state = await self._save(state.after("plan", plan=planned.json()), "plan")
        plan = Plan.from_json(state.data["plan"])
        releases = plan.hold_reason is None
        if plan.hold_reason is None and plan.allocations and not state.done("reserve"):
            state, replanned = await self._reserve(state, request, plan)
            if isinstance(replanned, list):
                # The stock went to other orders and the policy refuses the shortfall.
                result = SubmitResult.rejected(*replanned)
                await self._end(state, "COMPLETED", result)
                return result
            plan = replanned
            releases = plan.hold_reason is None
        if not state.done("create_order"):
            try:
                state = await self._create_order(state, request, plan)
            except KeyHeld:
                # Another request entered its order under the key meanwhile (records lost).
                await self._compensate_reservation(state)
                return SubmitResult.rejected(KEY_REUSED)
        if "earlier" in state.data:
            # The ERP answered with the order another workflow entered under this key.
            earlier_result = SubmitResult.from_json(state.data["earlier"])
            await self._end(state, "COMPLETED", earlier_result)
            return earlier_result
        # The ERP may have held the order for credit that the snapshot said was there.
        releases = releases and state.data.get("holdReason") is None
        if releases and not state.done("release"):
            try:
                state = await self._release(state, plan)
            except _JournalLost as lost:
                if not lost.state.done("release"):
                    raise
                # Released: the order is complete in the systems, only the journal missed it.
                log.warning(
                    "submission %s: released, but the journal is unreachable (%s); answering "
                    "the order, which the ERP keeps under its key",
                    state.id,
                    lost.error,
                )
                state = lost.state
        hold_reason = state.data.get("holdReason", plan.hold_reason)
        result = SubmitResult(
            outcome=Outcome.ON_HOLD if hold_reason else Outcome.CONFIRMED,
            order_id=state.data["orderId"],
            hold_reason=hold_reason,
            allocations=plan.allocations,
            backorders=plan.backorders,
            unfilled=plan.unfilled,
            subtotal=plan.subtotal,
        )
        await self._end(state, "COMPLETED", result)
        return result

    async def _plan(self, request: OrderRequest) -> list[UserError] | Plan:
        return await plan_order(self.systems, request, priority=self.priority, today=self.today())

    async def _save(self, state: WorkflowState, finished_step: str | None = None) -> WorkflowState:
        try:
            await self.journal.save(state)
        except STATE_UNAVAILABLE as error:
            raise _JournalLost(state, error) from error
        if finished_step is not None and self.after_step is not None:
            await self.after_step(finished_step, state)
        return state

    async def _end(
        self, state: WorkflowState, status: WorkflowStatus, result: SubmitResult | None
    ) -> WorkflowState:
        payload = None if result is None else result.json()
        try:
            return await end(self.idempotency, self.journal, state, status, payload)
        except STATE_UNAVAILABLE as error:
            if status != "COMPLETED" or result is None:
                raise
            # The answer stands in the systems (the ERP keeps the order under its key, or
            # nothing was written): it is given, though the journal and the key's record
            # could not take it.
            log.warning(
                "submission %s: completed, but its end could not be journaled (%s)",
                state.id,
                error,
            )
            return state.finished(status, payload)

    async def _undo_unjournaled(self, state: WorkflowState) -> None:
        """Undo at once what ``state`` wrote (its journal unreachable, no recovery would know
        of it): release its reservation, cancel the order the ERP entered for it, if any."""
        if not state.data.get("writing"):
            return  # nothing written yet
        try:
            await self._release_reservation(state)
            if state.done("ordering"):
                await self._cancel_entered_order(state, settle=False)
        except SystemCallError as error:
            log.error(
                "submission %s: its journal is unreachable and undoing what it wrote failed "
                "(%s): reservation %s and any order entered as %s are left to an operator",
                state.id, error.message, state.data.get("reservation"), state.id,
            )  # fmt: skip
            return
        log.warning(
            "submission %s: its journal became unreachable after it wrote to the systems; "
            "undone (reservation released, any order entered cancelled)",
            state.id,
        )

    async def _reserve(
        self, state: WorkflowState, request: OrderRequest, plan: Plan
    ) -> tuple[WorkflowState, Plan | list[UserError]]:
        reservation_id = f"{state.id}-R"
        state = await self._save(state.after("reserving", writing=True, reservation=reservation_id))
        for _ in range(MAX_REPLANS + 1):
            try:
                async with step(KIND, state.id, "reserve", "wms"):
                    short = await self.systems.reserve(reservation_id, reservation_lines(plan))
            except ReservationReleased:
                # Undone before (its journal was lost meanwhile, and came back): it goes on
                # backwards, whatever it had entered cancelled.
                await self._cancel_entered_order(state, settle=False)
                await self._end(state.after("compensating", compensating=True), "COMPENSATED", None)
                raise WorkflowFailed("wms", "the submission was undone before") from None
            except SystemCallError as error:
                # The WMS may have reserved before failing to answer: take it back to be sure.
                try:
                    await self.systems.release_reservation(reservation_id)
                except SystemCallError:
                    raise WorkflowFailed(
                        error.system,
                        f"{error.message}; the submission will be completed or undone when "
                        "the wms recovers",
                    ) from None
                await self._end(state, "FAILED", None)
                raise WorkflowFailed(
                    error.system, f"{error.message}; nothing was reserved or ordered"
                ) from None
            if not short:
                state = await self._save(state.after("reserve"), "reserve")
                return state, plan
            # Another order took the stock since the snapshot: plan again on fresh numbers.
            try:
                async with step(KIND, state.id, "replan", "crm+erp+wms"):
                    planned = await self._plan(request)
            except SystemCallError:
                await self._end(state, "FAILED", None)  # the reservation was refused
                raise
            if isinstance(planned, list):
                return state, planned
            plan = planned
            state = await self._save(state.after("plan", plan=plan.json()))
            if plan.hold_reason is not None or not plan.allocations:
                return state, plan
        # Give up: take back (or tombstone) the reservation id, so that a reserve still in
        # flight allocates nothing, and end the workflow so its key is free for a retry.
        try:
            await self.systems.release_reservation(reservation_id)
        except SystemCallError as error:
            raise WorkflowFailed(
                error.system,
                "inventory kept changing; the submission will be undone when the wms recovers",
            ) from None
        await self._end(state.after("replans_exhausted"), "FAILED", None)
        raise WorkflowFailed("wms", "inventory kept changing; nothing was reserved or ordered")

    async def _create_order(
        self, state: WorkflowState, request: OrderRequest, plan: Plan
    ) -> WorkflowState:
        state = await self._save(state.after("ordering", writing=True))
        started = time.monotonic()
        try:
            async with step(KIND, state.id, "create_order", "erp"):
                order = await self.systems.create_order(
                    sales_order_body(
                        state.id,
                        request,
                        plan,
                        self.today(),
                        submitted_by=audit_name(state.actor),
                        key=self._erp_key(state),
                    )
                )
        except SystemUnavailable as error:
            timed_out = time.monotonic() - started >= self.systems.erp.timeout
            raise await self._undo_order(state, error, settle=timed_out) from None
        except SystemCallError as error:
            # The ERP refused the order: it entered nothing.
            await self._compensate_reservation(state)
            raise WorkflowFailed(
                error.system, f"{error.message}; the reservation was released, nothing ordered"
            ) from None
        entered = state.after("create_order", orderId=order.id, orderNumber=order.number)
        if order.external_id is not None and order.external_id != state.id:
            # Another workflow's order holds the key (its Redis records were lost while it
            # ran): that order is the answer, this one's stock goes back.
            await self._release_reservation(state)
            entered = entered.after("create_order", earlier=earlier_result(order).json())
        elif order.status == "ON_HOLD" and plan.hold_reason is None:
            # The ERP's own check (atomic with the entry) found the credit gone since the
            # snapshot: the order waits on hold, as one planned on hold does, without stock.
            await self._release_reservation(state)
            entered = entered.after("create_order", holdReason=order.hold_reason or "CREDIT")
        return await self._save(entered, "create_order")

    @staticmethod
    def _erp_key(state: WorkflowState) -> tuple[str, str] | None:
        """The key the ERP keeps the order under, with the request's fingerprint."""
        if state.idempotency_key is None or state.fingerprint is None:
            return None
        return submission_key(KIND, state.idempotency_key), state.fingerprint

    async def _earlier_order(self, state: WorkflowState) -> OrderRef | None:
        """The open order the ERP keeps under this workflow's key, entered by an earlier
        workflow whose records (Redis, the journal there) are gone; ``None`` if there is none.

        The journal is asked first (``resolvers.workflow.begin``); this is what makes a key
        hold when the journal has lost it: the ERP is where the order's truth lives.
        """
        key = self._erp_key(state)
        if key is None:
            return None
        found = await self.systems.order_of_key(key[0])
        if found is None or found.status == "CANCELLED" or found.external_id == state.id:
            return None
        return found

    async def _answer_earlier(self, state: WorkflowState, earlier: OrderRef) -> SubmitResult:
        if earlier.request_fingerprint not in (None, state.fingerprint):
            await self._end(state, "FAILED", None)  # nothing written; the key stays the ERP's
            return SubmitResult.rejected(KEY_REUSED)
        result = earlier_result(earlier)
        state = state.after("found_order", orderId=earlier.id, orderNumber=earlier.number)
        await self._end(state, "COMPLETED", result)
        return result

    async def _undo_order(
        self, state: WorkflowState, error: SystemCallError, *, settle: bool
    ) -> WorkflowFailed:
        """Compensate a create that may have entered the order; what to raise for it.

        From here on the workflow only goes backwards: it is journaled ``compensating``
        first, so that recovery never carries it forward (re-entering the order).
        """
        try:
            cancelled: bool | None = await self._cancel_entered_order(state, settle=settle)
        except SystemCallError:
            cancelled = None  # whether the ERP has the order cannot be told now
        if cancelled is None:
            # The stock goes back, but the key stays claimed (a retry answers IN_PROGRESS):
            # a retry now would be another workflow, so another external id, and could make
            # a second order while the ERP may hold this one. The recovery sweep looks for
            # this one's order, cancels it, and only then lets go of the key.
            state = await self._save(state.after("compensating", compensating=True))
            with contextlib.suppress(SystemCallError):
                await self._release_reservation(state)
            return WorkflowFailed(
                error.system,
                f"{error.message}; the reservation was released, and any order the erp "
                "entered will be cancelled when it recovers; until then the same key "
                "answers IN_PROGRESS",
            )
        state = await self._save(state.after("compensating", compensating=True))
        await self._compensate_reservation(state)
        undone = "the order the erp entered was cancelled" if cancelled else "nothing ordered"
        return WorkflowFailed(
            error.system, f"{error.message}; the reservation was released, {undone}"
        )

    async def _cancel_entered_order(self, state: WorkflowState, *, settle: bool) -> bool:
        """Cancel the order the ERP entered for ``state``, if any; whether there was one.

        With ``settle`` (the create timed out, so it may still be running) the look-up is
        repeated until the order shows or the ERP's timeout has passed once more.
        """
        deadline = time.monotonic() + (self.systems.erp.timeout if settle else 0.0)
        delay = 0.05
        async with step(KIND, state.id, "find_order", "erp"):
            while True:
                found = (await self.systems.orders_entered_as([state.id])).get(state.id)
                if found is not None or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.5)
        if found is None:
            return False
        if found.status != "CANCELLED":
            async with step(KIND, state.id, "cancel_order", "erp"):
                await self.systems.cancel_order_lines(
                    found.id,
                    f"{state.id}-X",
                    None,
                    "the submission failed",
                    by=audit_name(state.actor),
                )
        return True

    async def _release_reservation(self, state: WorkflowState) -> None:
        reservation_id = state.data.get("reservation")
        if reservation_id is not None:
            async with step(KIND, state.id, "release_reservation", "wms"):
                await self.systems.release_reservation(reservation_id)

    async def _compensate_reservation(self, state: WorkflowState) -> None:
        await self._release_reservation(state)
        await self._end(state, "COMPENSATED", None)

    async def _release(self, state: WorkflowState, plan: Plan) -> WorkflowState:
        body = release_body(
            state.id,
            state.data["orderId"],
            state.data["orderNumber"],
            state.data.get("reservation"),
            plan,
        )
        try:
            numbers = await self._release_once(state, body)
        except SystemCallError as error:
            if isinstance(error, SystemUnavailable):
                # No answer says nothing about whether the WMS released: the order may be
                # shipping. Holding it is only right once the release is known not to exist.
                raise WorkflowFailed(
                    error.system,
                    f"{error.message}; whether the order was released is not known yet, "
                    "it will be completed when the wms recovers",
                ) from None
            # The WMS refused the release (nothing was written): the order stands but cannot
            # ship yet. Hold it for review, its stock reserved.
            try:
                async with step(KIND, state.id, "hold_order", "erp"):
                    await self.systems.hold_order(state.data["orderId"], "MANUAL_REVIEW")
            except SystemCallError as error:
                raise WorkflowFailed(
                    error.system,
                    f"{error.message}; the order could not be released nor held, "
                    "it will be completed when the systems recover",
                ) from None
            return await self._save(
                state.after("release", holdReason="MANUAL_REVIEW", fulfillmentOrders=[]),
                "release",
            )
        return await self._save(state.after("release", fulfillmentOrders=numbers), "release")

    async def _release_once(self, state: WorkflowState, body: dict[str, Any]) -> list[str]:
        """Release ``body`` (idempotent by its ``release_id``); the fulfillment orders.

        An answer lost (a timeout, a 5xx) is asked again with the same id, which the WMS
        replays; failing that, the WMS is asked what it released for the order. Raises
        ``SystemUnavailable`` while that cannot be told, and the WMS's refusal (4xx), or an
        unavailability once the look-up shows nothing was released, when it was not.
        """
        try:
            async with step(KIND, state.id, "release", "wms"):
                return await self.systems.release_fulfillment(body)
        except SystemUnavailable:
            pass
        try:
            async with step(KIND, state.id, "release_again", "wms"):
                return await self.systems.release_fulfillment(body)
        except SystemUnavailable as error:
            lost = error
        async with step(KIND, state.id, "find_release", "wms"):
            released = await self.systems.fulfillment_orders_of(state.data["orderId"])
        if released:
            return released
        # Known not to exist: the WMS answered, and it holds no release for the order.
        raise SystemCallError(lost.system, lost.message)

"""The orchestration as one object the orders subgraph holds: orders and their returns.

It owns the system clients, the journal and the idempotency records, and recovers the
journal's unfinished workflows once, before the first mutation it serves. Every operation
is asked by an ``Actor`` and checked here before anything else (``resolvers.authority``): the
scopes it needs, and, for a customer, its own account. A customer naming another account's
order is answered as if the order did not exist, and so is one naming an unknown order: the
two cannot be told apart, and neither claims the key or journals a workflow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cache.base import Cache
from cache.factory import create_cache_for
from monitoring import Monitor
from resolvers.allocation import Stock
from resolvers.authority import Forbidden, require, scoped_key
from resolvers.cancel import KIND as CANCEL
from resolvers.cancel import ORDER_NOT_FOUND as NO_ORDER_TO_CANCEL
from resolvers.cancel import CancelRequest, CancelResult, CancelWorkflow
from resolvers.idempotency import CLAIM_WAIT_SECONDS, IdempotencyStore
from resolvers.journal import WorkflowJournal, WorkflowState, create_journal
from resolvers.leases import Leases, create_leases
from resolvers.outcomes import Outcomes
from resolvers.planning import Plan, gather_facts, plan_from, with_credit
from resolvers.records import OrderRequest, SubmitResult, UserError
from resolvers.release import KIND as RELEASE
from resolvers.release import ReleaseResult, ReleaseWorkflow
from resolvers.returns import ORDER_NOT_FOUND as NO_ORDER_TO_RETURN
from resolvers.returns import RECEIVE as RECEIVE_RETURN
from resolvers.returns import REQUEST as REQUEST_RETURN
from resolvers.returns import ReturnResult, ReturnWorkflows
from resolvers.settings import WorkflowSettings
from resolvers.submit import KIND as SUBMIT
from resolvers.submit import StepHook, SubmitWorkflow
from resolvers.systems import Systems
from schema.actor import SYSTEM, Actor
from telemetry.metrics import ClientCalls

__all__ = ["SWEEP_SECONDS", "OrdersService", "Promise"]

log = logging.getLogger(__name__)

# How often the orders app sweeps the journal for workflows left unfinished by failures.
SWEEP_SECONDS = 5.0


def _age(state: WorkflowState, now: datetime) -> float:
    """Seconds since ``state`` was last journaled (its owner's last sign of life)."""
    try:
        return (now - datetime.fromisoformat(state.updated_at)).total_seconds()
    except ValueError:
        return float("inf")


@dataclass(frozen=True, slots=True)
class Promise:
    """What ``promiseOrder`` answers: the plan and the stock it was made from, or errors."""

    plan: Plan | None
    stock: tuple[Stock, ...]
    user_errors: tuple[UserError, ...]


class OrdersService:
    def __init__(
        self,
        systems: Systems,
        journal: WorkflowJournal,
        cache: Cache,
        *,
        retention_seconds: float,
        priority: list[str],
        today: Callable[[], date] = date.today,
        after_step: StepHook | None = None,
        claim_wait_seconds: float = CLAIM_WAIT_SECONDS,
        leases: Leases | None = None,
        outcomes: Outcomes | None = None,
    ) -> None:
        self.systems = systems
        self.outcomes = outcomes or Outcomes(None)
        self.journal = journal
        self.cache = cache
        self.priority = priority
        self.today = today
        self.submissions = SubmitWorkflow(
            systems,
            journal,
            IdempotencyStore(
                cache, retention_seconds=retention_seconds, wait_seconds=claim_wait_seconds
            ),
            priority=priority,
            today=today,
            after_step=after_step,
        )
        self.cancellations = CancelWorkflow(
            systems, journal, self.submissions.idempotency, after_step=after_step
        )
        self.returns = ReturnWorkflows(
            systems, journal, self.submissions.idempotency, after_step=after_step
        )
        self.releases = ReleaseWorkflow(
            systems, journal, self.submissions.idempotency, after_step=after_step
        )
        self.leases = leases or Leases()
        for workflows in (self.submissions, self.cancellations, self.returns, self.releases):
            workflows.leases = self.leases
        self._recovered: asyncio.Task[list[WorkflowState]] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._sweeping = asyncio.Lock()
        # Leases keep recovery off live workflows; ``stale_after`` can add a guard by age.
        self.stale_after = 0.0
        self.sweep_interval = SWEEP_SECONDS
        self._recoverers: dict[str, Callable[[WorkflowState], Awaitable[WorkflowState]]] = {
            SUBMIT: self.submissions.recover_one,
            CANCEL: self.cancellations.recover_one,
            REQUEST_RETURN: self.returns.recover_one,
            RECEIVE_RETURN: self.returns.recover_one,
            RELEASE: self.releases.recover_one,
        }

    @classmethod
    def from_settings(
        cls, settings: WorkflowSettings, *, calls: ClientCalls | None = None
    ) -> OrdersService:
        state = settings.state
        return cls(
            Systems.from_settings(settings, calls=calls),
            create_journal(state.redis_url, settings.journal_dir, prefix=state.prefix),
            create_cache_for(settings.cache),
            retention_seconds=settings.orders.idempotency_retention_seconds,
            priority=list(settings.orders.center_priority),
            leases=create_leases(state.redis_url, prefix=state.prefix),
            outcomes=Outcomes(
                None if settings.monitoring is None else Monitor.from_config(settings.monitoring)
            ),
        )

    async def recovered(self) -> list[WorkflowState]:
        """Recover the journal once per process; every caller awaits the same recovery.

        A recovery that failed (the journal could not be read) is forgotten, so that the
        next caller tries again rather than every mutation failing until a restart.
        """
        task = self._recovered
        if task is None:
            task = self._recovered = asyncio.ensure_future(self._recover(stale_after=0.0))
        try:
            return await asyncio.shield(task)
        except Exception:
            if self._recovered is task:
                self._recovered = None
            raise

    async def sweep(self, *, stale_after: float | None = None) -> list[WorkflowState]:
        """Recover the workflows left unfinished by failures since start-up.

        Only workflows whose lease can be acquired are taken up, so that one a request is
        still running (here, or on another replica sharing the journal) is left to it; with
        ``stale_after``, only those whose journal entry has not moved for that many seconds.
        """
        await self.recovered()
        async with self._sweeping:
            return await self._recover(
                stale_after=self.stale_after if stale_after is None else stale_after
            )

    def start_sweeping(self, interval: float | None = None) -> asyncio.Task[None]:
        """A background task sweeping every ``interval`` seconds (``sweep_interval`` by
        default) until cancelled."""
        interval = self.sweep_interval if interval is None else interval

        async def sweep_once() -> None:
            try:
                await self.sweep()
            except Exception:
                log.exception("the recovery sweep failed; the next one tries again")

        async def loop() -> None:
            sweeping: asyncio.Task[None] | None = None
            try:
                while True:
                    await asyncio.sleep(interval)
                    try:
                        # The heartbeat of this replica's workflows, even while a long sweep
                        # is still running (a sweep is started only when none is).
                        await self.leases.renew()
                    except Exception:
                        log.exception("renewing the workflow leases failed")
                    if sweeping is None or sweeping.done():
                        sweeping = asyncio.ensure_future(sweep_once())
            finally:
                if sweeping is not None:
                    sweeping.cancel()

        self._sweeper = asyncio.ensure_future(loop())
        return self._sweeper

    async def _recover(self, *, stale_after: float) -> list[WorkflowState]:
        """Finish or compensate the unfinished workflows; one failing does not stop the rest."""
        now = datetime.now(UTC)
        ended = []
        for state in await self.journal.unfinished():
            recover = self._recoverers.get(state.kind)
            if recover is None or _age(state, now) < stale_after:
                continue
            if not await self.leases.acquire(state.id):
                continue  # a live request (here or on another replica) is carrying it
            try:
                latest = await self.journal.load(state.id)
                if latest is not None and latest.status == "RUNNING":
                    finished = await recover(latest)
                    ended.append(finished)
                    # Nobody else reports it: its request failed, or was lost with its replica.
                    await self.outcomes.finished(finished)
            except Exception:
                log.exception("recovering workflow %s failed; the next sweep retries", state.id)
            finally:
                await self.leases.release(state.id)
        return ended

    async def _owns_order(self, actor: Actor, order_id: str) -> bool:
        """Whether ``actor`` may act on ERP order ``order_id``: always for staff and the
        graph itself; for a customer, only an order that exists and is of its account."""
        if actor.account_scope is None:
            return True
        order = await self.systems.order(order_id)
        return order is not None and actor.may_see(order.account_id)

    @staticmethod
    def _for_account(actor: Actor, account_id: str, operation: str) -> None:
        require(actor, operation)
        if not actor.may_see(account_id):
            raise Forbidden(f"{operation} may act only for the account of your token")

    async def submit(
        self, request: OrderRequest, idempotency_key: str, actor: Actor = SYSTEM
    ) -> SubmitResult:
        """Submit for ``actor``; ``Forbidden`` before anything else if it may not."""
        self._for_account(actor, request.account_id, "submitOrder")
        await self.recovered()
        started = time.time()  # submitted when asked: the release happens within the workflow
        result = await self.submissions.submit(request, idempotency_key, actor)
        # The key as the journal holds it (the actor's namespace), as the sweep reports it.
        key = scoped_key(actor, idempotency_key)
        await self.outcomes.submitted(request.account_id, key, result, at=started)
        return result

    async def cancel(
        self, request: CancelRequest, idempotency_key: str, actor: Actor = SYSTEM
    ) -> CancelResult:
        require(actor, "cancelOrder")
        if not await self._owns_order(actor, request.order_id):
            return CancelResult(None, user_errors=(NO_ORDER_TO_CANCEL,))
        await self.recovered()
        return await self.cancellations.cancel(request, idempotency_key, actor)

    async def request_return(
        self, body: dict[str, Any], idempotency_key: str, actor: Actor = SYSTEM
    ) -> ReturnResult:
        require(actor, "requestReturn")
        if not await self._owns_order(actor, str(body["orderId"])):
            return ReturnResult(None, user_errors=(NO_ORDER_TO_RETURN,))
        await self.recovered()
        result = await self.returns.request(body, idempotency_key, actor)
        await self.outcomes.return_requested(str(body["orderId"]), result)
        return result

    async def receive_return(
        self, body: dict[str, Any], idempotency_key: str, actor: Actor = SYSTEM
    ) -> ReturnResult:
        require(actor, "receiveReturn")  # the warehouse's act: staff, for every account
        await self.recovered()
        result = await self.returns.receive(body, idempotency_key, actor)
        await self.outcomes.return_received(result)
        return result

    async def release_order(
        self, order_id: str, idempotency_key: str, actor: Actor = SYSTEM
    ) -> ReleaseResult:
        """Lift a MANUAL_REVIEW hold and release the order to fulfillment (staff only)."""
        require(actor, "releaseOrder")
        await self.recovered()
        return await self.releases.release(order_id, idempotency_key, actor)

    async def promise(self, request: OrderRequest, actor: Actor = SYSTEM) -> Promise:
        """The same plan a submission would make now, with no side effect. It shows the
        account's prices and credit, so a customer may promise for its own account only."""
        self._for_account(actor, request.account_id, "promiseOrder")
        facts = await gather_facts(self.systems, request)
        if isinstance(facts, list):
            return Promise(None, (), tuple(facts))
        planned = plan_from(request, facts, priority=self.priority, today=self.today())
        if isinstance(planned, list):
            return Promise(None, facts.stock, tuple(planned))
        return Promise(await with_credit(self.systems, request, planned), facts.stock, ())

    async def aclose(self) -> None:
        for task in (self._recovered, self._sweeper):
            if task is not None and not task.done():
                task.cancel()
        await self.leases.aclose()
        await self.systems.aclose()
        await self.journal.aclose()
        await self.cache.aclose()
        await self.outcomes.aclose()

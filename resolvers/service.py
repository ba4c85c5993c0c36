"""The orchestration as one object the orders subgraph holds: orders and their returns.

It owns the system clients, the journal and the idempotency records, and recovers the
journal's unfinished workflows once, before the first mutation it serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cache.base import Cache
from cache.factory import create_cache
from crossdock.settings import Settings
from resolvers.allocation import Stock
from resolvers.cancel import CancelRequest, CancelResult, CancelWorkflow
from resolvers.idempotency import IdempotencyStore
from resolvers.journal import WorkflowJournal, WorkflowState, create_journal
from resolvers.planning import Plan, gather_facts, plan_from
from resolvers.records import OrderRequest, SubmitResult, UserError
from resolvers.returns import ReturnResult, ReturnWorkflows
from resolvers.submit import StepHook, SubmitWorkflow
from resolvers.systems import Systems

__all__ = ["OrdersService", "Promise"]


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
    ) -> None:
        self.systems = systems
        self.journal = journal
        self.cache = cache
        self.priority = priority
        self.today = today
        self.submissions = SubmitWorkflow(
            systems,
            journal,
            IdempotencyStore(cache, retention_seconds=retention_seconds),
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
        self._recovered: asyncio.Task[list[WorkflowState]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OrdersService:
        return cls(
            Systems.from_settings(settings),
            create_journal(settings.redis_url, settings.data_dir),
            create_cache(settings.redis_url),
            retention_seconds=settings.orders.idempotency_retention_seconds,
            priority=list(settings.orders.center_priority),
        )

    async def recovered(self) -> list[WorkflowState]:
        """Recover the journal once per process; every caller awaits the same recovery."""
        if self._recovered is None:
            self._recovered = asyncio.ensure_future(self._recover())
        return await asyncio.shield(self._recovered)

    async def _recover(self) -> list[WorkflowState]:
        return [
            *await self.submissions.recover(),
            *await self.cancellations.recover(),
            *await self.returns.recover(),
        ]

    async def submit(self, request: OrderRequest, idempotency_key: str) -> SubmitResult:
        await self.recovered()
        return await self.submissions.submit(request, idempotency_key)

    async def cancel(self, request: CancelRequest, idempotency_key: str) -> CancelResult:
        await self.recovered()
        return await self.cancellations.cancel(request, idempotency_key)

    async def request_return(self, body: dict[str, Any], idempotency_key: str) -> ReturnResult:
        await self.recovered()
        return await self.returns.request(body, idempotency_key)

    async def receive_return(self, body: dict[str, Any], idempotency_key: str) -> ReturnResult:
        await self.recovered()
        return await self.returns.receive(body, idempotency_key)

    async def promise(self, request: OrderRequest) -> Promise:
        """The same plan a submission would make now, with no side effect."""
        facts = await gather_facts(self.systems, request)
        if isinstance(facts, list):
            return Promise(None, (), tuple(facts))
        planned = plan_from(request, facts, priority=self.priority, today=self.today())
        if isinstance(planned, list):
            return Promise(None, facts.stock, tuple(planned))
        return Promise(planned, facts.stock, ())

    async def aclose(self) -> None:
        if self._recovered is not None and not self._recovered.done():
            self._recovered.cancel()
        await self.systems.aclose()
        await self.journal.aclose()
        await self.cache.aclose()

"""Keys that outlive a restart, replanning that gives up cleanly, and a recovery that fails
once: what a client and an operator see afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from cache import RedisCache
from cache.memory import MemoryCache
from resolvers.journal import RedisJournal, SqliteJournal, WorkflowState
from resolvers.leases import RedisLeases
from resolvers.records import Outcome
from resolvers.service import OrdersService
from resolvers.submit import KIND, StepHook, WorkflowFailed
from resolvers.systems import ShortLine, Systems
from subgraphs.orders.app import create_app
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_submit import journaled, request, service
from tests.support.waiting import wait_until_async

PRIORITY = ["ORD1", "ATL1", "EWR1", "RNO1"]


class Contended(Systems):
    """Every reservation loses the race for the stock (as under heavy contention)."""

    async def reserve(
        self, reservation_id: str, lines: Sequence[tuple[str, str, int]]
    ) -> list[ShortLine]:
        return [ShortLine(sku, center, qty, 0) for sku, center, qty in lines]


async def test_a_restart_remembers_the_keys_of_the_embedded_default(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The in-memory records die with the process; the SQLite journal answers for them."""
    sku, account = picker.stocked(), picker.account()
    before = own_systems.available(sku)
    journal = tmp_path / "journal.sqlite3"
    first = service(own_systems, journal, MemoryCache())
    try:
        result = await first.submit(request(account, sku, 1), "replica-restart-1")
    finally:
        await first.aclose()
    assert result.outcome is Outcome.CONFIRMED

    restarted = service(own_systems, journal, MemoryCache())  # a fresh, empty cache
    try:
        again = await restarted.submit(request(account, sku, 1), "replica-restart-1")
        assert again == result
        other = await restarted.submit(request(account, sku, 2), "replica-restart-1")
        assert [e.code for e in other.user_errors] == ["IDEMPOTENCY_KEY_REUSED"]
    finally:
        await restarted.aclose()
    assert len([s for s in journaled(journal) if s.kind == KIND]) == 1  # nothing new ran
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 1


async def test_replanning_that_gives_up_ends_the_workflow_and_frees_the_key(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """After MAX_REPLANS lost races the reservation id is tombstoned and the workflow FAILED:
    a restart places nothing later, and the key is free for a retry at once."""
    sku, account = picker.stocked(), picker.account()
    before = own_systems.available(sku)
    journal = tmp_path / "journal.sqlite3"
    contended = Contended.from_settings(own_systems.settings.workflows)
    orders = OrdersService(
        contended, SqliteJournal(journal), MemoryCache(), retention_seconds=600, priority=PRIORITY
    )
    try:
        with pytest.raises(WorkflowFailed, match="inventory kept changing"):
            await orders.submit(request(account, sku, 3), "replan-1")
        [state] = journaled(journal)
        assert state.status == "FAILED"
        assert await orders.journal.unfinished() == []
    finally:
        await orders.aclose()

    restarted = service(own_systems, journal, MemoryCache())
    try:
        assert await restarted.recovered() == []
        # The reservation id is a tombstone: a reserve still in flight would allocate nothing.
        assert own_systems.available(sku) == before
        retry = await restarted.submit(request(account, sku, 3), "replan-1")
        assert retry.outcome is Outcome.CONFIRMED
        assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 3
    finally:
        await restarted.aclose()


class FlakyJournal(SqliteJournal):
    """A journal whose first read of the unfinished workflows fails (a transient error)."""

    failures = 1

    async def unfinished(self) -> list[WorkflowState]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("journal briefly unreachable")
        return await super().unfinished()


async def test_a_recovery_that_fails_once_is_retried_by_the_next_call(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku, account = picker.stocked(), picker.account()
    journal = tmp_path / "journal.sqlite3"
    seeded = SqliteJournal(journal)
    # One workflow recovery cannot make sense of, and one that wrote nothing.
    broken = WorkflowState("WF-BROKEN", KIND, {"nonsense": True}, data={"writing": True})
    idle = WorkflowState("WF-IDLE", KIND, request(account, sku, 1).json())
    await seeded.save(broken)
    await seeded.save(idle)
    await seeded.aclose()
    orders = OrdersService(
        Systems.from_settings(own_systems.settings.workflows),
        FlakyJournal(journal),
        MemoryCache(),
        retention_seconds=600,
        priority=PRIORITY,
    )
    try:
        with pytest.raises(ConnectionError):
            await orders.submit(request(account, sku, 1), "flaky-1")
        # The failure is not kept: the next mutation recovers and goes through.
        result = await orders.submit(request(account, sku, 1), "flaky-1")
        assert result.outcome is Outcome.CONFIRMED
        states = {s.id: s.status for s in journaled(journal)}
        # The broken workflow did not stop the other's recovery; it waits for the next sweep.
        assert states["WF-IDLE"] == "FAILED"
        assert states["WF-BROKEN"] == "RUNNING"
    finally:
        await orders.aclose()


async def test_the_orders_app_sweeps_what_failures_left_unfinished(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """While the app runs, a background sweep settles a workflow left RUNNING (its key claimed)
    without waiting for a restart; the key is then free again."""
    sku, account = picker.stocked(), picker.account()
    journal = tmp_path / "journal.sqlite3"
    orders = service(own_systems, journal, MemoryCache())
    await orders.recovered()  # start-up recovery is done: only the sweep can settle it now
    left = WorkflowState("WF-LEFT", KIND, request(account, sku, 1).json(), "swept-1", "digest")
    await orders.journal.save(left)
    await orders.submissions.idempotency.hold(KIND, "swept-1", "digest", left.id, None)
    orders.stale_after, orders.sweep_interval = 0.0, 0.05
    app = create_app(own_systems.settings.subgraphs, service=orders)
    async with app.router.lifespan_context(app):

        async def settled() -> bool:
            state = await orders.journal.load(left.id)
            return state is not None and state.status == "FAILED"

        await wait_until_async(settled, what="the sweep to settle the workflow")
        # The key it held is free: a submission under it goes through.
        result = await orders.submit(request(account, sku, 1), "swept-1")
        assert result.outcome is Outcome.CONFIRMED


def redis_replica(
    own: OwnSystems, url: str, prefix: str, *, ttl: float = 30.0, hook: StepHook | None = None
) -> OrdersService:
    return OrdersService(
        Systems.from_settings(own.settings.workflows),
        RedisJournal(url, prefix=prefix),
        RedisCache(url, prefix=prefix),
        retention_seconds=600,
        priority=PRIORITY,
        after_step=hook,
        leases=RedisLeases(url, prefix=prefix, ttl_seconds=ttl),
    )


async def test_replicas_leave_a_live_peers_workflow_alone(
    own_systems: OwnSystems, picker: Picker, redis_url: str, redis_prefix: str
) -> None:
    """A replica starting (or sweeping) while another is mid-submission does not take the
    workflow over: the submission ends once, with one order, by the replica that began it."""
    sku, account = picker.stocked(), picker.account()
    before = own_systems.available(sku)
    reserved, go_on = asyncio.Event(), asyncio.Event()

    async def pause(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            reserved.set()
            await go_on.wait()

    first = redis_replica(own_systems, redis_url, redis_prefix, hook=pause)
    second = redis_replica(own_systems, redis_url, redis_prefix)
    try:
        running = asyncio.ensure_future(first.submit(request(account, sku, 2), "peer-1"))
        await asyncio.wait_for(reserved.wait(), 10)
        assert await second.recovered() == []
        assert await second.sweep() == []
        go_on.set()
        result = await running
        assert result.outcome is Outcome.CONFIRMED
        assert (await second.submit(request(account, sku, 2), "peer-1")) == result
        assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 2
    finally:
        go_on.set()
        await first.aclose()
        await second.aclose()


async def test_a_dead_replicas_workflow_is_taken_up_once_its_lease_expires(
    own_systems: OwnSystems, picker: Picker, redis_url: str, redis_prefix: str
) -> None:
    sku, account = picker.stocked(), picker.account()
    dead = RedisLeases(redis_url, prefix=redis_prefix, ttl_seconds=0.3)
    left = WorkflowState("WF-DEAD-PEER", KIND, request(account, sku, 1).json())
    await dead.take(left.id)  # the peer began it, then died without a word
    journal = RedisJournal(redis_url, prefix=redis_prefix)
    await journal.save(left)
    await journal.aclose()
    survivor = redis_replica(own_systems, redis_url, redis_prefix)
    try:
        assert await survivor.recovered() == []  # its lease is still live

        async def taken_up() -> bool:
            return [s.id for s in await survivor.sweep()] == [left.id]

        await wait_until_async(taken_up, what="the dead peer's workflow to be recovered")
        state = await survivor.journal.load(left.id)
        assert state is not None and state.status == "FAILED"
    finally:
        await survivor.aclose()
        await dead.aclose()

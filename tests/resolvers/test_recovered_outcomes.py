"""The business monitoring hears of every outcome once, whoever reaches it: a submission or a
return that only the recovery sweep finished, and a return received through ``receiveReturn``
(whose receipt the WMS's milestone, and whose credit the returns consumer, report too)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cache.memory import MemoryCache
from crossdock.settings import SystemName
from monitoring import Monitor
from monitoring import outcomes as facts
from monitoring.records import CycleStage, Measure, Sample
from monitoring.settings import MonitoringSettings
from monitoring.sqlite_store import SqliteMonitoringStore
from resolvers.journal import SqliteJournal, WorkflowState
from resolvers.outcomes import Outcomes
from resolvers.records import LineRequest, OrderRequest, Outcome, ShipTo
from resolvers.service import OrdersService
from resolvers.submit import StepHook, WorkflowFailed
from resolvers.systems import Systems
from subgraphs.common.types import Region
from systems.world_records import World
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems

NEWARK = ShipTo("1 Raymond Plaza", "Newark", "NJ", "07105", "US", Region.NORTHEAST)


@pytest.fixture
async def healthy(own_systems: OwnSystems) -> AsyncIterator[OwnSystems]:
    yield own_systems
    systems: tuple[SystemName, ...] = ("crm", "erp", "wms")
    for system in systems:
        await own_systems.afaults(system)


def monitor_at(path: Path) -> Monitor:
    return Monitor(SqliteMonitoringStore(path, MonitoringSettings()))


@pytest.fixture
async def monitor(tmp_path: Path) -> AsyncIterator[Monitor]:
    """What the business monitoring holds: the store the services under test report to (each
    opens it too, as replicas sharing it do)."""
    opened = monitor_at(tmp_path / "monitoring.sqlite3")
    yield opened
    await opened.aclose()


def service(
    own: OwnSystems, journal: Path, reporting_to: Path, hook: StepHook | None = None
) -> OrdersService:
    return OrdersService(
        Systems.from_settings(own.settings.workflows),
        SqliteJournal(journal),
        MemoryCache(),
        retention_seconds=600,
        priority=["ORD1", "ATL1", "EWR1", "RNO1"],
        after_step=hook,
        claim_wait_seconds=0.2,
        outcomes=Outcomes(monitor_at(reporting_to)),
    )


def fail_after(own: OwnSystems, step: str, system: SystemName) -> StepHook:
    async def hook(finished: str, state: WorkflowState) -> None:
        if finished == step:
            await own.afaults(system, error_rate=1.0)

    return hook


async def samples(monitor: Monitor, measure: Measure) -> list[Sample]:
    return await monitor.store.samples(measure, 0.0, time.time() + 60)


async def test_a_submission_only_the_sweep_finished_is_reported_once_as_asked(
    healthy: OwnSystems, picker: Picker, monitor: Monitor, tmp_path: Path
) -> None:
    """The WMS is unreachable at the release: the request fails and reports nothing; the
    sweep finishes the order and reports its submission, at the time it was asked; the
    client's retry under its key, and later sweeps, add nothing."""
    sku = picker.stocked()
    order = OrderRequest(picker.account(), (LineRequest(sku, 2),), NEWARK)
    store = tmp_path / "monitoring.sqlite3"
    orders = service(
        healthy, tmp_path / "journal.sqlite3", store, fail_after(healthy, "create_order", "wms")
    )
    try:
        asked = time.time()
        with pytest.raises(WorkflowFailed, match="completed when the wms recovers"):
            await orders.submit(order, "bam-sweep-1")
        assert await samples(monitor, Measure.SUBMITTED) == []
        await healthy.afaults("wms")
        orders.submissions.after_step = None
        swept = time.time()
        [ended] = await orders.sweep(stale_after=0.0)
        assert (ended.kind, ended.status) == ("submitOrder", "COMPLETED")
        assert ended.result is not None
        order_id = ended.result["orderId"]
        [submitted] = await samples(monitor, Measure.SUBMITTED)
        assert submitted.order_id == order_id
        state = await monitor.store.order(order_id)
        assert state is not None and state.submitted_at is not None
        # When it was asked (journaled at its start), not when the sweep got to it.
        assert asked <= state.submitted_at < swept
        assert state.promised_date is not None

        again = await orders.submit(order, "bam-sweep-1")
        assert again.outcome is Outcome.CONFIRMED and again.order_id == order_id
        assert await orders.sweep(stale_after=0.0) == []
        assert len(await samples(monitor, Measure.SUBMITTED)) == 1
        assert not await monitor.record(facts.submitted(order_id, promised_date=None))
    finally:
        await orders.aclose()


def returnable(world: World) -> list[str]:
    """Orders invoiced in the last 60 days with no return yet, the newest last."""
    now = datetime.now(UTC)
    recent = {i.order_id for i in world.invoices if i.issued_at > now - timedelta(days=60)}
    returned = {ra.order_id for ra in world.return_authorizations}
    return [o.id for o in world.orders if o.id in recent and o.id not in returned]


async def test_a_return_the_sweep_authorized_and_the_workflow_received_is_reported_once(
    healthy: OwnSystems, world: World, monitor: Monitor, tmp_path: Path
) -> None:
    """requestReturn fails after the ERP authorized it (the WMS down): the sweep finishes it
    and reports the authorization; receiveReturn then reports the receipt and the credit, so
    both return cycle times are measured, once each, whatever the WMS's milestone and the
    returns consumer report after it (the same ids)."""
    order_id = returnable(world)[-2]
    [record] = [o for o in world.orders if o.id == order_id]
    sku = record.lines[-1].sku
    journal, store = tmp_path / "journal.sqlite3", tmp_path / "monitoring.sqlite3"
    orders = service(healthy, journal, store, fail_after(healthy, "authorize", "wms"))
    body = {"orderId": order_id, "lines": [{"sku": sku, "quantity": 1, "reason": "DAMAGED"}]}
    try:
        with pytest.raises(WorkflowFailed, match="completed when it recovers"):
            await orders.request_return(body, "bam-return-1")
        await healthy.afaults("wms")
        orders.returns.after_step = None
        [ended] = await orders.sweep(stale_after=0.0)
        assert (ended.kind, ended.status) == ("requestReturn", "COMPLETED")
        assert ended.result is not None
        ra_id = ended.result["returnAuthorizationId"]
        state = await monitor.store.order(order_id)
        assert state is not None and "authorizedAt" in state.returns[ra_id]

        receipt = {
            "returnAuthorizationId": ra_id,
            "lines": [{"sku": sku, "quantity": 1, "disposition": "RESTOCKED"}],
        }
        received = await orders.receive_return(receipt, "bam-receive-1")
        assert (received.status, received.user_errors) == ("CREDITED", ())
        cycles = {s.label for s in await samples(monitor, Measure.CYCLE) if s.order_id == order_id}
        assert cycles == {
            CycleStage.RETURN_AUTHORIZED_TO_RECEIVED.value,
            CycleStage.RETURN_RECEIVED_TO_CREDITED.value,
        }
        # The receipt's milestone and the returns consumer report under the same ids.
        center = received.center_id
        assert center is not None
        assert not await monitor.record(facts.return_received(order_id, ra_id, center))
        assert not await monitor.record(facts.credited(order_id, ra_id, center))
        # A replay of the receipt's key reports nothing more.
        assert await orders.receive_return(receipt, "bam-receive-1") == received
        after = [s for s in await samples(monitor, Measure.CYCLE) if s.order_id == order_id]
        assert len(after) == 2
        assert all(s.center_id == center for s in after)
    finally:
        await orders.aclose()

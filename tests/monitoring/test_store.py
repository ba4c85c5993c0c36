"""Both stores: a fact counts once by its event id, an order's stages give its cycle times,
the at-risk index answers by the moment a risk begins, and another store over the same data
(a restart, another replica) reads the same."""

from __future__ import annotations

from datetime import date

from monitoring import Fact, FactKind, Monitor, MonitoringSettings, StageMinutes
from monitoring.records import CycleStage, FalloutKind
from tests.monitoring.conftest import StoreFactory

T0 = 1_800_000_000.0


def fact(event: str, kind: FactKind, at: float, order: str = "O1", **more: object) -> Fact:
    return Fact(event, kind, order, T0 + at, **more)  # type: ignore[arg-type]


def policy(released_minutes: float = 240) -> MonitoringSettings:
    return MonitoringSettings(stuck_after_minutes=StageMinutes(released=released_minutes))


async def drive(monitor: Monitor) -> None:
    ewr = {"center_id": "EWR1"}
    facts = [
        fact("s1", FactKind.SUBMITTED, 0, promised_date=date(2027, 1, 20)),
        fact("r1", FactKind.RELEASED, 60, **ewr),
        fact("p1", FactKind.PICKING, 120, **ewr),
        fact("sh1", FactKind.SHIPPED, 660, shipment_id="SH1", **ewr),
        fact("i1", FactKind.INVOICED, 690, shipment_id="SH1"),
        fact("d1", FactKind.DELIVERED, 3660, shipment_id="SH1", **ewr),
        fact("h2", FactKind.HELD, 100, order="O2", reason="CREDIT"),
        fact("s2", FactKind.SUBMITTED, 100, order="O2"),
        fact("x3", FactKind.REJECTED, 200, order="O3", reason="INSUFFICIENT_STOCK"),
    ]
    for one in facts:
        assert await monitor.record(one)


async def test_cycle_times_and_fallout_count_each_event_once(open_store: StoreFactory) -> None:
    monitor = Monitor(open_store(policy()), policy(), clock=lambda: T0 + 4000)
    await drive(monitor)
    # Redelivered: every one refused, nothing counted twice.
    assert not await monitor.record(fact("sh1", FactKind.SHIPPED, 660, shipment_id="SH1"))
    assert not await monitor.record(fact("s2", FactKind.SUBMITTED, 100, order="O2"))
    start, end = monitor.window(24)
    rows = {(r.stage, r.center_id): r for r in await monitor.cycle_times(start, end)}
    assert rows[CycleStage.SUBMITTED_TO_RELEASED, None].p50_seconds == 60
    assert rows[CycleStage.SUBMITTED_TO_RELEASED, "EWR1"].count == 1
    assert rows[CycleStage.RELEASED_TO_SHIPPED, None].p50_seconds == 600
    assert rows[CycleStage.SHIPPED_TO_DELIVERED, None].p90_seconds == 3000
    assert rows[CycleStage.SHIPPED_TO_INVOICED, None].p50_seconds == 30
    assert rows[CycleStage.RETURN_AUTHORIZED_TO_RECEIVED, None].count == 0
    fallout = {(f.kind, f.reason): (f.count, f.rate) for f in await monitor.fallout(start, end)}
    assert fallout == {
        (FalloutKind.CREDIT_HOLD, "CREDIT"): (1, 0.5),
        (FalloutKind.REJECTED, "INSUFFICIENT_STOCK"): (1, 0.5),
    }
    assert (await monitor.store.order("O1")).open is False  # type: ignore[union-attr]


async def test_an_invoice_before_its_shipment_is_measured_when_the_shipment_comes(
    open_store: StoreFactory,
) -> None:
    monitor = Monitor(open_store(policy()), policy(), clock=lambda: T0 + 4000)
    await monitor.record(fact("r1", FactKind.RELEASED, 60, center_id="ATL1"))
    await monitor.record(fact("i1", FactKind.INVOICED, 700, shipment_id="SH1"))
    await monitor.record(fact("sh1", FactKind.SHIPPED, 600, shipment_id="SH1", center_id="ATL1"))
    await monitor.record(fact("s1", FactKind.SUBMITTED, 0))
    start, end = monitor.window(24)
    rows = {(r.stage, r.center_id): r for r in await monitor.cycle_times(start, end)}
    assert rows[CycleStage.SHIPPED_TO_INVOICED, "ATL1"].p50_seconds == 100
    assert rows[CycleStage.SUBMITTED_TO_RELEASED, "ATL1"].p50_seconds == 60


async def test_an_order_stuck_past_its_threshold_is_at_risk_from_then(
    open_store: StoreFactory,
) -> None:
    now = [T0 + 60]
    monitor = Monitor(open_store(policy(released_minutes=10)), policy(10), clock=lambda: now[0])
    await monitor.record(fact("s1", FactKind.SUBMITTED, 0))
    await monitor.record(fact("r1", FactKind.RELEASED, 60, center_id="EWR1"))
    assert await monitor.at_risk() == []
    now[0] = T0 + 60 + 601  # time passes, no event
    [risk] = await monitor.at_risk()
    assert (risk.order_id, risk.stage, risk.reason) == ("O1", "RELEASED", "STUCK_IN_STAGE")
    assert risk.since == T0 + 60
    assert await monitor.at_risk_count() == 1
    await monitor.record(fact("p1", FactKind.PICKING, 700, center_id="EWR1"))
    assert await monitor.at_risk() == []


async def test_a_shipment_exception_is_at_risk_at_once_and_worst(open_store: StoreFactory) -> None:
    monitor = Monitor(open_store(policy()), policy(), clock=lambda: T0 + 1000)
    await monitor.record(fact("r1", FactKind.RELEASED, 0, center_id="EWR1"))
    await monitor.record(
        fact("e1", FactKind.EXCEPTION, 500, center_id="EWR1", reason="address unknown")
    )
    [risk] = await monitor.at_risk()
    assert risk.reason == "SHIPMENT_EXCEPTION" and risk.since == T0 + 500
    assert "address unknown" in risk.detail


async def test_a_promise_the_remaining_stages_cannot_keep_is_at_risk(
    open_store: StoreFactory,
) -> None:
    # Promised for the day of T0: the expected stages to delivery take over a day.
    promised = date.fromtimestamp(T0)
    monitor = Monitor(open_store(policy()), policy(), clock=lambda: T0 + 10)
    await monitor.record(fact("s1", FactKind.SUBMITTED, 0, promised_date=promised))
    [risk] = await monitor.at_risk()
    assert risk.reason == "PROMISE_AT_RISK" and risk.promised_date == promised


async def test_another_store_over_the_same_data_reads_the_same(open_store: StoreFactory) -> None:
    first = Monitor(open_store(policy(1)), policy(1), clock=lambda: T0 + 4000)
    await drive(first)
    await first.record(fact("r9", FactKind.RELEASED, 0, order="O9", center_id="RNO1"))
    start, end = first.window(24)
    before = (
        await first.cycle_times(start, end),
        await first.fallout(start, end),
        await first.at_risk(),
    )
    again = Monitor(open_store(policy(1)), policy(1), clock=lambda: T0 + 4000)
    after = (
        await again.cycle_times(start, end),
        await again.fallout(start, end),
        await again.at_risk(),
    )
    assert after == before and [r.order_id for r in after[2]] == ["O9"]
    assert not await again.record(fact("r9", FactKind.RELEASED, 0, order="O9"))


async def test_pruning_forgets_samples_beyond_the_window(open_store: StoreFactory) -> None:
    monitor = Monitor(open_store(policy()), policy(), clock=lambda: T0 + 4000)
    await drive(monitor)
    await monitor.store.prune(T0 + 1000)
    start, end = monitor.window(24)
    rows = {(r.stage, r.center_id): r for r in await monitor.cycle_times(start, end)}
    assert rows[CycleStage.SUBMITTED_TO_RELEASED, None].count == 0
    assert rows[CycleStage.SHIPPED_TO_DELIVERED, None].count == 1

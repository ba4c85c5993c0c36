"""The business measures as Prometheus reads them: registered in a registry, rendered in the
text format, with the figures of the store as of the last refresh."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from monitoring import Monitor
from monitoring.prometheus import BusinessCollector
from monitoring.records import FactKind
from tests.monitoring.conftest import StoreFactory
from tests.monitoring.test_store import T0, drive, fact, policy


async def test_the_collector_renders_cycle_times_fallout_and_orders_at_risk(
    open_store: StoreFactory,
) -> None:
    monitor = Monitor(open_store(policy(1)), policy(1), clock=lambda: T0 + 4000)
    collector = BusinessCollector(monitor)
    registry = CollectorRegistry()
    registry.register(collector)
    assert b"crossdock_orders_at_risk 0.0" in generate_latest(registry)  # nothing read yet

    await drive(monitor)
    await monitor.record(fact("r9", FactKind.RELEASED, 0, order="O9", center_id="RNO1"))
    await collector.refresh()
    text = generate_latest(registry).decode()
    assert (
        'crossdock_order_cycle_time_p50_seconds{distribution_center="all",'
        'stage="RELEASED_TO_SHIPPED",window="24h"} 600.0'
    ) in text
    assert (
        'crossdock_order_cycle_time_p90_seconds{distribution_center="EWR1",'
        'stage="SHIPPED_TO_DELIVERED",window="24h"} 3000.0'
    ) in text
    assert 'crossdock_order_fallout{kind="CREDIT_HOLD",window="24h"} 1.0' in text
    assert 'crossdock_order_fallout{kind="RELEASE_FAILED",window="24h"} 0.0' in text
    assert "crossdock_orders_at_risk 1.0" in text  # O9, stuck in RELEASED for over a minute
    assert "crossdock_orders_open 2.0" in text  # O2 held, O9 released

"""Both monitoring stores, over real Redis (a private prefix) and a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from monitoring.redis_store import RedisMonitoringStore
from monitoring.settings import MonitoringSettings
from monitoring.sqlite_store import SqliteMonitoringStore
from monitoring.store import MonitoringStore
from tests.support.redis import redis_prefix, redis_url

__all__ = ["redis_prefix", "redis_url"]

StoreFactory = Callable[[MonitoringSettings], MonitoringStore]


@pytest.fixture(params=["sqlite", "redis"])
async def open_store(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str, redis_prefix: str
) -> AsyncIterator[StoreFactory]:
    """Opens a store (again, on the same data: a restart) with a policy; closes them after."""
    opened: list[MonitoringStore] = []

    def factory(policy: MonitoringSettings) -> MonitoringStore:
        store: MonitoringStore
        if request.param == "sqlite":
            store = SqliteMonitoringStore(tmp_path / "monitoring.sqlite3", policy)
        else:
            store = RedisMonitoringStore(redis_url, policy, prefix=redis_prefix + "mon:")
        opened.append(store)
        return store

    yield factory
    for store in opened:
        await store.aclose()

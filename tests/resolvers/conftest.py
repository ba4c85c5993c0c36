"""The three systems over a copy of the seeded world, and a way to break them on cue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from systems.apps import create_system_app
from systems.world_records import World
from tests.cache.conftest import redis_prefix, redis_url
from tests.orchestration.conftest import copy_world
from tests.orchestration.picks import Picker
from tests.support.servers import serve

__all__ = ["OwnSystems", "redis_prefix", "redis_url"]  # the cache tests' Redis fixtures too


@dataclass(frozen=True)
class OwnSystems:
    settings: Settings  # system URLs point at the copies
    urls: dict[SystemName, str]

    def faults(self, system: SystemName, **faults: object) -> None:
        """Set ``system``'s injected faults (``error_rate=1.0``…); none when called bare."""
        body = {"latency_ms": 0, "error_rate": 0.0, "rate_limit_per_second": None, **faults}
        response = httpx.put(f"{self.urls[system]}/_admin/faults", json=body, timeout=10)
        assert response.status_code == 200, response.text

    async def afaults(self, system: SystemName, **faults: object) -> None:
        body = {"latency_ms": 0, "error_rate": 0.0, "rate_limit_per_second": None, **faults}
        async with httpx.AsyncClient() as client:
            response = await client.put(f"{self.urls[system]}/_admin/faults", json=body)
        assert response.status_code == 200, response.text

    def available(self, sku: str) -> dict[str, int]:
        response = httpx.get(f"{self.urls['wms']}/inventory", params={"items": sku}, timeout=10)
        return {x["facility_id"]: x["qty_available"] for x in response.json()["data"]}


@pytest.fixture(scope="package")
def own_systems(
    base_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnSystems]:
    copied = copy_world(base_settings, tmp_path_factory.mktemp("resolvers-world"))
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(serve(create_system_app(name, copied.systems)))
            for name in SYSTEM_NAMES
        }
        settings = copied.model_copy(
            update={"crm_url": urls["crm"], "erp_url": urls["erp"], "wms_url": urls["wms"]}
        )
        yield OwnSystems(settings, urls)


@pytest.fixture(scope="package")
def picker(world: World) -> Picker:
    return Picker(world)

"""Distribution centers come from the reference cache: one WMS call warms it for all of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from cache.memory import MemoryCache
from connectors.http import SystemUnavailable
from connectors.settings import system_client
from connectors.wms.client import WmsClient
from crossdock.settings import Settings
from subgraphs.wms.directory import CenterDirectory
from systems.world_records import World
from tests.support.graphql import SetFaults, query, route_counts
from tests.support.subgraphs import own_subgraph

CENTER = "query($id: ID!) { distributionCenter(id: $id) { id name } }"


@pytest.fixture
def cold_subgraph(settings: Settings) -> Iterator[httpx.Client]:
    """A WMS subgraph of its own, whose reference cache starts empty."""
    with own_subgraph("wms", settings) as client:
        yield client


@pytest.fixture
async def directory(settings: Settings) -> AsyncIterator[CenterDirectory]:
    """A directory of its own over the session's WMS, with an empty cache."""
    system = system_client("wms", settings.connectors)
    try:
        yield CenterDirectory(WmsClient(system), MemoryCache(), ttl_seconds=60)
    finally:
        await system.aclose()


def facility_requests(admin: httpx.Client) -> int:
    return route_counts(admin)["GET /facilities"]


def test_one_call_serves_every_center_afterwards(
    cold_subgraph: httpx.Client, wms_admin: httpx.Client, world: World
) -> None:
    before = facility_requests(wms_admin)
    for center in world.centers:
        body = query(cold_subgraph, CENTER, {"id": center.id})
        assert body == {"data": {"distributionCenter": {"id": center.id, "name": center.name}}}
    listed = query(cold_subgraph, "{ distributionCenters { id } }")
    assert len(listed["data"]["distributionCenters"]) == len(world.centers)
    assert facility_requests(wms_admin) - before == 1


def test_the_list_warms_the_centers_too(
    cold_subgraph: httpx.Client, wms_admin: httpx.Client, world: World
) -> None:
    before = facility_requests(wms_admin)
    assert "errors" not in query(cold_subgraph, "{ distributionCenters { id } }")
    for center in world.centers:
        assert query(cold_subgraph, CENTER, {"id": center.id})["data"]["distributionCenter"]
    assert facility_requests(wms_admin) - before == 1


def test_unknown_center_is_null_and_not_cached(
    cold_subgraph: httpx.Client, wms_admin: httpx.Client
) -> None:
    before = facility_requests(wms_admin)
    for _ in range(2):
        assert query(cold_subgraph, CENTER, {"id": "NOPE1"}) == {
            "data": {"distributionCenter": None}
        }
    # A center opened later must be found: a miss is asked for again.
    assert facility_requests(wms_admin) - before == 2


async def test_concurrent_misses_share_one_load(
    directory: CenterDirectory, wms_admin: httpx.Client, world: World
) -> None:
    before = facility_requests(wms_admin)
    first, second, every = await asyncio.gather(
        directory.get_many(["ATL1"]), directory.get_many(["ORD1", "NOPE1"]), directory.every()
    )
    assert list(first) == ["ATL1"] and list(second) == ["ORD1"]
    assert [c.id for c in every] == sorted(c.id for c in world.centers)
    assert facility_requests(wms_admin) - before == 1


async def test_a_failed_load_fails_its_waiters_and_is_tried_again(
    directory: CenterDirectory, wms_faults: SetFaults
) -> None:
    wms_faults(error_rate=1.0)
    failed = await asyncio.gather(
        directory.get_many(["ATL1"]), directory.every(), return_exceptions=True
    )
    assert all(isinstance(result, SystemUnavailable) for result in failed)
    wms_faults(error_rate=0.0)
    assert list(await directory.get_many(["ATL1"])) == ["ATL1"]

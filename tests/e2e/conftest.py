"""One running stack for the package (``tests.e2e.world``): its own copy of the seeded world,
its own Redis prefix (deleted afterwards), the WMS advancing on command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crossdock.settings import Settings, WmsLifecycle
from monitoring import MonitoringSettings, StageMinutes
from systems.world_records import World
from tests.e2e.orders import Accounts
from tests.e2e.world import E2E_SECRET, E2EWorld, running_e2e_world
from tests.orchestration.conftest import copy_world
from tests.orchestration.picks import Picker
from tests.support.redis import redis_url, unique_prefix

__all__ = ["redis_url"]


@pytest.fixture(scope="package")
def e2e_prefix(redis_url: str) -> Iterator[str]:
    """This session's Redis prefix: cache, seen-event records and event streams under it."""
    with unique_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture(scope="package")
def e2e_settings(
    base_settings: Settings,
    redis_url: str,
    e2e_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    settings = base_settings.model_copy(
        update={
            "redis_url": redis_url,
            "cache_prefix": e2e_prefix,
            # Streams under the session's prefix too, whatever the environment says.
            "events_prefix": None,
            # About workflows and events, not timeouts: a loaded machine must not flake them.
            "system_timeout_seconds": 30.0,
            # An order left in PICKING is stuck after two seconds (the operations page's
            # test, tests/e2e/test_ops_page.py), and the at-risk list is looked at often.
            "monitoring": MonitoringSettings(
                stuck_after_minutes=StageMinutes(picking=2 / 60), at_risk_interval_seconds=0.5
            ),
            "wms_lifecycle": WmsLifecycle(
                webhook_secret=E2E_SECRET,
                retry_base_seconds=0.2,
                retry_max_seconds=1.0,
                max_attempts=100,
            ),
        }
    )
    return copy_world(settings, tmp_path_factory.mktemp("e2e-world"))


@pytest.fixture(scope="package")
def stack(e2e_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EWorld]:
    with running_e2e_world(e2e_settings, tmp_path_factory.mktemp("e2e-gateway")) as world:
        yield world


@pytest.fixture
def e2e(stack: E2EWorld) -> Iterator[E2EWorld]:
    """The running stack, with any fault a test injected cleared after it, pass or fail."""
    try:
        yield stack
    finally:
        stack.clear_faults()


@pytest.fixture(scope="package")
def picker(world: World) -> Picker:
    """One picker for the package: its tests share one world and must not share SKUs."""
    return Picker(world)


@pytest.fixture(scope="package")
def accounts(world: World) -> Accounts:
    """Accounts handed out once each, so that what an account sees is one test's only."""
    return Accounts(world)

"""Session-wide fixtures: one seeded world, the three systems and subgraphs on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.settings import Settings
from systems.apps import create_system_app
from systems.seeding import seed_all
from systems.world import build_world
from systems.world_records import World
from tests.support.servers import serve

TEST_SEED = 7


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failed run: nothing may silently not run (Redis included)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or os.environ.get("CI") != "true":
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI every test must run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def world() -> World:
    """The same world the systems are seeded with (build_world is deterministic)."""
    return build_world(TEST_SEED)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crossdock-data")
    seed_all(Settings(data_dir=path, seed=TEST_SEED).systems, reset=True)
    return path


@pytest.fixture(scope="session")
def base_settings(data_dir: Path) -> Settings:
    """Settings over the seeded data dir, without any system URL yet."""
    return Settings(data_dir=data_dir, seed=TEST_SEED)


@pytest.fixture(scope="session")
def crm_system_url(base_settings: Settings) -> Iterator[str]:
    with serve(create_system_app("crm", base_settings.systems)) as url:
        yield url


@pytest.fixture(scope="session")
def erp_system_url(base_settings: Settings) -> Iterator[str]:
    with serve(create_system_app("erp", base_settings.systems)) as url:
        yield url


@pytest.fixture(scope="session")
def wms_system_url(base_settings: Settings) -> Iterator[str]:
    with serve(create_system_app("wms", base_settings.systems)) as url:
        yield url


@pytest.fixture(scope="session")
def settings(
    base_settings: Settings, crm_system_url: str, erp_system_url: str, wms_system_url: str
) -> Settings:
    """Settings whose system URLs point at the running systems."""
    return base_settings.model_copy(
        update={"crm_url": crm_system_url, "erp_url": erp_system_url, "wms_url": wms_system_url}
    )


@pytest.fixture(scope="session")
def crm_subgraph_url(settings: Settings) -> Iterator[str]:
    from subgraphs.apps import create_subgraph_app

    with serve(create_subgraph_app("crm", settings.subgraphs)) as url:
        yield url


@pytest.fixture(scope="session")
def erp_subgraph_url(settings: Settings) -> Iterator[str]:
    from subgraphs.apps import create_subgraph_app

    with serve(create_subgraph_app("erp", settings.subgraphs)) as url:
        yield url


@pytest.fixture(scope="session")
def wms_subgraph_url(settings: Settings) -> Iterator[str]:
    from subgraphs.apps import create_subgraph_app

    with serve(create_subgraph_app("wms", settings.subgraphs)) as url:
        yield url


@pytest.fixture(scope="session")
def orders_subgraph_url(settings: Settings) -> Iterator[str]:
    """The orders subgraph over the seeded systems: for queries (promiseOrder) only; tests
    that submit use a world of their own (tests/orchestration)."""
    from subgraphs.apps import create_subgraph_app

    with serve(create_subgraph_app("orders", settings.subgraphs)) as url:
        yield url

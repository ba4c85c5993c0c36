"""A world of our own for tests that write: systems over a copy of the seeded databases, the
four subgraphs over them and a gateway serving the composed supergraph, all on loopback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from crossdock.stack import compose_live_supergraph
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from systems.apps import create_system_app
from systems.world_records import World
from tests.gateway.conftest import supergraph_with_urls
from tests.orchestration.picks import Picker
from tests.support.servers import serve


def copy_world(source: Settings, target: Path) -> Settings:
    """Settings over a consistent copy (SQLite backup) of ``source``'s databases."""
    target.mkdir(parents=True, exist_ok=True)
    copied = source.model_copy(update={"data_dir": target})
    for name in SYSTEM_NAMES:
        with (
            sqlite3.connect(source.systems.db_path(name)) as src,
            sqlite3.connect(copied.systems.db_path(name)) as dst,
        ):
            src.backup(dst)
        src.close()
        dst.close()
    return copied


@dataclass(frozen=True)
class OwnWorld:
    """Where everything of the copied world answers."""

    settings: Settings  # system URLs point at the copies
    systems: dict[SystemName, str]
    gateway: str

    def graphql(self, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
        response = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def faults(self, system: SystemName, **faults: object) -> None:
        """Set ``system``'s injected faults (``error_rate=1.0``…); none when called bare."""
        body = {"latency_ms": 0, "error_rate": 0.0, "rate_limit_per_second": None, **faults}
        response = httpx.put(f"{self.systems[system]}/_admin/faults", json=body, timeout=10)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="package")
def picker(world: World) -> Picker:
    """One picker for the package: its tests share one world and must not share SKUs."""
    return Picker(world)


@pytest.fixture(scope="package")
def own_settings(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # These tests are about workflows, not timeouts (the compensation tests set their own): a
    # hundred concurrent submissions served by one test process on a loaded two-core machine
    # can make a single system call outlast the 5 s default and turn a race into a flake.
    settings = base_settings.model_copy(update={"system_timeout_seconds": 30.0})
    return copy_world(settings, tmp_path_factory.mktemp("own-world"))


@contextmanager
def running_world(settings: Settings, scratch: Path) -> Iterator[OwnWorld]:
    """The systems over ``settings``' data dir, the four subgraphs and a gateway over them."""
    with ExitStack() as stack:
        systems = {
            name: stack.enter_context(serve(create_system_app(name, settings.systems)))
            for name in SYSTEM_NAMES
        }
        settings = settings.model_copy(
            update={"crm_url": systems["crm"], "erp_url": systems["erp"], "wms_url": systems["wms"]}
        )
        urls = {
            name: stack.enter_context(serve(create_subgraph_app(name, settings.subgraphs)))
            for name in SUBGRAPH_NAMES
        }
        path = scratch / "supergraph.graphql"
        path.write_text(
            supergraph_with_urls(
                compose_live_supergraph(settings), {n: f"{u}/graphql" for n, u in urls.items()}
            )
        )
        gateway = stack.enter_context(
            serve(create_gateway_app(path, GatewaySettings(reload_interval=0)))
        )
        yield OwnWorld(settings=settings, systems=systems, gateway=gateway)


@pytest.fixture(scope="package")
def own_world(
    own_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnWorld]:
    with running_world(own_settings, tmp_path_factory.mktemp("own-gateway")) as world:
        yield world

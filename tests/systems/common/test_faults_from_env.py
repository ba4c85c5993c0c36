"""Fault injection configured as an operator does it: ``CROSSDOCK_<SYSTEM>_FAULTS__…`` variables.

Each system is started from ``Settings()`` read from the environment, on a real loopback port.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from crossdock.settings import Settings, SystemName
from systems.apps import create_system_app
from tests.support.servers import serve

# A list endpoint of each system (health and admin are never faulted).
LISTS: dict[SystemName, str] = {
    "crm": "/accounts?limit=1",
    "erp": "/items?limit=1",
    "wms": "/facilities",
}


def settings_from_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **env: str) -> Settings:
    monkeypatch.setenv("CROSSDOCK_DATA_DIR", str(data_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.parametrize("system", list(LISTS))
def test_error_rate_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, system: SystemName
) -> None:
    variable = f"CROSSDOCK_{system.upper()}_FAULTS__ERROR_RATE"
    settings = settings_from_env(monkeypatch, data_dir, **{variable: "1.0"})
    assert settings.systems.faults(system).error_rate == 1.0
    with serve(create_system_app(system, settings.systems)) as url:
        response = httpx.get(f"{url}{LISTS[system]}")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/json")
        faults = httpx.get(f"{url}/_admin/faults").json()
        assert faults == {
            "latency_ms": 0,
            "error_rate": 1.0,
            "rate_limit_per_second": None,
            "routes": None,
        }
        assert httpx.get(f"{url}/health").status_code == 200


def test_latency_from_the_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    settings = settings_from_env(monkeypatch, data_dir, CROSSDOCK_ERP_FAULTS__LATENCY_MS="300")
    with serve(create_system_app("erp", settings.systems)) as url:
        started = time.monotonic()
        response = httpx.get(f"{url}{LISTS['erp']}")
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed >= 0.3


def test_rate_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    settings = settings_from_env(
        monkeypatch, data_dir, CROSSDOCK_WMS_FAULTS__RATE_LIMIT_PER_SECOND="0.5"
    )
    with (
        serve(create_system_app("wms", settings.systems)) as url,
        httpx.Client(base_url=url) as client,
    ):
        # The bucket holds one token: the first request passes, the next is told to come back.
        assert client.get(LISTS["wms"]).status_code == 200
        throttled = client.get(LISTS["wms"])
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1


def test_other_systems_are_left_alone(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    settings = settings_from_env(monkeypatch, data_dir, CROSSDOCK_ERP_FAULTS__ERROR_RATE="1.0")
    with serve(create_system_app("crm", settings.systems)) as url:
        assert httpx.get(f"{url}{LISTS['crm']}").status_code == 200

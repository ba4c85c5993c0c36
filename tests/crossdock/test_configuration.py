"""Loading settings: flags over the environment over the config file over the defaults, and
every problem at once, each traced to where its value was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.config_errors import ConfigurationError
from crossdock.configuration import Configuration, Flag
from crossdock.settings import Settings


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(
        "seed = 3\n"
        'cache_prefix = "site:"\n'
        "[ports]\ngateway = 5000\nerp_system = 5102\n"
        "[gateway]\nmax_depth = 10\nmax_aliases = 5\noverride_labels = ['new-pricing']\n"
        "[crm_faults]\nroutes = ['POST /cases']\n"
    )
    return path


def test_the_file_sets_what_the_environment_and_flags_leave(config: Path) -> None:
    settings = Configuration(config, environment=False).load()
    assert settings.seed == 3
    assert (settings.ports.gateway, settings.ports.erp_system) == (5000, 5102)
    assert settings.ports.crm_system == 4101  # not in the file: the default
    assert settings.gateway.max_depth == 10 and settings.gateway.override_labels == ["new-pricing"]
    assert settings.crm_faults.routes == ["POST /cases"]
    # Composed settings follow the file's values as they follow the environment's.
    assert settings.gateway.redis_prefix == "site:gateway:"
    assert settings.system_url("erp") == "http://127.0.0.1:5102"


def test_the_environment_overrides_the_file_key_by_key(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_DEPTH", "12")
    monkeypatch.setenv("CROSSDOCK_PORTS__CRM_SYSTEM", "6101")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")
    settings = Configuration(config).load()
    assert settings.gateway.max_depth == 12
    assert settings.gateway.max_aliases == 5  # the rest of [gateway] still from the file
    assert (settings.ports.crm_system, settings.ports.gateway) == (6101, 5000)
    assert settings.redis_url == settings.gateway.redis_url == "redis://127.0.0.1:6379/5"


def test_flags_override_the_environment(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_SEED", "4")
    monkeypatch.setenv("CROSSDOCK_PORTS__GATEWAY", "5001")
    flags = [Flag(("seed",), "--seed", 5), Flag(("ports", "gateway"), "--port", 5002)]
    settings = Configuration(config, flags).load()
    assert (settings.seed, settings.ports.gateway, settings.ports.erp_system) == (5, 5002, 5102)


def test_without_a_file_settings_are_what_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_DEPTH", "7")
    assert Configuration().load().model_dump() == Settings().model_dump()
    assert Configuration().load().gateway.max_depth == 7


def test_every_problem_is_reported_at_once_by_key_and_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[gateway]\nmax_depth = -1\nsubgraph_read_timeout = 'slow'\n[orders]\nx = 1\n")
    monkeypatch.setenv("CROSSDOCK_WMS_LIFECYCLE__EXCEPTION_RATE", "1.5")
    flags = [Flag(("ports", "wms_system"), "--port", 123456)]
    with pytest.raises(ConfigurationError) as refused:
        Configuration(path, flags).load()
    assert [str(p) for p in refused.value.problems] == [
        f"orders.x ({path}:5): no such setting",
        "ports.wms_system (--port): Input should be less than or equal to 65535, got 123456",
        f"gateway.max_depth ({path}:2): Input should be greater than 0, got -1",
        f"gateway.subgraph_read_timeout ({path}:3): Input should be a valid number, unable to "
        "parse string as a number",
        "wms_lifecycle.exception_rate (CROSSDOCK_WMS_LIFECYCLE__EXCEPTION_RATE): Input should "
        "be less than or equal to 1, got 1.5",
    ]


def test_a_problem_found_after_loading_names_where_the_value_came_from(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configuration = Configuration(config)
    assert str(configuration.problem(("seed",), "no")) == f"seed ({config}:1): no"
    monkeypatch.setenv("CROSSDOCK_DATA_DIR", "/nowhere")
    assert str(configuration.problem(("data_dir",), "no")) == "data_dir (CROSSDOCK_DATA_DIR): no"
    assert str(configuration.problem(("host",), "no")) == "host: no"  # the default

"""Settings: environment variables, validation, and the URLs services use to reach each other."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crossdock.settings import Settings


def test_environment_variables_configure_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_PORTS__GATEWAY", "5000")
    monkeypatch.setenv("CROSSDOCK_ERP_FAULTS__ERROR_RATE", "0.25")
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_DEPTH", "7")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = Settings()
    assert settings.ports.gateway == 5000
    assert settings.systems.faults("erp").error_rate == 0.25
    assert settings.gateway.max_depth == 7
    assert settings.redis_url == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:4102"),
        ("0.0.0.0", "http://127.0.0.1:4102"),
        ("::", "http://[::1]:4102"),
        ("::1", "http://[::1]:4102"),
        ("localhost", "http://localhost:4102"),
    ],
)
def test_services_reach_each_other_even_on_wildcard_and_ipv6_binds(host: str, url: str) -> None:
    assert Settings(host=host).system_url("erp") == url


@pytest.mark.parametrize("bad", ["0", "70000", "-1", "http"])
def test_impossible_ports_are_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("CROSSDOCK_PORTS__ERP_SYSTEM", bad)
    with pytest.raises(ValidationError, match="erp_system"):
        Settings()


def test_the_gateway_shares_the_graphs_redis_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("CROSSDOCK_CACHE_PREFIX", "mine:")
    shared = Settings().gateway
    assert (shared.redis_url, shared.redis_prefix) == ("redis://127.0.0.1:6379/3", "mine:gateway:")
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REDIS_URL", "redis://127.0.0.1:6380/0")
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REDIS_PREFIX", "gw:")
    own = Settings().gateway
    assert (own.redis_url, own.redis_prefix) == ("redis://127.0.0.1:6380/0", "gw:")
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.delenv("CROSSDOCK_GATEWAY__REDIS_URL")
    assert Settings().gateway.redis_url is None


def test_the_gateway_knows_itself_by_the_address_it_is_served_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its GraphiQL is then a page of that address, not a foreign (or rebound) one.
    loopback = ["localhost", "127.0.0.1", "::1"]
    assert Settings().gateway.browsers.own_hosts == loopback
    assert Settings(host="0.0.0.0").gateway.browsers.own_hosts == loopback
    assert Settings(host="10.1.2.3").gateway.browsers.own_hosts == [*loopback, "10.1.2.3"]
    monkeypatch.setenv("CROSSDOCK_GATEWAY__BROWSERS__OWN_HOSTS", '["graph.example"]')
    assert Settings(host="10.1.2.3").gateway.browsers.own_hosts == ["graph.example"]


def test_deadlines_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().gateway.requests.timeout == 30.0
    assert Settings().subgraphs.request_timeout_seconds == 30.0
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REQUESTS__TIMEOUT", "2.5")
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REQUESTS__MAX_RESPONSE_BYTES", "1000")
    monkeypatch.setenv("CROSSDOCK_SUBGRAPH_REQUEST_TIMEOUT_SECONDS", "4")
    settings = Settings()
    assert settings.gateway.requests.timeout == 2.5
    assert settings.gateway.requests.max_response_bytes == 1000
    assert settings.subgraphs.request_timeout_seconds == 4.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CROSSDOCK_GATEWAY__REQUESTS__TIMEOUT", "0"),
        ("CROSSDOCK_GATEWAY__REQUESTS__TIMEOUT", "soon"),
        ("CROSSDOCK_GATEWAY__REQUESTS__MAX_RESPONSE_BYTES", "-1"),
        ("CROSSDOCK_SUBGRAPH_REQUEST_TIMEOUT_SECONDS", "0"),
    ],
)
def test_impossible_deadlines_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()

"""Settings: environment variables, validation, and the URLs services use to reach each other."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from crossdock.settings import Settings
from events.factory import create_outbox_for
from events.postgres_outbox import PostgresOutbox, table_name
from events.sqlite_outbox import SqliteOutbox


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


def test_the_webhook_outbox_is_a_sqlite_file_by_default_or_where_its_location_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CROSSDOCK_DATA_DIR", str(tmp_path))
    default = Settings().subgraphs.webhooks.outbox
    assert default.location == tmp_path / "wms-intake-outbox.crossdock-events-seed7.sqlite3"
    assert not default.is_postgres
    assert isinstance(create_outbox_for(default), SqliteOutbox)

    monkeypatch.setenv("CROSSDOCK_WMS_INTAKE__OUTBOX", str(tmp_path / "elsewhere.sqlite3"))
    assert Settings().subgraphs.webhooks.outbox.location == tmp_path / "elsewhere.sqlite3"

    url = "postgresql://crossdock:secret@db.internal:5432/crossdock"
    monkeypatch.setenv("CROSSDOCK_WMS_INTAKE__OUTBOX", url)
    monkeypatch.setenv("CROSSDOCK_WMS_INTAKE__OUTBOX_TIMEOUT_SECONDS", "3")
    settings = Settings()
    on_postgres = settings.subgraphs.webhooks.outbox
    assert (on_postgres.location, on_postgres.is_postgres) == (url, True)
    assert (on_postgres.namespace, on_postgres.timeout_seconds) == ("crossdock:events:seed7:", 3)
    assert settings.wms_intake_outbox_path is None
    outbox = create_outbox_for(on_postgres)
    assert isinstance(outbox, PostgresOutbox)
    # A table per events prefix, as the SQLite file is one per prefix; no password in its name.
    assert outbox.table == "wms_intake_outbox_crossdock_events_seed7"
    assert "secret" not in repr(outbox)


def test_an_outbox_table_name_is_an_identifier_whatever_the_prefix() -> None:
    long = table_name("a-very-long:events:prefix:for:one:deployment:of:many:seed7:")
    assert len(long) <= 48 and long.startswith("wms_intake_outbox_a_very_long")
    assert long != table_name("a-very-long:events:prefix:for:one:deployment:of:many:seed8:")
    assert table_name(":::") == "wms_intake_outbox_events"
